/**
 * LogAppender: puts entries (log-entry.ts) into the hybrid log's tail pages.
 *
 * An entry, a batch (one block on one page, so a commit covers all of it or none) or a
 * commit record is reserved with one allocation. When it does not fit in the rest of the
 * current page, that rest is first filled with an explicit padding entry, so every byte from
 * BeginAddress to the tail belongs to an entry (see log-entry.ts for why).
 *
 * Frames are not zeroed between pages, so every byte an entry occupies is written here: the
 * header, the payload, the alignment padding and a padding entry's payload (zeros).
 *
 * Backpressure: the buffer is full when the next page turn needs a frame whose page is not on
 * the device yet (the hybrid log runs with lazy page-turn flushes, so only commits and full
 * buffers write). `mode` says what to do then: 'sync' writes that page now, on this thread
 * (FASTER's Enqueue, which spins until there is room); 'try' gives up and returns FULL.
 * Memory never grows: the frames are all there is.
 *
 * Shared with worker threads (log-threads.ts), every reservation takes the append lock and
 * records itself in this thread's slot (log-shared.ts: AppendGuard), so the padding-then-
 * allocation pair stays one step and a thread terminated mid-append leaves nothing a reader
 * could mistake for an entry (`padRange` turns what it reserved into padding).
 * Thread rules: one LogAppender per thread. REQUIRES for every method except padRange: the
 * epoch protected.
 */
import { FasterError } from '../errors.js';
import { RETRY_NOW, WAIT_FLUSH, type HybridLog } from '../log/hybrid-log.js';
import type { NativeBinding } from '../native.js';
import type { AppendGuard } from './log-shared.js';
import { encodeCommitRecord, type CommitRecord } from './commit-metadata.js';
import {
  ENTRY_HEADER_BYTES, entryChecksum, entrySize, entryWord, KIND_COMMIT, KIND_DATA, KIND_PADDING,
  wordsOf, writeU32, zeroBytes,
} from './log-entry.js';

export type AppendMode = 'sync' | 'try';
/** `reserve` in 'try' mode: the buffer is full. */
export const FULL = -1;
const TRY_RETRIES = 64;
const EMPTY = new Uint8Array(0);

export class LogAppender {
  /** Set once the log is shared with other threads: reservations take the append lock. */
  guard: AppendGuard | undefined;
  /** The frames as words, for zeroBytes. */
  readonly words: Int32Array;

  constructor(
    private readonly log: HybridLog,
    private readonly binding: NativeBinding,
    private readonly checksum: boolean,
  ) {
    this.words = wordsOf(log.memory);
  }

  /** Checks an entry's size; ERR_RECORD_TOO_LARGE when it cannot fit on a page. */
  checkSize(bytes: number, what: string): void {
    if (bytes <= this.log.pageBytes) return;
    throw new FasterError('ERR_RECORD_TOO_LARGE', `${what} needs ${bytes} bytes of log; a ` +
      `page holds ${this.log.pageBytes} (pageBytes)`);
  }

  /** Reserves and writes one data entry; its address, or FULL in 'try' mode. */
  append(payload: Uint8Array, mode: AppendMode): number {
    const size = entrySize(payload.length);
    const address = this.reserve(size, mode);
    if (address === FULL) return FULL;
    try {
      this.write(address, payload);
    } finally {
      this.guard?.written();
    }
    return address;
  }

  /** Reserves `entries` as one block on one page and writes them; the first's address. */
  appendBatch(entries: readonly Uint8Array[], total: number, mode: AppendMode): number {
    const first = this.reserve(total, mode);
    if (first === FULL) return FULL;
    let address = first;
    try {
      for (const payload of entries) {
        this.write(address, payload);
        address += entrySize(payload.length);
      }
    } finally {
      this.guard?.written();
    }
    return first;
  }

  /**
   * Reserves a commit-record entry for a record of `length` bytes and writes `record` with
   * its until address set to the entry's end. Returns the record's checksum; `untilAddress`
   * on return is that end. Shared: undefined when another thread holds the append lock for
   * longer than a few tries (the committer tries again on the next event-loop turn).
   */
  appendCommitRecord(length: number, build: (untilAddress: number) => CommitRecord):
    { checksum: number; record: CommitRecord } | undefined {
    const size = entrySize(length);
    const address = this.reserve(size, 'sync', true);
    if (address === FULL) return undefined;
    try {
      const record = build(address + size);
      const memory = this.log.memory;
      const at = this.log.physicalOffset(address);
      const checksum = encodeCommitRecord(this.binding, record, memory, at + ENTRY_HEADER_BYTES);
      zeroBytes(memory, at + ENTRY_HEADER_BYTES + length, at + size);
      this.seal(memory, at, KIND_COMMIT, length, true,
        memory.subarray(at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + length));
      return { checksum, record };
    } finally {
      this.guard?.written();
    }
  }

  /**
   * Allocates `size` bytes on one page (padding the current page first if needed). Shared:
   * under the append lock, recorded in this thread's slot; `bounded`: FULL when the lock is
   * busy (see AppendGuard.lock).
   */
  reserve(size: number, mode: AppendMode, bounded = false): number {
    const guard = this.guard;
    if (guard === undefined) return this.reserveNow(size, mode);
    if (!guard.lock(bounded)) return FULL;
    let address: number;
    try {
      address = this.reserveNow(size, mode);
    } catch (err) {
      guard.unlock();
      throw err;
    }
    if (address === FULL) guard.unlock();
    else guard.reserved(address, size);
    return address;
  }

  /**
   * Turns log bytes [from, to) into padding entries, one per page they touch: what a thread
   * terminated mid-append had reserved (log-threads.ts). REQUIRES: the range is in memory and
   * no live thread writes it (its reserver is dead and still holds back page closing).
   */
  padRange(from: number, to: number): void {
    const pageBytes = this.log.pageBytes;
    const memory = this.log.memory;
    for (let start = from; start < to;) {
      const end = Math.min(to, start - (start % pageBytes) + pageBytes);
      const at = this.log.physicalOffset(start);
      zeroBytes(memory, at + ENTRY_HEADER_BYTES, at + end - start, this.words);
      this.seal(memory, at, KIND_PADDING, end - start - ENTRY_HEADER_BYTES, false, undefined);
      start = end;
    }
  }

  private reserveNow(size: number, mode: AppendMode): number {
    const log = this.log;
    const tail = log.tailAddress;
    const offset = tail % log.pageBytes;
    if (offset !== 0 && offset + size > log.pageBytes) this.pad(log.pageBytes - offset);
    if (mode === 'sync') return log.allocate(size);
    for (let i = 0; i < TRY_RETRIES; i++) {
      const address = log.tryAllocate(size);
      if (address > 0) return address;
      if (address === WAIT_FLUSH) return FULL;
      if (address === RETRY_NOW) log.epoch.refresh();
    }
    return FULL;
  }

  /** Fills the rest of the tail page (`bytes` of it) with a padding entry. */
  private pad(bytes: number): void {
    const address = this.log.tryAllocate(bytes);
    if (address <= 0) return;
    const memory = this.log.memory;
    const at = this.log.physicalOffset(address);
    zeroBytes(memory, at + ENTRY_HEADER_BYTES, at + bytes, this.words);
    this.seal(memory, at, KIND_PADDING, bytes - ENTRY_HEADER_BYTES, false, undefined);
  }

  private write(address: number, payload: Uint8Array): void {
    const memory = this.log.memory;
    const at = this.log.physicalOffset(address);
    const end = at + ENTRY_HEADER_BYTES + payload.length;
    memory.set(payload, at + ENTRY_HEADER_BYTES);
    zeroBytes(memory, end, at + entrySize(payload.length));
    this.seal(memory, at, KIND_DATA, payload.length, this.checksum, payload);
  }

  /** Writes the word and checksum of the entry at `at`; `payload` holds its payload bytes. */
  private seal(memory: Uint8Array, at: number, kind: number, length: number,
    payloadChecked: boolean, payload: Uint8Array | undefined): void {
    const word = entryWord(kind, length, payloadChecked);
    const checked = payloadChecked && payload !== undefined;
    writeU32(memory, at, entryChecksum(this.binding, word, checked ? payload : EMPTY, 0,
      checked ? length : 0));
    writeU32(memory, at + 4, word);
  }
}
