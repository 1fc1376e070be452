/**
 * WriterState: the writing side of an open FasterLog — the hybrid log and its appender, the
 * committer and its policy, maintenance (metadata copies, segment deletion, retention) and
 * random reads — and the enqueue paths:
 *
 *  - `enqueue` / `enqueueBatch`: synchronous. When the buffer is full (the page the next page
 *    turn needs is not on the device yet) the page is written on this thread first, like
 *    FASTER's Enqueue, which spins until there is room. Memory never grows past memoryBytes.
 *  - `tryEnqueue`: returns false instead, and starts writing that page in the background (one
 *    page per event-loop turn), so a later try succeeds.
 *  - `enqueueAsync`: waits for that background write, then appends.
 * A full buffer only happens when entries outrun commits: every commit writes what it covers.
 * Thread rules: the log's JS thread.
 */
import { FasterError, invalidArgument } from '../errors.js';
import type { HybridLog } from '../log/hybrid-log.js';
import { CommitScheduler } from './commit-policy.js';
import { CommitState } from './commit-state.js';
import type { CommitStore, RingWrite } from './commit-store.js';
import { Committer } from './committer.js';
import { EntryReads } from './entry-read.js';
import type { IteratorRegistry } from './iterator-registry.js';
import { FULL, LogAppender, type AppendMode } from './log-appender.js';
import { entrySize } from './log-entry.js';
import { LogFormatter } from './log-formatter.js';
import { LogMaintenance } from './log-maintenance.js';
import type { WriterParts } from './log-open.js';
import type { ResolvedLogOptions } from './options.js';

/** Commits in flight at once (the next batch's write and sync overlap the current sync). */
const DEFAULT_COMMIT_DEPTH = 2;

export class WriterState {
  readonly log: HybridLog;
  readonly appender: LogAppender;
  readonly committer: Committer;
  readonly scheduler: CommitScheduler;
  readonly maintenance: LogMaintenance;
  readonly reads: EntryReads;
  readonly store: CommitStore;
  /** The last durable commit, in shared memory for threads that attach later. */
  readonly state = new CommitState();
  private readonly formatter: LogFormatter;
  /** Set by a scan waiting for uncommitted entries: the next enqueue wakes it. */
  wakeOnEnqueue = false;
  private readonly pageBytes: number;
  /** Whether durable appends may start commits mid-burst (see Committer). */
  private readonly splitBursts: boolean;
  private anchor: RingWrite | undefined;
  private spaceFlush: Promise<void> | undefined;
  private spaceError: FasterError | undefined;

  constructor(parts: WriterParts, options: ResolvedLogOptions,
    private readonly registry: IteratorRegistry, private readonly wake: () => void) {
    const { log, binding, store } = parts;
    this.log = log;
    this.store = store;
    this.pageBytes = log.pageBytes;
    this.appender = new LogAppender(log, binding, options.checksum);
    this.reads = new EntryReads(binding, log.device, log.pageBytes, log);
    this.formatter = new LogFormatter(binding, log.device, options.formatAheadBytes);
    this.maintenance = new LogMaintenance({
      log, store, iterators: registry, fastCommit: options.fastCommit,
      retention: options.retention, committedUntil: () => this.committer.committedUntilAddress,
      truncate: (address) => this.truncateUntil(address), commitNow: () =>
        this.committer.commitNow(),
    }, parts.start.record);
    this.committer = new Committer({
      log, appender: this.appender, store, iterators: registry, fastCommit: options.fastCommit,
      depth: DEFAULT_COMMIT_DEPTH, writerNonce: parts.writerNonce,
      beforeIssue: () => this.writeAnchor(),
      afterIssue: () => this.formatter.afterCommitIssued(log.tailAddress),
      needsMetadata: (record) => this.maintenance.needsMetadata(record), state: this.state,
      onCommitted: (record, inMetadata) => {
        this.maintenance.onCommitted(record, inMetadata);
        this.wake();
      },
    }, parts.start);
    this.anchor = parts.anchorWrite;
    log.onBeforeFlush((page, pageStart, _from, to) => {
      this.writeAnchor();
      this.clearPastTail(page, pageStart, to);
    });
    this.scheduler = new CommitScheduler(options.commit, this.committer);
    this.splitBursts = options.splitBursts &&
      (options.commit.kind === 'immediate' || options.commit.kind === 'manual');
    this.committer.scheduler = this.scheduler;
  }

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

  enqueueAndWaitForCommit(entry: Uint8Array): Promise<number> {
    const address = this.enqueue(entry);
    const promise = this.committer.waitFor(address, address);
    this.scheduler.onDurableWait();
    this.committer.noteDurableAppend(this.splitBursts);
    return promise;
  }

  waitForCommit(address: number | undefined): Promise<number> {
    const tail = this.log.tailAddress;
    if (address === undefined) {
      return tail <= this.committer.committedUntilAddress
        ? Promise.resolve(this.committer.committedUntilAddress)
        : this.committer.waitFor(tail - 1, -1);
    }
    if (!(Number.isSafeInteger(address) && address >= 0 && address < tail)) {
      throw invalidArgument('address', `an entry address below the tail ${tail}`, address);
    }
    return this.committer.waitFor(address, -1);
  }

  truncateUntil(address: number): void {
    const log = this.log;
    const tail = log.tailAddress;
    if (!(Number.isSafeInteger(address) && address >= 0 && address <= tail)) {
      throw invalidArgument('address', `an entry address from 0 to the tail ${tail}`, address);
    }
    if (address <= log.beginAddress) return;
    if (address < tail && address % this.pageBytes !== 0 &&
        this.reads.readSync(address).kind === 'damaged') {
      throw invalidArgument('address', 'the address of an entry (or a nextAddress)', address);
    }
    log.shiftBeginAddress(address, false);
    this.registry.clampTo(address);
  }

  async close(commit: boolean): Promise<void> {
    this.scheduler.stop();
    this.maintenance.stop();
    let failure: unknown;
    try {
      if (commit) await this.committer.commit(undefined);
      await this.committer.settle();
      await this.spaceFlush?.catch(() => undefined);
      await this.maintenance.settle(this.committer.lastCommit);
    } catch (err) {
      failure = err;
    }
    this.committer.rejectAll(new FasterError('ERR_CLOSED', 'the log was closed'));
    try {
      this.log.device.close();
      this.store.close();
    } finally {
      this.log.epoch.release();
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Writes this writer's anchor (log-open.ts) the first time anything is about to be written:
   * a log page or a commit. Synchronous, once per open.
   */
  private writeAnchor(): void {
    const anchor = this.anchor;
    if (anchor === undefined) return;
    this.store.writeSync(anchor);
    this.anchor = undefined;
  }

  /**
   * Frames are not zeroed when pages close (zeroClosedFrames: false), so the bytes past the
   * tail in the last sector a flush writes may be an older page's: zero them first, so the
   * device holds zeros past the tail as the format says (recovery sees no stale entries).
   */
  private clearPastTail(page: Uint8Array, pageStart: number, to: number): void {
    const tailOffset = this.log.tailAddress - pageStart;
    const sector = this.log.device.sectorBytes;
    const end = Math.min(page.length, Math.ceil(to / sector) * sector);
    if (tailOffset >= end) return;
    page.fill(0, Math.max(tailOffset, 0), end);
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
    this.scheduler.onEnqueue(size);
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
