/**
 * Reading a FasterLog directory without changing it, for `fasterkv inspect`, `verify` and
 * `log`: what the directory holds (format versions, geometry, the commit a writer would
 * recover, the commit history the metadata ring keeps, named iterators, cookie, segment
 * files), whether every checksum holds, and the intact entries a crashed writer left past its
 * commit point.
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
import {
  COMMIT_RECORD_VERSION, decodeCommitRecord, type CommitRecord,
} from '../fasterlog/commit-metadata.js';
import {
  COMMIT_DEVICE_NAME, RING_BYTES, RING_VERSION, scanRingImage, type RingContents, type RingDamage,
  type RingEntry,
} from '../fasterlog/commit-store.js';
import { LOG_DEVICE_NAME } from '../fasterlog/layout.js';
import {
  checkEntry, ENTRY_END, ENTRY_HEADER_BYTES, KIND_DATA, KIND_PADDING,
  readU32, wordKind, wordLength,
} from '../fasterlog/log-entry.js';
import { EntryReader, recover } from '../fasterlog/recovery.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import { readLock, type FileInfo } from './store-directory.js';
import type { Problem } from './verify-log.js';

/** The ring's file: the commit device's one segment. */
export const COMMIT_FILE_NAME = `${COMMIT_DEVICE_NAME}.0`;
/** Names of a FasterLog's files: the ring and the log segments. */
export const LOG_SEGMENT_PATTERN = /^fasterlog\.log\.\d+$/;

const RING_RECORD_ALIGNMENT = 4096;
const SECTOR_BYTES = 4096;
const ENTRY_FORMAT_VERSION = 1;
/** Stops collecting after this many problems: a wholly damaged log would flood the report. */
const MAX_PROBLEMS = 100;

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

export interface LogVerifyReport {
  readonly kind: 'fasterlog';
  readonly dir: string;
  readonly problems: Problem[];
  /** Findings that are not damage of committed data (a crash's torn, uncommitted tail). */
  readonly warnings: string[];
  readonly metadataRecordsChecked: number;
  readonly entriesChecked: number;
  readonly commitRecordsChecked: number;
  readonly bytesChecked: number;
  readonly commitNumber: number;
  readonly beginAddress: number;
  readonly committedUntilAddress: number;
}

/** Whether a directory listing looks like a FasterLog's. */
export function isLogDirectory(names: readonly string[]): boolean {
  return names.includes(COMMIT_FILE_NAME) || names.some((n) => LOG_SEGMENT_PATTERN.test(n));
}

interface RingScan {
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

function ringContents(scan: RingScan): RingContents {
  return { records: scan.records, damaged: scan.damaged.length };
}

/** The geometry the newest ring record holds; undefined for a log never committed to. */
function geometryOf(scan: RingScan): { pageBytes: number; segmentBytes: number } | undefined {
  const newest = scan.records[scan.records.length - 1]?.commit;
  return newest === undefined ? undefined
    : { pageBytes: newest.pageBytes, segmentBytes: newest.segmentBytes };
}

function fileInfo(dir: string, name: string): FileInfo {
  return { name, bytes: statSync(join(dir, name)).size };
}

/** Runs `use` over a read-only device on the log's segment files. */
function withLog<T>(dir: string, binding: NativeBinding,
  geometry: { pageBytes: number; segmentBytes: number },
  use: (device: Device, pageBytes: number) => T): T {
  const storage = new DirectoryStorage(dir, binding, { create: false });
  try {
    const device = storage.openDevice(LOG_DEVICE_NAME, {
      segmentBytes: geometry.segmentBytes, sectorBytes: SECTOR_BYTES, readOnly: true,
      direct: false,
    });
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

function segmentFiles(dir: string): string[] {
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
    const device = storage.openDevice(LOG_DEVICE_NAME, {
      segmentBytes: geometry.segmentBytes, sectorBytes: SECTOR_BYTES, readOnly: true,
      direct: false,
    });
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

/**
 * Checks every checksum of a FasterLog directory: each commit-metadata record in the ring,
 * and each entry from the committed begin address to the committed-until address (the
 * newest valid metadata record, carried forward by the commit records in the log that
 * continue its chain, exactly as recovery finds it). A commit record entry must also decode.
 * Past the commit point nothing is vouched for: a damaged entry there is a warning (a crash
 * tears the uncommitted tail this way), not a problem.
 */
export function verifyLog(dir: string, binding: NativeBinding,
  progress: (done: number, total: number) => void = () => {}): LogVerifyReport {
  const storage = new DirectoryStorage(dir, binding, { create: false });
  const path = storage.path;
  storage.close();
  const scan = scanRing(path, binding);
  const problems: Problem[] = scan.damaged.map((d) => ({
    file: scan.path, offset: d.offset,
    message: `commit-metadata record: ${d.reason} (recovery skips it; a write torn by a ` +
      'crash also looks like this)',
  }));
  const warnings: string[] = [];
  if (scan.bytes !== 0 && scan.bytes !== RING_BYTES) {
    problems.push({ file: scan.path, offset: scan.bytes,
      message: `the ring is ${scan.bytes} bytes; it is created with ${RING_BYTES}` });
  }
  const base = {
    kind: 'fasterlog' as const, dir: path, problems, warnings,
    metadataRecordsChecked: scan.records.length + scan.damaged.length,
  };
  const newest = scan.records[scan.records.length - 1];
  if (newest === undefined) {
    if (segmentFiles(path).length > 0) {
      problems.push({ file: scan.path, offset: 0, message: scan.bytes === 0
        ? 'missing: the directory holds log segments but no commit metadata'
        : 'no valid commit-metadata record: what was committed is unknown' });
    }
    return { ...base, entriesChecked: 0, commitRecordsChecked: 0, bytesChecked: 0,
      commitNumber: 0, beginAddress: FIRST_VALID_ADDRESS,
      committedUntilAddress: FIRST_VALID_ADDRESS };
  }
  return withLog(path, binding, newest.commit, (device, pageBytes) => {
    const chain = new EntryReader({ binding, device, pageBytes })
      .followChain({ record: newest.commit, checksum: newest.commit.checksum }, undefined);
    const tip = chain.tip.record;
    const pages = new LogPages(binding, device, pageBytes);
    const counts = checkEntries(pages, tip.beginAddress, tip.untilAddress, problems, progress);
    judgeChainEnd(pages, chain.validEnd, tip, problems, warnings);
    return { ...base, ...counts, bytesChecked: tip.untilAddress - tip.beginAddress,
      commitNumber: tip.commitNumber, beginAddress: tip.beginAddress,
      committedUntilAddress: tip.untilAddress };
  });
}

/** Checks every entry in [from, to); a damaged one is a problem and the walk resumes a page on. */
function checkEntries(pages: LogPages, from: number, to: number, problems: Problem[],
  progress: (done: number, total: number) => void):
  { entriesChecked: number; commitRecordsChecked: number } {
  let entriesChecked = 0;
  let commitRecordsChecked = 0;
  let address = from;
  let reported = -1;
  while (address < to && problems.length < MAX_PROBLEMS) {
    const entry = pages.entryAt(address, to);
    if (entry.kind === 'end' || entry.kind === 'damaged') {
      problems.push(pages.problemAt(address, entry.kind === 'end'
        ? 'a committed entry is missing (zero header)'
        : 'a committed entry fails its checksum or length check'));
      address = pages.nextPage(address);
      continue;
    }
    entriesChecked++;
    if (entry.kind === 'commit') {
      commitRecordsChecked++;
      const where = pages.placeOf(address);
      const decoded = decodeCommitRecord(pages.binding, entry.payload, 0, entry.payload.length,
        `${where.file} at offset ${where.offset}`);
      if (typeof decoded === 'string') {
        problems.push(pages.problemAt(address,
          `a commit record entry does not decode: ${decoded}`));
      }
    }
    address += entry.size;
    const page = Math.floor(address / pages.pageBytes);
    if (page !== reported) {
      reported = page;
      progress(Math.min(address, to) - from, to - from);
    }
  }
  progress(to - from, to - from);
  return { entriesChecked, commitRecordsChecked };
}

/**
 * Judges where the commit chain ends (`at`, the first entry after the last commit that is
 * missing, damaged, or from another chain). A commit record of the same writer further on,
 * with a higher commit number and covering `at`, means the chain was cut by a damaged or
 * missing committed entry: a problem. (Power failing while that very commit was written can
 * leave the same picture, since the writes of one sync reach the disk in any order; the
 * message says so.) Otherwise a damaged entry there is a crash's torn, uncommitted tail: a
 * warning.
 */
function judgeChainEnd(pages: LogPages, at: number, tip: CommitRecord, problems: Problem[],
  warnings: string[]): void {
  const entry = pages.entryAt(at, Infinity);
  if (entry.kind !== 'end' && entry.kind !== 'damaged') return;
  const what = entry.kind === 'end' ? 'an entry is missing (zero header)'
    : 'an entry fails its checksum or length check';
  const later = laterCommitOfWriter(pages, at, tip);
  if (later !== undefined) {
    problems.push(pages.problemAt(at, `${what} below commit #${later.commitNumber} of the same ` +
      `writer (its commit record at log address ${later.address} covers it), so committed ` +
      'entries are damaged and recovery would drop them; unless power failed while that ' +
      'commit was being written'));
  } else if (entry.kind === 'damaged') {
    const { file, offset } = pages.placeOf(at);
    warnings.push(`past the commit point, ${file} at offset ${offset}: ${what} (log address ` +
      `${at}); a crash during a commit leaves this, and no commit covers it`);
  }
}

/** The newest commit record of `tip`'s writer on the pages after the one holding `from`. */
function laterCommitOfWriter(pages: LogPages, from: number, tip: CommitRecord):
  { commitNumber: number; address: number } | undefined {
  let found: { commitNumber: number; address: number } | undefined;
  const end = pages.device.segmentRange().end * pages.device.segmentBytes;
  for (let page = pages.nextPage(from); page < end; page += pages.pageBytes) {
    const pageEnd = page + pages.pageBytes;
    let address = page;
    while (address < pageEnd) {
      const entry = pages.entryAt(address, pageEnd);
      if (entry.kind === 'end' || entry.kind === 'damaged') break;
      if (entry.kind === 'commit') {
        const { file, offset } = pages.placeOf(address);
        const record = decodeCommitRecord(pages.binding, entry.payload, 0, entry.payload.length,
          `${file} at offset ${offset}`);
        if (typeof record !== 'string' && record.writerNonce === tip.writerNonce &&
            record.commitNumber > tip.commitNumber && record.untilAddress > from &&
            record.commitNumber > (found?.commitNumber ?? -1)) {
          found = { commitNumber: record.commitNumber, address };
        }
      }
      address += entry.size;
    }
    if (address === page) break;
  }
  return found;
}
