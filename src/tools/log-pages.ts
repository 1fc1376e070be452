/**
 * A FasterLog's entries read straight from its segment files, without the log's lock or any
 * write (for `fasterkv log` and `verify`): LogPages walks them a page at a time, verifying
 * each entry's checksum, and entriesPastCommit yields the intact entries a crashed writer left
 * past its commit point.
 */
import { existsSync } from 'node:fs';
import type { Device } from '../device/device.js';
import {
  checkEntry, ENTRY_END, ENTRY_HEADER_BYTES, KIND_DATA, KIND_PADDING, readU32, wordKind,
  wordLength,
} from '../fasterlog/log-entry.js';
import type { NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import { geometryOf, openLogDevice, scanRing, SECTOR_BYTES } from './log-directory.js';
import type { Problem } from './verify-log.js';

/** What lies at one address of the log. */
export type EntryAt =
  | { readonly kind: 'data' | 'padding' | 'commit'; readonly size: number;
      readonly payload: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'damaged' };

/**
 * The log's pages read straight from the segment files (a page at a time), each entry's
 * checksum verified. Payloads returned are views of the current page: copy to keep them.
 */
export class LogPages {
  private readonly page: Uint8Array;
  private loaded = -1;

  constructor(readonly binding: NativeBinding, readonly device: Device,
    readonly pageBytes: number) {
    const raw = new Uint8Array(new ArrayBuffer(pageBytes + SECTOR_BYTES));
    const skip = binding.alignmentOffset(raw, SECTOR_BYTES);
    this.page = raw.subarray(skip, skip + pageBytes);
  }

  /** The entry at `address`, which must end at or before `limit`. */
  entryAt(address: number, limit: number): EntryAt {
    const offset = address % this.pageBytes;
    const pageStart = address - offset;
    if (this.loaded !== pageStart) {
      this.device.readSync(this.page, pageStart);
      this.loaded = pageStart;
    }
    const end = Math.min(this.pageBytes, limit - pageStart);
    const size = checkEntry(this.binding, this.page, offset, end, true);
    if (size <= 0) return { kind: size === ENTRY_END ? 'end' : 'damaged' };
    const word = readU32(this.page, offset + 4);
    const kind = wordKind(word);
    const start = offset + ENTRY_HEADER_BYTES;
    return {
      kind: kind === KIND_DATA ? 'data' : kind === KIND_PADDING ? 'padding' : 'commit',
      size, payload: this.page.subarray(start, start + wordLength(word)),
    };
  }

  /** The segment file and offset in it of log `address`. */
  placeOf(address: number): { file: string; offset: number } {
    const segment = Math.floor(address / this.device.segmentBytes);
    return { file: `${this.device.name}.${segment}`,
      offset: address - segment * this.device.segmentBytes };
  }

  problemAt(address: number, message: string): Problem {
    const { file, offset } = this.placeOf(address);
    const missing = existsSync(file) ? '' : '; the segment file is missing';
    return { file, offset, message: `${message} (log address ${address}${missing})` };
  }

  nextPage(address: number): number {
    return address - (address % this.pageBytes) + this.pageBytes;
  }
}

/**
 * Intact data entries from `from` on (an entry address past the commit point), each a copy;
 * ends at the first zero header, damaged entry or `to`. Close the generator (a `break` out of
 * a for-of does) to release the segment files early.
 */
export function* entriesPastCommit(dir: string, binding: NativeBinding, from: number,
  to: number): Generator<{ address: number; entry: Uint8Array; nextAddress: number }> {
  const geometry = geometryOf(scanRing(dir, binding));
  if (geometry === undefined) return;
  const storage = new DirectoryStorage(dir, binding, { create: false });
  try {
    const device = openLogDevice(storage, geometry);
    try {
      const pages = new LogPages(binding, device, geometry.pageBytes);
      let address = from;
      while (address < to) {
        const entry = pages.entryAt(address, Infinity);
        if (entry.kind === 'end' || entry.kind === 'damaged') return;
        const nextAddress = address + entry.size;
        if (entry.kind === 'data') yield { address, entry: entry.payload.slice(), nextAddress };
        address = nextAddress;
      }
    } finally {
      device.close();
    }
  } finally {
    storage.close();
  }
}

