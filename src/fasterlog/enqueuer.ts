/**
 * Enqueuer: the enqueue paths every writing FasterLog object has — the owner's (WriterState)
 * and an attached one's in a worker thread (AttachedWriter, log-threads.ts) — and LogWriter,
 * what FasterLog asks of either.
 *
 *  - `enqueue` / `enqueueBatch`: synchronous. When the buffer is full (the page the next page
 *    turn needs is not on the device yet) the page is written on this thread first, like
 *    FASTER's Enqueue, which spins until there is room. Memory never grows past memoryBytes.
 *  - `tryEnqueue`: returns false instead, and starts writing that page in the background (one
 *    page per event-loop turn), so a later try succeeds.
 *  - `enqueueAsync`: waits for that background write, then appends.
 * A full buffer only happens when entries outrun commits: every commit writes what it covers.
 * Thread rules: the object's thread.
 */
import { FasterError, invalidArgument } from '../errors.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { CommitRequest } from './commit-types.js';
import type { EntryReads } from './entry-read.js';
import { FULL, LogAppender, type AppendMode } from './log-appender.js';
import { entrySize } from './log-entry.js';

/** What FasterLog needs of its writing side, on the owner's thread or an attached one. */
export interface LogWriter {
  readonly log: HybridLog;
  readonly reads: EntryReads;
  /** Set by a scan waiting for uncommitted entries: the next enqueue wakes it. */
  wakeOnEnqueue: boolean;
  readonly committedUntilAddress: number;
  readonly committedBeginAddress: number;
  readonly commitNumber: number;
  enqueue(entry: Uint8Array): number;
  enqueueBatch(entries: readonly Uint8Array[]): number;
  tryEnqueue(entry: Uint8Array): number | false;
  enqueueAsync(entry: Uint8Array): Promise<number>;
  enqueueAndWaitForCommit(entry: Uint8Array): Promise<number>;
  waitForCommit(address: number | undefined): Promise<number>;
  commit(request: CommitRequest | undefined): Promise<number>;
  truncateUntil(address: number): void;
  close(commit: boolean): Promise<void>;
  /** Commit counters for stats (an attached log's are zero: the owner commits). */
  counters(): { completed: number; failed: number; inFlight: number;
    maintenanceError: string | undefined };
}

export abstract class Enqueuer {
  readonly log: HybridLog;
  readonly appender: LogAppender;
  /** Set by a scan waiting for uncommitted entries: the next enqueue wakes it. */
  wakeOnEnqueue = false;
  protected readonly pageBytes: number;
  private spaceFlush: Promise<void> | undefined;
  private spaceError: FasterError | undefined;

  constructor(log: HybridLog, appender: LogAppender, protected readonly wake: () => void) {
    this.log = log;
    this.appender = appender;
    this.pageBytes = log.pageBytes;
  }

  /** An entry (or batch) of `size` log bytes was enqueued: tell the commit policy. */
  protected abstract onEnqueued(size: number): void;

  enqueue(entry: Uint8Array): number {
    const size = this.sizeOf(entry);
    const address = this.appendProtected(entry, 'sync');
    this.enqueued(size);
    return address;
  }

  enqueueBatch(entries: readonly Uint8Array[]): number {
    if (!Array.isArray(entries) || entries.length === 0) {
      throw invalidArgument('entries', 'a non-empty array of Uint8Array', entries);
    }
    let total = 0;
    for (const entry of entries) total += this.sizeOf(entry);
    this.appender.checkSize(total, `a batch of ${entries.length} entries`);
    const epoch = this.log.epoch;
    epoch.protect();
    let address: number;
    try {
      address = this.appender.appendBatch(entries, total, 'sync');
    } finally {
      epoch.unprotect();
    }
    this.enqueued(total);
    return address;
  }

  tryEnqueue(entry: Uint8Array): number | false {
    const size = this.sizeOf(entry);
    if (this.spaceError !== undefined) {
      const error = this.spaceError;
      this.spaceError = undefined;
      throw error;
    }
    const address = this.appendProtected(entry, 'try');
    if (address === FULL) {
      this.space().catch((err: unknown) => {
        if (err instanceof FasterError) this.spaceError = err;
      });
      return false;
    }
    this.enqueued(size);
    return address;
  }

  async enqueueAsync(entry: Uint8Array): Promise<number> {
    for (;;) {
      const address = this.tryEnqueue(entry);
      if (address !== false) return address;
      await this.space();
    }
  }

  /** Settles the background page write, if any (close). */
  protected async settleSpace(): Promise<void> {
    await this.spaceFlush?.catch(() => undefined);
  }

  private sizeOf(entry: Uint8Array): number {
    if (!(entry instanceof Uint8Array)) throw invalidArgument('entry', 'a Uint8Array', entry);
    const size = entrySize(entry.length);
    if (size > this.pageBytes) this.appender.checkSize(size, `an entry of ${entry.length} bytes`);
    return size;
  }

  private appendProtected(entry: Uint8Array, mode: AppendMode): number {
    const epoch = this.log.epoch;
    epoch.protect();
    try {
      return this.appender.append(entry, mode);
    } finally {
      epoch.unprotect();
    }
  }

  private enqueued(size: number): void {
    this.onEnqueued(size);
    if (this.wakeOnEnqueue) {
      this.wakeOnEnqueue = false;
      this.wake();
    }
  }

  /** Writes, in the background, the page the next page turn needs. */
  private space(): Promise<void> {
    this.spaceFlush ??= this.log.flushUntilAsync(this.log.frameWaitAddress()).then(() => {
      this.spaceFlush = undefined;
    }, (err: unknown) => {
      this.spaceFlush = undefined;
      if (err instanceof FasterError) this.log.retryFailedFlushes();
      throw err;
    });
    return this.spaceFlush;
  }
}
