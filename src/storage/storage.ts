/**
 * Storage: the named-file world a store, its checkpoints and FasterLog persist into (leveldb's
 * Env, FASTER's named-device factory). Everything persistent goes through one Storage, so the
 * same code runs on a directory (DirectoryStorage), in memory (MemoryStorage), or on a
 * simulated disk that loses power (FaultStorage, in `fasterkv/testing`) — metadata files
 * included.
 *
 * Names are relative paths with '/' separators (`'hlog.log'`, `'cpr-checkpoints/<token>/
 * info.dat'`), validated to stay inside the storage: no absolute paths, no '.' or '..'
 * components, no empty components, no backslashes or NULs; the root name 'LOCK' and names
 * containing '.tmp-' are reserved (the writer lock and atomic-write temporaries).
 *
 * Contracts shared by every implementation (test/unit/storage checks each one):
 *  - `writeFileAtomic` returning means the file holds exactly those bytes, durably; a crash
 *    before it returns leaves the old content or the new, never a mix;
 *  - `readFile` of a missing name is `undefined`, never an error;
 *  - `remove` is durable and idempotent (a missing name is no error);
 *  - `list(prefix)` returns every file whose name starts with `prefix` — device segment files
 *    (`${baseName}.${n}`) included, temporaries and the lock excluded — sorted;
 *  - `lock()` takes the exclusive writer lock (a second holder gets ERR_LOCKED) and returns
 *    the function that releases it (idempotent);
 *  - devices from `openDevice` obey device.ts; reopening a base name sees the same bytes.
 * Thread rules: one thread per Storage instance.
 */
import { FasterError } from '../errors.js';
import type { Device } from '../device/device.js';
import { TEMPORARY_MARKER } from '../util/durable-fs.js';

/** Options of a device opened through a Storage. */
export interface StorageDeviceOptions {
  /** Bytes per segment: a power of two from sectorBytes to 2^40. */
  segmentBytes: number;
  /** Default 4096; a power of two from 512 to 65536. */
  sectorBytes?: number;
  /** Refuse writes and truncation. Default false. */
  readOnly?: boolean;
  /** O_DIRECT where the engine and file system allow it (DirectoryStorage). Default true. */
  direct?: boolean;
  /** fallocate new segment files to segmentBytes (DirectoryStorage). Default false. */
  preallocate?: boolean;
  /**
   * DirectoryStorage: the SharedSegments buffer (device/shared-segments.ts) of devices that
   * other worker_threads opened over the same files. Other storages ignore it.
   */
  shared?: SharedArrayBuffer;
}

export interface Storage {
  /** Where the storage lives, for messages (a directory, or `memory:` / `fault:` names). */
  readonly path: string;
  /** A device whose segment files are `${baseName}.${n}`; `baseName` is a storage name. */
  openDevice(baseName: string, options: StorageDeviceOptions): Device;
  writeFileAtomic(name: string, bytes: Uint8Array): void;
  readFile(name: string): Uint8Array | undefined;
  list(prefix?: string): string[];
  remove(name: string): void;
  /** Takes the exclusive writer lock; returns its release function. */
  lock(): () => void;
  /** Releases the lock if this storage holds it. Devices are closed by their owners. */
  close(): void;
}

/** Name of the writer-lock file at the storage root. */
export const LOCK_NAME = 'LOCK';

/**
 * Checks that `name` is a storage name (see the header) and returns its components.
 * ERR_INVALID_ARGUMENT names the argument and the rule.
 */
export function validateName(name: unknown, argument = 'name'): string[] {
  const refuse = (why: string): FasterError => new FasterError('ERR_INVALID_ARGUMENT',
    `${argument} must be a relative path inside the storage (${why}); got ` +
    `${JSON.stringify(name)}`);
  if (typeof name !== 'string' || name === '') throw refuse('a non-empty string');
  if (name.startsWith('/')) throw refuse('no absolute path');
  if (name.includes('\\') || name.includes('\0')) throw refuse('no backslash or NUL');
  const parts = name.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') {
      throw refuse("no '..', '.' or empty component");
    }
    if (part.includes(TEMPORARY_MARKER)) throw refuse(`'${TEMPORARY_MARKER}' is reserved`);
  }
  if (name === LOCK_NAME) throw refuse(`'${LOCK_NAME}' is reserved for the writer lock`);
  return parts;
}

/** Checks a `list` prefix: empty, or the start of a valid name (a trailing '/' allowed). */
export function validatePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') {
    throw new FasterError('ERR_INVALID_ARGUMENT', `prefix must be a string; got ${typeof prefix}`);
  }
  validateName(prefix.endsWith('/') ? `${prefix}x` : prefix, 'prefix');
  return prefix;
}
