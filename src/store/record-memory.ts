/**
 * Record access over the hybrid log's page-frame memory (record-layout.ts has the format).
 * `off` is a physical offset into the frames (HybridLog.physicalOffset), 8-byte aligned, so the
 * header word's halves are the Int32 words `off >> 2` (lo) and `(off >> 2) + 1` (hi).
 *
 * Dirty (for incremental snapshots): set on every new record and by every in-place change, so
 * a record changed since the last snapshot capture always has it; only a capture clears it.
 * Thread rules: callers hold the epoch protected, so the frame cannot be reused under them.
 * Header flags change with Int32 Atomics on the hi word; PreviousAddress and the lengths are
 * written once, before the index CAS that publishes the record. Values in the mutable region
 * are edited in place; while worker threads share the store, under the record locks in the
 * header's lock bits (record-locks.ts, locked-operations.ts).
 */
import {
  addressHi, addressLo, HI_DIRTY, HI_SEALED, HI_TOMBSTONE, HI_VALID, previousAddressOf,
} from '../record/record-info.js';
import {
  align8, OFFSET_KEY_BYTES, OFFSET_VALUE_BYTES, OFFSET_VALUE_CAPACITY, RECORD_HEADER_BYTES,
  writeU32,
} from '../record/record-layout.js';

export class RecordMemory {
  readonly mem: Uint8Array;
  readonly mem32: Int32Array;

  constructor(mem: Uint8Array) {
    this.mem = mem;
    this.mem32 = new Int32Array(mem.buffer, mem.byteOffset, mem.byteLength >> 2);
  }

  /** The header's high half (flags and address bits 32..47), read atomically. */
  hi(off: number): number {
    return Atomics.load(this.mem32, (off >> 2) + 1);
  }

  previousAddress(off: number): number {
    const i = off >> 2;
    return previousAddressOf(this.mem32[i]!, this.mem32[i + 1]!);
  }

  /**
   * A plain read (an Int32 read never tears; Atomics.load costs ~15 ns in Node 20): a delete
   * setting the flag concurrently is seen or not, and either order is a valid one.
   */
  isTombstone(off: number): boolean {
    return (this.mem32[(off >> 2) + 1]! & HI_TOMBSTONE) !== 0;
  }

  keyEquals(off: number, key: Uint8Array): boolean {
    const mem = this.mem;
    const n = key.length;
    if (this.mem32[(off + OFFSET_KEY_BYTES) >> 2] !== n) return false;
    const base = off + RECORD_HEADER_BYTES;
    for (let i = 0; i < n; i++) if (mem[base + i] !== key[i]) return false;
    return true;
  }

  // The length fields are 4-byte aligned (records are 8-byte aligned) and below 2^31: one
  // Int32 read each instead of four byte reads.
  keyLength(off: number): number {
    return this.mem32[(off + OFFSET_KEY_BYTES) >> 2]!;
  }

  valueOffset(off: number): number {
    return off + RECORD_HEADER_BYTES + align8(this.mem32[(off + OFFSET_KEY_BYTES) >> 2]!);
  }

  valueBytes(off: number): number {
    return this.mem32[(off + OFFSET_VALUE_BYTES) >> 2]!;
  }

  valueCapacity(off: number): number {
    return this.mem32[(off + OFFSET_VALUE_CAPACITY) >> 2]!;
  }

  /** A view of the value bytes; valid only while the caller stays protected. */
  valueView(off: number): Uint8Array {
    const start = this.valueOffset(off);
    return this.mem.subarray(start, start + this.valueBytes(off));
  }

  /** A copy of the value in ordinary (unshared) memory. */
  copyValue(off: number): Uint8Array {
    return copyOut(this.mem, this.valueOffset(off), this.valueBytes(off));
  }

  /** Replaces the value in place. REQUIRES: value.length <= valueCapacity(off). */
  writeValueInPlace(off: number, value: Uint8Array): void {
    const start = this.valueOffset(off);
    const old = this.valueBytes(off);
    const n = value.length;
    const mem = this.mem;
    // A byte loop beats the TypedArray.set builtin call for small values.
    if (n <= 32) for (let i = 0; i < n; i++) mem[start + i] = value[i]!;
    else mem.set(value, start);
    if (n < old) mem.fill(0, start + n, start + old);
    this.mem32[(off + OFFSET_VALUE_BYTES) >> 2] = n;
    this.markDirty(off);
  }

  setTombstone(off: number): void {
    Atomics.or(this.mem32, (off >> 2) + 1, HI_TOMBSTONE | HI_DIRTY);
  }

  /** After an in-place change. A plain load first: most records are dirty already. */
  markDirty(off: number): void {
    const i = (off >> 2) + 1;
    if ((this.mem32[i]! & HI_DIRTY) === 0) Atomics.or(this.mem32, i, HI_DIRTY);
  }

  /**
   * Marks the record garbage (recovery undid it, or it was never published): clears Valid and
   * sets Sealed, so the header word is never zero and cannot be mistaken for page padding.
   */
  invalidate(off: number): void {
    const i = (off >> 2) + 1;
    Atomics.and(this.mem32, i, ~HI_VALID);
    Atomics.or(this.mem32, i, HI_SEALED);
  }

  /**
   * Writes a new record into zeroed memory at `off`, Sealed and not Valid (FASTER's rule: a
   * record becomes Valid only once the index CAS has published it, so a record whose writer
   * died or lost the CAS is never mistaken for live data by a scan or by recovery, and its
   * header word is never zero). `value` may be null (a tombstone, or an empty value);
   * `capacity` >= value length, a multiple of 8.
   */
  writeRecord(off: number, key: Uint8Array, value: Uint8Array | null, capacity: number,
    previousAddress: number, flagsHi: number): void {
    const i = off >> 2;
    this.mem32[i] = addressLo(previousAddress) | 0;
    this.mem32[i + 1] = addressHi(previousAddress) | HI_SEALED | HI_DIRTY | flagsHi;
    const mem = this.mem;
    writeU32(mem, off + OFFSET_KEY_BYTES, key.length);
    writeU32(mem, off + OFFSET_VALUE_CAPACITY, capacity);
    mem.set(key, off + RECORD_HEADER_BYTES);
    if (value !== null) {
      writeU32(mem, off + OFFSET_VALUE_BYTES, value.length);
      mem.set(value, off + RECORD_HEADER_BYTES + align8(key.length));
    }
  }

  /**
   * Makes the `size` bytes at `off` — an allocation whose thread died before filling it — a
   * walkable invalid record (Sealed, not Valid, no key, all capacity), unless it was
   * published. Nothing references an unpublished record, and its page cannot be flushed
   * before the dead thread's epoch entry is reclaimed, which happens after this.
   */
  fillHole(off: number, size: number): void {
    const i = off >> 2;
    if ((Atomics.load(this.mem32, i + 1) & HI_VALID) !== 0) return;
    this.mem32[i] = 0;
    this.mem32[i + 2] = 0;
    writeU32(this.mem, off + OFFSET_KEY_BYTES, 0);
    writeU32(this.mem, off + OFFSET_VALUE_BYTES, 0);
    writeU32(this.mem, off + OFFSET_VALUE_CAPACITY, size - RECORD_HEADER_BYTES);
    Atomics.store(this.mem32, i + 1, HI_SEALED);
  }

  /** After the publishing CAS: Sealed -> not Sealed, not Valid -> Valid, in one atomic step. */
  publish(off: number): void {
    Atomics.xor(this.mem32, (off >> 2) + 1, HI_SEALED | HI_VALID);
  }
}

/** Copies `length` bytes at `start` of `src` into a new unshared Uint8Array. */
export function copyOut(src: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (length <= 32) {
    for (let i = 0; i < length; i++) out[i] = src[start + i]!;
  } else {
    out.set(src.subarray(start, start + length));
  }
  return out;
}
