/**
 * Session: a sequence of operations numbered with serial numbers 1, 2, 3, … (API.md, fixed).
 * Sync methods run to completion on this thread, reading the device synchronously when a record
 * lives below HeadAddress; `*Async` methods resolve at once when the record is in memory and go
 * pending otherwise, so many device reads can be in flight. Every operation takes the next
 * serial number when it is issued.
 *
 * Epoch rule: the thread is protected only inside one attempt of one operation, never across a
 * device read or an await, so an idle session never holds back the epoch (or a checkpoint).
 *
 * CPR (digest §6, §7): a session lives in one version at a time. Its slot in the shared
 * SessionTable holds `decided` — the serial of the last operation whose first attempt ran (or
 * went to the device) — and its pending writes: RMWs whose record was on the device, not done
 * yet. Both change only inside a protected attempt. Every attempt, once protected, compares the
 * shared CPR state word with the word the session last acted on (one integer load); when they
 * differ, its thread brings all its sessions to the new word (CprSessions.refresh), and a new
 * version records each one's CPR point for the version it leaves: `decided`, with the pending
 * writes (they complete in the new version) excluded. A checkpoint driver on any thread does
 * the same on behalf of sessions whose thread is not inside an operation, so an idle session
 * never stalls a checkpoint (cpr-sessions.ts). From IN_PROGRESS until REST the session writes
 * records marked InNewVersion and never updates in place (`versionFlag`, `inPlaceOk`).
 * Asynchronous RMWs pending at once are bounded by the slot (PENDING_CAP): beyond it, an RMW
 * whose record is on the device reads it synchronously.
 */
import type { CprSessions } from '../checkpoint/cpr-sessions.js';
import {
  inVersionSwitch, phaseName, phaseOf, type PhaseName, type SystemState,
} from '../checkpoint/system-state.js';
import { FasterError, invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { HI_IN_NEW_VERSION } from '../record/record-info.js';
import type { DiskRecord } from './disk-records.js';
import { internalRmw, rmwFromDisk, type RmwAdapter } from './internal-rmw.js';
import {
  DONE, internalDelete, internalRead, internalUpsert, NOT_FOUND, RECORD_ON_DISK,
} from './operations.js';
import { backoff, releaseRead, settled } from './session-support.js';
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
  readonly systemState: SystemState;
  readonly cpr: CprSessions;
  checkOpen(): void;
  sessionClosed(id: string): void;
}

/** rmwAttempt: an asynchronous RMW found its session's pending writes full. */
const PENDING_FULL = -1;

export class Session<K = Uint8Array, V = Uint8Array, I = unknown> {
  readonly id: string;
  /** This session's slot in the store's SessionTable. */
  readonly slot: number;
  /** The serial number recovery restored this session to (0 for a new session). */
  readonly recoveredSerial: number;
  /**
   * Serials at or below recoveredSerial that the checkpoint does not hold (they were pending
   * at its version switch); a program that wants them applied issues them again.
   */
  readonly recoveredExcluded: readonly number[];
  private serialNo: number;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private versionFlag = 0;
  private inPlaceOk = true;
  private readonly cprWords: Int32Array;
  private cprWord: number;
  private cprVersion: number;
  /** The slot's `decided` word. */
  private readonly decided: Float64Array;

  constructor(private readonly host: SessionHost<K, V, I>, id: string, slot: number,
    recoveredSerial = 0, recoveredExcluded: readonly number[] = []) {
    this.id = id;
    this.slot = slot;
    this.recoveredSerial = recoveredSerial;
    this.recoveredExcluded = recoveredExcluded;
    this.serialNo = recoveredSerial;
    this.decided = host.cpr.table.decidedView(slot);
    this.cprWords = host.systemState.words;
    const { word, version } = host.cpr.current();
    this.cprWord = word;
    this.cprVersion = version;
    this.applyWord(word);
  }

  /** Serial number of the last operation issued by this session. */
  get serial(): number {
    return this.serialNo;
  }

  /** Asynchronous operations issued and not finished (waiting for device reads). */
  get pendingOperations(): number {
    return this.pending.size;
  }

  read(key: K): V | undefined {
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    if (this.readAttempt(k, hash, serial) !== RECORD_ON_DISK) return this.readResult;
    const ctx = this.host.ctx;
    for (;;) {
      const start = ctx.foundAddress;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, start);
      if (this.settleDiskRead(k, hash, disk, start, seen)) return this.readResult;
    }
  }

  readAsync(key: K): Promise<V | undefined> {
    const k = this.begin(key);
    const hash = keyHash(k);
    const st = this.readAttempt(k, hash, ++this.serialNo);
    if (st !== RECORD_ON_DISK) return Promise.resolve(this.readResult);
    const ctx = this.host.ctx;
    return this.track(this.readPending(k, hash, ctx.foundAddress, ctx.seenEntry));
  }

  upsert(key: K, value: V): number {
    const k = this.begin(key);
    return this.write(k, this.host.encodeValue(value));
  }

  upsertAsync(key: K, value: V): Promise<number> {
    return settled(() => this.upsert(key, value));
  }

  delete(key: K): number {
    return this.write(this.begin(key), null);
  }

  deleteAsync(key: K): Promise<number> {
    return settled(() => this.delete(key));
  }

  rmw(key: K, input: I): number {
    const fns = this.rmwFunctions();
    const k = this.begin(key);
    return this.rmwSync(k, keyHash(k), input, fns, ++this.serialNo);
  }

  rmwAsync(key: K, input: I): Promise<number> {
    const fns = this.rmwFunctions();
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const st = this.rmwAttempt(k, hash, input, fns, serial, false, 1);
    if (st === DONE) return Promise.resolve(serial);
    if (st === PENDING_FULL) return settled(() => this.rmwSync(k, hash, input, fns, serial));
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

  // ---- CPR ------------------------------------------------------------------------------

  /** The (phase, version) this session last acted in. */
  get cprState(): { phase: PhaseName; version: number } {
    return { phase: phaseName(phaseOf(this.cprWord)), version: this.cprVersion };
  }

  /** RMWs waiting for the device (their serials are excluded from a version they miss). */
  get pendingWrites(): number {
    return this.host.cpr.table.pendingCount(this.slot);
  }

  /** Brings the session to state word `word` (CprSessions.refresh, on this thread). */
  cprApply(word: number, version: number): void {
    if (word === this.cprWord) return;
    if (version > this.cprVersion) {
      this.host.cpr.table.trySwitch(this.slot, version);
      this.cprVersion = version;
    }
    this.applyWord(word);
  }

  /**
   * At the start of a protected attempt: refreshes when the CPR state word changed, and tells
   * the operations which word the attempt acts in (locked-operations.ts re-checks it).
   */
  private follow(ctx: StoreContext): void {
    if (Atomics.load(this.cprWords, 0) !== this.cprWord) this.host.cpr.refresh(this);
    ctx.cprWord = this.cprWord;
  }

  private applyWord(word: number): void {
    this.cprWord = word;
    const switching = inVersionSwitch(phaseOf(word));
    this.versionFlag = switching ? HI_IN_NEW_VERSION : 0;
    this.inPlaceOk = !switching;
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

  /** An upsert of `v`, or a delete (`v` null): protected attempts until one is DONE. */
  private write(k: Uint8Array, v: Uint8Array | null): number {
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const { ctx } = this.host;
    const epoch = ctx.epoch;
    for (let tries = 1; ; tries++) {
      epoch.protect();
      let st: number;
      try {
        this.follow(ctx);
        st = v === null ? internalDelete(ctx, k, hash, this.versionFlag, this.inPlaceOk)
          : internalUpsert(ctx, k, hash, v, this.versionFlag, this.inPlaceOk);
        if (st === DONE) this.decided[0] = serial;
      } finally {
        epoch.unprotect();
      }
      if (st === DONE) return serial;
      backoff(tries);
    }
  }

  /**
   * Protected read attempts until one is not retried; sets readResult unless the record is on
   * the device. `serial` > 0: the read's first attempt, which decides it.
   */
  private readAttempt(k: Uint8Array, hash: number, serial: number): number {
    const { ctx } = this.host;
    for (let tries = 1; ; tries++) {
      ctx.epoch.protect();
      let st: number;
      try {
        this.follow(ctx);
        st = internalRead(ctx, k, hash);
        this.readResult = st === DONE ? this.host.decodeValueAt(ctx.foundOffset) : undefined;
        if (serial > 0 && st <= RECORD_ON_DISK) this.decided[0] = serial;
      } finally {
        if (ctx.sharedLocked >= 0) releaseRead(ctx);
        ctx.epoch.unprotect();
      }
      if (st <= RECORD_ON_DISK) return st;
      backoff(tries);
    }
  }

  /**
   * After a device read that started at `start` with chain head `seen`: looks at memory again
   * (FASTER's pending-completion re-check). True with readResult set when settled; false when
   * the chain moved and the device must be read again from ctx.foundAddress.
   */
  private settleDiskRead(k: Uint8Array, hash: number, disk: DiskRecord | undefined,
    start: number, seen: number): boolean {
    const st = this.readAttempt(k, hash, 0);
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

  /** An RMW that reads the device synchronously when it must (`rmw`, and overflow). */
  private rmwSync(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    serial: number): number {
    const ctx = this.host.ctx;
    let pending = false;
    for (;;) {
      if (this.rmwAttempt(k, hash, input, fns, serial, pending, 0) === DONE) return serial;
      pending = true;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, ctx.foundAddress);
      if (this.rmwContinue(k, hash, input, fns, disk, seen, serial) === DONE) return serial;
    }
  }

  /**
   * Protected RMW attempts until the RMW is DONE or its record is on the device
   * (RECORD_ON_DISK). The first attempt that finds it there (`pending` false) adds the RMW to
   * the session's pending writes, keeping `reserve` places free; PENDING_FULL when it cannot.
   */
  private rmwAttempt(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    serial: number, pending: boolean, reserve: number): number {
    const { ctx } = this.host;
    const table = this.host.cpr.table;
    for (let tries = 1; ; tries++) {
      ctx.epoch.protect();
      let st: number;
      try {
        this.follow(ctx);
        st = internalRmw(ctx, k, hash, input, fns, this.versionFlag, this.inPlaceOk);
        if (st === DONE) {
          if (pending) table.removePending(this.slot, serial);
          else this.decided[0] = serial;
        } else if (st === RECORD_ON_DISK && !pending) {
          if (table.addPending(this.slot, serial, reserve)) this.decided[0] = serial;
          else st = PENDING_FULL;
        }
      } finally {
        ctx.epoch.unprotect();
      }
      if (st === DONE || st === RECORD_ON_DISK || st === PENDING_FULL) return st;
      backoff(tries);
    }
  }

  private rmwContinue(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    disk: DiskRecord | undefined, seen: number, serial: number): number {
    const { ctx } = this.host;
    ctx.epoch.protect();
    try {
      this.follow(ctx);
      const st = rmwFromDisk(ctx, k, hash, input, fns, disk, seen, this.versionFlag);
      if (st === DONE) this.host.cpr.table.removePending(this.slot, serial);
      return st;
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
      if (this.rmwContinue(k, hash, input, fns, disk, seen, serial) === DONE) return serial;
      if (this.rmwAttempt(k, hash, input, fns, serial, true, 0) === DONE) return serial;
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
