/**
 * One FasterLog, many threads: the owner (the FasterLog that `open`ed the log) publishes a
 * FasterLogHandle with `shareHandle()`; `FasterLog.attach(handle)` in another worker_thread
 * builds a FasterLog over the same shared memory — the epoch table, the hybrid log's frames,
 * markers and tail (one allocation point for every thread), the append slots (log-shared.ts)
 * and the commit state (commit-state.ts) — that opens the log's segment files itself (the
 * owner keeps the directory lock; the devices share dirty-segment marks, so any thread's
 * fdatasync covers every thread's page writes).
 *
 * Group commit stays one: the owner's committer commits everything below the shared tail,
 * whoever enqueued it. An attached log's commit policy runs on its own thread (the owner's
 * options) and, where the owner's would start a commit, asks the owner for one (LogShared
 * REQUESTS; the owner hears it through Atomics.waitAsync, no polling). Its waiters
 * (`enqueueAndWaitForCommit`, `waitForCommit`, `commit()`) wait on the shared commit state and
 * settle when the committed-until address passes them, or reject when the commit covering
 * them failed (RemoteCommits). The owner's own waiters are settled by its committer as before.
 * What stays with the owner: commits with a cookie or a commit number, named iterators,
 * `truncateUntil` and retention (an attached log refuses them with ERR_INVALID_ARGUMENT); an
 * attached log scans and reads everything committed (and, with `uncommitted`, what any thread
 * enqueued).
 *
 * Closing (as FasterKV: "the owner closes last"): an attached log's close commits what is
 * enqueued (unless `commit: false`), waits for it, and leaves. The owner's close first refuses
 * new attaches (ERR_CLOSED), then waits — still committing for them — until every attached log
 * has closed or its worker has exited, then commits and closes as a single-threaded log does.
 * A worker that never closes its log and never exits keeps the owner's close waiting.
 *
 * Dead workers: a worker that exits without closing its log, or is terminated in the middle of
 * an append, is reclaimed by the thread that created it (store/threads.ts watchWorkers; that
 * thread must hold a FasterLog of this log): what it had reserved and not finished becomes
 * padding (log-shared.ts), the append lock and the hybrid log's tokens it held are freed, its
 * epoch entry is released (so commits, which wait for every thread to leave the epoch, go on),
 * and it stops counting as attached. It loses only what it had not seen acknowledged: an
 * entry it was writing is never returned by readers or recovery, and entries it enqueued are
 * committed like anyone's if they were complete. If the owner's thread dies, attached logs'
 * waiters reject with ERR_CLOSED (nothing commits any more).
 * Limit: the reclaiming thread learns of a death on its event loop, so a thread blocked
 * synchronously on the dead one (a sync enqueue spinning for the append lock it held) would
 * wait forever if it is that same thread: enqueue from threads other than the one that
 * creates (and so reclaims) the workers, or use `enqueueAsync`/`tryEnqueue` there.
 * Thread rules: the functions run on the thread of the log object they are given.
 */
import { FasterError, invalidArgument } from '../errors.js';
import { LightEpoch, type LightEpochHandle } from '../epoch/light-epoch.js';
import { HybridLog, type HybridLogHandle } from '../log/hybrid-log.js';
import { selectBinding, type EngineName, type NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import type { Storage } from '../storage/storage.js';
import { ROLE_ATTACHED, ROLE_NONE, ROLE_OWNER, ROLE_RECLAIMING, StoreShared } from
  '../store/store-shared.js';
import { watchWorkers } from '../store/threads.js';
import { CommitScheduler } from './commit-policy.js';
import { CommitState } from './commit-state.js';
import type { CommitRequest } from './commit-types.js';
import { CommitWaiters } from './commit-waiters.js';
import { EntryReads } from './entry-read.js';
import { Enqueuer, type LogWriter } from './enqueuer.js';
import { LOG_DEVICE_NAME } from './layout.js';
import type { CommonParts } from './log-open.js';
import { LogAppender } from './log-appender.js';
import { AppendGuard, LogShared } from './log-shared.js';
import type { ResolvedLogOptions } from './options.js';
import type { FasterLogRecoveryReport } from './recovery.js';

export const LOG_HANDLE_VERSION = 1;

/** `log.shareHandle()`: what `FasterLog.attach` needs in another worker_thread. */
export interface FasterLogHandle {
  readonly kind: 'fasterlog';
  /** Layout version of the handle: a log attaches only to the same version. */
  readonly version: number;
  readonly engine: EngineName;
  readonly options: ResolvedLogOptions;
  readonly pageBytes: number;
  readonly segmentBytes: number;
  readonly epoch: LightEpochHandle;
  readonly log: HybridLogHandle;
  /** CommitState, LogShared, StoreShared (attach count, closing, roles), SharedSegments. */
  readonly commits: SharedArrayBuffer;
  readonly appends: SharedArrayBuffer;
  readonly threads: SharedArrayBuffer;
  readonly segments: SharedArrayBuffer;
}

/** The shared parts one thread of a shared log holds (owner or attached). */
export interface ThreadView {
  readonly epoch: LightEpoch;
  readonly log: HybridLog;
  readonly appender: LogAppender;
  readonly shared: LogShared;
  readonly threads: StoreShared;
  readonly state: CommitState;
}

/** The owner's side of sharing, made by the first `shareHandle()`. */
export interface Sharing {
  readonly handle: FasterLogHandle;
  readonly view: ThreadView;
  readonly stopWatching: () => void;
}

/** What the owner's writer offers to sharing (WriterState). */
export interface ShareableWriter {
  readonly log: HybridLog;
  readonly appender: LogAppender;
  readonly state: CommitState;
  share(shared: LogShared, attached: () => number): void;
}

export function startSharing(writer: ShareableWriter, o: ResolvedLogOptions,
  storage: Storage, engine: EngineName, segments: SharedArrayBuffer | undefined): Sharing {
  if (!(storage instanceof DirectoryStorage) || segments === undefined) {
    throw new FasterError('ERR_INVALID_ARGUMENT', 'shareHandle needs a log opened on a ' +
      'directory (the dir option): other threads open its files themselves');
  }
  const { log } = writer;
  const epoch = log.epoch;
  const shared = new LogShared(epoch.maxThreads);
  const threads = new StoreShared(epoch.maxThreads);
  Atomics.store(threads.roles, epoch.entry, ROLE_OWNER);
  writer.share(shared, () => threads.attached);
  const view = { epoch, log, appender: writer.appender, shared, threads, state: writer.state };
  const handle: FasterLogHandle = {
    kind: 'fasterlog', version: LOG_HANDLE_VERSION, engine, options: { ...o },
    pageBytes: log.pageBytes, segmentBytes: log.device.segmentBytes, epoch: epoch.handle(),
    log: log.handle(), commits: writer.state.buffer, appends: shared.buffer,
    threads: threads.buffer, segments,
  };
  const stopWatching = watchWorkers({ onThreadExit: (id) => reclaimLogThread(view, id) });
  return { handle, view, stopWatching };
}

const WAIT_MS = 2;

/** The owner's close: no more attaches, then every attached log closed or reclaimed. */
export async function waitForAttached(sharing: Sharing): Promise<void> {
  const { threads, epoch } = sharing.view;
  threads.beginClosing();
  while (threads.attached > 0) {
    epoch.progress();
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  }
}

/** What an attached FasterLog is built from. */
export interface AttachedParts extends CommonParts {
  readonly kind: 'attached';
  readonly options: ResolvedLogOptions;
  readonly handle: FasterLogHandle;
  readonly view: ThreadView;
}

export function checkHandle(handle: unknown): FasterLogHandle {
  const h = handle as FasterLogHandle | undefined;
  if (h === null || typeof h !== 'object' || h.kind !== 'fasterlog') {
    throw invalidArgument('handle', 'a FasterLogHandle from log.shareHandle()', handle);
  }
  if (h.version !== LOG_HANDLE_VERSION) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `the handle has layout version ${h.version}; ` +
      `this build attaches version ${LOG_HANDLE_VERSION} (the same package build on both ` +
      'threads)');
  }
  return h;
}

/** Opens this thread's parts of the log of `handle` (FasterLog.attach). */
export function openAttached(handle: unknown): AttachedParts {
  const h = checkHandle(handle);
  const binding = selectBinding(h.engine);
  const o = h.options;
  const storage = new DirectoryStorage(o.dir, binding, { create: false });
  try {
    const device = storage.openDevice(LOG_DEVICE_NAME, {
      segmentBytes: h.segmentBytes, direct: o.directIo, shared: h.segments,
    });
    const epoch = LightEpoch.attach(h.epoch);
    let log: HybridLog;
    try {
      epoch.acquire();
      try {
        log = HybridLog.attach(h.log, { device, binding, epoch });
      } catch (err) {
        epoch.release();
        throw err;
      }
    } catch (err) {
      device.close();
      throw err;
    }
    const threads = new StoreShared(epoch.maxThreads, h.threads);
    const shared = new LogShared(epoch.maxThreads, h.appends);
    if (!threads.enter()) {
      epoch.release();
      device.close();
      throw new FasterError('ERR_CLOSED', 'the log is closing: nothing attaches to it now');
    }
    Atomics.store(threads.roles, epoch.entry, ROLE_ATTACHED);
    shared.nudge();
    const appender = new LogAppender(log, binding, o.checksum);
    appender.guard = new AppendGuard(shared, epoch, log);
    const state = new CommitState(h.commits);
    const view = { epoch, log, appender, shared, threads, state };
    return {
      kind: 'attached', binding, storage, release: () => storage.close(), report: {
        created: false, source: 'none', commitNumber: state.commitNumber,
        beginAddress: state.committedBeginAddress,
        committedUntilAddress: state.committedUntilAddress, cookie: undefined, iterators: {},
        damagedMetadataRecords: 0, discardedBytes: 0, truncatedBytes: 0,
        truncatedFromAddress: undefined, corruption: undefined,
      },
      pageBytes: h.pageBytes, segmentBytes: h.segmentBytes, options: o, handle: h, view,
    };
  } catch (err) {
    storage.close();
    throw err;
  }
}

/**
 * Reclaims, for a shared log, the epoch entries of worker thread `threadId` (it exited or was
 * terminated). The entry's role is claimed first, so of several threads that hear of the same
 * death exactly one reclaims it. Returns how many entries it reclaimed.
 */
export function reclaimLogThread(view: ThreadView, threadId: number): number {
  const { epoch, log, appender, shared, threads, state } = view;
  let reclaimed = 0;
  let padded = false;
  for (const { entry, ownerId } of epoch.entriesOf(threadId)) {
    const role = Atomics.load(threads.roles, entry);
    if (role === ROLE_RECLAIMING) continue;
    if (Atomics.compareExchange(threads.roles, entry, role, ROLE_RECLAIMING) !== role) continue;
    const unfinished = shared.takeUnfinished(entry, ownerId, log.tailAddress);
    if (unfinished !== undefined) {
      appender.padRange(unfinished.from, unfinished.to);
      padded = true;
    }
    shared.releaseLockOf(ownerId);
    log.reclaimThread(ownerId);
    epoch.reclaimEntry(entry, ownerId);
    Atomics.store(threads.roles, entry, ROLE_NONE);
    if (role === ROLE_ATTACHED) threads.leave();
    if (role === ROLE_OWNER) {
      threads.beginClosing();
      state.publishFailure(Number.MAX_SAFE_INTEGER, 'ERR_CLOSED');
    }
    reclaimed++;
  }
  if (reclaimed > 0) {
    // A padded range may have held commits back: commit past it now (waiters had asked).
    if (padded) shared.request();
    else shared.nudge();
    if (epoch.isAcquired && !epoch.isProtected) epoch.progress();
  }
  return reclaimed;
}

/**
 * Waiters of an attached log: settled from the shared commit state (commit-state.ts), which
 * the owner's committer publishes after every commit and failure. While any wait, a waitAsync
 * on its sequence word is pending and a timer keeps the thread alive (a pending waitAsync
 * does not).
 */
export class RemoteCommits {
  private readonly waiters = new CommitWaiters();
  private failures: number;
  private watching = false;
  private closed = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly state: CommitState, private readonly onChange: () => void) {
    this.failures = state.failures;
  }

  get committedUntilAddress(): number {
    return this.state.committedUntilAddress;
  }

  /** Resolves once committedUntilAddress > address (with `value`, or it when -1). */
  waitFor(address: number, value: number): Promise<number> {
    const until = this.state.committedUntilAddress;
    if (until > address) return Promise.resolve(value === -1 ? until : value);
    const promise = new Promise<number>((resolve, reject) =>
      this.waiters.add(address, value, resolve, reject));
    if (!this.watching) {
      this.watching = true;
      this.failures = this.state.failures;
      this.keepAlive = setInterval(() => undefined, 1 << 30);
      this.check();
    }
    return promise;
  }

  rejectAll(error: FasterError): void {
    this.closed = true;
    this.waiters.rejectAll(error);
    this.stopWatching();
  }

  private readonly check = (): void => {
    if (this.closed) return;
    const state = this.state;
    const seq = state.sequence;
    this.waiters.resolveBelow(state.committedUntilAddress);
    const failures = state.failures;
    if (failures !== this.failures) {
      this.failures = failures;
      const { until, code } = state.lastFailure;
      this.waiters.rejectBelow(until, new FasterError(code, code === 'ERR_CLOSED'
        ? "the log's owner thread is gone: nothing commits any more"
        : 'the commit that covered this entry failed (on the owner\'s thread)'));
    }
    this.onChange();
    if (this.waiters.size === 0) {
      this.stopWatching();
      return;
    }
    const wait = state.waitForChange(seq);
    if (wait.async) void wait.value.then(this.check);
    else setImmediate(this.check);
  };

  private stopWatching(): void {
    this.watching = false;
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}

/** The writing side of an attached FasterLog (see the header). */
export class AttachedWriter extends Enqueuer implements LogWriter {
  readonly reads: EntryReads;
  private readonly remote: RemoteCommits;
  private readonly scheduler: CommitScheduler;
  private readonly view: ThreadView;
  private readonly stopWatching: () => void;

  constructor(parts: AttachedParts, wake: () => void) {
    const { view, binding, options } = parts;
    super(view.log, view.appender, wake);
    this.view = view;
    this.reads = new EntryReads(binding, view.log.device, parts.pageBytes, view.log);
    this.remote = new RemoteCommits(view.state, wake);
    this.scheduler = new CommitScheduler(options.commit, { commitNow: () => this.request() });
    this.stopWatching = watchWorkers({ onThreadExit: (id) => reclaimLogThread(view, id) });
  }

  get committedUntilAddress(): number {
    return this.view.state.committedUntilAddress;
  }

  get committedBeginAddress(): number {
    return this.view.state.committedBeginAddress;
  }

  get commitNumber(): number {
    return this.view.state.commitNumber;
  }

  enqueueAndWaitForCommit(entry: Uint8Array): Promise<number> {
    const address = this.enqueue(entry);
    const promise = this.remote.waitFor(address, address);
    this.scheduler.onDurableWait();
    return promise;
  }

  waitForCommit(address: number | undefined): Promise<number> {
    const tail = this.log.tailAddress;
    if (address === undefined) return this.remote.waitFor(tail - 1, -1);
    if (!(Number.isSafeInteger(address) && address >= 0 && address < tail)) {
      throw invalidArgument('address', `an entry address below the tail ${tail}`, address);
    }
    return this.remote.waitFor(address, -1);
  }

  /** Asks the owner for a commit and resolves once everything enqueued so far is durable. */
  commit(request: CommitRequest | undefined): Promise<number> {
    if (request !== undefined && (request.cookie !== undefined ||
        request.commitNumber !== undefined)) {
      throw invalidArgument('request', 'no cookie or commitNumber on an attached log (such ' +
        "commits run on the owner's thread)", request);
    }
    const promise = this.remote.waitFor(this.log.tailAddress - 1, -1);
    this.request();
    return promise;
  }

  truncateUntil(): void {
    throw new FasterError('ERR_INVALID_ARGUMENT', "truncateUntil runs on the log's owner " +
      'thread, not on an attached log');
  }

  async close(commit: boolean): Promise<void> {
    this.scheduler.stop();
    let failure: unknown;
    try {
      if (commit) await this.commit(undefined);
      await this.settleSpace();
    } catch (err) {
      failure = err;
    }
    this.remote.rejectAll(new FasterError('ERR_CLOSED', 'the log was closed'));
    this.stopWatching();
    const { epoch, log, threads, shared } = this.view;
    try {
      Atomics.store(threads.roles, epoch.entry, ROLE_NONE);
      epoch.release();
      log.device.close();
    } finally {
      threads.leave();
      shared.nudge();
    }
    if (failure !== undefined) throw failure;
  }

  counters(): { completed: number; failed: number; inFlight: number;
    maintenanceError: string | undefined } {
    return { completed: 0, failed: 0, inFlight: 0, maintenanceError: undefined };
  }

  protected onEnqueued(size: number): void {
    this.scheduler.onEnqueue(size);
  }

  /** The policy's "commit now": asks the owner; the commit covers everything counted. */
  private request(): void {
    this.view.shared.request();
    this.scheduler.onCommitStarted();
  }
}
