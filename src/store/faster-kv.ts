/**
 * FasterKV: the store (API.md). `FasterKV.open` builds one thread's view of the shared parts —
 * hash index, hybrid log and epoch, all in shared memory — over a directory Storage holding the
 * log segments (`hlog.log.N`); sessions run the operations (session.ts, operations.ts).
 *
 * Persistence without checkpoints: the log reaches its segment files as pages are flushed, but
 * until CPR checkpoints exist a store cannot be reopened from its files, so `open` refuses a
 * directory that already holds a log (ERR_EXISTS) rather than silently starting empty.
 */
import type { Codec } from '../codec/codecs.js';
import { LightEpoch } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { HashIndex, type RecordLookup } from '../index/hash-index.js';
import { HybridLog } from '../log/hybrid-log.js';
import { selectBinding, type EngineName } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import type { Storage } from '../storage/storage.js';
import { makeRmwAdapter, type RmwAdapter } from './internal-rmw.js';
import { resolveOptions, type FasterKVOptions, type ResolvedOptions } from './options.js';
import { Session, type SessionHost } from './session.js';
import { StoreContext } from './store-context.js';
import { installFlushChecksums } from './flush-checksums.js';
import { collectStats, type FasterKVStats } from './stats.js';

const LOG_BASE_NAME = 'hlog.log';

export class FasterKV<K = Uint8Array, V = Uint8Array, I = unknown>
implements SessionHost<K, V, I> {
  readonly engine: EngineName;
  readonly ctx: StoreContext;
  readonly rmw: RmwAdapter<I> | undefined;
  readonly options: ResolvedOptions;
  private readonly sessions = new Map<string, Session<K, V, I>>();
  private closedSessionOps = 0;
  private closed = false;

  private constructor(
    options: ResolvedOptions,
    ctx: StoreContext,
    private readonly releaseStorage: () => void,
    private readonly keyCodec: Codec<K> | undefined,
    private readonly valueCodec: Codec<V> | undefined,
    rmw: FasterKVOptions<K, V, I>['rmw'],
  ) {
    this.options = options;
    this.ctx = ctx;
    this.engine = ctx.binding.engine;
    this.rmw = rmw === undefined ? undefined : makeRmwAdapter(rmw, valueCodec);
  }

  static async open<K = Uint8Array, V = Uint8Array, I = unknown>(
    options: FasterKVOptions<K, V, I>,
  ): Promise<FasterKV<K, V, I>> {
    const resolved = resolveOptions(options as FasterKVOptions<never, never, never>);
    checkCodecs(options);
    const binding = selectBinding(resolved.engine);
    const owned = options.storage === undefined;
    const storage = options.storage ?? new DirectoryStorage(resolved.dir, binding);
    const releaseLock = storage.lock();
    const release = (): void => {
      releaseLock();
      if (owned) storage.close();
    };
    try {
      refuseExistingLog(storage, resolved);
      const ctx = createContext(storage, resolved, binding);
      return new FasterKV(resolved, ctx, release, options.keyCodec, options.valueCodec,
        options.rmw);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** A new session; `id` must not belong to an open session. Generated when omitted. */
  newSession(id?: string): Session<K, V, I> {
    this.checkOpen();
    const sid = id ?? `session-${globalThis.crypto.randomUUID()}`;
    if (typeof sid !== 'string' || sid === '' || sid.length > 256) {
      throw invalidArgument('id', 'a non-empty string of at most 256 characters', id);
    }
    if (this.sessions.has(sid)) {
      throw invalidArgument('id', 'not the id of a session that is open', sid);
    }
    const session = new Session<K, V, I>(this, sid);
    this.sessions.set(sid, session);
    return session;
  }

  /** Counters and markers; computed on demand, nothing is counted per operation. */
  stats(): FasterKVStats {
    let ops = this.closedSessionOps;
    for (const s of this.sessions.values()) ops += s.serial - s.recoveredSerial;
    return collectStats(this.ctx, this.sessions.size, ops);
  }

  /** Flushes the log and releases the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sessions.values()]) s.close();
    const { log, epoch, index } = this.ctx;
    try {
      epoch.protect();
      const tail = log.shiftReadOnlyToTail();
      epoch.unprotect();
      log.flushUntilSync(tail);
      log.device.syncSync();
    } finally {
      log.device.close();
      index.detach();
      epoch.release();
      this.releaseStorage();
    }
  }

  // ---- SessionHost ----------------------------------------------------------------------

  checkOpen(): void {
    if (this.closed) throw new FasterError('ERR_CLOSED', 'the store is closed');
  }

  encodeKey(key: K): Uint8Array {
    if (this.keyCodec !== undefined) return this.keyCodec.encode(key);
    if (!(key instanceof Uint8Array)) {
      throw invalidArgument('key', 'a Uint8Array (or give a keyCodec)', key);
    }
    return key;
  }

  encodeValue(value: V): Uint8Array {
    if (this.valueCodec !== undefined) return this.valueCodec.encode(value);
    if (!(value instanceof Uint8Array)) {
      throw invalidArgument('value', 'a Uint8Array (or give a valueCodec)', value);
    }
    return value;
  }

  decodeValueAt(off: number): V {
    const rec = this.ctx.rec;
    if (this.valueCodec === undefined) return rec.copyValue(off) as V;
    return this.valueCodec.decode(rec.valueView(off));
  }

  decodeValue(bytes: Uint8Array): V {
    return this.valueCodec === undefined ? bytes as V : this.valueCodec.decode(bytes);
  }

  sessionClosed(id: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.closedSessionOps += s.serial - s.recoveredSerial;
    this.sessions.delete(id);
  }
}

function checkCodecs(options: FasterKVOptions<unknown, unknown, unknown>): void {
  for (const name of ['keyCodec', 'valueCodec'] as const) {
    const c = options[name];
    if (c !== undefined && (typeof c?.encode !== 'function' || typeof c?.decode !== 'function')) {
      throw invalidArgument(name, 'a codec { encode(value), decode(bytes) }', c);
    }
  }
  const r = options.rmw;
  if (r !== undefined && (typeof r?.initial !== 'function' || typeof r?.update !== 'function')) {
    throw invalidArgument('rmw', 'RMW functions { initial(input), update(old, input) }', r);
  }
}

function refuseExistingLog(storage: Storage, options: ResolvedOptions): void {
  const segments = storage.list(`${LOG_BASE_NAME}.`);
  if (segments.length === 0) return;
  const why = options.recover === 'none'
    ? "recover: 'none' never wipes a directory that holds data"
    : 'it holds a log but no checkpoint to recover from';
  throw new FasterError('ERR_EXISTS', `cannot open ${storage.path}: ${why}`,
    { path: storage.path });
}

function createContext(storage: Storage, o: ResolvedOptions,
  binding: ReturnType<typeof selectBinding>): StoreContext {
  const epoch = new LightEpoch();
  epoch.acquire();
  const device = storage.openDevice(LOG_BASE_NAME, { segmentBytes: o.segmentBytes });
  const log = new HybridLog({
    device, binding, epoch, pageBytes: o.pageBytes, memoryBytes: o.memoryBytes,
    mutableFraction: o.mutableFraction,
  });
  const index = HashIndex.create(binding, { buckets: o.indexBuckets });
  const ctx = new StoreContext(binding, index, log, epoch);
  index.lookup = recordLookup(ctx);
  installFlushChecksums(ctx);
  return ctx;
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
