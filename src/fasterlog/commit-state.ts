/**
 * CommitState: what the last durable commit of a FasterLog made durable, in shared memory, so
 * that other threads attached to the same log can read it and wait for the next commit
 * (`Atomics.waitAsync` on the sequence word) without asking the writer.
 *
 *   BigInt64 words: [0] committed-until address, [1] committed begin address,
 *                   [2] commit number, [4] until address of the last failure
 *   Int32 words:    [6] sequence (incremented, and notified, after every publish and every
 *                   failure), [7] failures, [10] the last failure's code (FAILURE_CODES)
 *
 * Only the committing thread publishes (one writer); readers load each word atomically. A
 * reader that needs the three values of one commit together reads the sequence before and
 * after and retries when it changed. A failure says "the commit covering entries below
 * `failedUntilAddress` failed": attached logs reject their waiters below it, as the owner
 * does (committer.ts); an owner thread that died publishes one with ERR_CLOSED and no bound.
 * Thread rules: publish on the log's owner thread (failures also from a reclaiming thread);
 * read anywhere.
 */
import type { FasterErrorCode } from '../errors.js';

/** Atomics.waitAsync (Node 16+; not in this TypeScript lib's typings). */
export type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };
export const waitAsync = (Atomics as unknown as {
  waitAsync(view: Int32Array, index: number, value: number): WaitAsyncResult;
}).waitAsync;
const W_UNTIL = 0;
const W_BEGIN = 1;
const W_NUMBER = 2;
const W_FAILED_UNTIL = 4;
const I_SEQUENCE = 6;
const I_FAILURES = 7;
const I_FAILURE_CODE = 10;
const BYTES = 48;

/** Codes a failure may carry across threads (index = the stored word). */
const FAILURE_CODES: readonly FasterErrorCode[] = [
  'ERR_IO', 'ERR_CLOSED', 'ERR_CORRUPTION', 'ERR_RECORD_TOO_LARGE', 'ERR_INVALID_ARGUMENT',
];

export class CommitState {
  readonly buffer: SharedArrayBuffer;
  private readonly words: BigInt64Array;
  private readonly ints: Int32Array;

  /** Fresh state, or a view over `buffer` (another thread's). */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    this.words = new BigInt64Array(this.buffer, 0, 5);
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

  /** Failures published so far; changes after every failure. */
  get failures(): number {
    return Atomics.load(this.ints, I_FAILURES);
  }

  /** The last failure: entries below `until` were not made durable by it. */
  get lastFailure(): { until: number; code: FasterErrorCode } {
    const code = FAILURE_CODES[Atomics.load(this.ints, I_FAILURE_CODE)] ?? 'ERR_IO';
    return { until: Number(Atomics.load(this.words, W_FAILED_UNTIL)), code };
  }

  /** Records a failed commit (entries below `until`) and wakes waiting threads. */
  publishFailure(until: number, code: FasterErrorCode): void {
    const index = FAILURE_CODES.indexOf(code);
    Atomics.store(this.words, W_FAILED_UNTIL, BigInt(Math.min(until, Number.MAX_SAFE_INTEGER)));
    Atomics.store(this.ints, I_FAILURE_CODE, index < 0 ? 0 : index);
    Atomics.add(this.ints, I_FAILURES, 1);
    Atomics.add(this.ints, I_SEQUENCE, 1);
    Atomics.notify(this.ints, I_SEQUENCE);
  }

  /** Waits (asynchronously) for the sequence word to leave `seen`. */
  waitForChange(seen: number): WaitAsyncResult {
    return waitAsync(this.ints, I_SEQUENCE, seen);
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
