/**
 * Snapshot file (`checkpoints/<token>/snapshot.N`, a device): the in-memory pages a snapshot
 * checkpoint copies instead of folding them into the main log (digest §7.3 WAIT_FLUSH,
 * Snapshot). Pages [firstPage, firstPage + N) of the log, each image exactly as recovery must
 * load it: record checksums filled in, bytes at and after finalAddress zeroed.
 *
 * Format version 1, little-endian, at device offsets:
 *
 *   offset  size   field
 *   0       4      magic 'FKVS' (0x53564B46)
 *   4       4      format version (1)
 *   8       4      header length H: 56 + 4N rounded up to the sector size
 *   12      4      CRC32C of bytes [0, 12) then [16, 56 + 4N)
 *   16      16     token of the checkpoint
 *   32      8      firstPage
 *   40      4      page count N
 *   44      4      pageBytes
 *   48      8      finalAddress
 *   56      4N     CRC32C of each page image
 *   H       N*P    page firstPage + i at H + i * pageBytes
 *
 * The magic, header length and CRC are checked before the format version (a damaged version
 * field is damage). Pages are written first and the header last, then the device is synced;
 * the checkpoint's metadata is written after that. A truncated or damaged file fails the
 * header or a page checksum (missing bytes read as zeros): ERR_CORRUPTION naming the segment
 * file and offset.
 * Thread rules: one thread (the checkpoint driver, or recovery).
 */
import type { Device } from '../device/device.js';
import { corruption, FasterError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { ByteReader, ByteWriter } from './binary.js';
import { snapshotName, tokenBytes, tokenFromBytes } from './naming.js';

export const SNAPSHOT_MAGIC = 0x53564b46;
export const SNAPSHOT_VERSION = 1;
const FIXED_BYTES = 56;

type Crc = (data: Uint8Array, seed: number) => number;

export interface SnapshotLayout {
  readonly token: string;
  readonly firstPage: number;
  readonly pageCount: number;
  readonly pageBytes: number;
  readonly finalAddress: number;
}

function headerBytes(pageCount: number, sectorBytes: number): number {
  const n = FIXED_BYTES + 4 * pageCount;
  return Math.ceil(n / sectorBytes) * sectorBytes;
}

/** Writes a snapshot: `writePage` for each page in order, then `finish`. */
export class SnapshotWriter {
  readonly device: Device;
  private readonly crcs: number[] = [];
  private readonly dataStart: number;

  constructor(storage: Storage, readonly layout: SnapshotLayout, segmentBytes: number,
    sectorBytes: number, private readonly crc32c: Crc) {
    this.device = storage.openDevice(snapshotName(layout.token), { segmentBytes, sectorBytes });
    this.dataStart = headerBytes(layout.pageCount, sectorBytes);
  }

  /** Writes the image of page `firstPage + i`. REQUIRES: pages in order; `image` untouched
   * until the promise settles. */
  async writePage(i: number, image: Uint8Array): Promise<void> {
    this.crcs.push(this.crc32c(image, 0) >>> 0);
    await this.device.write(image, this.dataStart + i * this.layout.pageBytes);
  }

  /** Writes the header and makes the file durable. */
  async finish(): Promise<void> {
    const { layout } = this;
    const w = new ByteWriter();
    w.u32(SNAPSHOT_MAGIC).u32(SNAPSHOT_VERSION).u32(this.dataStart).u32(0);
    w.raw(tokenBytes(layout.token)).u64(layout.firstPage).u32(layout.pageCount)
      .u32(layout.pageBytes).u64(layout.finalAddress);
    for (const c of this.crcs) w.u32(c);
    const header = new Uint8Array(this.dataStart);
    header.set(w.finish());
    new DataView(header.buffer).setUint32(12, headerCrc(header, layout.pageCount, this.crc32c),
      true);
    await this.device.write(header, 0);
    await this.device.sync();
  }

  close(): void {
    this.device.close();
  }
}

/** Reads a snapshot written by SnapshotWriter, verifying every byte it hands out. */
export class SnapshotReader {
  readonly layout: SnapshotLayout;
  private readonly device: Device;
  private readonly crcs: number[];
  private readonly dataStart: number;

  constructor(storage: Storage, token: string, segmentBytes: number, sectorBytes: number,
    private readonly crc32c: Crc) {
    this.device = storage.openDevice(snapshotName(token), {
      segmentBytes, sectorBytes, readOnly: true,
    });
    try {
      const first = new Uint8Array(sectorBytes);
      this.device.readSync(first, 0);
      const path = this.fileOf(0);
      const dataStart = new DataView(first.buffer).getUint32(8, true);
      if (dataStart < sectorBytes || dataStart % sectorBytes !== 0 || dataStart > 2 ** 30) {
        throw corruption(path, 8, 'bad snapshot header length');
      }
      const header = new Uint8Array(dataStart);
      this.device.readSync(header, 0);
      const r = new ByteReader(header, path);
      const parsed = parseHeader(r, path, crc32c, token);
      this.layout = parsed.layout;
      this.crcs = parsed.crcs;
      this.dataStart = dataStart;
      if (headerBytes(this.layout.pageCount, sectorBytes) !== dataStart) {
        throw corruption(path, 8, 'header length does not match the page count');
      }
    } catch (err) {
      this.device.close();
      throw err;
    }
  }

  /** Reads page `firstPage + i` into `dst` (pageBytes) and verifies it. */
  readPage(i: number, dst: Uint8Array): void {
    const offset = this.dataStart + i * this.layout.pageBytes;
    this.device.readSync(dst, offset);
    this.verifyPage(i, dst, offset);
  }

  /** `readPage` on the device's I/O threads; `dst` untouched until the promise settles. */
  async readPageAsync(i: number, dst: Uint8Array): Promise<void> {
    const offset = this.dataStart + i * this.layout.pageBytes;
    await this.device.read(dst, offset);
    this.verifyPage(i, dst, offset);
  }

  close(): void {
    this.device.close();
  }

  private verifyPage(i: number, page: Uint8Array, offset: number): void {
    if ((this.crc32c(page, 0) >>> 0) !== this.crcs[i]) {
      throw corruption(this.fileOf(offset), offset % this.device.segmentBytes,
        `snapshot page ${this.layout.firstPage + i} checksum mismatch`);
    }
  }

  private fileOf(offset: number): string {
    return `${this.device.name}.${Math.floor(offset / this.device.segmentBytes)}`;
  }
}

function parseHeader(r: ByteReader, path: string, crc32c: Crc, token: string):
  { layout: SnapshotLayout; crcs: number[] } {
  if (r.u32() !== SNAPSHOT_MAGIC) throw corruption(path, 0, 'not a snapshot file (bad magic)');
  const version = r.u32();
  r.u32();
  const crc = r.u32();
  const fileToken = tokenFromBytes(r.raw(16));
  const firstPage = r.u64();
  const pageCount = r.count(4);
  const pageBytes = r.u32();
  const finalAddress = r.u64();
  if (crc !== headerCrc(r.bytes, pageCount, crc32c)) {
    throw corruption(path, 12, 'snapshot header checksum mismatch');
  }
  if (version !== SNAPSHOT_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION', `${path}: snapshot format version ${version}; ` +
      `this build reads ${SNAPSHOT_VERSION}`, { path, offset: 4 });
  }
  if (fileToken !== token) throw corruption(path, 16, 'snapshot of another checkpoint');
  const crcs = Array.from({ length: pageCount }, () => r.u32());
  return { layout: { token, firstPage, pageCount, pageBytes, finalAddress }, crcs };
}

function headerCrc(header: Uint8Array, pageCount: number, crc32c: Crc): number {
  const end = FIXED_BYTES + 4 * pageCount;
  if (end > header.length) return -1;
  return crc32c(header.subarray(16, end), crc32c(header.subarray(0, 12), 0)) >>> 0;
}
