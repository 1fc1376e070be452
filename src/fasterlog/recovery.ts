/**
 * Recovery: finds the commit a FasterLog directory holds, and checks its tail.
 *
 *   1. Commit metadata: the valid ring record with the highest sequence number (or, with
 *      `recoverTo: n`, the highest-sequence one whose commit number is <= n). Damaged records
 *      (a torn metadata write) are skipped: recovery falls back to the previous one.
 *   2. Fast-commit records: from that record's until address, the log is read entry by entry
 *      (every checksum verified) and each commit record that continues the chain (it names
 *      the checksum and until address of the commit before it) is taken; the walk stops at the
 *      first entry that is torn or missing, or at a record from another chain (stale bytes of
 *      an earlier life). Entries after the last commit taken were never committed: they are
 *      dropped and counted as `discardedBytes`.
 *   3. The committed tail: the entries of the last page below the metadata's until address
 *      must all be intact (the walk of step 2 checks everything after it). A damaged one is
 *      corruption of committed data: 'truncate' cuts the log at it (reported), 'throw' refuses
 *      with ERR_CORRUPTION naming the segment file and offset.
 * Nothing here writes; the writer then restores the hybrid log and writes an anchor record.
 * Thread rules: synchronous, the opening thread.
 */
import type { Device } from '../device/device.js';
import { FasterError, invalidArgument } from '../errors.js';
import type { NativeBinding } from '../native.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import {
  decodeCommitRecord, type CommitRecord, type DecodedCommit,
} from './commit-metadata.js';
import type { RingContents, RingEntry } from './commit-store.js';
import {
  checkEntry, ENTRY_CORRUPT, ENTRY_HEADER_BYTES, entrySize, KIND_COMMIT, readU32, wordKind,
  wordLength,
} from './log-entry.js';
import { corruptionAt, DeviceSource, PageImage } from './page-source.js';

export interface FasterLogRecoveryReport {
  /** Whether the directory held no log: a new, empty one was created. */
  readonly created: boolean;
  /** Where the commit came from: 'none' (empty log), 'metadata' or 'log' (a commit record). */
  readonly source: 'none' | 'metadata' | 'log';
  readonly commitNumber: number;
  readonly beginAddress: number;
  readonly committedUntilAddress: number;
  /** The recovered commit's cookie. */
  readonly cookie: Uint8Array | undefined;
  /** Named iterators and the positions the commit holds. */
  readonly iterators: Readonly<Record<string, number>>;
  /** Damaged commit-metadata records that were skipped (for example a torn last write). */
  readonly damagedMetadataRecords: number;
  /** Bytes of entries found after the commit point that no commit covers (dropped). */
  readonly discardedBytes: number;
  /** Committed bytes dropped because they were damaged (onCorruption: 'truncate'). */
  readonly truncatedBytes: number;
  /** Where the damaged committed tail started, when there was one. */
  readonly truncatedFromAddress: number | undefined;
  /** What was damaged, when something was. */
  readonly corruption: string | undefined;
}

export interface RecoveryInput {
  readonly binding: NativeBinding;
  readonly device: Device;
  readonly pageBytes: number;
  readonly ring: RingContents | undefined;
  readonly ringCreated: boolean;
  readonly onCorruption: 'truncate' | 'throw';
  readonly recoverTo: number | undefined;
}

export interface Recovered {
  readonly record: CommitRecord;
  readonly checksum: number;
  readonly report: FasterLogRecoveryReport;
}

const READ_WINDOW = 256 * 1024;

/** The end of a commit chain: a commit and its record's checksum. */
export interface ChainTip {
  readonly record: CommitRecord;
  readonly checksum: number;
}

/** The state of a log nothing was ever committed to. */
export function emptyCommit(pageBytes: number, segmentBytes: number): CommitRecord {
  return {
    commitNumber: 0, beginAddress: FIRST_VALID_ADDRESS, untilAddress: FIRST_VALID_ADDRESS,
    previousUntilAddress: FIRST_VALID_ADDRESS, previousChecksum: 0, writerNonce: 0,
    timeMs: Date.now(), anchor: false, iterators: new Map(), cookie: undefined,
    pageBytes, segmentBytes,
  };
}

export function recover(input: RecoveryInput): Recovered {
  const start = chooseStart(input);
  const reader = new EntryReader(input);
  let tip: ChainTip = start === undefined
    ? { record: emptyCommit(input.pageBytes, input.device.segmentBytes), checksum: 0 }
    : { record: start.commit, checksum: start.commit.checksum };
  let source: FasterLogRecoveryReport['source'] = start === undefined ? 'none' : 'metadata';
  const damage = reader.verifyTail(tip.record);
  let truncatedBytes = 0;
  let discardedBytes = 0;
  if (damage !== undefined) {
    if (input.onCorruption === 'throw') throw reader.corruptionAt(damage.address, damage.what);
    truncatedBytes = tip.record.untilAddress - damage.address;
    tip = { record: { ...tip.record, untilAddress: damage.address }, checksum: tip.checksum };
  } else {
    const walk = reader.followChain(tip, input.recoverTo);
    if (walk.tip !== tip) source = 'log';
    tip = walk.tip;
    discardedBytes = walk.validEnd - tip.record.untilAddress;
  }
  const record = clampIterators(tip.record);
  return {
    record, checksum: tip.checksum,
    report: {
      created: input.ringCreated, source, commitNumber: record.commitNumber,
      beginAddress: record.beginAddress, committedUntilAddress: record.untilAddress,
      cookie: record.cookie, iterators: Object.fromEntries(record.iterators),
      damagedMetadataRecords: input.ring?.damaged ?? 0, discardedBytes, truncatedBytes,
      truncatedFromAddress: damage?.address, corruption: damage?.what,
    },
  };
}

/** The ring record recovery starts from; undefined for an empty log. */
function chooseStart(input: RecoveryInput): RingEntry | undefined {
  const { ring, device, recoverTo } = input;
  const records = ring?.records ?? [];
  const range = device.segmentRange();
  if (records.length === 0) {
    if (range.end > range.start) {
      throw new FasterError('ERR_CORRUPTION', `${device.name} holds log segments but no valid ` +
        `commit metadata (${ring === undefined ? 'the metadata file is missing' :
          `${ring.damaged} damaged record(s)`}); refusing to guess what was committed`,
      { path: device.name });
    }
    if (recoverTo !== undefined && recoverTo !== 0) throw noSuchCommit(recoverTo, records);
    return undefined;
  }
  if (recoverTo === undefined) return records[records.length - 1];
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.commit.commitNumber <= recoverTo) return records[i];
  }
  throw noSuchCommit(recoverTo, records);
}

function noSuchCommit(recoverTo: number, records: RingEntry[]): FasterError {
  const oldest = records.reduce((low, r) => Math.min(low, r.commit.commitNumber), Infinity);
  return invalidArgument('recoverTo', records.length === 0 ? '0 for an empty log'
    : `a commit number the metadata still holds (>= ${oldest})`, recoverTo);
}

function clampIterators(record: CommitRecord): CommitRecord {
  let changed = false;
  const iterators = new Map<string, number>();
  for (const [name, address] of record.iterators) {
    const clamped = Math.min(Math.max(address, record.beginAddress), record.untilAddress);
    changed ||= clamped !== address;
    iterators.set(name, clamped);
  }
  return changed ? { ...record, iterators } : record;
}

/** Reads entries straight from the device, page by page. */
export class EntryReader {
  private readonly image: PageImage;
  private readonly source: DeviceSource;
  private readonly binding: NativeBinding;
  private readonly pageBytes: number;
  private readonly device: Device;

  constructor(input: Pick<RecoveryInput, 'binding' | 'device' | 'pageBytes'>) {
    this.binding = input.binding;
    this.pageBytes = input.pageBytes;
    this.device = input.device;
    this.image = new PageImage(input.binding, input.pageBytes);
    this.source = new DeviceSource(input.device, input.pageBytes);
  }

  /** Drops cached bytes: the device past the last commit may have changed (followers). */
  forget(): void {
    this.image.reset();
  }

  /** The first damaged entry of the commit's last page, if any. */
  verifyTail(record: CommitRecord): { address: number; what: string } | undefined {
    const until = record.untilAddress;
    if (until <= record.beginAddress) return undefined;
    const pageStart = until - 1 - ((until - 1) % this.pageBytes);
    let address = Math.max(record.beginAddress, pageStart, FIRST_VALID_ADDRESS);
    while (address < until) {
      const size = this.entryAt(address, until);
      if (size <= 0) {
        return { address, what: size === 0 ? 'an entry is missing (zero header)' :
          'an entry fails its checksum or length check' };
      }
      address += size;
    }
    return undefined;
  }

  /** Follows commit records after `start`; `validEnd` is where intact entries end. */
  followChain(start: ChainTip, recoverTo: number | undefined):
    { tip: ChainTip; validEnd: number } {
    let tip = start;
    let address = start.record.untilAddress;
    for (;;) {
      const size = this.entryAt(address, Infinity);
      if (size <= 0) break;
      const offset = address % this.pageBytes;
      const bytes = this.image.bytes;
      const word = readU32(bytes, offset + 4);
      if (wordKind(word) === KIND_COMMIT) {
        const at = offset + ENTRY_HEADER_BYTES;
        const record = decodeCommitRecord(this.binding, bytes, at, at + wordLength(word),
          this.where(address));
        if (typeof record === 'string' || !follows(record, tip, address + size)) break;
        if (recoverTo !== undefined && record.commitNumber > recoverTo) break;
        tip = { record, checksum: record.checksum };
        if (record.commitNumber === recoverTo) return { tip, validEnd: address + size };
      }
      address += size;
    }
    return { tip, validEnd: address };
  }

  corruptionAt(address: number, what: string): FasterError {
    return corruptionAt(this.device, address, what);
  }

  /**
   * Size of the verified entry at `address` (ending at or before `limit`), or <= 0. Reads
   * the page in windows of READ_WINDOW bytes (more when an entry is longer), so following the
   * tail of a live log reads little.
   */
  private entryAt(address: number, limit: number): number {
    const page = Math.floor(address / this.pageBytes);
    const offset = address - page * this.pageBytes;
    const end = Math.min(this.pageBytes, limit - page * this.pageBytes);
    if (offset + ENTRY_HEADER_BYTES > end) return ENTRY_CORRUPT;
    this.ensure(page, offset, offset + ENTRY_HEADER_BYTES, end);
    const word = readU32(this.image.bytes, offset + 4);
    this.ensure(page, offset, Math.min(end, offset + entrySize(wordLength(word))), end);
    return checkEntry(this.binding, this.image.bytes, offset, end, true);
  }

  /** Makes [offset, to) of `page` valid in the image, reading a window up to `end`. */
  private ensure(page: number, offset: number, to: number, end: number): void {
    if (this.image.holds(page, offset, to)) return;
    const window = Math.min(end, Math.max(to, offset + READ_WINDOW));
    this.source.loadSync(this.image, page, offset, window);
  }

  private where(address: number): string {
    const segment = Math.floor(address / this.device.segmentBytes);
    return `${this.device.name}.${segment} at offset ${address % this.device.segmentBytes}`;
  }
}

/** Whether `record`, ending at `end`, continues the chain at `tip`. */
function follows(record: DecodedCommit, tip: ChainTip, end: number): boolean {
  return record.previousChecksum === tip.checksum &&
    record.previousUntilAddress === tip.record.untilAddress &&
    record.untilAddress === end && record.beginAddress >= tip.record.beginAddress &&
    record.commitNumber > tip.record.commitNumber;
}
