/**
 * Committer: FasterLog's group commit (FASTER's commit protocol, version 2).
 *
 * A commit covers every entry enqueued before it started. Issuing one, on the JS thread:
 *   1. assign the commit number; build the commit record (begin address, named iterator
 *      positions, cookie, the checksum of the record it follows);
 *   2. fast commit: append the record to the log, so its until address is its own end;
 *      otherwise: until = tail, and place the record as the next commit-metadata ring record;
 *   3. shift ReadOnlyAddress to the tail and write the pages up to `until` (synchronous
 *      writes: the tail page's new sectors, typically a few KiB);
 *   4. fdatasync the log device on the I/O pool, asynchronously.
 * When the sync completes, a fast commit is durable; otherwise the ring record is written and
 * synced (asynchronously) and then the commit is durable. A fast commit that moves the begin
 * address past a segment also goes to the ring before it completes (segments below may then
 * be deleted, and recovery must not start below them). Durable commits complete strictly
 * in issue order: committedUntilAddress only moves when every earlier commit has completed,
 * and a commit that failed rejects its waiters without moving it.
 *
 * Grouping: up to `depth` commits are in flight (default 2: the next batch's write overlaps
 * the current sync, and its sync follows at once). A request made while `depth` are in
 * flight is folded into the next commit, which starts when one completes and covers
 * everything enqueued by then; many waiters share one write, one fdatasync and one metadata
 * write. Strong commits (a cookie or a proposed commit number) each get their own commit,
 * in order.
 *
 * Failures (ENOSPC, EIO): the commit rejects its own `commit()` callers and the appenders
 * waiting for entries below its until address; committedUntilAddress stays. The next commit
 * writes again whatever failed (retryFailedFlushes) and syncs again, so the log works on once
 * the cause is gone. An entry whose commit was rejected may still become durable with a later
 * commit (the usual ambiguity of a failed write); an acknowledged one is never lost.
 *
 * Shared with worker threads (log-threads.ts): the committer stays on the owner's thread and
 * commits whatever every thread enqueued below the tail (one hybrid log); completions and
 * failures are published in shared memory (commit-state.ts), where attached logs wake their
 * waiters. Two waits change, since a worker terminated mid-append holds back the epoch until
 * this thread's event loop hears of its death: page writes wait asynchronously
 * (flushUntilAsync: the read-only action drains only then), and a fast-commit record that
 * cannot get the append lock at once is tried again on the next event-loop turn.
 * Thread rules: the log's JS thread.
 */
import { FasterError, invalidArgument } from '../errors.js';
import { commitRecordLength, MAX_COOKIE_BYTES, type CommitRecord } from './commit-metadata.js';
import { ENTRY_HEADER_BYTES } from './log-entry.js';
import type { CommitScheduler, CommitTarget } from './commit-policy.js';
import type { RingWrite } from './commit-store.js';
import { CommitWaiters } from './commit-waiters.js';
import type {
  ChainStart, CommitRequest, CommitterParts, Flight, Pending,
} from './commit-types.js';

export type { ChainStart, CommitRequest, CommitterParts } from './commit-types.js';

export class Committer implements CommitTarget {
  readonly waiters = new CommitWaiters();
  /** The newest durable commit. */
  lastCommit: CommitRecord;
  committedUntilAddress: number;
  scheduler: CommitScheduler | undefined;
  /** Whether the log is shared with worker threads (see the header). */
  shared = false;
  /** Commits completed and failed by this writer (stats). */
  completed = 0;
  failed = 0;
  private issuedNumber: number;
  private issuedUntil: number;
  private issuedBegin: number;
  private issuedIterators = -1;
  private tipChecksum: number;
  private readonly flights: Flight[] = [];
  private readonly pending: Pending[] = [];
  /** Commits whose pages are written, waiting for the next fdatasync. */
  private awaitingSync: Flight[] = [];
  private syncing = false;
  /** Durable appends not yet covered by an issued commit. */
  private unissuedAppends = 0;
  /** Durable appends outstanding when the last commit was issued (the appender count). */
  private appendersSeen = 0;
  private retryQueued = false;

  constructor(private readonly parts: CommitterParts, start: ChainStart) {
    this.lastCommit = start.record;
    this.committedUntilAddress = start.record.untilAddress;
    this.issuedNumber = start.record.commitNumber;
    this.issuedUntil = start.record.untilAddress;
    this.issuedBegin = start.record.beginAddress;
    this.issuedIterators = parts.iterators.version;
    this.tipChecksum = start.checksum;
    parts.state.publish(start.record.untilAddress, start.record.beginAddress,
      start.record.commitNumber);
  }

  get inFlight(): number {
    return this.flights.length;
  }

  /** The policy's "commit now": start one, or fold into the next; no-op when nothing new. */
  commitNow(): void {
    if (this.flights.length >= this.parts.depth) {
      if (this.pending.length === 0 && this.needsCommit()) {
        this.pending.push({ request: undefined, callers: [] });
      }
      return;
    }
    if (this.pending.length > 0) this.issue(this.pending.shift()!);
    else if (this.needsCommit()) this.issue({ request: undefined, callers: [] });
  }

  /**
   * A durable append (`enqueueAndWaitForCommit`) was enqueued. With `eager` (splitBursts),
   * splits a burst of appends into `depth` commits: when as many appends wait as one commit's
   * share of the appenders seen, and a commit slot is free, the commit starts now instead of
   * after the burst, so its write and sync run while the rest is still being enqueued.
   */
  noteDurableAppend(eager: boolean): void {
    this.unissuedAppends++;
    if (!eager || this.flights.length >= this.parts.depth || this.pending.length > 0) return;
    if (this.unissuedAppends * this.parts.depth >= this.appendersSeen) this.commitNow();
  }

  /** Commits everything enqueued so far; resolves with committedUntilAddress. */
  commit(request: CommitRequest | undefined): Promise<number> {
    const strong = request !== undefined &&
      (request.cookie !== undefined || request.commitNumber !== undefined);
    if (strong) this.checkStrong(request);
    return new Promise((resolve, reject) => {
      const caller = { resolve, reject };
      if (strong) this.pending.push({ request, callers: [caller] });
      else if (this.pending.length > 0) this.pending[this.pending.length - 1]!.callers.push(caller);
      else if (this.needsCommit()) this.pending.push({ request: undefined, callers: [caller] });
      else if (this.flights.length > 0) this.flights[this.flights.length - 1]!.callers.push(caller);
      else resolve(this.committedUntilAddress);
      this.startPending();
    });
  }

  /** Resolves once the entry at `address` is durable (committedUntilAddress > address). */
  waitFor(address: number, value: number): Promise<number> {
    if (this.committedUntilAddress > address) {
      return Promise.resolve(value === -1 ? this.committedUntilAddress : value);
    }
    return new Promise((resolve, reject) => this.waiters.add(address, value, resolve, reject));
  }

  /** Resolves once nothing is in flight or pending (close). */
  async settle(): Promise<void> {
    while (this.flights.length > 0 || this.pending.length > 0) {
      const last = this.flights[this.flights.length - 1];
      if (last === undefined) {
        this.startPending();
        continue;
      }
      await new Promise<void>((resolve) => {
        last.callers.push({ resolve: () => resolve(), reject: () => resolve() });
      });
    }
  }

  /** Rejects everything still waiting (close). */
  rejectAll(error: FasterError): void {
    this.waiters.rejectAll(error);
    for (const p of this.pending.splice(0)) for (const c of p.callers) c.reject(error);
  }

  /** Whether anything changed since the last commit issued (or it failed). */
  needsCommit(): boolean {
    const { log, iterators } = this.parts;
    return log.tailAddress > this.issuedUntil || log.beginAddress !== this.issuedBegin ||
      iterators.version !== this.issuedIterators ||
      (this.flights.length === 0 && this.committedUntilAddress < this.issuedUntil);
  }

  private checkStrong(request: CommitRequest): void {
    const cookie = request.cookie;
    if (cookie !== undefined) {
      const room = this.parts.log.pageBytes - ENTRY_HEADER_BYTES -
        commitRecordLength(this.parts.iterators.snapshot(), undefined);
      const limit = Math.min(MAX_COOKIE_BYTES, room);
      if (!(cookie instanceof Uint8Array) || cookie.length > limit) {
        throw invalidArgument('cookie', `a Uint8Array of at most ${limit} bytes (a commit ` +
          'record, cookie and named iterators included, fits in a page)', cookie);
      }
    }
    const number = request.commitNumber;
    if (number === undefined) return;
    let highest = this.issuedNumber;
    for (const p of this.pending) highest = Math.max(highest, p.request?.commitNumber ?? 0);
    if (!(Number.isSafeInteger(number) && number > highest)) {
      throw invalidArgument('commitNumber', `an integer above the last commit number ${highest}`,
        number);
    }
  }

  private startPending(): void {
    while (this.flights.length < this.parts.depth && this.pending.length > 0) {
      if (!this.issue(this.pending.shift()!)) return;
    }
  }

  /** Issues one commit (steps 1-4 of the header); false when it could not start. */
  private issue(pending: Pending): boolean {
    const { log } = this.parts;
    this.scheduler?.onCommitStarted();
    let flight: Flight | undefined;
    try {
      this.parts.beforeIssue();
      if (log.flushErrorAddress !== undefined) log.retryFailedFlushes();
      flight = this.startFlight(pending);
    } catch (err) {
      this.issueFailed(pending, asFasterError(err));
      return false;
    }
    if (flight === undefined) {
      this.retryLater(pending);
      return false;
    }
    this.flights.push(flight);
    if (this.shared) {
      const issued = flight;
      log.flushUntilAsync(issued.record.untilAddress).then(() => {
        this.awaitingSync.push(issued);
        this.startSync();
      }, (err: unknown) => this.fail(issued, err));
      this.parts.afterIssue();
      return true;
    }
    try {
      log.flushUntilSync(flight.record.untilAddress);
    } catch (err) {
      this.fail(flight, err);
      return true;
    }
    this.awaitingSync.push(flight);
    this.startSync();
    this.parts.afterIssue();
    return true;
  }

  /** Another thread holds the append lock: issue `pending` on the next event-loop turn. */
  private retryLater(pending: Pending): void {
    this.pending.unshift(pending);
    if (this.retryQueued) return;
    this.retryQueued = true;
    setImmediate(() => {
      this.retryQueued = false;
      this.startPending();
    });
  }

  /**
   * A commit could not even start (its metadata or first page write failed). With commits in
   * flight, it is tried again once one of them completes; otherwise it fails the appends it
   * would have covered (everything not covered by an issued commit) and its callers.
   */
  private issueFailed(pending: Pending, error: FasterError): void {
    if (this.flights.length > 0) {
      this.pending.unshift(pending);
      return;
    }
    this.failed++;
    const tail = this.parts.log.tailAddress;
    this.waiters.rejectBelow(tail, error);
    this.parts.state.publishFailure(tail, error.code);
    for (const c of pending.callers) c.reject(error);
  }

  /**
   * Starts one fdatasync for every commit whose pages are written and that waits for one,
   * unless a sync is running: then they wait for it to finish and share the next. Syncs of
   * one file do not overlap on the device (measured: two in flight take about twice as long
   * each), so a commit issued during a sync gets its write done at once and its sync right
   * after, shared with whatever else was issued meanwhile.
   */
  private startSync(): void {
    if (this.syncing || this.awaitingSync.length === 0) return;
    const covered = this.awaitingSync;
    this.awaitingSync = [];
    this.syncing = true;
    this.parts.log.device.sync().then(() => {
      this.syncing = false;
      for (const flight of covered) this.dataDurable(flight);
      this.startSync();
    }, (err: unknown) => {
      this.syncing = false;
      for (const flight of covered) this.fail(flight, err);
      this.startSync();
    });
  }

  /**
   * Builds and places the commit record under epoch protection; moves the chain tip.
   * Undefined (nothing changed) when the append lock is busy (shared logs).
   */
  private startFlight(pending: Pending): Flight | undefined {
    const { log, appender, store, iterators, fastCommit, writerNonce } = this.parts;
    const request = pending.request;
    const number = request?.commitNumber ?? this.issuedNumber + 1;
    const cookie = request?.cookie;
    const snapshot = iterators.snapshot();
    log.epoch.protect();
    try {
      const beginAddress = log.beginAddress;
      const previousUntilAddress = this.issuedUntil;
      const previousChecksum = this.tipChecksum;
      const timeMs = Date.now();
      // One object literal of a fixed shape (a spread of a shared base makes a slow
      // dictionary-mode object, and the record is read field by field when encoded).
      const recordUntil = (untilAddress: number): CommitRecord => ({
        commitNumber: number, beginAddress, untilAddress, previousUntilAddress,
        previousChecksum, writerNonce, timeMs, anchor: false, iterators: snapshot, cookie,
        pageBytes: log.pageBytes, segmentBytes: log.device.segmentBytes,
      });
      let record: CommitRecord;
      let checksum: number;
      let ring: RingWrite | undefined;
      if (fastCommit) {
        const placed = appender.appendCommitRecord(commitRecordLength(snapshot, cookie),
          recordUntil);
        if (placed === undefined) return undefined;
        ({ record, checksum } = placed);
        if (this.parts.needsMetadata(record)) ring = store.prepare(record);
      } else {
        record = recordUntil(log.tailAddress);
        ring = store.prepare(record);
        checksum = ring.checksum;
      }
      log.shiftReadOnlyToTail();
      this.issuedNumber = number;
      this.issuedUntil = record.untilAddress;
      this.issuedBegin = record.beginAddress;
      this.issuedIterators = iterators.version;
      this.tipChecksum = checksum;
      const appends = this.unissuedAppends;
      this.unissuedAppends = 0;
      let outstanding = appends;
      for (const f of this.flights) outstanding += f.appends;
      this.appendersSeen = outstanding;
      return { record, ring, callers: pending.callers, appends, done: false, error: undefined };
    } finally {
      log.epoch.unprotect();
    }
  }

  private dataDurable(flight: Flight): void {
    if (flight.ring === undefined) {
      flight.done = true;
      this.drain();
      return;
    }
    this.parts.store.write(flight.ring).then(() => {
      flight.done = true;
      this.drain();
    }, (err) => this.fail(flight, err));
  }

  private fail(flight: Flight, err: unknown): void {
    flight.error = asFasterError(err);
    flight.done = true;
    this.drain();
  }

  /** Completes finished commits in issue order, then starts what was folded meanwhile. */
  private drain(): void {
    const flights = this.flights;
    while (flights.length > 0 && flights[0]!.done) {
      const flight = flights.shift()!;
      const { record, error } = flight;
      if (error !== undefined) {
        this.failed++;
        this.waiters.rejectBelow(record.untilAddress, error);
        this.parts.state.publishFailure(record.untilAddress, error.code);
        for (const c of flight.callers) c.reject(error);
        continue;
      }
      if (record.untilAddress > this.committedUntilAddress) {
        this.committedUntilAddress = record.untilAddress;
      }
      this.lastCommit = record;
      this.completed++;
      this.parts.state.publish(this.committedUntilAddress, record.beginAddress,
        record.commitNumber);
      this.parts.iterators.committedAs(record.iterators);
      this.waiters.resolveBelow(this.committedUntilAddress);
      for (const c of flight.callers) c.resolve(this.committedUntilAddress);
      this.parts.onCommitted(record, flight.ring !== undefined);
    }
    this.startPending();
    if (flights.length === 0 && this.committedUntilAddress >= this.parts.log.tailAddress) {
      this.scheduler?.onIdle();
    }
  }
}

function asFasterError(err: unknown): FasterError {
  if (err instanceof FasterError) return err;
  throw err;
}
