/**
 * Building one thread's StoreContext: over freshly recovered parts (`createContext`, in
 * FasterKV.open) or over the shared parts another thread published in a FasterKVHandle
 * (`attachContext`, in FasterKV.attach). Either way the thread registers the same epoch
 * action handlers (hybrid log, index growth, record locking; the CPR driver registers its
 * own), installs the flush checksums and index growth, and gets its record locks.
 *
 * The handle (structured-cloneable: SharedArrayBuffers, numbers, strings) carries every
 * shared part: epoch, log state and frames, hash index arena, index-growth baseline, CPR
 * state, store words (store-shared.ts), the log device's shared segment table and the read
 * cache. What is not shared is per thread: file handles (each thread opens the segment files
 * itself), engine handles, scratch buffers and sessions.
 * Thread rules: runs on the thread that will use the context.
 */
import type { Device } from '../device/device.js';
import { LightEpoch, type LightEpochHandle } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { HashIndex, type RecordLookup } from '../index/hash-index.js';
import { HybridLog, type HybridLogHandle } from '../log/hybrid-log.js';
import { restoreLog } from '../log/log-restore.js';
import type { EngineName, NativeBinding } from '../native.js';
import { HI_LOCKS } from '../record/record-info.js';
import { walkPageRecords } from '../record/record-walk.js';
import type { Recovered } from '../recovery/recovery.js';
import { installFlushChecksums } from './flush-checksums.js';
import { storeIndexBinding } from './index-binding.js';
import { installIndexGrowth } from './index-growth.js';
import type { ResolvedOptions } from './options.js';
import { ReadCache } from './read-cache.js';
import { RecordLocks } from './record-locks.js';
import { StoreContext } from './store-context.js';
import { ROLE_OWNER, StoreShared } from './store-shared.js';

/** `kv.shareHandle()`: what `FasterKV.attach` needs in another worker_thread. */
export interface FasterKVHandle {
  readonly kind: 'fasterkv';
  /** Layout version of the handle: a store attaches only to the same version. */
  readonly version: number;
  readonly engine: EngineName;
  readonly options: ResolvedOptions;
  readonly epoch: LightEpochHandle;
  readonly log: HybridLogHandle;
  readonly index: SharedArrayBuffer;
  readonly growth: SharedArrayBuffer;
  readonly state: SharedArrayBuffer;
  readonly store: SharedArrayBuffer;
  /** Every session's CPR state, and the recovered sessions (src/checkpoint). */
  readonly sessions: SharedArrayBuffer;
  readonly recovered: SharedArrayBuffer;
  /** What checkpoint cycles carry over (checkpoint-book.ts). */
  readonly book: SharedArrayBuffer;
  readonly segments: SharedArrayBuffer;
  readonly readCache: SharedArrayBuffer | undefined;
  /** The checkpoint the owner recovered from ('' when none). */
  readonly recoveredToken: string;
}

export const HANDLE_VERSION = 1;

/** The shared parts of one store, as a thread holds them. */
export interface ThreadParts {
  readonly ctx: StoreContext;
  readonly shared: StoreShared;
  readonly growth: SharedArrayBuffer;
}

/** The owner's context over recovered parts. */
export function createContext(o: ResolvedOptions, binding: NativeBinding,
  recovered: Recovered & { device: Device }): ThreadParts {
  const epoch = new LightEpoch();
  const entry = epoch.acquire();
  const device = recovered.device;
  const log = new HybridLog({
    device, binding, epoch, pageBytes: o.pageBytes, memoryBytes: o.memoryBytes,
    mutableFraction: o.mutableFraction,
  });
  const meta = recovered.meta;
  if (meta !== undefined) {
    restoreLog(log, meta.beginAddress, meta.finalAddress);
    clearLocksBelowTail(log);
  }
  const ctx = new StoreContext(binding, recovered.index, log, epoch);
  const shared = new StoreShared(epoch.maxThreads);
  const cache = o.readCacheBytes > 0 ? new ReadCache(o.readCacheBytes) : undefined;
  const growth = wireContext(ctx, shared, entry, undefined, cache);
  Atomics.store(shared.roles, entry, ROLE_OWNER);
  return { ctx, shared, growth };
}

/**
 * A context over `handle`'s parts for this thread, whose log device is `device` (opened over
 * the same files). Acquires an epoch entry: ERR_INVALID_ARGUMENT when all are taken.
 */
export function attachContext(handle: FasterKVHandle, binding: NativeBinding,
  device: Device): ThreadParts {
  const epoch = LightEpoch.attach(handle.epoch);
  const entry = epoch.acquire();
  try {
    const log = HybridLog.attach(handle.log, { device, binding, epoch });
    const index = HashIndex.attach(storeIndexBinding(binding), handle.index);
    const ctx = new StoreContext(binding, index, log, epoch);
    const shared = new StoreShared(epoch.maxThreads, handle.store);
    const cache = handle.readCache === undefined ? undefined : new ReadCache(handle.readCache);
    const growth = wireContext(ctx, shared, entry, handle.growth, cache);
    return { ctx, shared, growth };
  } catch (err) {
    epoch.release();
    throw err;
  }
}

/** What every thread installs on its context. Returns the index-growth buffer. */
function wireContext(ctx: StoreContext, shared: StoreShared, entry: number,
  growth: SharedArrayBuffer | undefined, cache: ReadCache | undefined): SharedArrayBuffer {
  ctx.index.lookup = recordLookup(ctx);
  ctx.index.splitClaimer = ctx.epoch.owner;
  installFlushChecksums(ctx);
  const buffer = installIndexGrowth(ctx, growth);
  shared.registerActions(ctx.epoch);
  ctx.lockWord = shared.words;
  ctx.locks = new RecordLocks(ctx.rec.mem32, shared.held, shared.heldIndex(entry));
  if (cache !== undefined) ctx.disk.cache = cache;
  return buffer;
}

/**
 * Record locks are transient, but a page flushed while a reader held a shared lock carries
 * its bits. The tail page that recovery read back into memory (from its start: the bytes
 * below a BeginAddress inside it are records too) starts with none held.
 */
function clearLocksBelowTail(log: HybridLog): void {
  const tail = log.tailAddress;
  const pageStart = tail - log.geometry.offsetOf(tail);
  if (pageStart === tail) return;
  const start = log.physicalOffset(pageStart);
  const page = log.memory.subarray(start, start + log.pageBytes);
  const words = new Int32Array(page.buffer, page.byteOffset, page.byteLength >> 2);
  walkPageRecords(page, pageStart, 0, tail - pageStart, (off) => {
    words[(off >> 2) + 1]! &= ~HI_LOCKS;
  });
}

/** Checks that `handle` came from `kv.shareHandle()` of this package's layout. */
export function checkHandle(handle: unknown): FasterKVHandle {
  const h = handle as Partial<FasterKVHandle> | null;
  if (h === null || typeof h !== 'object' || h.kind !== 'fasterkv') {
    throw invalidArgument('handle', 'the result of kv.shareHandle()', handle);
  }
  if (h.version !== HANDLE_VERSION) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `handle has layout version ${h.version}; ` +
      `this build attaches version ${HANDLE_VERSION} (the same package build on both threads)`);
  }
  return h as FasterKVHandle;
}

/** What an index split needs from the log: hashes and chain links of in-memory records. */
function recordLookup(ctx: StoreContext): RecordLookup {
  return {
    hashAt(address) {
      if (address < ctx.log.headAddress) return undefined;
      const off = ctx.log.physicalOffset(address);
      const keyBytes = ctx.rec.keyLength(off);
      return keyHash(ctx.rec.mem.subarray(off + 24, off + 24 + keyBytes));
    },
    previousAddressAt: (address) => ctx.rec.previousAddress(ctx.log.physicalOffset(address)),
  };
}
