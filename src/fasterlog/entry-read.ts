/**
 * Random reads of one entry by address (FASTER's ReadAsync): from the frames when the entry
 * is at or above HeadAddress (copied under epoch protection), else from the device, reading
 * the sectors that hold it (first one sector for the header, then the rest if the entry is
 * longer) and verifying its checksum.
 *
 * REQUIRES: the caller checked BeginAddress <= address < tail. The result says what is there:
 * a data entry's payload (a copy), another kind of entry, or damage.
 * Thread rules: the log's JS thread; async reads may overlap (each has its own buffer).
 */
import type { Device } from '../device/device.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { NativeBinding } from '../native.js';
import {
  checkEntry, ENTRY_END, ENTRY_HEADER_BYTES, entrySize, KIND_DATA, readU32, wordKind, wordLength,
} from './log-entry.js';

export type ReadOutcome =
  | { readonly kind: 'data'; readonly payload: Uint8Array; readonly size: number }
  | { readonly kind: 'other'; readonly size: number }
  | { readonly kind: 'damaged'; readonly what: string };

const ALIGNMENT = 4096;

export class EntryReads {
  constructor(
    private readonly binding: NativeBinding,
    private readonly device: Device,
    private readonly pageBytes: number,
    private readonly log: HybridLog | undefined,
  ) {}

  readSync(address: number): ReadOutcome {
    const resident = this.fromMemory(address);
    if (resident !== undefined) return resident;
    const { start, limit } = this.span(address);
    let buffer = this.aligned(this.device.sectorBytes);
    this.device.readSync(buffer, start);
    const need = this.needed(buffer, address - start, limit);
    if (need > buffer.length) {
      buffer = this.aligned(need);
      this.device.readSync(buffer, start);
    }
    return this.outcome(buffer, address - start, limit, true);
  }

  async read(address: number): Promise<ReadOutcome> {
    const resident = this.fromMemory(address);
    if (resident !== undefined) return resident;
    const { start, limit } = this.span(address);
    let buffer = this.aligned(this.device.sectorBytes);
    await this.device.read(buffer, start);
    const need = this.needed(buffer, address - start, limit);
    if (need > buffer.length) {
      buffer = this.aligned(need);
      await this.device.read(buffer, start);
    }
    return this.outcome(buffer, address - start, limit, true);
  }

  /** The entry from the frames when it is in memory; undefined when it is on the device. */
  private fromMemory(address: number): ReadOutcome | undefined {
    const log = this.log;
    if (log === undefined) return undefined;
    log.epoch.protect();
    try {
      if (address < log.headAddress) return undefined;
      const offset = address % this.pageBytes;
      const at = log.physicalOffset(address);
      const frame = log.memory.subarray(at - offset, at - offset + this.pageBytes);
      return this.outcome(frame, offset, this.pageBytes, false);
    } finally {
      log.epoch.unprotect();
    }
  }

  /** The sector-aligned start of the read and where the entry's page ends, relative to it. */
  private span(address: number): { start: number; limit: number } {
    const sector = this.device.sectorBytes;
    const start = address - (address % sector);
    const pageEnd = address - (address % this.pageBytes) + this.pageBytes;
    return { start, limit: pageEnd - start };
  }

  /** Bytes (sector-rounded) the read must cover for the entry whose header is at `offset`. */
  private needed(buffer: Uint8Array, offset: number, limit: number): number {
    const word = readU32(buffer, offset + 4);
    const end = Math.min(offset + entrySize(wordLength(word)), limit);
    const sector = this.device.sectorBytes;
    return Math.ceil(end / sector) * sector;
  }

  private outcome(bytes: Uint8Array, offset: number, limit: number,
    verify: boolean): ReadOutcome {
    const size = checkEntry(this.binding, bytes, offset, Math.min(limit, bytes.length), verify);
    if (size <= 0) {
      return { kind: 'damaged', what: size === ENTRY_END ? 'no entry starts here (zero header)'
        : 'the entry fails its checksum or length check' };
    }
    const word = readU32(bytes, offset + 4);
    if (wordKind(word) !== KIND_DATA) return { kind: 'other', size };
    const start = offset + ENTRY_HEADER_BYTES;
    return { kind: 'data', payload: bytes.slice(start, start + wordLength(word)), size };
  }

  private aligned(length: number): Uint8Array {
    const raw = new Uint8Array(new ArrayBuffer(length + ALIGNMENT));
    const skip = this.binding.alignmentOffset(raw, ALIGNMENT);
    return raw.subarray(skip, skip + length);
  }
}
