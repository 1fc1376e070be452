/**
 * `fasterkv verify` of a FasterLog directory: every commit-metadata record of the ring and
 * every committed entry checked, read-only (log-directory.ts reads the ring, log-pages.ts the
 * entries); damage of committed data is a problem naming file and offset, a crash's torn
 * uncommitted tail a warning.
 */
import { decodeCommitRecord, type CommitRecord } from '../fasterlog/commit-metadata.js';
import { RING_BYTES } from '../fasterlog/commit-store.js';
import { EntryReader } from '../fasterlog/recovery.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import { scanRing, segmentFiles, withLog } from './log-directory.js';
import { LogPages } from './log-pages.js';
import type { Problem } from './verify-log.js';

/** Stops collecting after this many problems: a wholly damaged log would flood the report. */
const MAX_PROBLEMS = 100;

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
