/**
 * One store, many threads: the owner (the FasterKV that `open`ed the store) publishes a
 * FasterKVHandle with `shareHandle()`; `FasterKV.attach(handle)` in another worker_thread
 * builds a store object over the same shared memory (store-setup.ts) that opens the segment
 * files itself (the owner keeps the directory lock) and switches record locking on
 * (store-shared.ts) before it returns.
 *
 * Closing: an attached store's close leaves (its epoch entry, file handles and sessions go;
 * the owner's close makes everything durable). The owner's close first refuses new attaches,
 * then waits until every attached store has closed or its worker has exited — the rule is
 * "the owner closes last"; a worker that never closes its store and never exits keeps the
 * owner's close waiting.
 *
 * Dead workers: a worker that exits without closing its store, or is terminated in the middle
 * of an operation, cannot clean up (`process.on('exit')` does not run in a terminated worker),
 * so every thread holding a store listens for the Workers it creates (`process.on('worker')`)
 * and, when one exits, reclaims the epoch entries that worker held (reclaim.ts). Limit: only
 * the thread that created a worker sees it exit, so that thread must hold a store (the owner,
 * or an attached one) for its workers to be reclaimed.
 * Thread rules: the functions run on the thread of the store object they are given.
 */
import type { Worker } from 'node:worker_threads';
import { CheckpointManager } from '../checkpoint/checkpoint-manager.js';
import { FasterError } from '../errors.js';
import { selectBinding } from '../native.js';
import type { Recovered } from '../recovery/recovery.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import type { Storage } from '../storage/storage.js';
import type { Codec } from '../codec/codecs.js';
import type { ResolvedOptions } from './options.js';
import { reclaimThread, type Reclaimable } from './reclaim.js';
import type { RmwFunctions } from './rmw-functions.js';
import {
  attachContext, checkHandle, HANDLE_VERSION, type FasterKVHandle, type ThreadParts,
} from './store-setup.js';
import { ROLE_ATTACHED, ROLE_NONE } from './store-shared.js';

export const LOG_BASE_NAME = 'hlog.log';

/** What `FasterKV.attach` takes besides the handle: what cannot cross threads. */
export interface AttachOptions<K = Uint8Array, V = Uint8Array, I = unknown> {
  keyCodec?: Codec<K>;
  valueCodec?: Codec<V>;
  rmw?: RmwFunctions<V, I>;
}

/** A store object's shared parts, as its thread holds them. */
export interface StoreParts extends ThreadParts {
  /** The log device's SharedSegments buffer. */
  readonly segments: SharedArrayBuffer;
  /** The CPR state buffer of the store attached to (undefined: the owner makes its own). */
  readonly state?: SharedArrayBuffer | undefined;
  /** Whether this object was attached (not the owner). */
  readonly attached: boolean;
  /** The SessionTable and RecoveredSessions buffers of the store attached to. */
  readonly sessions?: SharedArrayBuffer | undefined;
  readonly recovered?: SharedArrayBuffer | undefined;
  readonly book?: SharedArrayBuffer | undefined;
}

/** What makeHandle reads from a store object. */
export interface HandleSource {
  readonly storage: Storage;
  readonly options: ResolvedOptions;
  readonly engine: 'native' | 'js';
  readonly parts: StoreParts;
  readonly systemState: { readonly buffer: SharedArrayBuffer };
  readonly cpr: {
    readonly table: { readonly buffer: SharedArrayBuffer };
    readonly recovered: { readonly buffer: SharedArrayBuffer };
  };
  readonly book: { readonly buffer: SharedArrayBuffer };
  readonly recoveredFrom: { readonly token: string } | undefined;
}

export function makeHandle(kv: HandleSource): FasterKVHandle {
  if (!(kv.storage instanceof DirectoryStorage)) {
    throw new FasterError('ERR_INVALID_ARGUMENT', 'shareHandle needs a store opened on a ' +
      'directory (the dir option): other threads open its files themselves');
  }
  const { ctx, shared, growth, segments } = kv.parts;
  return {
    kind: 'fasterkv', version: HANDLE_VERSION, engine: kv.engine, options: { ...kv.options },
    epoch: ctx.epoch.handle(), log: ctx.log.handle(), index: ctx.index.memory, growth,
    state: kv.systemState.buffer, store: shared.buffer, segments,
    sessions: kv.cpr.table.buffer, recovered: kv.cpr.recovered.buffer, book: kv.book.buffer,
    readCache: ctx.disk.cache?.buffer, recoveredToken: kv.recoveredFrom?.token ?? '',
  };
}

/** The parts of an attached store object (FasterKV.attach builds the object from them). */
export function openAttached(handle: unknown): {
  options: ResolvedOptions; parts: StoreParts; storage: Storage; recovered: Recovered;
  release: () => void;
} {
  const h = checkHandle(handle);
  const binding = selectBinding(h.engine);
  const storage = new DirectoryStorage(h.options.dir, binding, { create: false });
  try {
    const device = storage.openDevice(LOG_BASE_NAME, {
      segmentBytes: h.options.segmentBytes, shared: h.segments,
    });
    let thread: ThreadParts;
    try {
      thread = attachContext(h, binding, device);
    } catch (err) {
      device.close();
      throw err;
    }
    const { shared, ctx } = thread;
    if (!shared.enter()) {
      ctx.epoch.release();
      ctx.index.detach();
      device.close();
      throw new FasterError('ERR_CLOSED', 'the store is closing: nothing attaches to it now');
    }
    Atomics.store(shared.roles, ctx.epoch.entry, ROLE_ATTACHED);
    shared.enableLocking(ctx.epoch);
    const manager = new CheckpointManager(storage, (d, s) => binding.crc32c(d, s),
      h.options.retainCheckpoints);
    const meta = h.recoveredToken === '' ? undefined
      : manager.scan().good.find((m) => m.token === h.recoveredToken);
    const recovered: Recovered = {
      meta, index: ctx.index, device, manager, nextSequence: 0,
      report: { token: meta?.token, skipped: [], removed: [], discardedLog: false,
        replayedBytes: 0, durationMs: 0 },
    };
    const parts = {
      ...thread, segments: h.segments, state: h.state, attached: true, sessions: h.sessions,
      recovered: h.recovered, book: h.book,
    };
    return { options: h.options, parts, storage, recovered, release: () => storage.close() };
  } catch (err) {
    storage.close();
    throw err;
  }
}

/** An attached store object's close: leaves, as a worker exiting would be reclaimed. */
export function closeAttached(parts: StoreParts, release: () => void): void {
  const { ctx, shared } = parts;
  const entry = ctx.epoch.entry;
  try {
    Atomics.store(shared.roles, entry, ROLE_NONE);
    ctx.epoch.release();
    ctx.index.detach();
    ctx.log.device.close();
  } finally {
    release();
    shared.leave();
  }
}

const WAIT_MS = 2;

/** The owner's close: no more attaches, then every attached store closed or reclaimed. */
export async function waitForAttached(parts: StoreParts): Promise<void> {
  const { shared, ctx } = parts;
  shared.beginClosing();
  while (shared.attached > 0) {
    ctx.epoch.progress();
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  }
}

/** Anything else that reclaims what dead threads held (a shared FasterLog). */
export interface ThreadExitListener {
  onThreadExit(threadId: number): void;
}

const watched = new Set<Reclaimable | ThreadExitListener>();

function onWorker(worker: Worker): void {
  const threadId = worker.threadId;
  worker.once('exit', () => {
    for (const kv of watched) {
      if ('onThreadExit' in kv) kv.onThreadExit(threadId);
      else reclaimThread(kv, threadId);
    }
  });
}

/**
 * Reclaims, for `kv` while it is open, whatever the workers this thread creates still hold
 * when they exit. Returns the function that stops watching (at close).
 */
export function watchWorkers(kv: Reclaimable | ThreadExitListener): () => void {
  if (watched.size === 0) process.on('worker', onWorker);
  watched.add(kv);
  return () => {
    watched.delete(kv);
    if (watched.size === 0) process.off('worker', onWorker);
  };
}
