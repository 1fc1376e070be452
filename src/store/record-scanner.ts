/**
 * RecordScanner: the FasterKV records of the hybrid log in address order, across the device
 * and memory (FASTER's `Log.Scan`), over the log's LogScanner. It skips page padding and
 * records that are not live (never published, or undone by recovery: not Valid, or Sealed),
 * and verifies the CRC32C of every record the log had flushed before its page was loaded
 * (record-layout.ts: a record's checksum is filled in just before its first flush, so records
 * above FlushedUntilAddress carry none yet); a mismatch or a length that runs past the page is
 * ERR_CORRUPTION naming the segment file and offset.
 *
 * The current record's bytes live in a private page image: they stay valid, without epoch
 * protection, until the next call to next()/nextAsync(). If BeginAddress passes the scan
 * position (a compaction truncated the log meanwhile), the scan continues at BeginAddress:
 * what lies below it is logically deleted.
 * Thread rules: one scanner per thread; the thread's epoch acquired and NOT protected.
 */
import { isLive, previousAddressOf, HI_TOMBSTONE } from '../record/record-info.js';
import {
  align8, OFFSET_CRC, OFFSET_KEY_BYTES, OFFSET_VALUE_BYTES, OFFSET_VALUE_CAPACITY,
  RECORD_HEADER_BYTES, readU32, recordChecksum, recordSizeAt,
} from '../record/record-layout.js';
import type { LogScanner } from '../log/log-scan.js';
import { recordDamage } from './disk-records.js';
import type { StoreContext } from './store-context.js';

export class RecordScanner {
  /** Address of the current record; -1 before the first and after the last. */
  address = -1;
  private readonly scanner: LogScanner;
  /** Records ending at or below this were flushed before the current page image was made. */
  private checkedBelow = 0;
  private page = -1;
  private offset = 0;
  private size = 0;
  private hi = 0;

  /** Scans [max(from, BeginAddress), min(to, TailAddress)). */
  constructor(private readonly ctx: StoreContext, from: number, to: number) {
    this.scanner = ctx.log.scan(from, to, (page, offset) => this.sizeAt(page, offset));
  }

  /** Where the scan continues: the end of the current record (or past padding). */
  get nextAddress(): number {
    return this.scanner.nextAddress;
  }

  /** Advances to the next live record; its address, or -1 at the end. Sync device reads. */
  next(): number {
    for (;;) {
      const flushed = this.beforeStep();
      if (this.accept(this.scanner.next(), flushed)) return this.address;
    }
  }

  /** As next(), reading device pages asynchronously. */
  async nextAsync(): Promise<number> {
    for (;;) {
      const flushed = this.beforeStep();
      if (this.accept(await this.scanner.nextAsync(), flushed)) return this.address;
    }
  }

  get tombstone(): boolean {
    return (this.hi & HI_TOMBSTONE) !== 0;
  }

  get previousAddress(): number {
    return previousAddressOf(readU32(this.scanner.page, this.offset), this.hi);
  }

  /** The header's high word (flags); see record-info.ts. */
  get flags(): number {
    return this.hi;
  }

  /** The key bytes: a view valid until the next step. */
  keyView(): Uint8Array {
    const page = this.scanner.page;
    const start = this.offset + RECORD_HEADER_BYTES;
    return page.subarray(start, start + readU32(page, this.offset + OFFSET_KEY_BYTES));
  }

  /** The value bytes (empty for a tombstone): a view valid until the next step. */
  valueView(): Uint8Array {
    const page = this.scanner.page;
    const start = this.offset + RECORD_HEADER_BYTES +
      align8(readU32(page, this.offset + OFFSET_KEY_BYTES));
    return page.subarray(start, start + readU32(page, this.offset + OFFSET_VALUE_BYTES));
  }

  /** Skips what compaction truncated; returns FlushedUntilAddress before the step loads. */
  private beforeStep(): number {
    const log = this.ctx.log;
    const begin = log.beginAddress;
    if (this.scanner.nextAddress < begin) this.scanner.nextAddress = begin;
    return log.flushedUntilAddress;
  }

  /**
   * Takes the record the log scanner stopped at: true at the end or on a live record (after
   * verifying it), false to skip it. `flushed` was read before the step, so any page image
   * loaded by the step was copied after records below it had their checksums.
   */
  private accept(address: number, flushed: number): boolean {
    const scanner = this.scanner;
    this.address = address;
    if (address < 0) return true;
    const pageBytes = this.ctx.log.pageBytes;
    const page = Math.floor(address / pageBytes);
    if (page !== this.page) {
      this.page = page;
      this.checkedBelow = flushed;
    }
    this.offset = scanner.offset;
    this.size = scanner.length;
    this.hi = readU32(scanner.page, this.offset + 4);
    if (!isLive(this.hi)) return false;
    if (address + this.size <= this.checkedBelow) this.verify(address);
    return true;
  }

  private verify(address: number): void {
    const { page } = this.scanner;
    const stored = readU32(page, this.offset + OFFSET_CRC);
    if (recordChecksum(page, this.offset, this.size, this.ctx.checksumRange) !== stored) {
      throw recordDamage(this.ctx.log, address, 'record checksum mismatch');
    }
  }

  /**
   * The LogScanner's record-size function: 0 for padding (a zero header word). A record whose
   * lengths run past its page is damage, never padding: a record being written has its
   * header word set before its lengths, and zero lengths fit.
   */
  private sizeAt(page: Uint8Array, offset: number): number {
    if (readU32(page, offset) === 0 && readU32(page, offset + 4) === 0) return 0;
    const fits = offset + RECORD_HEADER_BYTES <= page.length;
    const size = fits ? recordSizeAt(page, offset) : Infinity;
    const valueFits = readU32(page, offset + OFFSET_VALUE_BYTES) <=
      readU32(page, offset + OFFSET_VALUE_CAPACITY);
    if (offset + size > page.length || !valueFits) {
      throw recordDamage(this.ctx.log, this.scanner.nextAddress, 'record lengths do not fit');
    }
    return size;
  }
}
