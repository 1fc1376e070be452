/** Opening small stores for tests: tiny pages and memory so most records live on the device. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { FasterKV } from '../../src/store/faster-kv.js';
import type { FasterKVOptions } from '../../src/store/options.js';
import type { EngineName } from '../../src/native.js';
import { tempDir } from './temp-dir.js';

/** 4 KiB pages, 4 pages of memory (16 KiB), 64 KiB segments, 64 index buckets. */
export const TINY = {
  pageBytes: 4096, memoryBytes: 4 * 4096, segmentBytes: 65536, indexBuckets: 64,
} as const;

/**
 * `FASTERKV_TEST_READ_CACHE=1` opens every tiny store with the read cache on, so the store
 * suites can be run once with it and once without.
 */
export const TEST_READ_CACHE = process.env.FASTERKV_TEST_READ_CACHE === '1';

export function openTiny<K = Uint8Array, V = Uint8Array, I = unknown>(
  engine: EngineName, extra: Partial<FasterKVOptions<K, V, I>> = {},
): Promise<FasterKV<K, V, I>> {
  const cache = TEST_READ_CACHE ? { readCache: true } : {};
  return FasterKV.open<K, V, I>({ dir: tempDir(), engine, ...TINY, ...cache, ...extra });
}

export const bytesOf = (s: string): Uint8Array => Buffer.from(s);
export const textOf = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString();

/** Makes everything written so far read-only, so the next update of a key appends a record. */
export function freezeLog(kv: { ctx: FasterKV['ctx'] }): void {
  kv.ctx.epoch.protect();
  kv.ctx.log.shiftReadOnlyToTail();
  kv.ctx.epoch.unprotect();
}

/** Overwrites the byte at `offset` of file `path` with 0xFF (damage for corruption tests). */
export function damageByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Uint8Array.of(0xff), 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}
