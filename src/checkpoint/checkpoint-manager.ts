/**
 * CheckpointManager: the checkpoints of one store directory (FASTER's checkpoint manager,
 * digest §7.6): reading and verifying their metadata, listing them newest first, committing a
 * new one (its metadata is the last file written), and retention.
 *
 * Retention keeps the newest `retain` checkpoints that hold a log, every checkpoint one of them
 * needs (the index checkpoint it pairs with, the snapshot and deltas of an incremental chain),
 * and index-only checkpoints newer than the newest log checkpoint (the next log-only checkpoint
 * pairs with them). Everything else under `checkpoints/` is removed, metadata first, so an
 * interrupted removal leaves an incomplete checkpoint that is never used and is removed at the
 * next open. Log segments wholly below the begin address of every kept log checkpoint (and of
 * the live log) are deleted; a checkpoint kept only for its index image then no longer has its
 * log range, and recovery will not use it (recovery.ts).
 * Thread rules: one thread (the driver's).
 */
import { FasterError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import {
  decodeMetadata, encodeMetadata, type CheckpointMetadata, type SessionPoint,
} from './checkpoint-metadata.js';
import { filesOf, listTokens, metadataName } from './naming.js';

type Crc = (data: Uint8Array, seed: number) => number;

/** What `listCheckpoints()` and `recoveredFrom` show of a checkpoint (API.md). */
export interface CheckpointInfo {
  readonly token: string;
  /** The version v whose operations the checkpoint holds. */
  readonly version: number;
  /** 'foldover' | 'snapshot' for checkpoints with a log; 'index' for index-only ones. */
  readonly type: 'foldover' | 'snapshot' | 'index';
  readonly index: boolean;
  readonly log: boolean;
  readonly incremental: boolean;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Per session id: its CPR point, the serial up to which its operations are held. */
  readonly sessions: Readonly<Record<string, number>>;
  /** Per session id (only sessions that have some): serials <= the point that are not held. */
  readonly excludedSerials: Readonly<Record<string, readonly number[]>>;
  readonly beginAddress: number;
  readonly finalAddress: number;
}

export interface MetadataScan {
  /** Verified metadata, newest (highest sequence) first. */
  readonly good: CheckpointMetadata[];
  /** Checkpoints whose metadata failed verification. */
  readonly damaged: { token: string; error: FasterError }[];
  /** Tokens with files but no metadata: interrupted checkpoints or removals. */
  readonly incomplete: string[];
}

export function toInfo(m: CheckpointMetadata): CheckpointInfo {
  const sessions: Record<string, number> = {};
  const excludedSerials: Record<string, readonly number[]> = {};
  for (const s of m.sessions) {
    sessions[s.id] = s.serial;
    if (s.excluded.length > 0) excludedSerials[s.id] = s.excluded;
  }
  return {
    token: m.token, version: m.version,
    type: !m.log ? 'index' : m.snapshot ? 'snapshot' : 'foldover',
    index: m.index, log: m.log, incremental: m.incremental,
    createdAt: new Date(m.createdAtMs).toISOString(), sessions, excludedSerials,
    beginAddress: m.beginAddress, finalAddress: m.finalAddress,
  };
}

export class CheckpointManager {
  constructor(readonly storage: Storage, private readonly crc32c: Crc,
    readonly retain: number) {}

  /** Reads and verifies every checkpoint's metadata. Only ERR_CORRUPTION counts as damage. */
  scan(): MetadataScan {
    const good: CheckpointMetadata[] = [];
    const damaged: { token: string; error: FasterError }[] = [];
    const incomplete: string[] = [];
    for (const token of listTokens(this.storage)) {
      const name = metadataName(token);
      const bytes = this.storage.readFile(name);
      if (bytes === undefined) {
        incomplete.push(token);
        continue;
      }
      try {
        const m = decodeMetadata(bytes, name, this.crc32c);
        if (m.token !== token) throw new FasterError('ERR_CORRUPTION', `${name} names ` +
          `checkpoint ${m.token}`, { path: name, offset: 16 });
        good.push(m);
      } catch (err) {
        if (!(err instanceof FasterError) || err.code !== 'ERR_CORRUPTION') throw err;
        damaged.push({ token, error: err });
      }
    }
    good.sort((a, b) => b.sequence - a.sequence);
    return { good, damaged, incomplete };
  }

  /** Makes `m` a checkpoint: writes its metadata. REQUIRES: all its files are durable. */
  commit(m: CheckpointMetadata): void {
    this.storage.writeFileAtomic(metadataName(m.token), encodeMetadata(m, this.crc32c));
  }

  /** Removes every file of `token`, metadata first. */
  remove(token: string): void {
    for (const name of filesOf(this.storage, token)) this.storage.remove(name);
  }

  /**
   * Applies retention after a commit; returns the lowest begin address the kept log
   * checkpoints need (the log may be truncated below it), or undefined when none holds a log.
   * A checkpoint kept only for its index image (a kept log-only checkpoint pairs with it)
   * does not keep its log range.
   */
  applyRetention(): number | undefined {
    const { good, damaged, incomplete } = this.scan();
    const keep = keepSet(good, this.retain);
    for (const m of good) if (!keep.has(m.token)) this.remove(m.token);
    for (const d of damaged) this.remove(d.token);
    for (const token of incomplete) this.remove(token);
    return lowestBegin(good, this.retain);
  }
}

/** The lowest begin address among the newest `retain` log checkpoints of `good`. */
export function lowestBegin(good: readonly CheckpointMetadata[], retain: number):
  number | undefined {
  const logs = good.filter((m) => m.log).slice(0, retain);
  return logs.length === 0 ? undefined : Math.min(...logs.map((m) => m.beginAddress));
}

/** Tokens retention keeps; `good` newest first. */
export function keepSet(good: readonly CheckpointMetadata[], retain: number): Set<string> {
  const keep = new Set<string>();
  const byToken = new Map(good.map((m) => [m.token, m]));
  const logs = good.filter((m) => m.log);
  const newestLog = logs[0]?.sequence ?? 0;
  for (const m of good) if (!m.log && m.sequence > newestLog) keep.add(m.token);
  for (const m of logs.slice(0, retain)) {
    keep.add(m.token);
    for (const dep of [m.indexToken, m.baseToken, ...m.deltaTokens]) {
      if (dep !== '' && byToken.has(dep)) keep.add(dep);
    }
  }
  return keep;
}

export type { SessionPoint };
