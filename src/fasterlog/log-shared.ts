/**
 * LogShared: what the threads of one FasterLog (the owner and the logs attached in
 * worker_threads, log-threads.ts) agree on besides the hybrid log's own state, in one
 * SharedArrayBuffer read and written with Atomics.
 *
 *   Int32 words  [0] APPEND_LOCK  epoch owner id of the thread reserving log space (0: free)
 *                [1] REQUESTS     bumped (and notified) by any thread that wants the owner to
 *                                 look again: a commit request, an attach, a close, a reclaim
 *                [3] COMMITS      bumped by commit requests alone (a commit request, a reclaim
 *                                 that padded a dead appender's range), so an attach or a
 *                                 close never starts a commit the policy did not ask for
 *   per epoch entry (index = entry number): the entry's append slot —
 *                state   SLOT_IDLE, SLOT_LOCKED (holds the lock; `tail` is the tail it found),
 *                        SLOT_WRITING (reserved [address, address + size), writing it)
 *                size    Int32, address and tail Float64
 *
 * Why a lock: an append first pads the rest of the page when the entry does not fit there,
 * then allocates (log-appender.ts); two threads doing that at once could leave a page end that
 * no entry covers (the format allows no holes: log-entry.ts). The lock makes the pair one step.
 * It is held only for the reservation (an atomic add, and a synchronous page write when the
 * buffer is full); payloads are written after it is released.
 *
 * Why the slot: a worker terminated in the middle of an append (worker.terminate()) leaves
 * bytes it reserved and never finished. The thread that reclaims it (log-threads.ts) reads its
 * slot and turns exactly those bytes into padding entries (readers and recovery skip padding),
 * before it frees the dead thread's epoch entry — so no flush can have written them yet, and
 * the commit that covers them writes padding. Each slot change follows the step it records
 * with no function call or loop back-edge between (the only points where V8 stops a terminated
 * thread), except where noted in AppendGuard.
 * Thread rules: any thread; one AppendGuard per thread (its slot is its own).
 */
import type { LightEpoch } from '../epoch/light-epoch.js';
import type { HybridLog } from '../log/hybrid-log.js';
import { waitAsync, type WaitAsyncResult } from './commit-state.js';

const W_APPEND_LOCK = 0;
const W_REQUESTS = 1;
/** Never written: waits on it only sleep. */
const W_IDLE = 2;
const W_COMMITS = 3;
const HEADER_BYTES = 64;

export const SLOT_IDLE = 0;
export const SLOT_LOCKED = 1;
export const SLOT_WRITING = 2;

/** Lock tries of the committer before it gives up for this event-loop turn. */
const TRY_SPINS = 64;
/** Lock tries of an appender before it starts sleeping between tries. */
const SPINS = 256;
const PAUSE_MS = 0.05;

export class LogShared {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly state: Int32Array;
  readonly size: Int32Array;
  readonly address: Float64Array;
  readonly tail: Float64Array;

  /** Fresh words for an epoch of `maxThreads` entries, or a view over `buffer`. */
  constructor(maxThreads: number, buffer?: SharedArrayBuffer) {
    const entries = maxThreads + 1;
    this.buffer = buffer ?? new SharedArrayBuffer(HEADER_BYTES + entries * 24);
    this.words = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.address = new Float64Array(this.buffer, HEADER_BYTES, entries);
    this.tail = new Float64Array(this.buffer, HEADER_BYTES + entries * 8, entries);
    this.state = new Int32Array(this.buffer, HEADER_BYTES + entries * 16, entries);
    this.size = new Int32Array(this.buffer, HEADER_BYTES + entries * 20, entries);
  }

  /** Asks the owner to look again (a commit, an attach or a leave). */
  /** Asks the owner for a commit. */
  request(): void {
    Atomics.add(this.words, W_COMMITS, 1);
    this.nudge();
  }

  /** Asks the owner to look again (attached logs changed), without asking for a commit. */
  nudge(): void {
    Atomics.add(this.words, W_REQUESTS, 1);
    Atomics.notify(this.words, W_REQUESTS);
  }

  get requests(): number {
    return Atomics.load(this.words, W_REQUESTS);
  }

  get commitRequests(): number {
    return Atomics.load(this.words, W_COMMITS);
  }

  /** The owner's wait for the next request (see RequestListener). */
  waitForRequest(seen: number): WaitAsyncResult {
    return waitAsync(this.words, W_REQUESTS, seen);
  }

  /** The epoch owner id holding the append lock (0: none). */
  get lockHolder(): number {
    return Atomics.load(this.words, W_APPEND_LOCK);
  }

  /** Frees the append lock if `ownerId` holds it (a dead thread's). */
  releaseLockOf(ownerId: number): void {
    Atomics.compareExchange(this.words, W_APPEND_LOCK, ownerId, 0);
  }

  /**
   * What a dead thread (owner id `ownerId`, epoch entry `entry`) had reserved and not
   * finished: the byte range to turn into padding, or undefined. Clears its slot.
   */
  takeUnfinished(entry: number, ownerId: number, tailAddress: number):
    { from: number; to: number } | undefined {
    const state = Atomics.load(this.state, entry);
    let range: { from: number; to: number } | undefined;
    if (state === SLOT_WRITING) {
      const from = this.address[entry]!;
      range = { from, to: from + this.size[entry]! };
    } else if (state === SLOT_LOCKED && this.lockHolder === ownerId) {
      range = { from: this.tail[entry]!, to: tailAddress };
    }
    Atomics.store(this.state, entry, SLOT_IDLE);
    return range !== undefined && range.to > range.from ? range : undefined;
  }

  pause(): void {
    Atomics.wait(this.words, W_IDLE, 0, PAUSE_MS);
  }
}

/** One thread's use of the append lock and its slot. */
export class AppendGuard {
  private readonly words: Int32Array;
  private readonly entry: number;
  private readonly token: number;

  constructor(private readonly shared: LogShared, private readonly epoch: LightEpoch,
    private readonly log: HybridLog) {
    this.words = shared.words;
    this.entry = epoch.entry;
    this.token = epoch.owner;
  }

  /**
   * Takes the lock, waiting for it (refreshing the epoch, so a holder that waits for a flush
   * is not held back by this thread). With `bounded`, gives up after a few tries and returns
   * false (the committer must never wait for a holder that may be a dead thread: only the
   * event loop can learn of its death). REQUIRES: protected.
   */
  lock(bounded = false): boolean {
    if (Atomics.compareExchange(this.words, W_APPEND_LOCK, 0, this.token) !== 0) {
      for (let n = 1; ; n++) {
        this.epoch.refresh();
        if (n >= SPINS) this.shared.pause();
        if (Atomics.compareExchange(this.words, W_APPEND_LOCK, 0, this.token) === 0) break;
        if (bounded && n >= TRY_SPINS) return false;
      }
    }
    // Stopped between the lock and LOCKED (in the tail getter), this thread reserved nothing:
    // the reclaimer finds the lock held with the slot idle and only frees the lock.
    const tail = this.log.tailAddress;
    this.shared.tail[this.entry] = tail;
    Atomics.store(this.shared.state, this.entry, SLOT_LOCKED);
    return true;
  }

  /**
   * The holder reserved [address, address + size): records it and frees the lock. Stopped on
   * entry to this call, the slot still says LOCKED with the lock held, which covers the range.
   */
  reserved(address: number, size: number): void {
    const entry = this.entry;
    this.shared.address[entry] = address;
    this.shared.size[entry] = size;
    Atomics.store(this.shared.state, entry, SLOT_WRITING);
    Atomics.store(this.words, W_APPEND_LOCK, 0);
  }

  /** The holder reserved nothing (a full buffer in 'try' mode, or an error): frees the lock. */
  unlock(): void {
    Atomics.store(this.shared.state, this.entry, SLOT_IDLE);
    Atomics.store(this.words, W_APPEND_LOCK, 0);
  }

  /** What `reserved` recorded is written in full. */
  written(): void {
    Atomics.store(this.shared.state, this.entry, SLOT_IDLE);
  }
}

/**
 * The owner's side of REQUESTS: runs `onRequest` on the owner's thread whenever another
 * thread bumped the word, without polling (Atomics.waitAsync). An Atomics.waitAsync does not
 * keep a thread alive, so while logs are attached (`attached()` > 0) a timer does, or a
 * worker's durable append could wait on an owner whose event loop has ended.
 */
export class RequestListener {
  private seen: number;
  private stopped = false;
  private keepAlive: NodeJS.Timeout | undefined;

  private seenCommits: number;

  constructor(private readonly shared: LogShared, private readonly attached: () => number,
    private readonly onRequest: () => void) {
    this.seen = shared.requests;
    this.seenCommits = shared.commitRequests;
    this.listen();
  }

  stop(): void {
    this.stopped = true;
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.shared.nudge();
  }

  private readonly listen = (): void => {
    if (this.stopped) return;
    const seq = this.shared.requests;
    if (seq !== this.seen) {
      this.seen = seq;
      const commits = this.shared.commitRequests;
      if (commits !== this.seenCommits) {
        this.seenCommits = commits;
        this.onRequest();
      }
    }
    if (this.attached() > 0) this.keepAlive ??= setInterval(() => undefined, 1 << 30);
    else if (this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
    const wait = this.shared.waitForRequest(seq);
    // Not waiting (the word moved meanwhile): look again on the next turn, never in a
    // microtask loop that would starve the I/O completions commits wait for.
    if (wait.async) void wait.value.then(this.listen);
    else setImmediate(this.listen);
  };
}
