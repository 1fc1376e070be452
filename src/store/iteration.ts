/**
 * Scanning and iterating a FasterKV store (digest §9.3, §9.4), sync (`for...of`) or async
 * (`for await`, device pages read asynchronously):
 *  - `logScan({ from, to })` — FASTER's Log.Scan: every live record in address order across the
 *    device and memory, history included (superseded versions and tombstones); page padding
 *    and records that are not live (never published, undone by recovery) are skipped; `from`
 *    is clamped to BeginAddress and `to` to the tail when iteration starts.
 *  - `scan({ from, to })` — FASTER's Iterate: each key whose newest record below `to` lies in
 *    [from, to) and is not a tombstone, once, with that record's value. With the defaults that
 *    is every live key once, as the log stood when iteration started: records appended later
 *    (at or above `to`) are not seen, so a key updated during the scan is returned with its
 *    value from before. A record is the newest if its key's hash chain holds no newer record
 *    of the key below `to` (newer-records.ts; may read the device).
 * Keys and values go through the store's codecs; every yielded object is the caller's own.
 * Operations may run between steps: no epoch protection is held across a yield. Records a
 * compaction moves during a `scan` are not seen again (they land above `to`), so run
 * compactions between scans when every key must be seen.
 * Thread rules: iterate on the thread that owns the store object.
 */
import { invalidArgument } from '../errors.js';
import { keyHash } from '../fallback/key-hash.js';
import { isNewest, isNewestSync } from './newer-records.js';
import { RecordScanner } from './record-scanner.js';
import { copyOut } from './record-memory.js';
import type { StoreContext } from './store-context.js';

/** A log address range; both ends optional. */
export interface ScanRange {
  /** First address; default (and at least) BeginAddress. */
  from?: number;
  /** End (exclusive); default (and at most) the tail when iteration starts. */
  to?: number;
}

/** One record of `logScan`. */
export interface LogRecord<K, V> {
  readonly address: number;
  /** Where the next record may start (this record's end). */
  readonly nextAddress: number;
  /** The next-older record of the same hash chain (0 = none). */
  readonly previousAddress: number;
  readonly key: K;
  /** The value; undefined for a tombstone. */
  readonly value: V | undefined;
  /** The record deletes its key. */
  readonly tombstone: boolean;
}

/** One live key of `scan`, with its latest value and the address of its record. */
export interface ScanRecord<K, V> {
  readonly key: K;
  readonly value: V;
  readonly address: number;
}

/** Iterable with `for...of` (sync device reads) and `for await` (async device reads). */
export type RecordIterable<T> = Iterable<T> & AsyncIterable<T>;

/** What iteration needs from its store. */
export interface ScanHost<K, V> {
  readonly ctx: StoreContext;
  checkOpen(): void;
  /** REQUIRES: `bytes` belongs to the caller (codecs may keep it). */
  decodeKey(bytes: Uint8Array): K;
  decodeValue(bytes: Uint8Array): V;
}

/** Validates a ScanRange at the API edge. */
export function checkScanRange(range: ScanRange | undefined): { from: number; to: number } {
  if (range === undefined) return { from: 0, to: Infinity };
  if (range === null || typeof range !== 'object') {
    throw invalidArgument('options', 'an object { from?, to? }', range);
  }
  const from = range.from ?? 0;
  const to = range.to ?? Infinity;
  if (!Number.isSafeInteger(from) || from < 0) {
    throw invalidArgument('from', 'a log address: an integer >= 0', range.from);
  }
  if (!(to === Infinity || Number.isSafeInteger(to)) || to < from) {
    throw invalidArgument('to', `a log address: an integer >= from (${from})`, range.to);
  }
  return { from, to };
}

/** FASTER's Log.Scan over [from, to). */
export function logScan<K, V>(host: ScanHost<K, V>, range: ScanRange | undefined):
  RecordIterable<LogRecord<K, V>> {
  const { from, to } = checkScanRange(range);
  const open = (): RecordScanner => {
    host.checkOpen();
    return new RecordScanner(host.ctx, from, to);
  };
  return {
    *[Symbol.iterator]() {
      const scanner = open();
      for (;;) {
        host.checkOpen();
        if (scanner.next() < 0) return;
        yield decodeRecord(host, scanner);
      }
    },
    async *[Symbol.asyncIterator]() {
      const scanner = open();
      for (;;) {
        host.checkOpen();
        if (await scanner.nextAsync() < 0) return;
        yield decodeRecord(host, scanner);
      }
    },
  };
}

/** FASTER's Iterate: the live keys whose newest record below `to` is in [from, to). */
export function scanLive<K, V>(host: ScanHost<K, V>, range: ScanRange | undefined):
  RecordIterable<ScanRecord<K, V>> {
  const { from, to } = checkScanRange(range);
  const open = (): { scanner: RecordScanner; end: number } => {
    host.checkOpen();
    const end = Math.min(to, host.ctx.log.tailAddress);
    return { scanner: new RecordScanner(host.ctx, from, end), end };
  };
  return {
    *[Symbol.iterator]() {
      const { scanner, end } = open();
      for (;;) {
        host.checkOpen();
        const address = scanner.next();
        if (address < 0) return;
        if (scanner.tombstone) continue;
        const key = scanner.keyView();
        if (isNewestSync(host.ctx, key, keyHash(key), address, end)) {
          yield decodeLive(host, scanner);
        }
      }
    },
    async *[Symbol.asyncIterator]() {
      const { scanner, end } = open();
      for (;;) {
        host.checkOpen();
        const address = await scanner.nextAsync();
        if (address < 0) return;
        if (scanner.tombstone) continue;
        const key = scanner.keyView();
        if (await isNewest(host.ctx, key, keyHash(key), address, end)) {
          yield decodeLive(host, scanner);
        }
      }
    },
  };
}

function decodeRecord<K, V>(host: ScanHost<K, V>, s: RecordScanner): LogRecord<K, V> {
  const tombstone = s.tombstone;
  return {
    address: s.address,
    nextAddress: s.nextAddress,
    previousAddress: s.previousAddress,
    key: host.decodeKey(own(s.keyView())),
    value: tombstone ? undefined : host.decodeValue(own(s.valueView())),
    tombstone,
  };
}

function decodeLive<K, V>(host: ScanHost<K, V>, s: RecordScanner): ScanRecord<K, V> {
  return {
    key: host.decodeKey(own(s.keyView())),
    value: host.decodeValue(own(s.valueView())),
    address: s.address,
  };
}

/** A copy of a view into the scanner's page image, for the caller to keep. */
function own(view: Uint8Array): Uint8Array {
  return copyOut(view, 0, view.length);
}
