/**
 * The one seam to native code.
 *
 * `NativeBinding` is everything the TypeScript layer asks of the C++ addon. The addon
 * (native/, loaded with node-gyp-build) and the pure-TypeScript twin (src/fallback/) both
 * implement it, with identical results and identical on-disk bytes. Every other module talks
 * only to this interface, and `selectBinding()` below is the only place that picks an engine.
 *
 * Conventions for every method:
 *  - buffers are `Uint8Array` views; they may be views over a SharedArrayBuffer;
 *  - positions and lengths are byte counts below 2^53;
 *  - failures throw (or pass to the callback) a `FasterError`; OS failures are `ERR_IO` with
 *    `errno`, `syscall`, `path` and `offset` set, and a message naming the file and offset.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FasterError, invalidArgument } from './errors.js';
import { jsBinding } from './fallback/index.js';

export type EngineName = 'native' | 'js';
export type EngineOption = 'auto' | EngineName;

/** Completion of an asynchronous read or write: `bytes` is the count transferred. */
export type IoCallback = (err: FasterError | null, bytes: number) => void;
/** Completion of an asynchronous sync. */
export type SyncCallback = (err: FasterError | null) => void;

export interface NativeBinding {
  readonly engine: EngineName;
  /** Hash of the native sources the addon was built from; `'js'` for the twin. */
  readonly sourceHash: string;
  /** Whether `crc32c` runs on a CPU instruction (SSE4.2) rather than tables. */
  readonly crc32cHardware: boolean;

  /**
   * CRC32C (Castagnoli) of `data`, continuing from `crc` (the CRC32C of the bytes before it;
   * 0 to start). `crc32c("123456789", 0) === 0xE3069283`. Returns an unsigned 32-bit number.
   */
  crc32c(data: Uint8Array, crc: number): number;
  /**
   * The key hash used by the hash index: 53 bits as a non-negative integer `number`.
   * Bucket = `hash % 2^32 & (buckets - 1)`; tag = the top 14 of the 53 bits. Bit-identical in
   * both engines (see src/fallback/key-hash.ts for the definition).
   */
  keyHash(key: Uint8Array): number;
  /**
   * The record checksums of a log page image in one call (src/record/record-walk.ts has the
   * walk, record-layout.ts the checksum): walks the records of `page`, a page that starts at
   * log address `pageStart`, in page offsets [from, to). `verify` false: writes each record's
   * checksum into it. `verify` true: compares, and stops at the first record whose stored
   * checksum differs; `page` is not written. Returns the offset where the walk stopped times 4
   * plus how it ended: 0 reached `to`, 1 padding, 2 bad length, 3 checksum mismatch
   * (`decodeWalk` in record-walk.ts). `to` must not exceed `page.length`.
   */
  pageChecksums(page: Uint8Array, pageStart: number, from: number, to: number,
    verify: boolean): number;

  /**
   * Opens a file and returns a handle. `direct` asks for O_DIRECT; where the file system
   * refuses it (tmpfs), the file is opened buffered and `fileIsDirect` says so.
   * REQUIRES: the parent directory exists (else ERR_IO ENOENT).
   */
  fileOpen(path: string, create: boolean, readOnly: boolean, direct: boolean): number;
  fileIsDirect(handle: number): boolean;
  fileClose(handle: number): void;
  /** Reads until `dst` is full or end of file; returns bytes read. */
  fileReadSync(handle: number, dst: Uint8Array, position: number): number;
  /** Writes all of `src` at `position`. With O_DIRECT, position and length must be aligned. */
  fileWriteSync(handle: number, src: Uint8Array, position: number): void;
  /** Asynchronous `fileReadSync`; `dst` must stay alive and untouched until `cb` runs. */
  fileRead(handle: number, dst: Uint8Array, position: number, cb: IoCallback): void;
  /** Asynchronous `fileWriteSync`; `src` must stay alive and untouched until `cb` runs. */
  fileWrite(handle: number, src: Uint8Array, position: number, cb: IoCallback): void;
  /** fdatasync(2). */
  fileDatasyncSync(handle: number): void;
  fileDatasync(handle: number, cb: SyncCallback): void;
  /** Reserves disk blocks for [offset, offset+length) (fallocate); a no-op where unsupported. */
  fileAllocate(handle: number, offset: number, length: number): void;
  fileTruncate(handle: number, length: number): void;
  fileSize(handle: number): number;
  /** Removes a file. ENOENT is an ERR_IO like any other; callers decide. */
  unlink(path: string): void;
  /** fsync(2) of a directory, so that a file created, renamed or removed in it is durable. */
  fsyncDirectory(path: string): void;
  /**
   * Bytes to skip from the start of `view` so that the memory address is a multiple of
   * `alignment` (a power of two). Page frames are laid out with it so O_DIRECT needs no
   * bounce copy. The twin returns 0 (it never uses O_DIRECT).
   */
  alignmentOffset(view: Uint8Array, alignment: number): number;

  // ---- Hash index (src/index/hash-index.ts; native/core/hash_index.h) --------------------
  // The index lives in a shared arena (src/index/index-header.ts) that both engines operate
  // on in place. Attach once per thread; the hot calls then take numbers only. Results < 0:
  // -1 NOT_FOUND, -2 NEEDS_SPLIT (split the chunk, call again), -3 NEEDS_MEMORY (grow the
  // arena, call again), -4 CORRUPT. A slot is a 64-bit word index into the arena.
  /**
   * Attaches the arena `memory` (a Uint8Array over a whole index SharedArrayBuffer) and returns
   * a handle for this thread. The engine keeps the buffer alive until `indexDetach`.
   */
  indexAttach(memory: Uint8Array): number;
  indexDetach(handle: number): void;
  /** Slot of `hash`'s tag (non-tentative), or NOT_FOUND / NEEDS_SPLIT / CORRUPT. */
  indexFindTag(handle: number, hash: number): number;
  /**
   * Slot of `hash`'s tag, created (address TEMP_INVALID_ADDRESS = 1) if absent, reclaiming
   * entries below `beginAddress` on the way; or NEEDS_SPLIT / NEEDS_MEMORY / CORRUPT.
   */
  indexFindOrCreateTag(handle: number, hash: number, beginAddress: number): number;
  /** The address held by `slot` (0 for an empty slot). */
  indexReadEntry(handle: number, slot: number): number;
  /** CAS of the address in `slot` from `expectedAddress` to `newAddress`, keeping the tag. */
  indexCasEntryAddress(
    handle: number, slot: number, expectedAddress: number, newAddress: number): boolean;
  /** Empties `slot` if it holds `address` (and is not tentative). */
  indexClearIfAddress(handle: number, slot: number, address: number): boolean;
  /** The layout constants the engine was built with, to pin TypeScript and C++ together. */
  indexLayout(): Record<string, number>;
  /**
   * Recovery's replay of the log page image `page` (starting at log address `pageStart`) into
   * the index whose arena is `memory` (a Uint8Array over the whole SharedArrayBuffer; no handle,
   * so it works on an index attached by either engine): for each record in page offsets
   * [from, to), verify its checksum, then redo it (its slot points at it) or undo it (v+1:
   * marked invalid, its slot back at its previous address), exactly as the reference walk of
   * src/recovery/log-replay.ts. native/core/page_replay.h has the contract. The walk stops at
   * anything the reference must judge (damage, padding before `to` < page.length) and at an
   * index result JavaScript must serve (NEEDS_MEMORY: grow, then call again from there).
   * Returns the offset where it ended times 16, plus how times 2 (0 done, 1 stopped, 2
   * NEEDS_SPLIT, 3 NEEDS_MEMORY, 4 CORRUPT), plus 1 when it wrote the page
   * (`decodeReplay` in src/recovery/log-replay.ts). `to` must not exceed `page.length`.
   */
  indexReplayPage(memory: Uint8Array, page: Uint8Array, pageStart: number, from: number,
    to: number, addresses: ReplayAddresses): number;
}

/** The checkpoint's addresses a page replay needs (NativeBinding.indexReplayPage). */
export interface ReplayAddresses {
  /** Where replay started: previous addresses below it are restored on undo. */
  readonly recoverFrom: number;
  /** The checkpoint's startAddress: InNewVersion records at or after it are undone. */
  readonly startAddress: number;
  /** The log's beginAddress: index entries below it are reclaimed. */
  readonly beginAddress: number;
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let nativeLoad: { binding?: NativeBinding; error?: Error } | undefined;

/** Loads the addon once; returns it, or the reason it could not be loaded. */
export function loadNativeBinding(): { binding?: NativeBinding; error?: Error } {
  if (nativeLoad !== undefined) return nativeLoad;
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => Record<string, unknown>;
    const addon = load(packageRoot);
    (addon.setErrorClass as (cls: typeof FasterError) => void)(FasterError);
    nativeLoad = { binding: addon as unknown as NativeBinding };
  } catch (err) {
    nativeLoad = { error: err as Error };
  }
  return nativeLoad;
}

/**
 * The only place that picks an engine. `'auto'` (the default) is overridden by the environment
 * variable FASTERKV_ENGINE=js|native; otherwise it takes the addon when it loads, else the twin.
 * An explicit `'native'` or `'js'` wins over the environment.
 */
export function selectBinding(option: EngineOption | undefined = 'auto'): NativeBinding {
  if (option !== 'auto' && option !== 'native' && option !== 'js') {
    throw invalidArgument('engine', "'auto', 'native' or 'js'", option);
  }
  let wanted: EngineOption = option;
  if (option === 'auto') {
    const env = process.env.FASTERKV_ENGINE;
    if (env !== undefined && env !== '') {
      if (env !== 'native' && env !== 'js' && env !== 'auto') {
        throw invalidArgument('FASTERKV_ENGINE', "'native', 'js' or 'auto'", env);
      }
      wanted = env;
    }
  }
  if (wanted === 'js') return jsBinding;
  const { binding, error } = loadNativeBinding();
  if (binding !== undefined) return binding;
  if (wanted === 'auto') return jsBinding;
  throw new FasterError('ERR_NATIVE_UNAVAILABLE',
    `engine 'native' was asked for but the addon did not load: ${error?.message ?? 'unknown'}`,
    { cause: error });
}

/** The bindings that can run here, for test matrices (`describe.each(availableEngines())`). */
export function availableEngines(): EngineName[] {
  return loadNativeBinding().binding === undefined ? ['js'] : ['native', 'js'];
}

/** What a user sees of engine selection: which engines can run, and why the addon did not load. */
export interface EngineStatus {
  /** Engines that can run in this process. */
  readonly available: EngineName[];
  /** What `engine: 'auto'` picks now (after FASTERKV_ENGINE). */
  readonly auto: EngineName;
  /** Why the addon did not load, when it did not. */
  readonly nativeError: string | undefined;
}

export function engineStatus(): EngineStatus {
  return {
    available: availableEngines(),
    auto: selectBinding('auto').engine,
    nativeError: loadNativeBinding().error?.message,
  };
}
