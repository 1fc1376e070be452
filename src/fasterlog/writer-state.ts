/**
 * WriterState: the writing side of the FasterLog that opened the log (the owner) — the hybrid
 * log and its appender, the committer and its policy, maintenance (metadata copies, segment
 * deletion, retention) and random reads. The enqueue paths are Enqueuer's (enqueuer.ts).
 *
 * Sharing (`share`, for FasterLog.shareHandle): the anchor is written at once (attached
 * threads write pages too, and nothing may reach the device before it); reservations take
 * the append lock (log-shared.ts); commits wait for page writes asynchronously (committer.ts);
 * requests from attached threads are heard on this thread (RequestListener) and start a
 * commit; and two single-writer shortcuts stop, since other threads now write the frames and
 * the device concurrently: formatting ahead of the tail (a zero write could land after a
 * worker's page write of the same bytes) and zeroing the frame past the tail before a flush
 * (it could clear an entry a worker has just reserved there). The device may then hold stale
 * bytes past the committed tail; recovery reads only chained commits and drops what follows
 * the last one (counted in discardedBytes).
 * Thread rules: the log's JS thread.
 */
import { FasterError, invalidArgument } from '../errors.js';
import { CommitScheduler } from './commit-policy.js';
import { CommitState } from './commit-state.js';
import type { CommitStore, RingWrite } from './commit-store.js';
import { Committer, type CommitRequest } from './committer.js';
import { EntryReads } from './entry-read.js';
import { Enqueuer, type LogWriter } from './enqueuer.js';
import type { IteratorRegistry } from './iterator-registry.js';
import { LogAppender } from './log-appender.js';
import { zeroBytes } from './log-entry.js';
import { LogFormatter } from './log-formatter.js';
import { LogMaintenance } from './log-maintenance.js';
import type { WriterParts } from './log-open.js';
import { AppendGuard, RequestListener, type LogShared } from './log-shared.js';
import type { ResolvedLogOptions } from './options.js';

/** Commits in flight at once (the next batch's write and sync overlap the current sync). */
const DEFAULT_COMMIT_DEPTH = 2;

export class WriterState extends Enqueuer implements LogWriter {
  readonly committer: Committer;
  readonly scheduler: CommitScheduler;
  readonly maintenance: LogMaintenance;
  readonly reads: EntryReads;
  readonly store: CommitStore;
  /** The last durable commit, in shared memory for threads that attach. */
  readonly state = new CommitState();
  private readonly formatter: LogFormatter;
  /** Whether durable appends may start commits mid-burst (see Committer). */
  private readonly splitBursts: boolean;
  private anchor: RingWrite | undefined;
  /** Set by `share`. */
  private shared = false;
  private listener: RequestListener | undefined;

  constructor(parts: WriterParts, options: ResolvedLogOptions,
    private readonly registry: IteratorRegistry, wake: () => void) {
    const { log, binding, store } = parts;
    super(log, new LogAppender(log, binding, options.checksum), wake);
    this.store = store;
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
      afterIssue: () => {
        if (!this.shared) this.formatter.afterCommitIssued(log.tailAddress);
      },
      needsMetadata: (record) => this.maintenance.needsMetadata(record), state: this.state,
      onCommitted: (record, inMetadata) => {
        this.maintenance.onCommitted(record, inMetadata);
        this.wake();
      },
    }, parts.start);
    this.anchor = parts.anchorWrite;
    log.onBeforeFlush((page, pageStart, _from, to) => {
      this.writeAnchor();
      if (!this.shared) this.clearPastTail(page, pageStart, to);
    });
    this.scheduler = new CommitScheduler(options.commit, this.committer);
    this.splitBursts = options.splitBursts &&
      (options.commit.kind === 'immediate' || options.commit.kind === 'manual');
    this.committer.scheduler = this.scheduler;
  }

  get committedUntilAddress(): number {
    return this.committer.committedUntilAddress;
  }

  get committedBeginAddress(): number {
    return this.committer.lastCommit.beginAddress;
  }

  get commitNumber(): number {
    return this.committer.lastCommit.commitNumber;
  }

  /**
   * Switches to shared operation (see the header), once: `shared` holds the append slots and
   * requests, `attached` counts the logs attached now.
   */
  share(shared: LogShared, attached: () => number): void {
    if (this.shared) return;
    this.writeAnchor();
    this.appender.guard = new AppendGuard(shared, this.log.epoch, this.log);
    this.shared = true;
    this.committer.shared = true;
    this.listener = new RequestListener(shared, attached, () => this.committer.commitNow());
  }

  commit(request: CommitRequest | undefined): Promise<number> {
    return this.committer.commit(request);
  }

  counters(): { completed: number; failed: number; inFlight: number;
    maintenanceError: string | undefined } {
    const c = this.committer;
    return { completed: c.completed, failed: c.failed, inFlight: c.inFlight,
      maintenanceError: this.maintenance.lastError?.message };
  }

  protected onEnqueued(size: number): void {
    this.scheduler.onEnqueue(size);
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
    this.listener?.stop();
    this.maintenance.stop();
    let failure: unknown;
    try {
      if (commit) await this.committer.commit(undefined);
      await this.committer.settle();
      await this.settleSpace();
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
    zeroBytes(page, Math.max(tailOffset, 0), end, this.appender.words);
  }
}
