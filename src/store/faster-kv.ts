/**
 * FasterKV: the store (API.md). `FasterKV.open` builds one thread's view of the shared parts —
 * hash index, hybrid log, epoch and CPR system state, all in shared memory — over a directory
 * Storage holding the log segments (`hlog.log.N`) and checkpoints (`checkpoints/<token>/`);
 * sessions run the operations (session.ts, operations.ts).
 *
 * Durability is CPR (src/checkpoint/): `checkpoint()` runs the state machine, and `open`
 * recovers the newest valid checkpoint (src/recovery/), so each session gets back a prefix of
 * its operations and `resumeSession(id)` says where it stopped. `recover: 'none'` refuses a
 * directory that holds data (ERR_EXISTS) rather than wiping it.
 *
 * Worker threads (threads.ts): `shareHandle()` describes the shared parts, and
 * `FasterKV.attach(handle)` in another worker_thread builds a store object over them; the
 * object that opened the store is the owner (it holds the directory lock and closes last).
 */
import { runCheckpoint, checkpointRequest, type CheckpointHost, type CheckpointOptions } from
  '../checkpoint/checkpoint.js';
import { CheckpointManager, toInfo, type CheckpointInfo } from
  '../checkpoint/checkpoint-manager.js';
import { CheckpointBook } from '../checkpoint/checkpoint-book.js';
import { CprSessions } from '../checkpoint/cpr-sessions.js';
import { RecoveredSessions } from '../checkpoint/recovered-sessions.js';
import { SessionTable } from '../checkpoint/session-table.js';
import { CHECKPOINTS_DIR } from '../checkpoint/naming.js';
import { StateMachine } from '../checkpoint/state-machine.js';
import { SystemState } from '../checkpoint/system-state.js';
import type { Codec } from '../codec/codecs.js';
import type { Device } from '../device/device.js';
import { SharedSegments } from '../device/shared-segments.js';
import { FasterError, invalidArgument } from '../errors.js';
import { selectBinding, type EngineName, type NativeBinding } from '../native.js';
import { recover, type Recovered, type RecoveryReport } from '../recovery/recovery.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import type { Storage } from '../storage/storage.js';
import { makeRmwAdapter, type RmwAdapter } from './internal-rmw.js';
import { resolveOptions, type FasterKVOptions, type ResolvedOptions } from './options.js';
import { Session, type SessionHost } from './session.js';
import {
  compactLog, retainedLogBegin, type CompactOptions, type CompactionResult,
} from './compaction.js';
import {
  logScan, scanLive, type LogRecord, type RecordIterable, type ScanRange, type ScanRecord,
} from './iteration.js';
import type { StoreContext } from './store-context.js';
import { storeIndexBinding } from './index-binding.js';
import { collectStats, type FasterKVStats } from './stats.js';
import { createContext, type FasterKVHandle } from './store-setup.js';
import {
  closeAttached, LOG_BASE_NAME, makeHandle, openAttached, watchWorkers, waitForAttached,
  type AttachOptions, type StoreParts,
} from './threads.js';

/** `kv.close(options)`. */
export interface CloseOptions {
  /** Take a final checkpoint when anything changed since open (default true). */
  checkpoint?: boolean;
}

export class FasterKV<K = Uint8Array, V = Uint8Array, I = unknown>
implements SessionHost<K, V, I>, CheckpointHost {
  readonly engine: EngineName;
  readonly ctx: StoreContext;
  readonly rmw: RmwAdapter<I> | undefined;
  readonly options: ResolvedOptions;
  /** The checkpoint this store was recovered from, if any. */
  readonly recoveredFrom: CheckpointInfo | undefined;
  /** What recovery did on open: the checkpoint used, damaged ones skipped, ones removed. */
  readonly recoveryReport: RecoveryReport;
  /** @internal the CPR state machine (tests observe its transitions). */
  readonly machine: StateMachine;
  /** @internal */
  readonly systemState: SystemState;
  /** @internal every session's CPR state, shared by the store's threads (cpr-sessions.ts). */
  readonly cpr: CprSessions;
  /** @internal */
  readonly manager: CheckpointManager;
  /** @internal what one checkpoint cycle leaves the next, shared by the store's threads. */
  readonly book: CheckpointBook;
  /** @internal the parts shared with other threads (threads.ts). */
  readonly parts: StoreParts;
  private readonly unwatchWorkers: () => void;
  private readonly sessions = new Map<string, Session<K, V, I>>();
  private closedSessionOps = 0;
  private closed = false;
  /** The checkpoint or compaction running or last run; they run one after another. */
  private checkpointChain: Promise<unknown> = Promise.resolve();
  /** A compaction ran since the last log checkpoint began: its BeginAddress is not durable. */
  private compactedSinceCheckpoint = false;
  /** Operations issued before the last log checkpoint began (stats().operations then). */
  private operationsCheckpointed = 0;

  /** @internal use FasterKV.open or FasterKV.attach. */
  constructor(
    options: ResolvedOptions,
    parts: StoreParts,
    readonly storage: Storage,
    recovered: Recovered,
    private readonly releaseStorage: () => void,
    private readonly keyCodec: Codec<K> | undefined,
    private readonly valueCodec: Codec<V> | undefined,
    rmw: FasterKVOptions<K, V, I>['rmw'],
  ) {
    this.options = options;
    const ctx = parts.ctx;
    this.ctx = ctx;
    this.parts = parts;
    this.engine = ctx.binding.engine;
    this.rmw = rmw === undefined ? undefined : makeRmwAdapter(rmw, valueCodec);
    const meta = recovered.meta;
    this.manager = recovered.manager;
    this.recoveredFrom = meta === undefined ? undefined : toInfo(meta);
    this.recoveryReport = recovered.report;
    this.book = new CheckpointBook(parts.book);
    if (parts.book === undefined) {
      this.book.nextSequence = recovered.nextSequence;
      this.book.pairedIndex = meta === undefined || meta.indexToken === '' ? undefined : {
        token: meta.indexToken, start: meta.indexStartAddress, final: meta.indexFinalAddress,
        bytes: meta.indexBytes,
      };
    }
    this.systemState = parts.state === undefined
      ? new SystemState(meta === undefined ? 1 : meta.version + 1)
      : new SystemState(0, parts.state);
    ctx.cprWords = this.systemState.words;
    this.machine = new StateMachine(this.systemState, ctx.epoch);
    this.cpr = new CprSessions(new SessionTable(parts.sessions),
      new RecoveredSessions(meta?.sessions ?? [], parts.recovered), ctx.epoch, this.systemState);
    this.unwatchWorkers = watchWorkers(this);
  }

  get segmentBytes(): number {
    return this.options.segmentBytes;
  }

  /** @internal CheckpointHost, kept in the shared book. */
  get nextSequence(): number {
    return this.book.nextSequence;
  }

  set nextSequence(n: number) {
    this.book.nextSequence = n;
  }

  /** @internal */
  get pairedIndex(): CheckpointHost['pairedIndex'] {
    return this.book.pairedIndex;
  }

  set pairedIndex(p: CheckpointHost['pairedIndex']) {
    this.book.pairedIndex = p;
  }

  /** @internal */
  get snapshotChain(): CheckpointHost['snapshotChain'] {
    return this.book.snapshotChain;
  }

  set snapshotChain(chain: CheckpointHost['snapshotChain']) {
    this.book.snapshotChain = chain;
  }

  static async open<K = Uint8Array, V = Uint8Array, I = unknown>(
    options: FasterKVOptions<K, V, I>,
  ): Promise<FasterKV<K, V, I>> {
    const resolved = resolveOptions(options as FasterKVOptions<never, never, never>);
    checkCodecs(options);
    const binding = selectBinding(resolved.engine);
    const owned = options.storage === undefined;
    const storage = options.storage ?? new DirectoryStorage(resolved.dir, binding);
    const releaseLock = storage.lock();
    const release = (): void => {
      releaseLock();
      if (owned) storage.close();
    };
    try {
      refuseExistingData(storage, resolved);
      const segments = new SharedSegments().buffer;
      const recovered = await recoverStorage(storage, resolved, binding, segments);
      let parts: StoreParts;
      try {
        parts = { ...createContext(resolved, binding, recovered), segments, attached: false };
      } catch (err) {
        recovered.device.close();
        throw err;
      }
      return new FasterKV(resolved, parts, storage, recovered, release, options.keyCodec,
        options.valueCodec, options.rmw);
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * In another worker_thread, a store object over the same memory and files as the store whose
   * `shareHandle()` gave `handle` (README "Worker threads": rules and limits). Its sessions do
   * every operation; codecs and RMW functions are per thread, so pass them again.
   */
  static attach<K = Uint8Array, V = Uint8Array, I = unknown>(handle: FasterKVHandle,
    options: AttachOptions<K, V, I> = {}): FasterKV<K, V, I> {
    checkCodecs(options);
    const a = openAttached(handle);
    return new FasterKV<K, V, I>(a.options, a.parts, a.storage, a.recovered, a.release,
      options.keyCodec, options.valueCodec, options.rmw);
  }

  /**
   * A structured-cloneable description of this store (SharedArrayBuffers, numbers, strings)
   * for `FasterKV.attach` in another worker_thread. Needs a store opened on a directory.
   */
  shareHandle(): FasterKVHandle {
    this.checkOpen();
    return makeHandle(this);
  }

  /** A new session; `id` must not belong to an open session. Generated when omitted. */
  newSession(id?: string): Session<K, V, I> {
    this.checkOpen();
    const sid = id ?? `session-${globalThis.crypto.randomUUID()}`;
    if (typeof sid !== 'string' || sid === '' || sid.length > 256) {
      throw invalidArgument('id', 'a non-empty string of at most 256 characters', id);
    }
    return this.addSession(new Session<K, V, I>(this, sid, this.cpr.openSlot(sid)));
  }

  /**
   * The session `id` of the checkpoint this store recovered, continuing its serial numbers
   * after `recoveredSerial` (its CPR point). ERR_UNKNOWN_SESSION if the checkpoint does not
   * know it (or it was resumed already).
   */
  resumeSession(id: string): Session<K, V, I> {
    this.checkOpen();
    const { slot, point } = this.cpr.resume(id);
    return this.addSession(new Session<K, V, I>(this, id, slot, point.serial, point.excluded));
  }

  /**
   * Takes a CPR checkpoint (API.md): `{ type: 'foldover' | 'snapshot', index, log,
   * incremental }`. Resolves once it is durable; never blocks other sessions' operations.
   * Calls made while one runs wait for it and then run in turn.
   */
  checkpoint(options?: CheckpointOptions): Promise<CheckpointInfo> {
    this.checkOpen();
    const request = checkpointRequest(options);
    const run = this.checkpointChain.then(async () => {
      this.checkOpen();
      const covered = this.stats().operations;
      const compacted = this.compactedSinceCheckpoint;
      const info = toInfo(await runCheckpoint(this, request));
      if (request.log) {
        this.operationsCheckpointed = Math.max(this.operationsCheckpointed, covered);
        if (compacted) this.compactedSinceCheckpoint = false;
      }
      return info;
    });
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  /** Every complete checkpoint whose metadata verifies, newest first. */
  async listCheckpoints(): Promise<CheckpointInfo[]> {
    this.checkOpen();
    return this.manager.scan().good.map(toInfo);
  }

  /**
   * Every live record in address order, history included (FASTER's Log.Scan): see
   * iteration.ts. Iterate with `for...of` or `for await`.
   */
  logScan(range?: ScanRange): RecordIterable<LogRecord<K, V>> {
    this.checkOpen();
    return logScan(this, range);
  }

  /** Each live key once with its latest value (FASTER's Iterate): see iteration.ts. */
  scan(range?: ScanRange): RecordIterable<ScanRecord<K, V>> {
    this.checkOpen();
    return scanLive(this, range);
  }

  /**
   * Copies the live records below `until` to the tail, moves BeginAddress past them and deletes
   * the segment files below (compaction.ts). Runs in turn with checkpoints; operations go on.
   */
  compact(options: CompactOptions): Promise<CompactionResult> {
    this.checkOpen();
    const run = this.checkpointChain.then(() => {
      this.checkOpen();
      this.compactedSinceCheckpoint = true;
      return this.machine.exclusive(() => compactLog(this, options));
    });
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  /** Counters and markers; computed on demand, nothing is counted per operation. */
  stats(): FasterKVStats {
    let ops = this.closedSessionOps;
    let pending = 0;
    for (const s of this.sessions.values()) {
      ops += s.serial - s.recoveredSerial;
      pending += s.pendingOperations;
    }
    return collectStats(this.ctx, { sessions: this.sessions.size, operations: ops,
      pendingOperations: pending, initialIndexBuckets: this.options.indexBuckets });
  }

  /**
   * Waits for a running checkpoint, flushes the log and releases the directory. Idempotent.
   * The owner's close first waits until every store attached on other threads is closed (or
   * its worker exited); an attached store's close only leaves (threads.ts).
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closed) return;
    const checkpoint = options.checkpoint ?? true;
    if (typeof checkpoint !== 'boolean') throw invalidArgument('checkpoint', 'a boolean', checkpoint);
    await this.checkpointChain;
    if (this.closed) return;
    if (checkpoint && !this.parts.attached) await this.finalCheckpoint();
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sessions.values()]) s.close();
    if (this.parts.attached) {
      this.unwatchWorkers();
      closeAttached(this.parts, this.releaseStorage);
      return;
    }
    await waitForAttached(this.parts);
    this.unwatchWorkers();
    const { log, epoch, index } = this.ctx;
    try {
      epoch.protect();
      const tail = log.shiftReadOnlyToTail();
      epoch.unprotect();
      log.flushUntilSync(tail);
      log.device.syncSync();
    } finally {
      log.device.close();
      index.detach();
      epoch.release();
      this.releaseStorage();
    }
  }

  /**
   * The checkpoint a clean close takes: a full fold-over one, when sessions of this store
   * object issued operations, or a compaction ran, after the last log checkpoint began. A crash,
   * unlike a close, keeps only what the last checkpoint holds (CPR's promise: each session's
   * prefix).
   */
  private async finalCheckpoint(): Promise<void> {
    const changed = this.stats().operations > this.operationsCheckpointed ||
      this.compactedSinceCheckpoint;
    if (!changed) return;
    await this.checkpoint({ type: 'foldover' });
  }

  // ---- SessionHost ----------------------------------------------------------------------

  checkOpen(): void {
    if (this.closed) throw new FasterError('ERR_CLOSED', 'the store is closed');
  }

  encodeKey(key: K): Uint8Array {
    if (this.keyCodec !== undefined) return this.keyCodec.encode(key);
    if (!(key instanceof Uint8Array)) {
      throw invalidArgument('key', 'a Uint8Array (or give a keyCodec)', key);
    }
    return key;
  }

  encodeValue(value: V): Uint8Array {
    if (this.valueCodec !== undefined) return this.valueCodec.encode(value);
    if (!(value instanceof Uint8Array)) {
      throw invalidArgument('value', 'a Uint8Array (or give a valueCodec)', value);
    }
    return value;
  }

  decodeValueAt(off: number): V {
    const rec = this.ctx.rec;
    if (this.valueCodec === undefined) return rec.copyValue(off) as V;
    return this.valueCodec.decode(rec.valueView(off));
  }

  decodeKey(bytes: Uint8Array): K {
    return this.keyCodec === undefined ? bytes as K : this.keyCodec.decode(bytes);
  }

  /** @internal for compaction: the lowest begin address a retained checkpoint needs. */
  retainedLogBegin(): number | undefined {
    return retainedLogBegin(this.manager, this.options.retainCheckpoints);
  }

  decodeValue(bytes: Uint8Array): V {
    return this.valueCodec === undefined ? bytes as V : this.valueCodec.decode(bytes);
  }

  sessionClosed(id: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.closedSessionOps += s.serial - s.recoveredSerial;
    this.sessions.delete(id);
    this.cpr.removed(s);
  }

  private addSession(session: Session<K, V, I>): Session<K, V, I> {
    this.sessions.set(session.id, session);
    this.cpr.added(session);
    return session;
  }
}

function checkCodecs(options: FasterKVOptions<unknown, unknown, unknown>): void {
  for (const name of ['keyCodec', 'valueCodec'] as const) {
    const c = options[name];
    if (c !== undefined && (typeof c?.encode !== 'function' || typeof c?.decode !== 'function')) {
      throw invalidArgument(name, 'a codec { encode(value), decode(bytes) }', c);
    }
  }
  const r = options.rmw;
  if (r !== undefined && (typeof r?.initial !== 'function' || typeof r?.update !== 'function')) {
    throw invalidArgument('rmw', 'RMW functions { initial(input), update(old, input) }', r);
  }
}

function refuseExistingData(storage: Storage, options: ResolvedOptions): void {
  if (options.recover !== 'none') return;
  const data = storage.list(`${LOG_BASE_NAME}.`).length + storage.list(`${CHECKPOINTS_DIR}/`)
    .length;
  if (data === 0) return;
  throw new FasterError('ERR_EXISTS', `cannot open ${storage.path}: recover: 'none' never ` +
    'wipes a directory that holds data', { path: storage.path });
}

function recoverStorage(storage: Storage, o: ResolvedOptions, binding: NativeBinding,
  shared: SharedArrayBuffer): Promise<Recovered & { device: Device }> {
  const manager = new CheckpointManager(storage, (d, s) => binding.crc32c(d, s),
    o.retainCheckpoints);
  const openDevice = (): Device =>
    storage.openDevice(LOG_BASE_NAME, { segmentBytes: o.segmentBytes, shared });
  // The recovered index is probed in TypeScript on both engines, as a new store's is.
  const indexBinding = storeIndexBinding(binding);
  return recover({ storage, manager, options: o, binding: indexBinding, openDevice },
    LOG_BASE_NAME);
}
