/**
 * Recovery on open (digest §8): picks the checkpoint, restores the hash index, replays the log
 * range (log-replay.ts) and hands back what the store needs to continue: the index, the log's
 * begin and final addresses, the session table and the version.
 *
 * Choice: with `recover: 'latest'`, the newest checkpoint holding a log whose files all verify.
 * A damaged one (ERR_CORRUPTION in its metadata, index image, snapshot, or the log range it
 * replays) is reported in the RecoveryReport and skipped, never used. With a token, exactly
 * that checkpoint: unknown is ERR_UNKNOWN_CHECKPOINT, damaged is its ERR_CORRUPTION. Other
 * errors (ERR_IO, ERR_FORMAT_VERSION: written by a newer build) fail the open: falling back to
 * an older checkpoint would silently lose data that may be intact.
 *
 * After recovering checkpoint C, checkpoints newer than C and incomplete ones are removed
 * before the store accepts writes: the store continues C's log from C's finalAddress, so
 * anything that described the log beyond it would describe overwritten bytes. A directory with
 * a log but no checkpoint recovers to the empty store (every session's CPR point is 0) and the
 * old log segments are removed first; if checkpoints exist but none verifies, open fails with
 * the newest one's ERR_CORRUPTION.
 * Thread rules: single-threaded, inside FasterKV.open.
 */
import type { CheckpointManager, MetadataScan } from '../checkpoint/checkpoint-manager.js';
import type { CheckpointMetadata } from '../checkpoint/checkpoint-metadata.js';
import { checkToken, indexName, metadataName } from '../checkpoint/naming.js';
import type { Device } from '../device/device.js';
import { corruption, FasterError, invalidArgument } from '../errors.js';
import { HashIndex } from '../index/hash-index.js';
import type { NativeBinding } from '../native.js';
import type { Storage } from '../storage/storage.js';
import type { ResolvedOptions } from '../store/options.js';
import { replayLog, replayRange } from './log-replay.js';
import { PageReads } from './page-reads.js';
import { pageSource, sourceSnapshotStart, type OpenPageSource } from './page-source.js';

export interface RecoveryReport {
  /** The checkpoint recovered from; undefined when the store started empty. */
  readonly token: string | undefined;
  /** Damaged checkpoints passed over (unreadable metadata first, then newest first). */
  readonly skipped: readonly { token: string; error: FasterError }[];
  /** Checkpoints removed: newer than the one recovered, damaged newer ones, incomplete ones. */
  readonly removed: readonly string[];
  /** True when a log without any checkpoint was discarded. */
  readonly discardedLog: boolean;
  /** Bytes of log replayed into the index. */
  readonly replayedBytes: number;
  readonly durationMs: number;
}

export interface Recovered {
  readonly meta: CheckpointMetadata | undefined;
  readonly index: HashIndex;
  /** The main log's device, open. */
  readonly device: Device;
  readonly manager: CheckpointManager;
  readonly report: RecoveryReport;
  /** 1 + the highest sequence among the checkpoints kept. */
  readonly nextSequence: number;
}

export interface RecoveryEnv {
  readonly storage: Storage;
  readonly manager: CheckpointManager;
  readonly options: ResolvedOptions;
  readonly binding: NativeBinding;
  /** Opens the main log's device (after a discarded log's segments are gone). */
  readonly openDevice: () => Device;
}

interface Env extends RecoveryEnv {
  readonly device: Device;
  /** Page buffers aligned for the device, for the reads that run ahead of the replay. */
  readonly pages: readonly Uint8Array[];
}

/** Bytes of page buffers the replay reads ahead into (at least 2 pages, at most 8). */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;

export async function recover(recoveryEnv: RecoveryEnv, logBaseName: string):
  Promise<Recovered> {
  const started = performance.now();
  const { manager, options } = recoveryEnv;
  const scan = manager.scan();
  const candidates = pickCandidates(scan, options.recover);
  const skipped = scan.damaged.map((d) => ({ token: d.token, error: d.error }));
  if (candidates.length > 0) {
    const env = { ...recoveryEnv, device: recoveryEnv.openDevice(), pages: alignedPages(
      recoveryEnv.binding, options.pageBytes) };
    for (const meta of candidates) {
      if (!logPresent(env.device, meta)) {
        if (options.recover === 'latest') continue;
        env.device.close();
        throw new FasterError('ERR_UNKNOWN_CHECKPOINT', `checkpoint ${meta.token} is kept ` +
          'only for its index image: retention removed the log segments it needs');
      }
      let result: { index: HashIndex; replayed: number };
      try {
        result = await recoverFrom(env, meta, scan);
      } catch (err) {
        if (options.recover !== 'latest' || !isDamage(err)) {
          env.device.close();
          throw err;
        }
        skipped.push({ token: meta.token, error: err });
        continue;
      }
      const removed = removeAfter(manager, scan, meta);
      const report = {
        token: meta.token, skipped, removed, discardedLog: false,
        replayedBytes: result.replayed, durationMs: performance.now() - started,
      };
      return {
        meta, index: result.index, device: env.device, manager,
        nextSequence: meta.sequence + 1, report,
      };
    }
    env.device.close();
  }
  const firstDamage = skipped[0]?.error;
  if (firstDamage !== undefined) throw firstDamage;
  return startEmpty(recoveryEnv, scan, logBaseName, started);
}

/** No checkpoint: the empty store, after removing leftovers of a log never checkpointed. */
function startEmpty(env: RecoveryEnv, scan: MetadataScan, logBaseName: string,
  started: number): Recovered {
  const removed = [...scan.incomplete];
  for (const token of removed) env.manager.remove(token);
  const segments = env.storage.list(`${logBaseName}.`);
  for (const name of segments) env.storage.remove(name);
  return {
    meta: undefined,
    index: HashIndex.create(env.binding, { buckets: env.options.indexBuckets }),
    device: env.openDevice(), manager: env.manager, nextSequence: 1,
    report: {
      token: undefined, skipped: [], removed, discardedLog: segments.length > 0,
      replayedBytes: 0, durationMs: performance.now() - started,
    },
  };
}

function alignedPages(binding: NativeBinding, pageBytes: number): Uint8Array[] {
  const count = Math.max(2, Math.min(8, Math.floor(READ_AHEAD_BYTES / pageBytes)));
  const raw = new Uint8Array(new ArrayBuffer(count * pageBytes + 4096));
  const skip = binding.alignmentOffset(raw, 4096);
  return Array.from({ length: count },
    (_, i) => raw.subarray(skip + i * pageBytes, skip + (i + 1) * pageBytes));
}

function pickCandidates(scan: MetadataScan, recoverOption: string): CheckpointMetadata[] {
  if (recoverOption === 'latest') return scan.good.filter((m) => m.log);
  const token = checkToken(recoverOption, 'recover');
  const meta = scan.good.find((m) => m.token === token);
  if (meta === undefined) {
    const bad = scan.damaged.find((d) => d.token === token);
    if (bad !== undefined) throw bad.error;
    throw new FasterError('ERR_UNKNOWN_CHECKPOINT', `no checkpoint ${token} in this store`);
  }
  if (!meta.log) {
    throw invalidArgument('recover', 'a checkpoint that holds a log (not index-only)', token);
  }
  return [meta];
}

/** Whether the main log still has the segments from the checkpoint's begin address on. */
function logPresent(device: Device, meta: CheckpointMetadata): boolean {
  const first = device.segmentRange().start;
  return Math.floor(meta.beginAddress / meta.segmentBytes) >= first ||
    device.segmentRange().start === device.segmentRange().end;
}

function isDamage(err: unknown): err is FasterError {
  return err instanceof FasterError && err.code === 'ERR_CORRUPTION';
}

/**
 * Restores the index of `meta` and replays its log range. The first pages are read (on the
 * I/O threads) while the index image is read and loaded; errors are those, and in the order,
 * of doing each step in turn: the index image's, then the snapshot's and deltas', then the
 * replay's.
 */
async function recoverFrom(env: Env, meta: CheckpointMetadata, scan: MetadataScan):
  Promise<{ index: HashIndex; replayed: number }> {
  checkGeometry(meta, env.options);
  const plan = indexPlan(env, meta, scan);
  let opened: OpenPageSource | undefined;
  let sourceError: unknown;
  try {
    opened = pageSource(env.storage, meta, env.device.sectorBytes,
      (d, seed) => env.binding.crc32c(d, seed));
  } catch (err) {
    sourceError = err;
  }
  const snapshotStart = sourceSnapshotStart(meta);
  const { firstPage, pageCount } = replayRange(meta, plan.recoverFrom, snapshotStart);
  const reads = new PageReads(env.device, opened?.source, snapshotStart, firstPage, pageCount,
    env.pages);
  let index: HashIndex | undefined;
  try {
    index = loadIndex(env, meta, plan);
    if (opened === undefined) throw sourceError;
    opened.loadDeltas();
    const replayed = await replayLog({
      meta, device: env.device, index, recoverFrom: plan.recoverFrom, source: opened.source,
      crc: (d, start, end, seed) => env.binding.crc32c(d.subarray(start, end), seed),
      pageChecksums: (page, pageStart, from, to, verify) =>
        env.binding.pageChecksums(page, pageStart, from, to, verify),
      indexReplayPage: (memory, page, pageStart, from, to, addresses) =>
        env.binding.indexReplayPage(memory, page, pageStart, from, to, addresses),
      reads,
    });
    return { index, replayed };
  } catch (err) {
    // replayLog settles its reads before it rejects; the steps before it did not.
    await reads.settle();
    index?.detach();
    throw err;
  } finally {
    opened?.close();
  }
}

function checkGeometry(meta: CheckpointMetadata, options: ResolvedOptions): void {
  for (const name of ['pageBytes', 'segmentBytes'] as const) {
    if (meta[name] !== options[name]) {
      throw invalidArgument(name, `${meta[name]}, as the store was created with (checkpoint ` +
        `${meta.token})`, options[name]);
    }
  }
}

/** Which index image `meta` pairs with (none: an empty index) and where replay starts. */
interface IndexPlan {
  readonly image: string | undefined;
  readonly recoverFrom: number;
}

function indexPlan(env: Env, meta: CheckpointMetadata, scan: MetadataScan): IndexPlan {
  if (meta.indexToken === '') return { image: undefined, recoverFrom: meta.beginAddress };
  const paired = meta.indexToken === meta.token
    ? meta : scan.good.find((m) => m.token === meta.indexToken);
  if (paired === undefined || !paired.index) {
    throw corruption(metadataName(meta.indexToken), 0,
      `index checkpoint of ${meta.token} is missing or damaged`);
  }
  return {
    image: indexName(meta.indexToken),
    recoverFrom: Math.max(meta.indexStartAddress, meta.beginAddress),
  };
}

function loadIndex(env: Env, meta: CheckpointMetadata, plan: IndexPlan): HashIndex {
  const name = plan.image;
  if (name === undefined) {
    return HashIndex.create(env.binding, { buckets: env.options.indexBuckets });
  }
  const image = env.storage.readFile(name);
  if (image === undefined) throw corruption(name, 0, 'index image missing');
  if (image.length !== meta.indexBytes) {
    throw corruption(name, Math.min(image.length, meta.indexBytes),
      `index image of ${image.length} bytes, metadata says ${meta.indexBytes}`);
  }
  return HashIndex.load(env.binding, image, { path: name });
}

/** Removes the checkpoints newer than `meta`, and incomplete ones; returns their tokens. */
function removeAfter(manager: CheckpointManager, scan: MetadataScan,
  meta: CheckpointMetadata): string[] {
  const removed: string[] = [];
  for (const m of scan.good) if (m.sequence > meta.sequence) removed.push(m.token);
  for (const d of scan.damaged) removed.push(d.token);
  removed.push(...scan.incomplete);
  for (const token of removed) manager.remove(token);
  return removed;
}
