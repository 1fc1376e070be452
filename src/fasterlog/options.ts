/**
 * FasterLog.open options: defaults and validation at the edge. Every rejection is
 * ERR_INVALID_ARGUMENT naming the option and its allowed range; the modules below assert.
 */
import { invalidArgument } from '../errors.js';
import type { EngineOption } from '../native.js';
import type { Storage } from '../storage/storage.js';
import { parseCommitPolicy, type CommitPolicy, type CommitPolicyOption } from
  './commit-policy.js';

export interface RetentionOptions {
  /** Keep the log's on-disk part below about this many bytes (whole segments are dropped). */
  maxBytes?: number;
  /** Drop whole segments whose newest entry is older than this. */
  maxAgeMs?: number;
  /**
   * Truncate even entries a named iterator has not consumed yet (default false: retention
   * never passes the lowest named iterator's completed-until address).
   */
  dropUnconsumed?: boolean;
}

export interface FasterLogOptions {
  /** Directory of the log; created if missing. Required unless `storage` is given. */
  dir?: string;
  /**
   * Advanced: where the log keeps its files, instead of `dir` (for example a FaultStorage from
   * 'fasterkv/testing'). The log does not close a storage it was given.
   */
  storage?: Storage;
  engine?: EngineOption;
  /** Segment file size: a power of two from pageBytes to 2^40; default 1 GiB. */
  segmentBytes?: number;
  /** Page size: a power of two from 4 KiB to 32 MiB; default 4 MiB. No entry is larger. */
  pageBytes?: number;
  /** In-memory buffer: at least two pages; default 64 MiB. */
  memoryBytes?: number;
  /** When enqueued entries are committed; default 'immediate'. See commit-policy.ts. */
  commit?: CommitPolicyOption;
  /** Per-entry payload checksum; default 'crc32c'. */
  checksum?: 'crc32c' | 'none';
  /** A torn or corrupt committed tail found at open: 'truncate' (default) or 'throw'. */
  onCorruption?: 'truncate' | 'throw';
  /**
   * Put each commit record in the log itself, so a commit costs one device sync instead of
   * two (data, then metadata). Default true. Needs `checksum: 'crc32c'`.
   */
  fastCommit?: boolean;
  /** Automatic truncation; off by default. */
  retention?: RetentionOptions;
  /**
   * Open as a read-only follower of another process's log: no lock, no writes; `refresh()`
   * (or a scan with `follow`) picks up the writer's new commits. Default false.
   */
  readOnly?: boolean;
  /** Recover to this commit number (the newest at or below it) instead of the latest. */
  recoverTo?: number;
  /** How often a following scan of a read-only log looks for new commits; default 10 ms. */
  followPollMs?: number;
  /**
   * Advanced: bytes of the device kept written with zeros ahead of the tail, so commits
   * overwrite allocated blocks and their fdatasync needs no journal commit (log-formatter.ts).
   * Default 4 MiB (at most 1/16 of a segment); 0 turns it off.
   */
  formatAheadBytes?: number;
  /**
   * Advanced: write log pages with O_DIRECT on the native engine (bypassing the page cache),
   * so a commit's fdatasync has only the device cache to flush. Default true (measured ahead
   * of page-cache writes for small and large commits alike); the js engine always buffers.
   */
  directIo?: boolean;
  /**
   * Advanced: under 'immediate' and 'manual', let a burst of durable appends start a commit
   * once about half of them are enqueued, so its write and sync overlap enqueueing the rest.
   * Default false: syncs of one file do not overlap on the device, so two half-size commits
   * cost two syncs where one would do; it pays only when the CPU, not the disk, is scarce.
   */
  splitBursts?: boolean;
}

export interface ResolvedLogOptions {
  readonly dir: string;
  readonly engine: EngineOption;
  readonly segmentBytes: number;
  readonly pageBytes: number;
  /** Whether the geometry was given (it must then match an existing log's). */
  readonly geometryGiven: { readonly pageBytes: boolean; readonly segmentBytes: boolean };
  readonly memoryBytes: number;
  readonly commit: CommitPolicy;
  readonly checksum: boolean;
  readonly onCorruption: 'truncate' | 'throw';
  readonly fastCommit: boolean;
  readonly retention: Required<RetentionOptions> | undefined;
  readonly readOnly: boolean;
  readonly recoverTo: number | undefined;
  readonly followPollMs: number;
  readonly formatAheadBytes: number;
  readonly directIo: boolean;
  readonly splitBursts: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export function resolveLogOptions(options: FasterLogOptions): ResolvedLogOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object', options);
  }
  const dir = options.storage === undefined ? options.dir : options.storage.path;
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir', 'a non-empty path', dir);
  const pageBytes = powerOfTwo('pageBytes', options.pageBytes, 4 * MiB, 4 * KiB, 32 * MiB);
  const segmentBytes = powerOfTwo('segmentBytes', options.segmentBytes, 1 << 30, pageBytes,
    2 ** 40);
  const memoryBytes = options.memoryBytes ?? 64 * MiB;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 2 * pageBytes) {
    throw invalidArgument('memoryBytes', `an integer of at least two pages (${2 * pageBytes})`,
      options.memoryBytes);
  }
  const checksum = oneOf('checksum', options.checksum, ['crc32c', 'none'], 'crc32c');
  const fastCommit = flag('fastCommit', options.fastCommit, true);
  if (fastCommit && checksum === 'none') {
    throw invalidArgument('checksum', "'crc32c' with fastCommit (recovery checks each entry " +
      "before a commit record; use fastCommit: false for 'none')", options.checksum);
  }
  const readOnly = flag('readOnly', options.readOnly, false);
  const recoverTo = options.recoverTo;
  if (recoverTo !== undefined && !(Number.isSafeInteger(recoverTo) && recoverTo >= 0)) {
    throw invalidArgument('recoverTo', 'a commit number (an integer >= 0)', recoverTo);
  }
  return {
    dir, engine: options.engine ?? 'auto', segmentBytes, pageBytes, memoryBytes,
    geometryGiven: {
      pageBytes: options.pageBytes !== undefined, segmentBytes: options.segmentBytes !== undefined,
    },
    commit: parseCommitPolicy(options.commit), checksum: checksum === 'crc32c',
    onCorruption: oneOf('onCorruption', options.onCorruption, ['truncate', 'throw'], 'truncate'),
    fastCommit, retention: resolveRetention(options.retention), readOnly, recoverTo,
    followPollMs: positive('followPollMs', options.followPollMs, 10),
    formatAheadBytes: nonNegative('formatAheadBytes', options.formatAheadBytes, 4 << 20),
    directIo: flag('directIo', options.directIo, true),
    splitBursts: flag('splitBursts', options.splitBursts, false),
  };
}

function resolveRetention(value: RetentionOptions | undefined):
  Required<RetentionOptions> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') {
    throw invalidArgument('retention', 'an object { maxBytes?, maxAgeMs?, dropUnconsumed? }',
      value);
  }
  if (value.maxBytes === undefined && value.maxAgeMs === undefined) {
    throw invalidArgument('retention', 'at least one of maxBytes and maxAgeMs', value);
  }
  return {
    maxBytes: positive('retention.maxBytes', value.maxBytes, Infinity),
    maxAgeMs: positive('retention.maxAgeMs', value.maxAgeMs, Infinity),
    dropUnconsumed: flag('retention.dropUnconsumed', value.dropUnconsumed, false),
  };
}

function powerOfTwo(name: string, value: number | undefined, fallback: number, min: number,
  max: number): number {
  if (value === undefined) return Math.min(Math.max(fallback, min), max);
  if (!Number.isSafeInteger(value) || value < min || value > max ||
      !Number.isInteger(Math.log2(value))) {
    throw invalidArgument(name, `a power of two from ${min} to ${max}`, value);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw invalidArgument(name, 'a number > 0', value);
  }
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(name, 'an integer >= 0', value);
  }
  return value;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(name, 'a boolean', value);
  return value;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[],
  fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw invalidArgument(name, allowed.map((a) => `'${a}'`).join(' or '), value);
  }
  return value;
}
