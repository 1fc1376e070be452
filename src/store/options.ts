/**
 * FasterKV.open options: defaults and validation at the edge. Every rejection is
 * ERR_INVALID_ARGUMENT naming the option and its allowed range; nothing below this module
 * re-checks user input (it asserts instead).
 */
import type { Codec } from '../codec/codecs.js';
import { invalidArgument } from '../errors.js';
import type { EngineOption } from '../native.js';
import type { Storage } from '../storage/storage.js';
import { readCacheBytes } from './read-cache.js';
import type { RmwFunctions } from './rmw-functions.js';

export interface FasterKVOptions<K = Uint8Array, V = Uint8Array, I = unknown> {
  /** Directory of the log segments and checkpoints; created if missing. Required unless
   * `storage` is given. */
  dir?: string;
  /**
   * Advanced: where the store keeps its files, instead of `dir` (for example a FaultStorage from
   * 'fasterkv/testing' for power-cut tests). The store does not close a storage it was given.
   */
  storage?: Storage;
  engine?: EngineOption;
  /** Initial hash-index buckets: a power of two from 2^6 to 2^25; default 2^16. It grows (to at
   * most 2^25: the index lives in one growable SharedArrayBuffer, which V8 caps at 4 GiB). */
  indexBuckets?: number;
  /** Bytes of the in-memory part of the hybrid log: at least 4 pages; default 256 MiB. */
  memoryBytes?: number;
  /** Log page size: a power of two from 4 KiB to 32 MiB; default 4 MiB. */
  pageBytes?: number;
  /** Log segment file size: a power of two from pageBytes to 2^40; default 1 GiB. */
  segmentBytes?: number;
  /** Share of the in-memory log that is updated in place: 0 to 1; default 0.9. */
  mutableFraction?: number;
  /** 'latest' (default), 'none', or a checkpoint token. */
  recover?: 'latest' | 'none' | string;
  /** Checkpoints holding a log to keep (with what they need); older ones are removed.
   * From 1 to 1000; default 2. */
  retainCheckpoints?: number;
  keyCodec?: Codec<K>;
  valueCodec?: Codec<V>;
  rmw?: RmwFunctions<V, I>;
  /**
   * Keep records read from the device in memory, so hot ones are served again without I/O
   * (read-cache.ts). `true`: a quarter of memoryBytes; or `{ memoryBytes }` from 64 KiB to
   * 1 GiB (rounded down to a power of two). Default off.
   */
  readCache?: boolean | { memoryBytes?: number };
}

export interface ResolvedOptions {
  readonly dir: string;
  readonly engine: EngineOption;
  readonly indexBuckets: number;
  readonly memoryBytes: number;
  readonly pageBytes: number;
  readonly segmentBytes: number;
  readonly mutableFraction: number;
  readonly recover: string;
  readonly retainCheckpoints: number;
  /** Bytes of the read cache; 0 when it is off. */
  readonly readCacheBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export function resolveOptions(options: FasterKVOptions<never, never, never>): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object', options);
  }
  const dir = options.storage === undefined ? options.dir : options.storage.path;
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir', 'a non-empty path', dir);
  const pageBytes = powerOfTwo('pageBytes', options.pageBytes, 4 * MiB, 4 * KiB, 32 * MiB);
  const memoryBytes = integerIn('memoryBytes', options.memoryBytes, 256 * MiB,
    4 * pageBytes, 2 ** 40, 'at least 4 pages (4 * pageBytes)');
  return {
    dir,
    engine: options.engine ?? 'auto',
    indexBuckets: powerOfTwo('indexBuckets', options.indexBuckets, 2 ** 16, 2 ** 6, 2 ** 25),
    memoryBytes,
    pageBytes,
    segmentBytes: powerOfTwo('segmentBytes', options.segmentBytes, 1024 * MiB, pageBytes, 2 ** 40),
    mutableFraction: fraction('mutableFraction', options.mutableFraction, 0.9),
    recover: recoverOption(options.recover),
    retainCheckpoints: integerIn('retainCheckpoints', options.retainCheckpoints, 2, 1, 1000,
      'the number of checkpoints to keep'),
    readCacheBytes: readCacheBytes(options.readCache, memoryBytes),
  };
}

function powerOfTwo(name: string, value: unknown, fallback: number, min: number,
  max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max ||
      2 ** Math.round(Math.log2(value)) !== value) {
    throw invalidArgument(name, `a power of two from ${min} to ${max}`, value);
  }
  return value;
}

function integerIn(name: string, value: unknown, fallback: number, min: number, max: number,
  what: string): number {
  if (value === undefined) return Math.max(fallback, min);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(name, `an integer, ${what}: from ${min} to ${max}`, value);
  }
  return value;
}

function fraction(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalidArgument(name, 'a number from 0 to 1', value);
  }
  return value;
}

function recoverOption(value: unknown): string {
  if (value === undefined) return 'latest';
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument('recover', "'latest', 'none' or a checkpoint token", value);
  }
  return value;
}
