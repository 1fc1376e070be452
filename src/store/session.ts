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
 * CPR (digest §6, §7): a session lives in one version at a time. Every attempt, once protected,
 * compares the shared CPR state word with the word the session last acted on (one integer load)
 * and refreshes when they differ: on a new version it records its CPR point for the version it
 * leaves — the serial of the last operation that ran in it — and the serials of its
 * asynchronous writes still pending, which complete in the new version and are excluded from
 * the old one. From IN_PROGRESS until REST it writes records marked InNewVersion and never
 * updates in place (`versionFlag`, `inPlaceOk`). A session with no attempt running is moved by
 * the checkpoint driver on its behalf (`cprSwitch`), so an idle session never stalls a
 * checkpoint.
 */
import type { SessionPoint } from '../checkpoint/checkpoint-metadata.js';
import type { CprSession } from '../checkpoint/cpr-sessions.js';
import {
  inVersionSwitch, phaseName, phaseOf, versionBitsOf, type PhaseName, type SystemState,
} from '../checkpoint/system-state.js';
import { assert, FasterError, invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { HI_IN_NEW_VERSION } from '../record/record-info.js';
import type { DiskRecord } from './disk-records.js';
import { internalRmw, rmwFromDisk, type RmwAdapter } from './internal-rmw.js';
import {
  DONE, internalDelete, internalRead, internalUpsert, NOT_FOUND, RECORD_ON_DISK,
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
  readonly systemState: SystemState;
  checkOpen(): void;
  sessionClosed(id: string): void;
}

export class Session<K = Uint8Array, V = Uint8Array, I = unknown> implements CprSession {
  readonly id: string;
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
  private readonly pendingWriteSerials = new Set<number>();
  private versionFlag = 0;
  private inPlaceOk = true;
  private readonly cprWords: Int32Array;
  private cprWord: number;
  private cprVersion: number;
  private versionStartSerial: number;
  private lastPoint: (SessionPoint & { readonly version: number }) | undefined;

  constructor(private readonly host: SessionHost<K, V, I>, id: string, recoveredSerial = 0,
    recoveredExcluded: readonly number[] = []) {
    this.id = id;
    this.recoveredSerial = recoveredSerial;
    this.recoveredExcluded = recoveredExcluded;
    this.serialNo = recoveredSerial;
    this.versionStartSerial = recoveredSerial;
    const state = host.systemState;
    this.cprWords = state.words;
    this.cprWord = state.word;
    this.cprVersion = state.version;
    this.applyWord(this.cprWord);
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
    const point = this.serialNo++;
    for (;;) {
      const st = this.readAttempt(k, hash, point);
      if (st !== RECORD_ON_DISK) return this.readResult;
      const ctx = this.host.ctx;
      const start = ctx.foundAddress;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, start);
      if (this.settleDiskRead(k, hash, disk, start, seen, point)) return this.readResult;
    }
  }

  readAsync(key: K): Promise<V | undefined> {
    const k = this.begin(key);
    const hash = keyHash(k);
    const st = this.readAttempt(k, hash, this.serialNo++);
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
    for (let tries = 1; ; tries++) {
      epoch.protect();
      let st: number;
      try {
        this.follow(ctx, serial - 1);
        st = internalUpsert(ctx, k, hash, v, this.versionFlag, this.inPlaceOk);
      } finally {
        epoch.unprotect();
      }
      if (st === DONE) return serial;
      backoff(tries);
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
    for (let tries = 1; ; tries++) {
      epoch.protect();
      let st: number;
      try {
        this.follow(ctx, serial - 1);
        st = internalDelete(ctx, k, hash, this.versionFlag, this.inPlaceOk);
      } finally {
        epoch.unprotect();
      }
      if (st === DONE) return serial;
      backoff(tries);
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
      const st = this.rmwAttempt(k, hash, input, fns, serial - 1);
      if (st === DONE) return serial;
      const seen = ctx.seenEntry;
      const disk = ctx.disk.findSync(k, ctx.foundAddress);
      if (this.rmwContinue(k, hash, input, fns, disk, seen, serial - 1) === DONE) return serial;
    }
  }

  rmwAsync(key: K, input: I): Promise<number> {
    const fns = this.rmwFunctions();
    const k = this.begin(key);
    const hash = keyHash(k);
    const serial = ++this.serialNo;
    const st = this.rmwAttempt(k, hash, input, fns, serial - 1);
    if (st === DONE) return Promise.resolve(serial);
    return this.trackWrite(serial, this.rmwPending(k, hash, input, fns, serial));
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

  get pendingWrites(): number {
    return this.pendingWriteSerials.size;
  }

  cprSwitch(version: number): void {
    if (version !== this.cprVersion) this.switchVersion(version, this.serialNo);
    this.applyWord(Atomics.load(this.cprWords, 0));
  }

  pointFor(version: number): SessionPoint {
    const last = this.lastPoint;
    if (last !== undefined && last.version === version) return last;
    assert(this.cprVersion > version, `session '${this.id}' has not left version ${version}`);
    return { id: this.id, serial: this.versionStartSerial, excluded: this.recoveredExcluded };
  }

  /**
   * At the start of a protected attempt: refreshes when the CPR state word changed, and tells
   * the operations which word the attempt acts in (locked-operations.ts re-checks it).
   */
  private follow(ctx: StoreContext, point: number): void {
    if (Atomics.load(this.cprWords, 0) !== this.cprWord) this.cprRefresh(point);
    ctx.cprWord = this.cprWord;
  }

  /**
   * The state word changed. `point` is the serial of the last operation that ran in the
   * session's current version: the one before the operation attempting now, or the latest one
   * when the attempt continues an older, pending operation (which is then excluded).
   */
  private cprRefresh(point: number): void {
    const word = Atomics.load(this.cprWords, 0);
    if (versionBitsOf(word) !== versionBitsOf(this.cprWord)) {
      this.switchVersion(this.host.systemState.version, point);
    }
    this.applyWord(word);
  }

  /** Excluded serials carry forward: those of the recovered checkpoint were never applied. */
  private switchVersion(version: number, point: number): void {
    const excluded = [...this.recoveredExcluded, ...[...this.pendingWriteSerials]
      .sort((a, b) => a - b)];
    this.lastPoint = { id: this.id, version: this.cprVersion, serial: point, excluded };
    this.cprVersion = version;
    this.versionStartSerial = point;
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

  /**
   * One protected read attempt; sets readResult unless the record is on the device. `point`:
   * the CPR point should this attempt find a new version (see cprRefresh).
   */
  private readAttempt(k: Uint8Array, hash: number, point: number): number {
    const { ctx } = this.host;
    for (let tries = 1; ; tries++) {
      ctx.epoch.protect();
      let st: number;
      try {
        this.follow(ctx, point);
        st = internalRead(ctx, k, hash);
        this.readResult = st === DONE ? this.host.decodeValueAt(ctx.foundOffset) : undefined;
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
    start: number, seen: number, point: number): boolean {
    const st = this.readAttempt(k, hash, point);
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
      if (this.settleDiskRead(k, hash, disk, start, seen, this.serialNo)) return this.readResult;
      start = ctx.foundAddress;
      seen = ctx.seenEntry;
    }
  }

  /** Attempts until the RMW is DONE or its record is on the device (RECORD_ON_DISK). */
  private rmwAttempt(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    point: number): number {
    const { ctx } = this.host;
    for (let tries = 1; ; tries++) {
      ctx.epoch.protect();
      let st: number;
      try {
        this.follow(ctx, point);
        st = internalRmw(ctx, k, hash, input, fns, this.versionFlag, this.inPlaceOk);
      } finally {
        ctx.epoch.unprotect();
      }
      if (st === DONE || st === RECORD_ON_DISK) return st;
      backoff(tries);
    }
  }

  private rmwContinue(k: Uint8Array, hash: number, input: I, fns: RmwAdapter<I>,
    disk: DiskRecord | undefined, seen: number, point: number): number {
    const { ctx } = this.host;
    ctx.epoch.protect();
    try {
      this.follow(ctx, point);
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
      if (this.rmwContinue(k, hash, input, fns, disk, seen, this.serialNo) === DONE) return serial;
      if (this.rmwAttempt(k, hash, input, fns, this.serialNo) === DONE) return serial;
    }
  }

  private settled<T>(op: () => T): Promise<T> {
    try {
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Tracks an asynchronous write: while pending, its serial is excluded from a version. */
  private trackWrite<T>(serial: number, p: Promise<T>): Promise<T> {
    this.pendingWriteSerials.add(serial);
    const done = (): void => {
      this.pendingWriteSerials.delete(serial);
    };
    p.then(done, done);
    return this.track(p);
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

/** Releases the shared lock a read took to copy its value (locking mode). */
function releaseRead(ctx: StoreContext): void {
  ctx.locks!.unlockShared(ctx.sharedLocked);
  ctx.sharedLocked = -1;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
const SPIN_TRIES = 8;
const PAUSE_MS = 0.05;

/**
 * Between attempts that must be retried (a record lock held by another thread, a record being
 * published, the fuzzy region): at once at first, then with short sleeps so the thread being
 * waited for gets a core.
 */
function backoff(tries: number): void {
  if (tries > SPIN_TRIES) Atomics.wait(pause, 0, 0, PAUSE_MS);
}

export { NOT_FOUND };
