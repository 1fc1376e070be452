/**
 * Reading a FasterLog directory without changing it, for `fasterkv inspect`, `verify` and
 * `log`: what the directory holds (format versions, geometry, the commit a writer would
 * recover, the commit history the metadata ring keeps, named iterators, cookie, segment
 * files), and the pieces log-pages.ts (entries read from the segments) and log-verify.ts
 * (every checksum) build on.
 *
 * Never takes the lock and never writes: the metadata ring is read as a file, the segments
 * through a read-only device, and recovery (src/fasterlog/recovery.ts, which writes nothing)
 * decides the commit exactly as a writer's open would. A writer may be running meanwhile;
 * then its newest commits may or may not be seen.
 *
 * The ring is read as a file and decoded with commit-store.ts's scanRingImage, which also
 * names each damaged record's offset for `verify`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../device/device.js';
import { FasterError } from '../errors.js';
import { COMMIT_RECORD_VERSION } from '../fasterlog/commit-metadata.js';
import {
  COMMIT_DEVICE_NAME, RING_VERSION, scanRingImage, type RingContents, type RingDamage,
  type RingEntry,
} from '../fasterlog/commit-store.js';
import { LOG_DEVICE_NAME } from '../fasterlog/layout.js';
import { recover } from '../fasterlog/recovery.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import { readLock, type FileInfo } from './store-directory.js';

/** The ring's file: the commit device's one segment. */
export const COMMIT_FILE_NAME = `${COMMIT_DEVICE_NAME}.0`;
/** Names of a FasterLog's files: the ring and the log segments. */
export const LOG_SEGMENT_PATTERN = /^fasterlog\.log\.\d+$/;

const RING_RECORD_ALIGNMENT = 4096;
export const SECTOR_BYTES = 4096;
const ENTRY_FORMAT_VERSION = 1;

/** Format versions this package reads (each is checked where it is stored). */
export const LOG_FORMATS = {
  entry: ENTRY_FORMAT_VERSION, commitRecord: COMMIT_RECORD_VERSION, commitMetadata: RING_VERSION,
} as const;

/** One commit-metadata record the ring holds. */
export interface RingRecordInfo {
  readonly sequence: number;
  /** Offset of the record in the ring file. */
  readonly offset: number;
  readonly commitNumber: number;
  /** A writer's open (it repeats the recovered commit), not a commit. */
  readonly anchor: boolean;
  readonly beginAddress: number;
  readonly untilAddress: number;
  readonly time: string;
  readonly iterators: number;
  /** Cookie length in bytes; null when the commit has none. */
  readonly cookieBytes: number | null;
}

export interface CookieInfo {
  readonly bytes: number;
  readonly hex: string;
  /** The cookie as text, when it is printable UTF-8. */
  readonly utf8: string | undefined;
}

export interface LogReport {
  readonly kind: 'fasterlog';
  readonly dir: string;
  readonly formats: typeof LOG_FORMATS;
  readonly pageBytes: number | undefined;
  readonly segmentBytes: number | undefined;
  /** The LOCK file's contents (the writer holding the directory), when present. */
  readonly lock: string | undefined;
  /** The commit a writer's open would recover. */
  readonly commitNumber: number;
  /** Where it was found: 'none' (nothing committed), 'metadata' (the ring) or 'log'. */
  readonly commitSource: 'none' | 'metadata' | 'log';
  readonly committedAt: string | undefined;
  readonly beginAddress: number;
  readonly committedUntilAddress: number;
  /** Where intact entries on disk end: past committedUntilAddress they were never committed. */
  readonly tailAddress: number;
  /** Bytes of intact entries past the commit point (a writer's next open drops them). */
  readonly uncommittedBytes: number;
  /** Committed bytes recovery would drop because they are damaged, and what it found. */
  readonly damagedTailBytes: number;
  readonly damage: string | undefined;
  readonly iterators: { name: string; completedUntilAddress: number }[];
  readonly cookie: CookieInfo | undefined;
  /** The commit history the metadata ring keeps, newest first. */
  readonly commits: RingRecordInfo[];
  readonly damagedMetadataRecords: { offset: number; reason: string }[];
  readonly metadataFile: FileInfo;
  readonly segments: FileInfo[];
}

/** Whether a directory listing looks like a FasterLog's. */
export function isLogDirectory(names: readonly string[]): boolean {
  return names.includes(COMMIT_FILE_NAME) || names.some((n) => LOG_SEGMENT_PATTERN.test(n));
}

export interface RingScan {
  readonly path: string;
  readonly bytes: number;
  /** Valid records, ascending by sequence. */
  readonly records: RingEntry[];
  readonly damaged: RingDamage[];
}

/**
 * Reads every record of the ring file. A record of a newer format version is
 * ERR_FORMAT_VERSION naming the file and offset; a missing ring is an empty one.
 */
export function scanRing(dir: string, binding: NativeBinding): RingScan {
  const path = join(dir, COMMIT_FILE_NAME);
  if (!existsSync(path)) return { path, bytes: 0, records: [], damaged: [] };
  const image = readFileSync(path);
  const scan = scanRingImage(binding, image, RING_RECORD_ALIGNMENT, path);
  return { path, bytes: image.length, ...scan };
}

export function ringContents(scan: RingScan): RingContents {
  return { records: scan.records, damaged: scan.damaged.length };
}

/** The geometry the newest ring record holds; undefined for a log never committed to. */
export function geometryOf(scan: RingScan):
  { pageBytes: number; segmentBytes: number } | undefined {
  const newest = scan.records[scan.records.length - 1]?.commit;
  return newest === undefined ? undefined
    : { pageBytes: newest.pageBytes, segmentBytes: newest.segmentBytes };
}

function fileInfo(dir: string, name: string): FileInfo {
  return { name, bytes: statSync(join(dir, name)).size };
}

/** A read-only device on the log's segment files of `storage`. */
export function openLogDevice(storage: DirectoryStorage, geometry: { segmentBytes: number }):
  Device {
  return storage.openDevice(LOG_DEVICE_NAME, {
    segmentBytes: geometry.segmentBytes, sectorBytes: SECTOR_BYTES, readOnly: true,
    direct: false,
  });
}

/** Runs `use` over a read-only device on the log's segment files. */
export function withLog<T>(dir: string, binding: NativeBinding,
  geometry: { pageBytes: number; segmentBytes: number },
  use: (device: Device, pageBytes: number) => T): T {
  const storage = new DirectoryStorage(dir, binding, { create: false });
  try {
    const device = openLogDevice(storage, geometry);
    try {
      return use(device, geometry.pageBytes);
    } finally {
      device.close();
    }
  } finally {
    storage.close();
  }
}

export function inspectLog(dir: string, binding: NativeBinding): LogReport {
  const storage = new DirectoryStorage(dir, binding, { create: false });
  const path = storage.path;
  storage.close();
  const scan = scanRing(path, binding);
  const segmentNames = segmentFiles(path);
  if (scan.records.length === 0 && segmentNames.length > 0) {
    throw new FasterError('ERR_CORRUPTION', `${path} holds log segments but no valid commit ` +
      `metadata (${scan.bytes === 0 ? `${COMMIT_FILE_NAME} is missing`
        : `${scan.damaged.length} damaged record(s)`}); what was committed is unknown`,
    { path: scan.path });
  }
  const geometry = geometryOf(scan);
  const recovered = geometry === undefined ? undefined
    : withLog(path, binding, geometry, (device, pageBytes) => recover({
      binding, device, pageBytes, ring: ringContents(scan), ringCreated: false,
      onCorruption: 'truncate', recoverTo: undefined,
    }));
  const report = recovered?.report;
  const record = recovered?.record;
  return {
    kind: 'fasterlog', dir: path, formats: LOG_FORMATS,
    pageBytes: geometry?.pageBytes, segmentBytes: geometry?.segmentBytes, lock: readLock(path),
    commitNumber: report?.commitNumber ?? 0, commitSource: report?.source ?? 'none',
    committedAt: record === undefined ? undefined : new Date(record.timeMs).toISOString(),
    beginAddress: report?.beginAddress ?? FIRST_VALID_ADDRESS,
    committedUntilAddress: report?.committedUntilAddress ?? FIRST_VALID_ADDRESS,
    tailAddress: (report?.committedUntilAddress ?? FIRST_VALID_ADDRESS) +
      (report?.discardedBytes ?? 0),
    uncommittedBytes: report?.discardedBytes ?? 0,
    damagedTailBytes: report?.truncatedBytes ?? 0, damage: report?.corruption,
    iterators: Object.entries(report?.iterators ?? {})
      .map(([name, completedUntilAddress]) => ({ name, completedUntilAddress })),
    cookie: record?.cookie === undefined ? undefined : cookieInfo(record.cookie),
    commits: scan.records.map(ringRecordInfo).reverse(),
    damagedMetadataRecords: scan.damaged,
    metadataFile: scan.bytes === 0 ? { name: COMMIT_FILE_NAME, bytes: 0 }
      : fileInfo(path, COMMIT_FILE_NAME),
    segments: segmentNames.map((n) => fileInfo(path, n)),
  };
}

export function segmentFiles(dir: string): string[] {
  const storage = new DirectoryStorage(dir, undefined, { create: false });
  try {
    return storage.list(`${LOG_DEVICE_NAME}.`).filter((n) => LOG_SEGMENT_PATTERN.test(n))
      .sort((a, b) => segmentNumber(a) - segmentNumber(b));
  } finally {
    storage.close();
  }
}

function segmentNumber(name: string): number {
  return Number(name.slice(name.lastIndexOf('.') + 1));
}

function ringRecordInfo(entry: RingEntry): RingRecordInfo {
  const c = entry.commit;
  return {
    sequence: entry.sequence, offset: entry.position, commitNumber: c.commitNumber,
    anchor: c.anchor, beginAddress: c.beginAddress, untilAddress: c.untilAddress,
    time: new Date(c.timeMs).toISOString(), iterators: c.iterators.size,
    cookieBytes: c.cookie === undefined ? null : c.cookie.length,
  };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as text when they are UTF-8 without control characters; else undefined. */
export function printableUtf8(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
  return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? undefined : text;
}

function cookieInfo(cookie: Uint8Array): CookieInfo {
  return { bytes: cookie.length, hex: Buffer.from(cookie).toString('hex'),
    utf8: printableUtf8(cookie) };
}

