/**
 * RecordInfo: the 8-byte header word that starts every FasterKV record (FASTER's RecordInfo).
 * Persisted: never renumber a bit; retired bits stay reserved.
 *
 *   bit 63                                  48 47                                        0
 *   +--+--+--+--+--+--+--+--+--+-------------+-------------------------------------------+
 *   |r |r |NV|r |Dy|r |Sd|Vd|Ts|X | S(6)      |            PreviousAddress (48)           |
 *   +--+--+--+--+--+--+--+--+--+-------------+-------------------------------------------+
 *    63 62 61 60 59 58 57 56 55 54  53..48
 *
 *   PreviousAddress  next-older record of the same hash chain (0 = none)
 *   Ts  Tombstone    the record deletes its key
 *   Vd  Valid        cleared: the record is garbage (a lost CAS, or undone by recovery); skip it
 *   Sd  Sealed       superseded while mutable; operations that meet it retry
 *   Dy  Dirty        changed since the last incremental snapshot
 *   NV  InNewVersion written by a session already in checkpoint version v+1 (the CPR bit)
 *   X   exclusive lock, S shared-lock count (FASTER's RecordIsolation, digest §4.6): taken
 *       only while worker threads share the store (record-locks.ts); transient, meaningless
 *       in any copy of the record (device, snapshot), cleared when a page image is loaded
 *   r   reserved, zero
 *
 * The word is stored little-endian. JavaScript touches it as two Int32 words: `lo` (address
 * bits 0..31) and `hi` (address bits 32..47 in bits 0..15, flags in bits 16..31), so every flag
 * change is a single 32-bit Atomics operation on `hi`, with no BigInt on the hot path.
 * PreviousAddress is written once, before the record is published by the index CAS.
 */

/** Flag masks within the high 32-bit half of the header word. */
export const HI_TOMBSTONE = 1 << (55 - 32);
export const HI_VALID = 1 << (56 - 32);
export const HI_SEALED = 1 << (57 - 32);
export const HI_DIRTY = 1 << (59 - 32);
export const HI_IN_NEW_VERSION = 1 << (61 - 32);
/** Record locks (bits 48..54): one shared holder, all shared holders, the exclusive lock. */
export const HI_LOCK_SHARED_ONE = 1 << (48 - 32);
export const HI_LOCK_SHARED_MASK = 0x3f << (48 - 32);
export const HI_LOCK_EXCLUSIVE = 1 << (54 - 32);
export const HI_LOCKS = HI_LOCK_SHARED_MASK | HI_LOCK_EXCLUSIVE;
/** Address bits 32..47 within the high half. */
export const HI_ADDRESS_MASK = 0xffff;

/**
 * Bits of the high half that are immutable once the record is durable, and so are covered by
 * the record checksum: the address, Tombstone and InNewVersion. Valid, Sealed and Dirty change
 * after a record reaches the device (recovery invalidates, compaction seals) and are excluded.
 */
export const HI_CHECKSUMMED = HI_ADDRESS_MASK | HI_TOMBSTONE | HI_IN_NEW_VERSION;

const TWO_POW_32 = 4294967296;

/** Splits a 48-bit address into the two halves of a header word (returns hi address bits). */
export function addressHi(address: number): number {
  return Math.floor(address / TWO_POW_32) & HI_ADDRESS_MASK;
}

export function addressLo(address: number): number {
  return address >>> 0;
}

/** The previous address held by a header whose halves are `lo` and `hi`. */
export function previousAddressOf(lo: number, hi: number): number {
  return (hi & HI_ADDRESS_MASK) * TWO_POW_32 + (lo >>> 0);
}

/** True when the record should be seen by readers: Valid and not Sealed. */
export function isLive(hi: number): boolean {
  return (hi & (HI_VALID | HI_SEALED)) === HI_VALID;
}
