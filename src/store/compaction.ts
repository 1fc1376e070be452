/**
 * Log compaction (digest §9.2, FASTER's lookup compaction): `kv.compact({ until })` copies the
 * live records below `until` to the tail, then shifts BeginAddress past them and deletes the
 * log's segment files that lie wholly below it, so the log's disk space shrinks.
 *
 *  1. `until` is rounded up to a record boundary: every record that starts below it is
 *     compacted, and the new BeginAddress is where the last of them ends (past any padding).
 *     ReadOnlyAddress is shifted to `until` first and the call waits until SafeReadOnlyAddress
 *     reaches it, so every record compacted is immutable (an in-place update cannot race the
 *     copy: FASTER requires until <= SafeReadOnlyAddress for the same reason).
 *  2. Each live, non-tombstone record R at address r is copied to the tail only if its key's
 *     hash chain holds no newer record of the key (newer-records.ts; may read the device) —
 *     FASTER's CompactionCopyToTail. Check and copy are one conditional insert: the copy is
 *     published by a CAS on the index entry the check started from, so a write that lands in
 *     between fails the CAS and the check runs again. When the check reads the device, it
 *     re-validates the entry afterwards and starts over if it changed.
 *  3. Tombstones are dropped, never copied. No key is resurrected: every older record of a
 *     deleted key lies below its tombstone, hence below `until`, and is dropped too; a record
 *     below `until` with a newer record (tombstone or not) anywhere is not copied.
 *  4. BeginAddress moves to the rounded address (records below are logically deleted, reads
 *     of them are NOT_FOUND), and segments wholly below min(BeginAddress, the lowest begin
 *     address a retained checkpoint needs) are deleted: a checkpoint taken before the
 *     compaction stays recoverable until retention drops it.
 *
 * Durability: the new BeginAddress (and the copies) are durable only with the next
 * checkpoint. After a crash before it, recovery uses an earlier checkpoint, whose log is kept
 * (step 4). Copies carry no InNewVersion bit: FasterKV runs compactions and checkpoints one
 * after another, so a compaction always runs at REST.
 * Operations of every session keep running during the compaction (it yields to the event
 * loop between device reads and every COPY_BATCH records).
 * Thread rules: the store's thread; one compaction at a time (FasterKV serializes them with
 * checkpoints).
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { keepSet, type CheckpointManager } from '../checkpoint/checkpoint-manager.js';
import { invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { NOT_FOUND as NO_SLOT } from '../index/hash-index.js';
import { appendRecord, DONE } from './operations.js';
import { newerInMemory, newerOnDevice, NEWEST, CHECK_DEVICE } from './newer-records.js';
import { RecordScanner } from './record-scanner.js';
import type { StoreContext } from './store-context.js';

/** `kv.compact(options)`. */
export interface CompactOptions {
  /** Compact the records below this log address (rounded up to a record boundary). */
  until: number;
}

/** What a compaction did. */
export interface CompactionResult {
  /** The new BeginAddress: `until` rounded up to the end of the last record compacted. */
  readonly beginAddress: number;
  /** Live records below it that were looked at, and those copied to the tail. */
  readonly scannedRecords: number;
  readonly copiedRecords: number;
  /** Bytes the log's segment files occupy before and after. */
  readonly diskBytesBefore: number;
  readonly diskBytesAfter: number;
}

/** What compaction needs from its store. */
export interface CompactionHost {
  readonly ctx: StoreContext;
  checkOpen(): void;
  /** The lowest BeginAddress a retained checkpoint needs; undefined when none holds a log. */
  retainedLogBegin(): number | undefined;
}

/** Records copied between two yields to the event loop. */
const COPY_BATCH = 256;
const WAIT_MS = 1;
const COPIED = 0;
const SKIPPED = 1;
const RETRY = 2;
const ON_DEVICE = 3;

/** Validates `kv.compact()` options against the log as it stands. */
export function checkCompactOptions(ctx: StoreContext, options: CompactOptions): number {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object { until }', options);
  }
  const until = options.until;
  const tail = ctx.log.tailAddress;
  if (!Number.isSafeInteger(until) || until < 0 || until > tail) {
    throw invalidArgument('until', `a log address from 0 to the TailAddress (${tail})`, until);
  }
  return until;
}

/** Runs one compaction; see the file header. */
export async function compactLog(host: CompactionHost, options: CompactOptions):
  Promise<CompactionResult> {
  const ctx = host.ctx;
  const log = ctx.log;
  const until = checkCompactOptions(ctx, options);
  const diskBytesBefore = log.device.sizeBytes();
  const begin = log.beginAddress;
  if (until <= begin) {
    return { beginAddress: begin, scannedRecords: 0, copiedRecords: 0, diskBytesBefore,
      diskBytesAfter: diskBytesBefore };
  }
  await makeReadOnly(host, until);
  const scanner = new RecordScanner(ctx, begin, until);
  let scanned = 0;
  let copied = 0;
  for (;;) {
    host.checkOpen();
    const address = await scanner.nextAsync();
    if (address < 0) break;
    scanned++;
    if (scanner.tombstone) continue;
    if (await copyIfNewest(ctx, scanner, address)) copied++;
    if (scanned % COPY_BATCH === 0) await nextTurn();
  }
  // At the end the scanner stands at or past `until`: the end of the last record compacted,
  // or past the padding after it, which never reaches beyond the tail.
  const newBegin = Math.min(Math.max(until, scanner.nextAddress), log.tailAddress);
  await makeReadOnly(host, newBegin);
  await log.flushUntilAsync(newBegin);
  host.checkOpen();
  log.shiftBeginAddress(newBegin);
  truncateSegments(ctx, Math.min(newBegin, host.retainedLogBegin() ?? newBegin));
  return { beginAddress: newBegin, scannedRecords: scanned, copiedRecords: copied,
    diskBytesBefore, diskBytesAfter: log.device.sizeBytes() };
}

/** The lowest BeginAddress among checkpoints retention keeps that hold a log. */
export function retainedLogBegin(manager: CheckpointManager, retain: number): number | undefined {
  const { good } = manager.scan();
  const keep = keepSet(good, retain);
  let lowest: number | undefined;
  for (const m of good) {
    if (keep.has(m.token) && m.log) lowest = Math.min(lowest ?? m.beginAddress, m.beginAddress);
  }
  return lowest;
}

/** Shifts ReadOnlyAddress to `address` and waits until every thread has seen it. */
async function makeReadOnly(host: CompactionHost, address: number): Promise<void> {
  const { log, epoch } = host.ctx;
  log.shiftReadOnlyAddress(address);
  while (log.safeReadOnlyAddress < address) {
    epoch.progress();
    if (log.safeReadOnlyAddress >= address) return;
    await sleep(WAIT_MS);
    host.checkOpen();
  }
}

/** Copies the scanner's current record to the tail if it is the newest of its key. */
async function copyIfNewest(ctx: StoreContext, scanner: RecordScanner, address: number):
  Promise<boolean> {
  const key = scanner.keyView();
  const value = scanner.valueView();
  const hash = keyHash(key);
  let seen = -1;
  for (;;) {
    const st = tryCopy(ctx, key, value, hash, address, seen);
    if (st === COPIED) return true;
    if (st === SKIPPED) return false;
    if (st === RETRY) {
      seen = -1;
      continue;
    }
    seen = ctx.seenEntry;
    if (await newerOnDevice(ctx, key, ctx.foundAddress, address, Infinity)) return false;
  }
}

/**
 * One protected attempt. With `seen` = -1, checks the in-memory part of the chain and copies
 * when that settles it (ON_DEVICE: the device part must be read; ctx.seenEntry and
 * ctx.foundAddress say where). With `seen` >= 0, the device part was found clear for a chain
 * starting at entry `seen`: copies if the entry is still `seen`, else RETRY from scratch.
 */
function tryCopy(ctx: StoreContext, key: Uint8Array, value: Uint8Array, hash: number,
  address: number, seen: number): number {
  const { epoch, index } = ctx;
  epoch.protect();
  try {
    // The word does not change while compaction holds the state machine (REST throughout).
    ctx.cprWord = Atomics.load(ctx.cprWords, 0);
    const slot = index.findTag(hash);
    if (slot === NO_SLOT) return SKIPPED;
    const entry = index.readEntry(slot);
    if (seen >= 0) {
      if (entry !== seen) return RETRY;
    } else {
      ctx.seenEntry = entry;
      const st = newerInMemory(ctx, key, entry, address, Infinity);
      if (st === CHECK_DEVICE) return ON_DEVICE;
      if (st !== NEWEST) return SKIPPED;
    }
    return appendRecord(ctx, key, hash, value, 0, 0, slot, entry) === DONE ? COPIED : RETRY;
  } finally {
    epoch.unprotect();
  }
}

/** Deletes the log's segment files wholly below `address`. */
function truncateSegments(ctx: StoreContext, address: number): void {
  const device = ctx.log.device;
  const segment = Math.floor(address / device.segmentBytes);
  if (segment > device.segmentRange().start) device.truncateUntilSegment(segment);
}
