/**
 * Page images: a private copy of part of one log page, filled from the device or from the
 * hybrid log's frames, so entries can be parsed and handed out while the log moves on.
 *
 * `PageImage` holds bytes [validFrom, validUntil) of page `page`; bytes below `deviceUntil`
 * came from the device (their checksums are verified when parsed), the rest from memory.
 * A `PageSource` fills an image:
 *  - `DeviceSource` reads sector-aligned ranges from a device (recovery, read-only
 *    followers). REQUIRES: the range is on the device.
 *  - `LogSource` reads what lies below HeadAddress from the device and copies the rest from
 *    the frames under epoch protection, re-reading from the device if HeadAddress passed it
 *    meanwhile (the same split as the hybrid log's LogScanner). REQUIRES: the range is below
 *    FlushedUntilAddress where it is below HeadAddress (always true: head <= flushedUntil).
 * Thread rules: one thread; an image belongs to one reader; async loads of one image must
 * not overlap.
 */
import type { Device } from '../device/device.js';
import { corruption, type FasterError } from '../errors.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { NativeBinding } from '../native.js';

const ALIGNMENT = 4096;

export class PageImage {
  readonly bytes: Uint8Array;
  page = -1;
  validFrom = 0;
  validUntil = 0;
  /** Bytes below this offset came from the device. */
  deviceUntil = 0;

  constructor(binding: NativeBinding, readonly pageBytes: number) {
    const raw = new Uint8Array(new ArrayBuffer(pageBytes + ALIGNMENT));
    const skip = binding.alignmentOffset(raw, ALIGNMENT);
    this.bytes = raw.subarray(skip, skip + pageBytes);
  }

  /** Whether [from, to) of `page` is already in the image. */
  holds(page: number, from: number, to: number): boolean {
    return this.page === page && this.validFrom <= from && to <= this.validUntil;
  }

  /** Forgets the content (after the source's bytes may have changed). */
  reset(): void {
    this.page = -1;
    this.validFrom = 0;
    this.validUntil = 0;
    this.deviceUntil = 0;
  }
}

export interface PageSource {
  /** Makes bytes [from, to) of `page` valid in `image` (offsets in the page). */
  loadSync(image: PageImage, page: number, from: number, to: number): void;
  load(image: PageImage, page: number, from: number, to: number): Promise<void>;
}

/** Reads pages from a device. */
export class DeviceSource implements PageSource {
  constructor(readonly device: Device, private readonly pageBytes: number) {}

  loadSync(image: PageImage, page: number, from: number, to: number): void {
    const { start, end } = this.span(image, page, from, to);
    if (end > start) {
      this.device.readSync(image.bytes.subarray(start, end), page * this.pageBytes + start);
    }
    settle(image, page, from, to, to);
  }

  async load(image: PageImage, page: number, from: number, to: number): Promise<void> {
    const { start, end } = this.span(image, page, from, to);
    if (end > start) {
      await this.device.read(image.bytes.subarray(start, end), page * this.pageBytes + start);
    }
    settle(image, page, from, to, to);
  }

  /** The sector-aligned range still to read, reusing what the image holds of the page. */
  private span(image: PageImage, page: number, from: number, to: number):
    { start: number; end: number } {
    const sector = this.device.sectorBytes;
    const reuse = image.page === page && image.validFrom <= from && image.validUntil >= from;
    const first = reuse ? image.validUntil : from;
    const start = first - (first % sector);
    const end = Math.min(Math.ceil(to / sector) * sector, this.pageBytes);
    return { start, end };
  }
}

/** Reads pages of a live hybrid log: device below HeadAddress, frames above. */
export class LogSource implements PageSource {
  private readonly device: DeviceSource;

  constructor(private readonly log: HybridLog) {
    this.device = new DeviceSource(log.device, log.pageBytes);
  }

  loadSync(image: PageImage, page: number, from: number, to: number): void {
    for (;;) {
      const memoryFrom = this.copyResident(image, page, from, to);
      if (memoryFrom < 0) return;
      this.device.loadSync(image, page, from, memoryFrom);
    }
  }

  async load(image: PageImage, page: number, from: number, to: number): Promise<void> {
    for (;;) {
      const memoryFrom = this.copyResident(image, page, from, to);
      if (memoryFrom < 0) return;
      await this.device.load(image, page, from, memoryFrom);
    }
  }

  /**
   * Under epoch protection: if the image already holds [from, start of the in-memory part),
   * copies the in-memory part up to `to` and returns -1; otherwise returns where the
   * in-memory part starts (the caller reads up to there from the device first).
   */
  private copyResident(image: PageImage, page: number, from: number, to: number): number {
    const log = this.log;
    const pageStart = page * log.pageBytes;
    log.epoch.protect();
    try {
      const memoryFrom = Math.min(to, Math.max(from, log.headAddress - pageStart));
      const deviceHeld = image.page === page && image.validFrom <= from &&
        image.validUntil >= memoryFrom;
      if (memoryFrom > from && !deviceHeld) return memoryFrom;
      if (memoryFrom < to) {
        const at = log.physicalOffset(pageStart + memoryFrom);
        image.bytes.set(log.memory.subarray(at, at + to - memoryFrom), memoryFrom);
      }
      settle(image, page, from, to, memoryFrom > from ? image.deviceUntil : from);
      return -1;
    } finally {
      log.epoch.unprotect();
    }
  }
}

/** Records that [from, to) of `page` is valid, device bytes ending at `deviceUntil`. */
function settle(image: PageImage, page: number, from: number, to: number,
  deviceUntil: number): void {
  if (image.page === page && image.validFrom <= from && image.validUntil >= from) {
    image.validUntil = Math.max(image.validUntil, to);
    image.deviceUntil = Math.max(image.deviceUntil, deviceUntil);
    return;
  }
  image.page = page;
  image.validFrom = from;
  image.validUntil = to;
  image.deviceUntil = deviceUntil;
}

/** An ERR_CORRUPTION naming the segment file of `device` and offset holding log `address`. */
export function corruptionAt(device: Device, address: number, what: string): FasterError {
  const segment = Math.floor(address / device.segmentBytes);
  return corruption(`${device.name}.${segment}`, address - segment * device.segmentBytes,
    `${what} (log address ${address})`);
}
