/**
 * One checkpoint cycle (`kv.checkpoint(options)`): drives the state machine through the phases
 * the request needs (state-machine.ts has the sequence and the rules) and does each phase's
 * work: the index dump, the version switch, the log's WAIT_FLUSH work (log-checkpoint.ts), and
 * at PERSISTENCE_CALLBACK the metadata, then retention.
 *
 * Kinds: a full checkpoint is index + log; `index: false` is log-only (recovery pairs it with
 * the newest index checkpoint, or replays the log from its begin address); `log: false` is
 * index-only (no version change; usable once a later log checkpoint pairs with it). An
 * incremental snapshot writes a delta on the last full snapshot taken by this store object
 * (incremental.ts); with none, MAX_DELTAS deltas on it already, or part of its chain removed
 * by retention, it takes a full snapshot and says so (`incremental: false` in its info).
 *
 * Durability order: index.dat (written atomically) and the log's data (main log synced, or
 * snapshot file synced) are durable before info.dat is written. A failure before info.dat
 * removes what the cycle wrote and returns the system to REST (in the new version, if it was
 * reached: sessions never go back).
 * Thread rules: the store's thread; one cycle at a time (FasterKV serializes calls).
 */
import { EpochMarker } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { StoreContext } from '../store/store-context.js';
import type { CheckpointManager } from './checkpoint-manager.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';
import type { CprSessions } from './cpr-sessions.js';
import { MAX_DELTAS, writeDelta, type SnapshotChain } from './incremental.js';
import { foldOver, writeSnapshot } from './log-checkpoint.js';
import { indexName, metadataName, newToken } from './naming.js';
import type { StateMachine } from './state-machine.js';
import { Phase } from './system-state.js';

/** `kv.checkpoint(options)`; see README "Checkpoints and recovery". */
export interface CheckpointOptions {
  /** How the log part is persisted: 'foldover' (default) or 'snapshot'. */
  type?: 'foldover' | 'snapshot';
  /** Include an index checkpoint (default true). With `log`, a full checkpoint. */
  index?: boolean;
  /** Include the log (default true); `log: false` with `index: true` is index-only. */
  log?: boolean;
  /** Snapshot only: write what changed since the previous snapshot (a delta). Default false. */
  incremental?: boolean;
}

export interface CheckpointRequest {
  readonly log: boolean;
  readonly index: boolean;
  readonly snapshot: boolean;
  readonly incremental: boolean;
}

/** Validates `kv.checkpoint()` options: ERR_INVALID_ARGUMENT naming the option. */
export function checkpointRequest(options: CheckpointOptions | undefined): CheckpointRequest {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object', options);
  }
  const type = options.type ?? 'foldover';
  if (type !== 'foldover' && type !== 'snapshot') {
    throw invalidArgument('type', "'foldover' or 'snapshot'", type);
  }
  const flag = (name: 'index' | 'log' | 'incremental', fallback: boolean): boolean => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'boolean') throw invalidArgument(name, 'a boolean', value);
    return value;
  };
  const index = flag('index', true);
  const log = flag('log', true);
  const incremental = flag('incremental', false);
  if (!index && !log) throw invalidArgument('log', 'true when index is false', false);
  if (incremental && (type !== 'snapshot' || !log)) {
    throw invalidArgument('incremental', "true only with type: 'snapshot' and a log", true);
  }
  return { log, index, snapshot: type === 'snapshot', incremental };
}

/** What a cycle needs from its store. */
export interface CheckpointHost {
  readonly ctx: StoreContext;
  readonly storage: Storage;
  readonly machine: StateMachine;
  readonly cpr: CprSessions;
  readonly manager: CheckpointManager;
  readonly segmentBytes: number;
  /** Sequence number for the next checkpoint. */
  nextSequence: number;
  /** The index checkpoint a log-only checkpoint pairs with ('' when none). */
  pairedIndex: { token: string; start: number; final: number; bytes: number } | undefined;
  /** The snapshot an incremental checkpoint adds a delta to; undefined: take a full one. */
  snapshotChain: SnapshotChain | undefined;
}

interface IndexPart {
  readonly start: number;
  readonly final: number;
  readonly bytes: number;
}

interface LogPart {
  readonly begin: number;
  readonly start: number;
  readonly final: number;
  readonly head: number;
  readonly snapshotStart: number;
  /** The chain this checkpoint extends, when it wrote a delta. */
  readonly chain: SnapshotChain | undefined;
}

export async function runCheckpoint(host: CheckpointHost, req: CheckpointRequest):
  Promise<CheckpointMetadata> {
  const { machine } = host;
  await machine.activate();
  const token = newToken();
  const v = machine.state.version;
  let committed = false;
  try {
    const index = req.index ? await indexPhases(host, token, v) : undefined;
    const log = req.log ? await logPhases(host, token, req, v, index !== undefined) : undefined;
    const meta = metadataOf(host, token, req, v, index, log);
    host.manager.commit(meta);
    committed = true;
    afterCommit(host, meta);
    if (req.log) await machine.acknowledge(EpochMarker.CheckpointCompletionCallback, v + 1);
    return meta;
  } catch (err) {
    if (!committed) {
      // A snapshot capture clears Dirty bits as it goes: after a failure the chain is broken.
      if (req.snapshot) host.snapshotChain = undefined;
      discard(host, token);
    }
    throw err;
  } finally {
    // The version reached stays: sessions that moved to v+1 never go back.
    machine.finish(machine.state.version);
  }
}

async function indexPhases(host: CheckpointHost, token: string, v: number): Promise<IndexPart> {
  const { machine, ctx } = host;
  machine.enter(Phase.PREP_INDEX_CHECKPOINT, v);
  const start = ctx.log.tailAddress;
  // Operations that allocated below `start` publish their index entries before the dump.
  await machine.drainOperations();
  machine.enter(Phase.INDEX_CHECKPOINT, v);
  let image: Uint8Array | undefined;
  while ((image = dumpAtRest(ctx)) === undefined) {
    ctx.epoch.progress();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const final = ctx.log.tailAddress;
  host.storage.writeFileAtomic(indexName(token), image);
  return { start, final, bytes: image.length };
}

/**
 * The index image, or undefined while the index is growing. The dump runs protected: a
 * growth that another thread prepares meanwhile splits the table only in an epoch action,
 * which waits for this thread, so the dump never reads a half-split or retired table.
 */
function dumpAtRest(ctx: StoreContext): Uint8Array | undefined {
  ctx.epoch.protect();
  try {
    return ctx.index.phase === 'REST' ? ctx.index.dump() : undefined;
  } finally {
    ctx.epoch.unprotect();
  }
}

async function logPhases(host: CheckpointHost, token: string, req: CheckpointRequest,
  v: number, afterIndex: boolean): Promise<LogPart> {
  const { machine, ctx } = host;
  const log = ctx.log;
  machine.enter(Phase.PREPARE, v);
  // An operation that began before PREPARE, in the previous cycle's IN_PROGRESS to
  // PERSISTENCE_CALLBACK phases, writes InNewVersion records that belong to version v; recovery
  // undoes InNewVersion records from startAddress on, so startAddress is taken once no such
  // operation is still running on any thread. The index phases of this cycle drained them
  // already (at PREP_INDEX_CHECKPOINT).
  if (!afterIndex) await machine.drainOperations();
  const begin = log.beginAddress;
  const start = log.tailAddress;
  await machine.acknowledge(EpochMarker.Prepare, v);
  machine.enter(Phase.IN_PROGRESS, v + 1);
  await host.cpr.switchAll(v + 1);
  await machine.acknowledge(EpochMarker.InProgress, v + 1);
  await machine.drainOperations();
  machine.enter(Phase.WAIT_FLUSH, v + 1);
  const final = log.tailAddress;
  const head = log.headAddress;
  let snapshotStart = final;
  const chain = req.incremental ? usableChain(host) : undefined;
  if (chain !== undefined) {
    ({ snapshotStart } = await writeDelta(ctx, host.storage, token, final));
  } else if (req.snapshot) {
    ({ snapshotStart } = await writeSnapshot(ctx, host.storage, token, final,
      host.segmentBytes));
  } else {
    await foldOver(log, final);
  }
  await machine.acknowledge(EpochMarker.WaitFlush, v + 1);
  machine.enter(Phase.PERSISTENCE_CALLBACK, v + 1);
  return { begin, start, final, head, snapshotStart, chain };
}

/**
 * The chain an incremental snapshot may extend: not full, and every checkpoint of it still
 * there (retention removes a chain's base once no kept checkpoint needs it).
 */
function usableChain(host: CheckpointHost): SnapshotChain | undefined {
  const chain = host.snapshotChain;
  if (chain === undefined || chain.deltaTokens.length >= MAX_DELTAS) return undefined;
  const tokens = [chain.baseToken, ...chain.deltaTokens];
  const present = tokens.every((t) => host.storage.readFile(metadataName(t)) !== undefined);
  return present ? chain : undefined;
}

function metadataOf(host: CheckpointHost, token: string, req: CheckpointRequest, v: number,
  index: IndexPart | undefined, log: LogPart | undefined): CheckpointMetadata {
  const paired = index !== undefined
    ? { token, start: index.start, final: index.final, bytes: index.bytes }
    : host.pairedIndex;
  const tail = host.ctx.log.tailAddress;
  return {
    token, sequence: host.nextSequence, version: v, createdAtMs: Date.now(),
    log: req.log, snapshot: req.log && req.snapshot, index: req.index,
    incremental: log?.chain !== undefined,
    pageBytes: host.ctx.log.pageBytes, segmentBytes: host.segmentBytes,
    beginAddress: log?.begin ?? host.ctx.log.beginAddress,
    startAddress: log?.start ?? index?.final ?? tail,
    finalAddress: log?.final ?? index?.final ?? tail,
    snapshotStart: log?.snapshotStart ?? index?.final ?? tail,
    headAddress: log?.head ?? host.ctx.log.headAddress,
    indexStartAddress: paired?.start ?? 0, indexFinalAddress: paired?.final ?? 0,
    indexBytes: paired?.bytes ?? 0, indexToken: paired?.token ?? '',
    baseToken: log?.chain?.baseToken ?? '',
    deltaTokens: log?.chain === undefined ? [] : [...log.chain.deltaTokens, token],
    sessions: log === undefined ? [] : host.cpr.collect(v),
  };
}

/** After the metadata is durable: the store's bookkeeping, then retention. */
function afterCommit(host: CheckpointHost, meta: CheckpointMetadata): void {
  host.nextSequence = meta.sequence + 1;
  if (meta.index) {
    host.pairedIndex = {
      token: meta.token, start: meta.indexStartAddress, final: meta.indexFinalAddress,
      bytes: meta.indexBytes,
    };
  }
  if (meta.snapshot) {
    host.snapshotChain = meta.incremental
      ? { baseToken: meta.baseToken, deltaTokens: meta.deltaTokens }
      : { baseToken: meta.token, deltaTokens: [] };
  }
  if (meta.log) host.cpr.forgetClosed();
  const lowest = host.manager.applyRetention();
  const log = host.ctx.log;
  if (lowest === undefined) return;
  const segment = Math.floor(Math.min(lowest, log.beginAddress) / log.device.segmentBytes);
  if (segment > log.device.segmentRange().start) log.device.truncateUntilSegment(segment);
}

/** Best-effort removal of a failed cycle's files; the cycle's own error is what matters. */
function discard(host: CheckpointHost, token: string): void {
  try {
    host.manager.remove(token);
  } catch (err) {
    if (!(err instanceof FasterError)) throw err;
  }
}
