/**
 * FasterLog: FASTER's durable append-only log (API.md). Entries are appended to a hybrid log
 * (HybridLog with mutableFraction 0 and lazy page-turn flushes) and made durable by group
 * commits (committer.ts) per the commit policy (commit-policy.ts); recovery (recovery.ts)
 * brings back exactly the committed prefix. A log opened `readOnly` follows another
 * process's writer (follower.ts).
 *
 * Durability: an entry is durable once committedUntilAddress passes its address; the promise
 * of `enqueueAndWaitForCommit` / `waitForCommit` / `commit` resolves only then: its bytes and
 * the commit record covering it are on the device (fdatasync'ed). `enqueue` alone only puts
 * the entry in memory.
 *
 * Worker threads: `shareHandle()` and `FasterLog.attach(handle)` give other threads a
 * FasterLog over the same memory and files, sharing one group commit (log-threads.ts, which
 * also says how closing works and what a terminated worker can lose).
 * Thread rules: one FasterLog object per thread; what threads share lives in shared memory
 * (the epoch, the hybrid log's frames and markers, the append slots, the commit state).
 */
import type { DeviceStats } from '../device/device.js';
import { FasterError, invalidArgument } from '../errors.js';
import type { HybridLogStats } from '../log/hybrid-log.js';
import type { EngineName } from '../native.js';
import type { CommitRequest } from './committer.js';
import type { LogWriter } from './enqueuer.js';
import { EntryReads, type ReadOutcome } from './entry-read.js';
import { IteratorRegistry, type NamedIteratorInfo } from './iterator-registry.js';
import { FasterLogIterator, type IteratorHost, type ScanOptions } from './log-iterator.js';
import { openLogParts, type FollowerParts, type WriterParts } from './log-open.js';
import { resolveLogOptions, type FasterLogOptions, type ResolvedLogOptions } from
  './options.js';
import { corruptionAt, LogSource, type PageSource } from './page-source.js';
import type { FasterLogRecoveryReport } from './recovery.js';
import {
  AttachedWriter, openAttached, startSharing, waitForAttached, type AttachedParts,
  type FasterLogHandle, type Sharing,
} from './log-threads.js';
import { WriterState } from './writer-state.js';

export type { FasterLogHandle } from './log-threads.js';

/** Counters and sizes of an open log, computed on demand (nothing counted per entry). */
export interface FasterLogStats {
  /** Commits this writer completed, and commits that failed. */
  readonly commits: number;
  readonly failedCommits: number;
  readonly commitsInFlight: number;
  /** Bytes of in-memory page frames: fixed at open, never more than memoryBytes. */
  readonly memoryBytes: number;
  /** The hybrid log's markers and page-level counters (writers only). */
  readonly log: HybridLogStats | undefined;
  readonly device: DeviceStats;
  /** The last failure of background work (a metadata copy, a segment deletion). */
  readonly maintenanceError: string | undefined;
}

export interface CloseOptions {
  /** Commit what is enqueued before closing (default true). */
  commit?: boolean;
}

export class FasterLog {
  readonly engine: EngineName;
  readonly readOnly: boolean;
  readonly pageBytes: number;
  readonly segmentBytes: number;
  /** What recovery found when the log was opened. */
  readonly recoveryReport: FasterLogRecoveryReport;
  /** Whether this object was attached to another thread's log (FasterLog.attach). */
  readonly attached: boolean;
  private readonly writer: LogWriter | undefined;
  /** The owner's writer (undefined for attached and read-only logs). */
  private readonly owner: WriterState | undefined;
  private sharing: Sharing | undefined;
  private readonly followerParts: FollowerParts | undefined;
  private readonly registry: IteratorRegistry;
  private readonly host: IteratorHost;
  private readonly iterators = new Set<FasterLogIterator>();
  private wakeups: Array<(open: boolean) => void> = [];
  private closing = false;

  private constructor(private readonly options: ResolvedLogOptions,
    private readonly parts: WriterParts | FollowerParts | AttachedParts) {
    this.engine = parts.binding.engine;
    this.readOnly = parts.kind === 'follower';
    this.attached = parts.kind === 'attached';
    this.pageBytes = parts.pageBytes;
    this.segmentBytes = parts.segmentBytes;
    this.recoveryReport = parts.report;
    this.registry = new IteratorRegistry(parts.kind === 'writer' ? parts.start.record.iterators
      : parts.kind === 'follower' ? parts.start.iterators : new Map(), parts.pageBytes - 8);
    if (parts.kind === 'writer') {
      this.owner = new WriterState(parts, options, this.registry, () => this.wake());
      this.writer = this.owner;
      this.followerParts = undefined;
    } else if (parts.kind === 'attached') {
      this.owner = undefined;
      this.writer = new AttachedWriter(parts, () => this.wake());
      this.followerParts = undefined;
    } else {
      this.owner = undefined;
      this.writer = undefined;
      this.followerParts = parts;
    }
    this.host = this.iteratorHost();
  }

  /** Opens (creating if needed) the log in `options.dir` and recovers it. */
  static async open(options: FasterLogOptions): Promise<FasterLog> {
    const resolved = resolveLogOptions(options);
    return new FasterLog(resolved, openLogParts(resolved, options.storage));
  }

  /**
   * A FasterLog over the log of `handle` (from `shareHandle()` on another thread): same
   * memory, same files, one group commit. ERR_CLOSED once the owner began closing.
   */
  static attach(handle: FasterLogHandle): FasterLog {
    const parts = openAttached(handle);
    return new FasterLog(parts.options, parts);
  }

  /**
   * A structured-cloneable handle for `FasterLog.attach` in another worker_thread. The first
   * call switches this log to shared operation (log-threads.ts); the log must be on a
   * directory and open for writing.
   */
  shareHandle(): FasterLogHandle {
    this.open();
    if (this.parts.kind === 'attached') return this.parts.handle;
    const parts = this.parts as WriterParts;
    this.sharing ??= startSharing(this.owner!, this.options, parts.storage, this.engine,
      parts.segments);
    return this.sharing.handle;
  }

  get beginAddress(): number {
    if (this.writer !== undefined) return this.writer.log.beginAddress;
    return this.followerParts!.follower.beginAddress;
  }

  /** Where the next entry goes. */
  get tailAddress(): number {
    if (this.writer !== undefined) return this.writer.log.tailAddress;
    return this.followerParts!.follower.committedUntilAddress;
  }

  /** Every entry below it is durable. */
  get committedUntilAddress(): number {
    if (this.writer !== undefined) return this.writer.committedUntilAddress;
    return this.followerParts!.follower.committedUntilAddress;
  }

  /** The begin address the last durable commit holds (what a restart would recover). */
  get committedBeginAddress(): number {
    if (this.writer !== undefined) return this.writer.committedBeginAddress;
    return this.followerParts!.follower.beginAddress;
  }

  /** The number of the last durable commit. */
  get commitNumber(): number {
    if (this.writer !== undefined) return this.writer.commitNumber;
    return this.followerParts!.follower.tip.record.commitNumber;
  }

  /** Appends `entry` in memory; returns its address. See WriterState.append. */
  enqueue(entry: Uint8Array): number {
    return this.open().enqueue(entry);
  }

  /** Appends `entries` as one block (committed all or none); returns the first address. */
  enqueueBatch(entries: readonly Uint8Array[]): number {
    return this.open().enqueueBatch(entries);
  }

  /** As enqueue, but returns false instead of writing when the buffer is full. */
  tryEnqueue(entry: Uint8Array): number | false {
    return this.open().tryEnqueue(entry);
  }

  /** As enqueue, but waits (asynchronously) for room when the buffer is full. */
  enqueueAsync(entry: Uint8Array): Promise<number> {
    try {
      return this.open().enqueueAsync(entry);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Appends `entry` and resolves with its address once it is durable. */
  enqueueAndWaitForCommit(entry: Uint8Array): Promise<number> {
    try {
      return this.open().enqueueAndWaitForCommit(entry);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Makes everything enqueued so far durable; resolves with committedUntilAddress. A cookie
   * or a commit number makes it a commit of its own (recoverable with `recoverTo`).
   */
  commit(request?: CommitRequest): Promise<number> {
    try {
      return this.open().commit(request);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Resolves (with committedUntilAddress) once the entry at `address` is durable; without an
   * address, once everything enqueued so far is. Starts no commit of its own.
   */
  waitForCommit(address?: number): Promise<number> {
    try {
      return this.open().waitForCommit(address);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A scan of the log's entries; see log-iterator.ts. */
  scan(options: ScanOptions = {}): FasterLogIterator {
    this.checkOpen();
    const { from, to, name, uncommitted, follow } = options;
    checkAddressOption('from', from);
    checkAddressOption('to', to);
    if (uncommitted === true && this.readOnly) {
      throw invalidArgument('uncommitted', 'false on a read-only log', uncommitted);
    }
    let start = Math.max(from ?? this.beginAddress, this.beginAddress);
    if (name !== undefined) {
      if (this.readOnly) throw invalidArgument('name', 'undefined on a read-only log', name);
      if (this.attached) {
        throw invalidArgument('name', "undefined on an attached log (named iterators are the " +
          "owner thread's)", name);
      }
      const resumed = this.registry.open(IteratorRegistry.checkName(name));
      if (resumed !== undefined) start = Math.max(resumed, this.beginAddress);
      else this.registry.complete(name, start);
    }
    const iterator = new FasterLogIterator(this.host, start, { to, name, uncommitted, follow });
    this.iterators.add(iterator);
    return iterator;
  }

  /** The entry at `address` (an address a scan or enqueue returned). */
  async read(address: number): Promise<Uint8Array> {
    this.checkReadable(address);
    return this.readResult(address, await this.reads().read(address));
  }

  readSync(address: number): Uint8Array {
    this.checkReadable(address);
    return this.readResult(address, this.reads().readSync(address));
  }

  /**
   * Entries below `address` (an entry's address or nextAddress) become unreadable; the next
   * commit persists the new begin address, after which whole segments below it are deleted.
   */
  truncateUntil(address: number): void {
    this.open().truncateUntil(address);
  }

  stats(): FasterLogStats {
    const writer = this.writer;
    if (writer === undefined) {
      return { commits: 0, failedCommits: 0, commitsInFlight: 0, memoryBytes: 0,
        log: undefined, device: this.followerParts!.follower.device.stats(),
        maintenanceError: undefined };
    }
    const log = writer.log.stats();
    const counters = writer.counters();
    return {
      commits: counters.completed, failedCommits: counters.failed,
      commitsInFlight: counters.inFlight, memoryBytes: log.frameCount * log.pageBytes,
      log, device: writer.log.device.stats(), maintenanceError: counters.maintenanceError,
    };
  }

  /** Named iterators and their positions. */
  iteratorPositions(): NamedIteratorInfo[] {
    return this.registry.list();
  }

  /** Forgets a named iterator (the next commit drops it); returns whether it existed. */
  removeIterator(name: string): boolean {
    this.open();
    if (this.attached) {
      throw invalidArgument('name', "a name on the owner's log (named iterators are the owner " +
        "thread's)", name);
    }
    return this.registry.remove(IteratorRegistry.checkName(name));
  }

  /** Read-only logs: picks up the writer's new commits; resolves with committedUntilAddress. */
  async refresh(): Promise<number> {
    this.checkOpen();
    if (this.followerParts !== undefined && this.followerParts.follower.refresh()) this.wake();
    return this.committedUntilAddress;
  }

  /**
   * Commits what is enqueued (unless `commit: false`), then releases everything. The owner of
   * a shared log first waits until every attached log has closed or its worker has exited
   * (log-threads.ts), committing for them meanwhile.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return;
    const sharing = this.sharing;
    if (sharing !== undefined) await waitForAttached(sharing);
    this.closing = true;
    try {
      sharing?.stopWatching();
      if (this.writer !== undefined) await this.writer.close(options.commit ?? true);
      else this.followerParts!.follower.close();
    } finally {
      this.wake();
      for (const iterator of [...this.iterators]) iterator.close();
      this.parts.release();
    }
  }

  private open(): LogWriter {
    if (this.closing) throw new FasterError('ERR_CLOSED', 'the log is closed');
    if (this.writer === undefined) {
      throw new FasterError('ERR_INVALID_ARGUMENT', 'the log is open read-only (readOnly: ' +
        'true); only its writer can append, commit or truncate');
    }
    return this.writer;
  }

  private checkOpen(): void {
    if (this.closing) throw new FasterError('ERR_CLOSED', 'the log is closed');
  }

  private checkReadable(address: number): void {
    this.checkOpen();
    const begin = this.beginAddress;
    const tail = this.tailAddress;
    if (!(Number.isSafeInteger(address) && address >= begin && address < tail)) {
      throw invalidArgument('address', `an entry address from the begin address ${begin} to ` +
        `below the tail ${tail}`, address);
    }
  }

  private reads(): EntryReads {
    return this.writer?.reads ?? this.followerParts!.follower.reads;
  }

  private readResult(address: number, outcome: ReadOutcome): Uint8Array {
    if (outcome.kind === 'data') return outcome.payload;
    if (outcome.kind === 'other') {
      throw invalidArgument('address', 'the address of a data entry (this is padding or a ' +
        'commit record)', address);
    }
    if (this.beginAddress > address) {
      throw invalidArgument('address', `at or above the begin address ${this.beginAddress}`,
        address);
    }
    throw corruptionAt(this.writer?.log.device ?? this.followerParts!.follower.device, address,
      `${outcome.what}; or ${address} is not an entry address`);
  }

  private wake(): void {
    if (this.wakeups.length === 0) return;
    const wakeups = this.wakeups;
    this.wakeups = [];
    const open = !this.closing;
    for (const wakeup of wakeups) wakeup(open);
  }

  private iteratorHost(): IteratorHost {
    const source: PageSource = this.writer !== undefined ? new LogSource(this.writer.log)
      : this.followerParts!.follower;
    return {
      binding: this.parts.binding, pageBytes: this.pageBytes, source,
      beginAddress: () => this.beginAddress,
      limit: (uncommitted) => (uncommitted ? this.tailAddress : this.committedUntilAddress),
      waitBeyond: (address, uncommitted) => this.waitBeyond(address, uncommitted),
      corruptionAt: (address, what) => corruptionAt(
        this.writer?.log.device ?? this.followerParts!.follower.device, address, what),
      isOpen: () => !this.closing,
      complete: (name, address) => this.registry.complete(name, address),
      release: (iterator) => {
        this.iterators.delete(iterator);
        if (iterator.name !== undefined) this.registry.close(iterator.name);
      },
    };
  }

  /** Resolves once the scan limit passes `address` (true) or the log closes (false). */
  private waitBeyond(address: number, uncommitted: boolean): Promise<boolean> {
    const limit = (): number => (uncommitted ? this.tailAddress : this.committedUntilAddress);
    if (this.closing) return Promise.resolve(false);
    if (limit() > address) return Promise.resolve(true);
    if (this.writer !== undefined && this.sharing === undefined && !this.attached) {
      if (uncommitted) this.writer.wakeOnEnqueue = true;
      return new Promise((resolve) => this.wakeups.push(resolve));
    }
    if (this.writer !== undefined) {
      // Shared: other threads' enqueues and commits happen without this thread hearing of
      // them, so the scan looks again every followPollMs.
      return new Promise((resolve) => {
        const poll = (): void => {
          if (this.closing) return resolve(false);
          if (limit() > address) return resolve(true);
          setTimeout(poll, this.options.followPollMs);
        };
        setTimeout(poll, this.options.followPollMs);
      });
    }
    return new Promise((resolve) => {
      const poll = (): void => {
        if (this.closing) return resolve(false);
        if (this.followerParts!.follower.refresh()) this.wake();
        if (limit() > address) return resolve(true);
        setTimeout(poll, this.options.followPollMs);
      };
      setTimeout(poll, this.options.followPollMs);
    });
  }
}

function checkAddressOption(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw invalidArgument(name, 'a non-negative integer address', value);
  }
}
