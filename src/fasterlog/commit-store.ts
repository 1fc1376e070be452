/**
 * CommitStore: FasterLog's commit metadata, a ring of self-checking records on the device
 * `fasterlog.commits` (one segment file, `fasterlog.commits.0`, of RING_BYTES).
 *
 * Ring record (format version 1), at a sector-aligned position, taking whole sectors:
 *
 *   offset size field
 *    0     4   magic "FLMR" (0x524d4c46 LE)
 *    4     2   format version (1)
 *    6     2   reserved, zero
 *    8     4   length of the ring record in bytes (24 + the commit record's length)
 *   12     4   checksum: CRC32C of bytes [0, 12) followed by bytes [16, length)
 *   16     8   sequence number (one more than the previous ring record's)
 *   24     ..  commit record (commit-metadata.ts)
 *
 * Why a ring and not a file replaced per commit: a commit in 'immediate' mode must not wait
 * for temp-file + fsync + rename + directory fsync; a ring write is one write and one
 * fdatasync, issued asynchronously. It is as safe: a new record goes after the newest one
 * (wrapping to the start when it would not fit), so it only ever overwrites the OLDEST
 * records, and a crash during the write can damage nothing but the record being written:
 * recovery takes the valid record with the highest sequence number, falling back past a
 * damaged newest one. The ring is filled with zeros when created, so later writes overwrite
 * allocated blocks (their fdatasync costs about half that of a write that grows the file).
 * The ring keeps the last RING_BYTES / 4 KiB commits or more, for recovery to older commits.
 * Thread rules: one thread (the log's owner); several writes may be in flight at once.
 */
import type { Device } from '../device/device.js';
import { assert, FasterError } from '../errors.js';
import type { NativeBinding } from '../native.js';
import type { Storage } from '../storage/storage.js';
import {
  commitRecordLength, decodeCommitRecord, encodeCommitRecord, readU64, writeU64,
  type CommitRecord, type DecodedCommit,
} from './commit-metadata.js';
import { crc32cRange, readU32, writeU32 } from './log-entry.js';

export const COMMIT_DEVICE_NAME = 'fasterlog.commits';
export const RING_BYTES = 1 << 20;
const RING_MAGIC = 0x524d4c46;
export const RING_VERSION = 1;
const RING_HEADER_BYTES = 24;
const ALIGNMENT = 4096;
const FOLLOW_WINDOW = 64 * 1024;

/** One valid record found in the ring. */
export interface RingEntry {
  readonly sequence: number;
  readonly position: number;
  readonly commit: DecodedCommit;
}

export interface RingContents {
  /** Valid records, ascending by sequence. */
  readonly records: RingEntry[];
  /** Positions that start a ring record but fail its checks (torn or corrupt). */
  readonly damaged: number;
}

/** A record encoded and placed, ready to write. */
export interface RingWrite {
  readonly sequence: number;
  readonly position: number;
  readonly buffer: Uint8Array;
  /** The commit record's checksum (its identity in the chain). */
  readonly checksum: number;
}

export class CommitStore {
  readonly device: Device;
  /** The highest commit number `prepare` placed; ring order must stay commit order. */
  lastPreparedCommitNumber = -1;
  private nextSequence = 1;
  private nextPosition = 0;

  private constructor(private readonly binding: NativeBinding, device: Device) {
    this.device = device;
  }

  /**
   * Opens the ring of `storage`. A writer creates (and zero-fills, durably) a missing one;
   * `created` says whether it did. A reader gets undefined when there is none.
   */
  static open(storage: Storage, binding: NativeBinding, readOnly: boolean):
    { store: CommitStore; created: boolean } | undefined {
    const exists = storage.list(`${COMMIT_DEVICE_NAME}.`).length > 0;
    if (!exists && readOnly) return undefined;
    const device = storage.openDevice(COMMIT_DEVICE_NAME, { segmentBytes: RING_BYTES,
      readOnly });
    const store = new CommitStore(binding, device);
    if (!exists) {
      device.writeSync(store.alignedBuffer(RING_BYTES), 0);
      device.syncSync();
    }
    return { store, created: !exists };
  }

  /** Reads the whole ring; positions the next write after its newest valid record. */
  readAll(): RingContents {
    const image = this.alignedBuffer(RING_BYTES);
    this.device.readSync(image, 0);
    const { records, damaged } = scanRingImage(this.binding, image, this.device.sectorBytes,
      this.fileName);
    const newest = records[records.length - 1];
    if (newest !== undefined) {
      this.nextSequence = newest.sequence + 1;
      this.nextPosition = newest.position + this.sizeOf(newest.commit.length);
    }
    return { records, damaged: damaged.length };
  }

  /**
   * The newest valid record with a sequence above `afterSequence`, for a reader following a
   * writer: reads a window at the position the next record should have, and the whole ring
   * when new records reach the window's second half (or the window would wrap).
   */
  readNewest(afterSequence: number): RingEntry | undefined {
    const start = this.nextPosition;
    if (start + FOLLOW_WINDOW > RING_BYTES) return this.newestOf(this.readAll(), afterSequence);
    const image = this.alignedBuffer(FOLLOW_WINDOW);
    this.device.readSync(image, start);
    const sector = this.device.sectorBytes;
    let newest: RingEntry | undefined;
    let reachedEnd = false;
    for (let at = 0; at + RING_HEADER_BYTES <= FOLLOW_WINDOW; at += sector) {
      if (readU32(image, at) !== RING_MAGIC) continue;
      const entry = decodeRingRecord(this.binding, image, at, this.fileName, start);
      if (typeof entry === 'string' || entry.sequence <= afterSequence) continue;
      if (newest === undefined || entry.sequence > newest.sequence) newest = entry;
      reachedEnd ||= at >= FOLLOW_WINDOW / 2;
    }
    if (reachedEnd) return this.newestOf(this.readAll(), afterSequence);
    if (newest !== undefined) {
      this.nextSequence = newest.sequence + 1;
      this.nextPosition = newest.position + this.sizeOf(newest.commit.length);
    }
    return newest;
  }

  /** Encodes `record` as the next ring record (sequence and position assigned in order). */
  prepare(record: CommitRecord): RingWrite {
    const length = RING_HEADER_BYTES + commitRecordLength(record.iterators, record.cookie);
    const size = this.sizeOf(length - RING_HEADER_BYTES);
    assert(size <= RING_BYTES / 4, 'commit record too large for the ring');
    let position = this.nextPosition;
    if (position + size > RING_BYTES) position = 0;
    this.nextPosition = position + size;
    const sequence = this.nextSequence++;
    assert(record.commitNumber >= this.lastPreparedCommitNumber, 'ring records out of order');
    this.lastPreparedCommitNumber = record.commitNumber;
    const buffer = this.alignedBuffer(size);
    writeU32(buffer, 0, RING_MAGIC);
    buffer[4] = RING_VERSION;
    writeU32(buffer, 8, length);
    writeU64(buffer, 16, sequence);
    const checksum = encodeCommitRecord(this.binding, record, buffer, RING_HEADER_BYTES);
    writeU32(buffer, 12, ringChecksum(this.binding, buffer, 0, length));
    return { sequence, position, buffer, checksum };
  }

  /** Writes a prepared record and makes it durable, blocking the thread (used at open). */
  writeSync(write: RingWrite): void {
    this.device.writeSync(write.buffer, write.position);
    this.device.syncSync();
  }

  /** Writes a prepared record and resolves once it is durable. */
  async write(write: RingWrite): Promise<void> {
    await this.device.write(write.buffer, write.position);
    await this.device.sync();
  }

  close(): void {
    this.device.close();
  }

  private newestOf(contents: RingContents, afterSequence: number): RingEntry | undefined {
    const newest = contents.records[contents.records.length - 1];
    return newest !== undefined && newest.sequence > afterSequence ? newest : undefined;
  }

  /** The ring's file, as errors name it. */
  private get fileName(): string {
    return `${this.device.name}.0`;
  }

  /** Bytes a ring record holding a commit record of `commitLength` bytes takes. */
  private sizeOf(commitLength: number): number {
    const sector = this.device.sectorBytes;
    return Math.ceil((RING_HEADER_BYTES + commitLength) / sector) * sector;
  }

  private alignedBuffer(length: number): Uint8Array {
    const raw = new Uint8Array(new ArrayBuffer(length + ALIGNMENT));
    const skip = this.binding.alignmentOffset(raw, ALIGNMENT);
    return raw.subarray(skip, skip + length);
  }
}

function ringChecksum(binding: NativeBinding, bytes: Uint8Array, at: number,
  length: number): number {
  const crc = crc32cRange(binding, bytes, at, at + 12, 0);
  return crc32cRange(binding, bytes, at + 16, at + length, crc);
}

/** A ring record that failed its checks: its offset in the ring, and why. */
export interface RingDamage {
  readonly offset: number;
  readonly reason: string;
}

/**
 * Every ring record of `image` (the ring from offset `base`; records start at multiples of
 * `step`): the valid ones ascending by sequence, and the damaged ones. ERR_FORMAT_VERSION for a
 * record of a newer format, naming `file` and its offset.
 */
export function scanRingImage(binding: NativeBinding, image: Uint8Array, step: number,
  file: string, base = 0): { records: RingEntry[]; damaged: RingDamage[] } {
  const records: RingEntry[] = [];
  const damaged: RingDamage[] = [];
  for (let at = 0; at + RING_HEADER_BYTES <= image.length; at += step) {
    if (readU32(image, at) !== RING_MAGIC) continue;
    const entry = decodeRingRecord(binding, image, at, file, base);
    if (typeof entry === 'string') damaged.push({ offset: base + at, reason: entry });
    else records.push(entry);
  }
  records.sort((a, b) => a.sequence - b.sequence);
  return { records, damaged };
}

/** The ring record at `at` of `image` (the ring from `base`), or why it is damaged. */
export function decodeRingRecord(binding: NativeBinding, image: Uint8Array, at: number,
  file: string, base = 0): RingEntry | string {
  const length = readU32(image, at + 8);
  if (length < RING_HEADER_BYTES || at + length > image.length) return `bad length ${length}`;
  if (ringChecksum(binding, image, at, length) !== readU32(image, at + 12)) {
    return 'checksum mismatch';
  }
  const version = image[at + 4]! | (image[at + 5]! << 8);
  const offset = base + at;
  const where = `${file} at offset ${offset}`;
  if (version !== RING_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION', `${where} holds commit metadata of format ` +
      `version ${version}; this version reads version ${RING_VERSION}`, { path: file, offset });
  }
  const commit = decodeCommitRecord(binding, image, at + RING_HEADER_BYTES, at + length, where);
  if (typeof commit === 'string') return `commit record: ${commit}`;
  return { sequence: readU64(image, at + 16), position: offset, commit };
}
