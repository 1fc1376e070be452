/**
 * CommitState: what the last durable commit of a FasterLog made durable, in shared memory, so
 * that other threads attached to the same log can read it and wait for the next commit
 * (`Atomics.waitAsync` on the sequence word) without asking the writer.
 *
 *   BigInt64 words: [0] committed-until address, [1] committed begin address,
 *                   [2] commit number
 *   Int32 word:     [6] sequence (incremented, and notified, after every publish)
 *
 * Only the committing thread publishes (one writer); readers load each word atomically. A
 * reader that needs the three values of one commit together reads the sequence before and
 * after and retries when it changed.
 * Thread rules: publish on the log's owner thread; read anywhere.
 */
const W_UNTIL = 0;
const W_BEGIN = 1;
const W_NUMBER = 2;
const I_SEQUENCE = 6;
const BYTES = 32;

export class CommitState {
  readonly buffer: SharedArrayBuffer;
  private readonly words: BigInt64Array;
  private readonly ints: Int32Array;

  /** Fresh state, or a view over `buffer` (another thread's). */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    this.words = new BigInt64Array(this.buffer, 0, 3);
    this.ints = new Int32Array(this.buffer);
  }

  get committedUntilAddress(): number {
    return Number(Atomics.load(this.words, W_UNTIL));
  }

  get committedBeginAddress(): number {
    return Number(Atomics.load(this.words, W_BEGIN));
  }

  get commitNumber(): number {
    return Number(Atomics.load(this.words, W_NUMBER));
  }

  /** Changes after every publish. */
  get sequence(): number {
    return Atomics.load(this.ints, I_SEQUENCE);
  }

  /** Records a durable commit and wakes threads waiting on the sequence word. */
  publish(untilAddress: number, beginAddress: number, commitNumber: number): void {
    Atomics.store(this.words, W_UNTIL, BigInt(untilAddress));
    Atomics.store(this.words, W_BEGIN, BigInt(beginAddress));
    Atomics.store(this.words, W_NUMBER, BigInt(commitNumber));
    Atomics.add(this.ints, I_SEQUENCE, 1);
    Atomics.notify(this.ints, I_SEQUENCE);
  }
}
