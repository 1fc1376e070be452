/**
 * Session: a sequence of operations numbered with serial numbers 1, 2, 3, … (API.md, fixed).
 * Sync methods run to completion on this thread, reading the device synchronously when a record
 * lives below HeadAddress; `*Async` methods resolve at once when the record is in memory and go
 * pending otherwise, so many device reads can be in flight. Every operation takes the next
 * serial number when it is issued.
 *
 * Epoch rule: the thread is protected only inside one attempt of one operation, never across a
 * device read or an await, so an idle session never holds back the epoch (or a checkpoint).
 */
import { FasterError, invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import type { DiskRecord } from './disk-records.js';
import { internalRmw, rmwFromDisk, type RmwAdapter } from './internal-rmw.js';
import {
  DONE, internalDelete, internalRead, internalUpsert, NOT_FOUND, RECORD_ON_DISK, RETRY_NOW,
} from './operations.js';
import type { StoreContext } from './store-context.js';

/** What a session needs from its store (FasterKV implements it). */
export interface SessionHost<K, V, I> {
  readonly ctx: StoreContext;
  encodeKey(key: K): Uint8Array;
  encodeValue(value: V): Uint8Array;
  /** Decodes the value of the in-memory record at `off`. REQUIRES: protected. */
  decodeValueAt(off: number): V;
  decodeValue(bytes: Uint8Array): V;
  readonly rmw: RmwAdapter<I> | undefined;
  checkOpen(): void;
  sessionClosed(id: string): void;
}

export class Session<K = Uint8Array, V = Uint8Array, I = unknown> {
  readonly id: string;
  /** The serial number recovery restored this session to (0 for a new session). */
  readonly recoveredSerial: number;
  private serialNo: number;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly versionFlag = 0;
  private readonly inPlaceOk = true;

  constructor(private readonly host: SessionHost<K, V, I>, id: string, recoveredSerial = 0) {
    this.id = id;
    this.recoveredSerial = recoveredSerial;
    this.serialNo = recoveredSerial;
  }

  /** Serial number of the last operation issued by this session. */
  get serial(): number {
    return this.serialNo;
  }

  read(key: K): V | undefined {
    const k = this.begin(key);
    const hash = keyHash(k);
    this.serialNo++;
    for (;;) {
      const st = this.readAttempt(k, hash);
      if (st !== RECORD_ON_DISK) return this.readResult;
      const ctx = this.host.ctx;
      const start = ctx.foundAddress;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, start);
      if (this.settleDiskRead(k, hash, disk, start, seen)) return this.readResult;
    }
  }

  readAsync(key: K): Promise<V | undefined> {
    const k = this.begin(key);
    const hash = keyHash(k);
    this.serialNo++;
    const st = this.readAttempt(k, hash);
    if (st !== RECORD_ON_DISK) return Promise.resolve(this.readResult);
    const ctx = this.host.ctx;
    return this.track(this.readPending(k, hash, ctx.foundAddress, ctx.seenEntry));
  }

  upsert(key: K, value: V): number {
    const k = this.begin(key);
    const v = this.host.encodeValue(value);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const { ctx } = this.host;
    const epoch = ctx.epoch;
    for (;;) {
      epoch.protect();
      let st: number;
      try {
        st = internalUpsert(ctx, k, hash, v, this.versionFlag, this.inPlaceOk);
      } finally {
        epoch.unprotect();
      }
      if (st === DONE) return serial;
    }
  }

  upsertAsync(key: K, value: V): Promise<number> {
    return this.settled(() => this.upsert(key, value));
  }

  delete(key: K): number {
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const { ctx } = this.host;
    const epoch = ctx.epoch;
    for (;;) {
      epoch.protect();
      let st: number;
      try {
        st = internalDelete(ctx, k, hash, this.versionFlag, this.inPlaceOk);
      } finally {
        epoch.unprotect();
      }
      if (st === DONE) return serial;
    }
  }

  deleteAsync(key: K): Promise<number> {
    return this.settled(() => this.delete(key));
  }

  rmw(key: K, input: I): number {
    const fns = this.rmwFunctions();
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const { ctx } = this.host;
    for (;;) {
      const st = this.rmwAttempt(k, hash, input, fns);
      if (st === DONE) return serial;
      if (st !== RECORD_ON_DISK) continue;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, ctx.foundAddress);
      if (this.rmwContinue(k, hash, input, fns, disk, seen) === DONE) return serial;
    }
  }

  rmwAsync(key: K, input: I): Promise<number> {
    const fns = this.rmwFunctions();
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    let st: number;
    do st = this.rmwAttempt(k, hash, input, fns);
    while (st !== DONE && st !== RECORD_ON_DISK);
    if (st === DONE) return Promise.resolve(serial);
    return this.track(this.rmwPending(k, hash, input, fns, serial));
  }

  /** Resolves once every asynchronous operation this session issued so far has finished. */
  async completePending(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Ends the session; later calls are ERR_CLOSED. Pending operations still complete. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.sessionClosed(this.id);
  }

  // ---- internals ------------------------------------------------------------------------

  /** The result of the last read attempt that finished (DONE or NOT_FOUND). */
  private readResult: V | undefined = undefined;

  private begin(key: K): Uint8Array {
    if (this.closed) throw new FasterError('ERR_CLOSED', `session '${this.id}' is closed`);
    this.host.checkOpen();
    return this.host.encodeKey(key);
  }

  private rmwFunctions(): RmwAdapter<I> {
    const fns = this.host.rmw;
    if (fns === undefined) {
      throw invalidArgument('rmw', 'set in FasterKV.open options before calling rmw()', undefined);
    }
    return fns;
  }

  /** One protected read attempt; sets readResult unless the record is on the device. */
  private readAttempt(k: Uint8Array, hash: number): number {
    const { ctx } = this.host;
    ctx.epoch.protect();
    try {
      const st = internalRead(ctx, k, hash);
      this.readResult = st === DONE ? this.host.decodeValueAt(ctx.foundOffset) : undefined;
      return st;
    } finally {
      ctx.epoch.unprotect();
    }
  }

  /**
   * After a device read that started at `start` with chain head `seen`: looks at memory again
   * (FASTER's pending-completion re-check). True with readResult set when settled; false when
   * the chain moved and the device must be read again from ctx.foundAddress.
   */
  private settleDiskRead(k: Uint8Array, hash: number, disk: DiskRecord | undefined,
    start: number, seen: number): boolean {
    const st = this.readAttempt(k, hash);
    if (st !== RECORD_ON_DISK) return true;
    const ctx = this.host.ctx;
    if (ctx.seenEntry !== seen || ctx.foundAddress !== start) return false;
    this.readResult = disk === undefined || disk.tombstone
      ? undefined : this.host.decodeValue(disk.value);
    return true;
  }

  private async readPending(k: Uint8Array, hash: number, start: number,
    seen: number): Promise<V | undefined> {
    const ctx = this.host.ctx;
    for (;;) {
      const disk = await ctx.disk.find(k, start);
      if (this.settleDiskRead(k, hash, disk, start, seen)) return this.readResult;
      start = ctx.foundAddress;
      seen = ctx.seenEntry;
    }
  }

  private rmwAttempt(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>): number {
    const { ctx } = this.host;
    ctx.epoch.protect();
    try {
      return internalRmw(ctx, k, hash, input, fns, this.versionFlag, this.inPlaceOk);
    } finally {
      ctx.epoch.unprotect();
    }
  }

  private rmwContinue(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    disk: DiskRecord | undefined, seen: number): number {
    const { ctx } = this.host;
    ctx.epoch.protect();
    try {
      return rmwFromDisk(ctx, k, hash, input, fns, disk, seen, this.versionFlag);
    } finally {
      ctx.epoch.unprotect();
    }
  }

  private async rmwPending(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    serial: number): Promise<number> {
    const ctx = this.host.ctx;
    for (;;) {
      const seen = ctx.seenEntry;
      const disk = await ctx.disk.find(k, ctx.foundAddress);
      if (this.rmwContinue(k, hash, input, fns, disk, seen) === DONE) return serial;
      let st: number;
      do st = this.rmwAttempt(k, hash, input, fns);
      while (st === RETRY_NOW || (st !== DONE && st !== RECORD_ON_DISK));
      if (st === DONE) return serial;
    }
  }

  private settled<T>(op: () => T): Promise<T> {
    try {
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = (): void => {
      this.pending.delete(p);
    };
    p.then(done, done);
    return p;
  }
}

export { NOT_FOUND };
