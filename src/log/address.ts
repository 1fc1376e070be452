/**
 * Logical addresses of the hybrid log: byte positions in one 48-bit address space that is
 * append-only at the tail. Address `a` lives on page `floor(a / pageBytes)` at offset
 * `a % pageBytes`; on the device it lives at device address `a` (pages are laid out back to
 * back, so a page never straddles a segment when segmentBytes >= pageBytes).
 *
 *   47                         pageBits                    0
 *   +------------------------------+-------------------------+
 *   |          page number         |     offset in page      |
 *   +------------------------------+-------------------------+
 *
 * Reserved: 0 = invalid, 1 = temporarily invalid, 2 = unknown; the first 64 bytes of page 0
 * are never used, so the first valid address is 64 (FASTER's kFirstValidAddress).
 * Addresses are plain numbers (exact below 2^53); page numbers stay below 2^31 because the
 * tail word and per-page tables keep them in 32 bits, so the usable space is
 * min(2^48, 2^(31 + pageBits)) bytes.
 */
import { invalidArgument } from '../errors.js';

export const INVALID_ADDRESS = 0;
export const FIRST_VALID_ADDRESS = 64;
export const ADDRESS_BITS = 48;
export const MAX_ADDRESS = 2 ** ADDRESS_BITS;
/** Page sizes allowed: 2^9 (one 512-byte sector) to 2^25 (FASTER C++'s fixed page). */
export const MIN_PAGE_BITS = 9;
export const MAX_PAGE_BITS = 25;

/** Page arithmetic for one page size. Immutable; safe to share between threads by value. */
export class LogGeometry {
  readonly pageBits: number;
  readonly pageBytes: number;
  /** pageBytes - 1: `address & offsetMask` is the offset (low 32 bits suffice). */
  readonly offsetMask: number;
  readonly sectorBytes: number;
  /** Highest address the log can reach with this page size. */
  readonly maxAddress: number;

  /** REQUIRES: pageBytes a power of two in [2^9, 2^25], sectorBytes a power of two <= it. */
  constructor(pageBytes: number, sectorBytes: number) {
    const pageBits = Math.log2(pageBytes);
    if (!Number.isInteger(pageBits) || pageBits < MIN_PAGE_BITS || pageBits > MAX_PAGE_BITS) {
      throw invalidArgument('pageBytes',
        `a power of two from ${2 ** MIN_PAGE_BITS} to ${2 ** MAX_PAGE_BITS}`, pageBytes);
    }
    if (!Number.isInteger(Math.log2(sectorBytes)) || sectorBytes > pageBytes) {
      throw invalidArgument('pageBytes', `at least the device sector size ${sectorBytes}`,
        pageBytes);
    }
    this.pageBits = pageBits;
    this.pageBytes = pageBytes;
    this.offsetMask = pageBytes - 1;
    this.sectorBytes = sectorBytes;
    this.maxAddress = Math.min(MAX_ADDRESS, 2 ** (31 + pageBits));
  }

  pageOf(address: number): number {
    return Math.floor(address / this.pageBytes);
  }

  offsetOf(address: number): number {
    return address & this.offsetMask;
  }

  pageStart(page: number): number {
    return page * this.pageBytes;
  }

  /** Start of the page holding `address`. */
  pageStartOf(address: number): number {
    return address - (address & this.offsetMask);
  }

  /** The smallest page start >= `address`. */
  pageCeil(address: number): number {
    const offset = address & this.offsetMask;
    return offset === 0 ? address : address - offset + this.pageBytes;
  }

  sectorFloor(value: number): number {
    return value - (value % this.sectorBytes);
  }

  sectorCeil(value: number): number {
    const rest = value % this.sectorBytes;
    return rest === 0 ? value : value - rest + this.sectorBytes;
  }
}
