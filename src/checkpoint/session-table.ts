/**
 * SessionTable: the CPR state of every session of a store, on every thread, in one growable
 * SharedArrayBuffer, so a checkpoint driven from any thread gives every session its CPR point
 * (digest §6) — including sessions whose thread is idle, busy elsewhere, or dead.
 *
 * Slot (SLOT_BYTES each; Int32 words unless noted):
 *   [0] state     FREE, OPEN, CLOSED (closed; its point still owed to a checkpoint), DEAD
 *                 (its thread died: closed, and its pending writes never complete)
 *   [1] entry     epoch table entry of the session's thread (whether it is in an operation)
 *   [2] owner     that thread's epoch owner id (reclaim finds a dead thread's sessions by it)
 *   [3] version   the CPR version the session is in, moved by compare-and-swap (`trySwitch`)
 *   [4] id length (UTF-16 units, at most 256)   [5] pending count   [6] resumed entry + 1
 *   [7] point's excluded count   [8] point version: written last, it publishes the point
 *   F64 [5] decided: serial of the last operation whose first attempt ran (or went pending)
 *   F64 [6] point serial   F64 [7] start serial (0, or the CPR point it was resumed at)
 *   bytes 64..576 id (UTF-16); F64 from 576: pending writes (PENDING_CAP serials: RMWs whose
 *   record was on the device when they started, not finished yet); F64 from 1024: the point's
 *   excluded serials (the pending writes when the session left that version).
 *
 * The version switch of a session (v -> v+1) is done by whoever wins the CAS on its version
 * word: its own thread, refreshing at the start of an operation, or a checkpoint driver on
 * its behalf when that thread is not inside an operation (it is unprotected). Both compute
 * the same point from the same words — point = decided, excluded = the pending writes —
 * because a session changes those words only inside an operation, after it has refreshed:
 * once the driver has seen the new phase published and the thread unprotected, the thread's
 * next operation refreshes (and so CASes) first. The point is published by its version word,
 * written after the serials.
 *
 * Header (first HEADER_BYTES): [0] slots in use (high water) [1] registry lock (holder's
 * token): creating, resuming and closing sessions take it, so ids stay unique across threads.
 * Thread rules: any thread; a slot's decided and pending words are written by its session's
 * thread only, inside operations.
 */
import { assert, FasterError } from '../errors.js';

export const FREE = 0;
export const OPEN = 1;
export const CLOSED = 2;
export const DEAD = 3;

/** Pending writes one session may have at once (the store sizes its async RMWs to it). */
export const PENDING_CAP = 56;
export const SLOT_BYTES = 2048;
const SLOT_INTS = SLOT_BYTES / 4;
const SLOT_F64 = SLOT_BYTES / 8;
const HEADER_BYTES = 64;
const I_STATE = 0;
const I_ENTRY = 1;
const I_OWNER = 2;
const I_VERSION = 3;
const I_ID_LENGTH = 4;
const I_PENDING = 5;
const I_RESUMED = 6;
const I_POINT_EXCLUDED = 7;
const I_POINT_VERSION = 8;
const F_DECIDED = 5;
const F_POINT = 6;
const F_START = 7;
const ID_BYTE = 64;
const MAX_ID = 256;
const PENDING_F64 = 576 / 8;
const EXCLUDED_F64 = 1024 / 8;
const H_HIGH = 0;
const H_LOCK = 1;
const INITIAL_SLOTS = 16;
/** Most sessions (open or owed a point) at once: 32 MiB of address space, reserved lazily. */
export const MAX_SESSIONS = 16384;

interface GrowableBuffer extends SharedArrayBuffer {
  grow(newByteLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  byteLength: number, options: { maxByteLength: number },
) => GrowableBuffer;

/** A session's CPR point for one version. */
export interface TablePoint {
  readonly id: string;
  readonly serial: number;
  readonly excluded: readonly number[];
  /** Index + 1 of the recovered session it resumed (0: none). */
  readonly resumed: number;
}

export class SessionTable {
  readonly buffer: SharedArrayBuffer;
  /** Length-tracking views over the whole (growable) buffer. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly header: Int32Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new GrowableSharedArrayBuffer(HEADER_BYTES + INITIAL_SLOTS *
      SLOT_BYTES, { maxByteLength: HEADER_BYTES + MAX_SESSIONS * SLOT_BYTES });
    this.header = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.i32 = new Int32Array(this.buffer, HEADER_BYTES);
    this.f64 = new Float64Array(this.buffer, HEADER_BYTES);
    this.u16 = new Uint16Array(this.buffer, HEADER_BYTES);
  }

  /** Slots that were ever used (FREE ones among them may be reused). */
  get high(): number {
    return Atomics.load(this.header, H_HIGH);
  }

  /** Runs `fn` holding the registry lock (`token`: the caller's epoch owner id). */
  locked<T>(token: number, fn: () => T): T {
    while (Atomics.compareExchange(this.header, H_LOCK, 0, token) !== 0) {
      Atomics.wait(this.header, H_LOCK, Atomics.load(this.header, H_LOCK), 1);
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.header, H_LOCK, 0);
      Atomics.notify(this.header, H_LOCK);
    }
  }

  /** Frees the registry lock if a dead thread (`token`) held it. */
  reclaimLock(token: number): void {
    if (Atomics.compareExchange(this.header, H_LOCK, token, 0) === token) {
      Atomics.notify(this.header, H_LOCK);
    }
  }

  /** The slot of the live (OPEN) session `id`, or -1. REQUIRES: the registry lock. */
  findOpen(id: string): number {
    for (let slot = 0; slot < this.high; slot++) {
      if (Atomics.load(this.i32, slot * SLOT_INTS + I_STATE) === OPEN && this.idIs(slot, id)) {
        return slot;
      }
    }
    return -1;
  }

  /**
   * A new OPEN slot for session `id` in CPR version `version`, on the thread of epoch entry
   * `entry`. REQUIRES: the registry lock.
   */
  open(id: string, version: number, entry: number, owner: number, startSerial: number,
    resumed: number): number {
    assert(id.length <= MAX_ID, 'session id too long');
    const slot = this.freeSlot();
    const b = slot * SLOT_INTS;
    const i32 = this.i32;
    i32[b + I_ENTRY] = entry;
    i32[b + I_OWNER] = owner;
    i32[b + I_VERSION] = version;
    i32[b + I_ID_LENGTH] = id.length;
    i32[b + I_PENDING] = 0;
    i32[b + I_RESUMED] = resumed;
    i32[b + I_POINT_EXCLUDED] = 0;
    const f = slot * SLOT_F64;
    this.f64[f + F_DECIDED] = startSerial;
    this.f64[f + F_POINT] = startSerial;
    this.f64[f + F_START] = startSerial;
    const u = (slot * SLOT_BYTES + ID_BYTE) / 2;
    for (let i = 0; i < id.length; i++) this.u16[u + i] = id.charCodeAt(i);
    Atomics.store(i32, b + I_POINT_VERSION, version - 1);
    Atomics.store(i32, b + I_STATE, OPEN);
    return slot;
  }

  state(slot: number): number {
    return Atomics.load(this.i32, slot * SLOT_INTS + I_STATE);
  }

  setState(slot: number, state: number): void {
    Atomics.store(this.i32, slot * SLOT_INTS + I_STATE, state);
  }

  entryOf(slot: number): number {
    return Atomics.load(this.i32, slot * SLOT_INTS + I_ENTRY);
  }

  ownerOf(slot: number): number {
    return Atomics.load(this.i32, slot * SLOT_INTS + I_OWNER);
  }

  versionOf(slot: number): number {
    return Atomics.load(this.i32, slot * SLOT_INTS + I_VERSION);
  }

  /**
   * A view of the slot's `decided` word alone (fixed length: the table grows in place, so it
   * stays valid), which its session writes on every operation.
   */
  decidedView(slot: number): Float64Array {
    return new Float64Array(this.buffer, HEADER_BYTES + slot * SLOT_BYTES + F_DECIDED * 8, 1);
  }

  pendingCount(slot: number): number {
    return this.i32[slot * SLOT_INTS + I_PENDING]!;
  }

  /**
   * Adds a pending write; false when `PENDING_CAP - reserve` are pending already (asynchronous
   * RMWs keep one place for the synchronous one). Session thread only, inside an operation.
   */
  addPending(slot: number, serial: number, reserve: number): boolean {
    const b = slot * SLOT_INTS;
    const n = this.i32[b + I_PENDING]!;
    if (n >= PENDING_CAP - reserve) return false;
    this.f64[slot * SLOT_F64 + PENDING_F64 + n] = serial;
    Atomics.store(this.i32, b + I_PENDING, n + 1);
    return true;
  }

  /** Removes a pending write (it finished). Session thread only, inside an operation. */
  removePending(slot: number, serial: number): void {
    const b = slot * SLOT_INTS;
    const n = this.i32[b + I_PENDING]!;
    const p = slot * SLOT_F64 + PENDING_F64;
    for (let i = 0; i < n; i++) {
      if (this.f64[p + i] !== serial) continue;
      this.f64[p + i] = this.f64[p + n - 1]!;
      Atomics.store(this.i32, b + I_PENDING, n - 1);
      return;
    }
  }

  /**
   * Moves the session to version `to` if nobody did yet, recording its point for `to - 1`
   * (decided, and the pending writes as excluded). True when this call did it.
   */
  trySwitch(slot: number, to: number): boolean {
    const b = slot * SLOT_INTS;
    const f = slot * SLOT_F64;
    const from = Atomics.load(this.i32, b + I_VERSION);
    if (from >= to) return false;
    const decided = this.f64[f + F_DECIDED]!;
    const n = this.i32[b + I_PENDING]!;
    const pending = this.f64.slice(f + PENDING_F64, f + PENDING_F64 + n);
    if (Atomics.compareExchange(this.i32, b + I_VERSION, from, to) !== from) return false;
    this.f64[f + F_POINT] = decided;
    this.f64.set(pending, f + EXCLUDED_F64);
    this.i32[b + I_POINT_EXCLUDED] = n;
    Atomics.store(this.i32, b + I_POINT_VERSION, to - 1);
    return true;
  }

  /** The point of the session in `slot` for `version`, or undefined if not published yet. */
  pointFor(slot: number, version: number): TablePoint | undefined {
    const b = slot * SLOT_INTS;
    const f = slot * SLOT_F64;
    const published = Atomics.load(this.i32, b + I_POINT_VERSION);
    const resumed = this.i32[b + I_RESUMED]!;
    if (published === version) {
      const n = this.i32[b + I_POINT_EXCLUDED]!;
      const excluded = Array.from(this.f64.subarray(f + EXCLUDED_F64, f + EXCLUDED_F64 + n));
      return { id: this.idOf(slot), serial: this.f64[f + F_POINT]!, excluded, resumed };
    }
    if (published < version) return undefined;
    // Opened after `version` ended: nothing of it is in that version.
    return { id: this.idOf(slot), serial: this.f64[f + F_START]!, excluded: [], resumed };
  }

  idOf(slot: number): string {
    const n = this.i32[slot * SLOT_INTS + I_ID_LENGTH]!;
    const u = (slot * SLOT_BYTES + ID_BYTE) / 2;
    return String.fromCharCode(...this.u16.subarray(u, u + n));
  }

  private idIs(slot: number, id: string): boolean {
    if (this.i32[slot * SLOT_INTS + I_ID_LENGTH] !== id.length) return false;
    const u = (slot * SLOT_BYTES + ID_BYTE) / 2;
    for (let i = 0; i < id.length; i++) if (this.u16[u + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** A FREE slot, growing the table when every one is taken. REQUIRES: the registry lock. */
  private freeSlot(): number {
    const high = this.high;
    for (let slot = 0; slot < high; slot++) if (this.state(slot) === FREE) return slot;
    if (high === MAX_SESSIONS) {
      throw new FasterError('ERR_INVALID_ARGUMENT', `more than ${MAX_SESSIONS} sessions ` +
        'open (or closed and not yet in a checkpoint) at once');
    }
    const needed = HEADER_BYTES + (high + 1) * SLOT_BYTES;
    if (this.buffer.byteLength < needed) {
      const target = Math.min(HEADER_BYTES + MAX_SESSIONS * SLOT_BYTES,
        HEADER_BYTES + 2 * high * SLOT_BYTES);
      (this.buffer as GrowableBuffer).grow(Math.max(target, needed));
    }
    Atomics.store(this.header, H_HIGH, high + 1);
    return high;
  }
}
