/**
 * LogScanner: walks the records of the hybrid log in [from, to) in address order, across the
 * device and memory, skipping page padding. The record format belongs to the log's user
 * (FasterKV records, FasterLog entries): `recordSize(page, offset)` returns the size of the
 * record starting at `offset` of the page image, or 0 when the bytes there are padding (a
 * zero header); the scanner then jumps to the next page, as it does when a size would run past
 * the page end (records never cross a page).
 *
 * Pages are copied into a private page image before records are handed out, so records stay
 * readable while the scanner is held across awaits and the log moves on: the part of a page
 * below HeadAddress is read from the device (sector-aligned), the rest copied from its frame
 * under epoch protection (re-reading from the device if HeadAddress passed it meanwhile).
 * Records in the mutable region may be copied mid-update; end at SafeReadOnlyAddress (or
 * FlushedUntilAddress) for stable bytes.
 * Thread rules: one scanner per thread; needs the thread's epoch acquired.
 */
import { assert } from '../errors.js';
import { FIRST_VALID_ADDRESS } from './address.js';
import type { HybridLog } from './hybrid-log.js';

/** Size of the record at `offset` of `page` (a whole-page image), or 0 for padding. */
export type RecordSizeFn = (page: Uint8Array, offset: number) => number;

const END = -1;
const NEED_PAGE = -2;
const PAGE_ALIGNMENT = 4096;

export class LogScanner {
  /** Image of the page holding the current record (pageBytes long). */
  readonly page: Uint8Array;
  /** Current record: address, offset in `page`, and length; address -1 before/after. */
  address = -1;
  offset = 0;
  length = 0;
  /** Where the scan continues. */
  nextAddress: number;
  readonly to: number;
  private bufferedPage = -1;
  private wantedPage = -1;

  /** Scans [max(from, BeginAddress), min(to, TailAddress)). */
  constructor(
    private readonly log: HybridLog,
    from: number,
    to: number,
    private readonly recordSize: RecordSizeFn,
  ) {
    this.nextAddress = Math.max(from, log.beginAddress, FIRST_VALID_ADDRESS);
    this.to = Math.min(to, log.tailAddress);
    const raw = new Uint8Array(new ArrayBuffer(log.pageBytes + PAGE_ALIGNMENT));
    const skip = log.binding.alignmentOffset(raw, PAGE_ALIGNMENT);
    this.page = raw.subarray(skip, skip + log.pageBytes);
  }

  /** Advances to the next record and returns its address, or -1 at the end. Sync reads. */
  next(): number {
    for (;;) {
      const result = this.step();
      if (result !== NEED_PAGE) return result;
      this.loadPage(this.wantedPage);
    }
  }

  /** As next(), reading device pages asynchronously. Call with the epoch not protected. */
  async nextAsync(): Promise<number> {
    for (;;) {
      const result = this.step();
      if (result !== NEED_PAGE) return result;
      await this.loadPageAsync(this.wantedPage);
    }
  }

  /** The next record from the buffered page, END, or NEED_PAGE (wantedPage set). */
  private step(): number {
    const pageBytes = this.log.pageBytes;
    for (;;) {
      const address = this.nextAddress;
      if (address >= this.to) {
        this.address = -1;
        return END;
      }
      const offset = address % pageBytes;
      const page = (address - offset) / pageBytes;
      if (page !== this.bufferedPage) {
        this.wantedPage = page;
        return NEED_PAGE;
      }
      const size = this.recordSize(this.page, offset);
      if (!(size > 0) || offset + size > pageBytes) {
        this.nextAddress = address - offset + pageBytes;
        continue;
      }
      this.address = address;
      this.offset = offset;
      this.length = size;
      this.nextAddress = address + size;
      return address;
    }
  }

  /**
   * Fills the page image from the scan position to the page end: device bytes below
   * HeadAddress, frame bytes above.
   */
  private loadPage(page: number): void {
    const from = this.nextAddress - this.log.geometry.pageStart(page);
    let diskUntil = from;
    for (;;) {
      const memoryFrom = this.copyResident(page, from, diskUntil);
      if (memoryFrom < 0) break;
      this.readDevice(page, diskUntil, memoryFrom);
      diskUntil = memoryFrom;
    }
    this.bufferedPage = page;
  }

  /** As loadPage, with asynchronous device reads. */
  private async loadPageAsync(page: number): Promise<void> {
    const from = this.nextAddress - this.log.geometry.pageStart(page);
    let diskUntil = from;
    for (;;) {
      const memoryFrom = this.copyResident(page, from, diskUntil);
      if (memoryFrom < 0) break;
      await this.readDeviceAsync(page, diskUntil, memoryFrom);
      diskUntil = memoryFrom;
    }
    this.bufferedPage = page;
  }

  /**
   * Under epoch protection: if the frame part of the page starts at or below `diskUntil`,
   * copies it into the image and returns -1; otherwise returns the offset where it starts
   * (the caller reads [diskUntil, that) from the device first).
   */
  private copyResident(page: number, from: number, diskUntil: number): number {
    const log = this.log;
    const pageBytes = log.pageBytes;
    log.epoch.protect();
    try {
      const headOffset = log.headAddress - log.geometry.pageStart(page);
      const memoryFrom = Math.min(pageBytes, Math.max(from, headOffset));
      if (memoryFrom > diskUntil) return memoryFrom;
      if (memoryFrom < pageBytes) {
        const slot = page % log.frameCount;
        assert(Atomics.load(log.state.slotPage, slot) === page, `page ${page} not in memory`);
        const start = log.frames.slotOffset(slot);
        this.page.set(log.frames.bytes.subarray(start + memoryFrom, start + pageBytes),
          memoryFrom);
      }
      return -1;
    } finally {
      log.epoch.unprotect();
    }
  }

  /** Reads page bytes [start, end), rounded out to sectors, into the image. */
  private readDevice(page: number, start: number, end: number): void {
    const { geometry, device } = this.log;
    const lo = geometry.sectorFloor(start);
    device.readSync(this.page.subarray(lo, geometry.sectorCeil(end)),
      geometry.pageStart(page) + lo);
  }

  private readDeviceAsync(page: number, start: number, end: number): Promise<void> {
    const { geometry, device } = this.log;
    const lo = geometry.sectorFloor(start);
    return device.read(this.page.subarray(lo, geometry.sectorCeil(end)),
      geometry.pageStart(page) + lo);
  }
}
