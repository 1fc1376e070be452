/**
 * FasterLogIterator: a scan over the entries of a FasterLog, as a sync iterator, an async
 * iterator, or step by step (`next()` / `nextAsync()`).
 *
 * It returns data entries whose address is in [from, to) and below the scan limit: the
 * committed-until address, or with `uncommitted` the tail (entries enqueued but not yet
 * durable). Padding and commit records are skipped. Entries come from a private page image
 * (page-source.ts), so they stay valid while the log moves on; each returned `entry` is a
 * copy. Bytes read from the device are checksum-verified; a damaged entry is ERR_CORRUPTION
 * naming the segment file and offset.
 *
 * Following: with `follow`, the async forms wait at the limit for new commits (or enqueues)
 * instead of ending, until `to`, `close()`, a `break` out of the loop, or the log's close.
 * The sync forms never wait: they end at the limit.
 * Truncation: if BeginAddress passes the iterator's position (truncateUntil, retention), the
 * iterator continues at BeginAddress: the entries below are gone.
 * Named iterators: `completeUntil(address)` records that everything below `address` was
 * consumed; the next commit persists it, and a later `scan({ name })` resumes there. A scan
 * that does not follow frees its name when it reaches its end.
 * Thread rules: the log's JS thread; one consumer per iterator.
 */
import { FasterError, invalidArgument } from '../errors.js';
import type { NativeBinding } from '../native.js';
import {
  checkEntry, ENTRY_END, ENTRY_HEADER_BYTES, KIND_DATA, readU32, wordKind, wordLength,
} from './log-entry.js';
import { PageImage, type PageSource } from './page-source.js';

export interface LogEntry {
  /** The entry's logical address. */
  readonly address: number;
  /** The entry's bytes (a copy). */
  readonly entry: Uint8Array;
  /** The address after it: where a scan resumes, and a valid truncateUntil argument. */
  readonly nextAddress: number;
}

export interface ScanOptions {
  /** First address (default BeginAddress); a named iterator resumes at its own position. */
  from?: number;
  /** End address, exclusive (default: no end; the scan ends at the limit unless following). */
  to?: number;
  /** Persist this iterator's completeUntil positions under this name. */
  name?: string;
  /** Scan up to the tail, entries not yet committed included. Default false. */
  uncommitted?: boolean;
  /** Async forms wait for new entries at the limit instead of ending. Default false. */
  follow?: boolean;
}

/** What an iterator needs from its log. */
export interface IteratorHost {
  readonly binding: NativeBinding;
  readonly pageBytes: number;
  readonly source: PageSource;
  beginAddress(): number;
  /** The committed-until address, or the tail when `uncommitted`. */
  limit(uncommitted: boolean): number;
  /** Resolves true once the limit passes `address`; false when the log closes. */
  waitBeyond(address: number, uncommitted: boolean): Promise<boolean>;
  /** ERR_CORRUPTION for a damaged entry at `address`. */
  corruptionAt(address: number, what: string): FasterError;
  /** Whether the log is still open. */
  isOpen(): boolean;
  complete(name: string, address: number): void;
  release(iterator: FasterLogIterator): void;
}

const NEED_BYTES = -2;

export class FasterLogIterator implements Iterable<LogEntry>, AsyncIterable<LogEntry> {
  readonly name: string | undefined;
  readonly endAddress: number;
  readonly uncommitted: boolean;
  readonly follow: boolean;
  /** Where the next entry is looked for. */
  nextAddress: number;
  private readonly image: PageImage;
  private completed: number;
  private closed = false;
  private wantPage = 0;
  private wantFrom = 0;
  private wantTo = 0;

  constructor(private readonly host: IteratorHost, start: number, options: ScanOptions) {
    this.name = options.name;
    this.endAddress = options.to ?? Infinity;
    this.uncommitted = options.uncommitted ?? false;
    this.follow = options.follow ?? false;
    this.nextAddress = start;
    this.completed = start;
    this.image = new PageImage(host.binding, host.pageBytes);
  }

  /** The position completeUntil last recorded (named iterators persist it). */
  get completedUntilAddress(): number {
    return this.completed;
  }

  /** The next entry below the current limit, or undefined at the end. Never waits. */
  next(): LogEntry | undefined {
    for (;;) {
      if (this.closed || !this.host.isOpen()) return undefined;
      const entry = this.step(this.host.limit(this.uncommitted));
      if (entry === undefined && !this.follow) this.close();
      if (entry !== NEED_BYTES) return entry;
      this.host.source.loadSync(this.image, this.wantPage, this.wantFrom, this.wantTo);
    }
  }

  /** The next entry; with `follow`, waits at the limit for more. Undefined at the end. */
  async nextAsync(): Promise<LogEntry | undefined> {
    for (;;) {
      if (this.closed || !this.host.isOpen()) return undefined;
      const entry = this.step(this.host.limit(this.uncommitted));
      if (entry === NEED_BYTES) {
        await this.host.source.load(this.image, this.wantPage, this.wantFrom, this.wantTo);
        continue;
      }
      if (entry !== undefined) return entry;
      if (!this.follow || this.nextAddress >= this.endAddress) {
        this.close();
        return undefined;
      }
      if (!(await this.host.waitBeyond(this.nextAddress, this.uncommitted))) return undefined;
    }
  }

  /** Everything below `address` is consumed; a named iterator persists it with the next commit. */
  completeUntil(address: number): void {
    if (!(Number.isSafeInteger(address) && address >= 0 &&
        address <= this.host.limit(true))) {
      throw invalidArgument('address', `an integer from 0 to the tail ${this.host.limit(true)}`,
        address);
    }
    if (address <= this.completed) return;
    this.completed = address;
    if (this.name !== undefined) this.host.complete(this.name, address);
  }

  /**
   * Ends the iteration and frees the name (done by itself when a scan that does not follow
   * reaches its end). completeUntil still records positions afterwards. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.release(this);
  }

  [Symbol.iterator](): IterableIterator<LogEntry> {
    const iterator: IterableIterator<LogEntry> = {
      next: () => {
        const value = this.next();
        if (value !== undefined) return { done: false, value };
        return { done: true, value: undefined };
      },
      return: () => {
        this.close();
        return { done: true, value: undefined };
      },
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LogEntry> {
    const iterator: AsyncIterableIterator<LogEntry> = {
      next: async () => {
        const value = await this.nextAsync();
        if (value !== undefined) return { done: false, value };
        return { done: true, value: undefined };
      },
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The next data entry below `limit`, undefined at it, or NEED_BYTES (want* set). */
  private step(limit: number): LogEntry | undefined | typeof NEED_BYTES {
    const pageBytes = this.host.pageBytes;
    for (;;) {
      const begin = this.host.beginAddress();
      if (this.nextAddress < begin) this.nextAddress = begin;
      const address = this.nextAddress;
      if (address >= Math.min(limit, this.endAddress)) return undefined;
      const offset = address % pageBytes;
      const page = (address - offset) / pageBytes;
      const end = Math.min(pageBytes, limit - page * pageBytes);
      if (!this.image.holds(page, offset, end)) {
        this.wantPage = page;
        this.wantFrom = offset;
        this.wantTo = end;
        return NEED_BYTES;
      }
      const bytes = this.image.bytes;
      const size = checkEntry(this.host.binding, bytes, offset, end,
        offset < this.image.deviceUntil);
      if (size <= 0) {
        if (this.host.beginAddress() > address) {
          this.image.reset();
          continue;
        }
        throw this.host.corruptionAt(address, size === ENTRY_END
          ? 'an entry is missing (zero header)' : 'an entry fails its checksum or length check');
      }
      this.nextAddress = address + size;
      const word = readU32(bytes, offset + 4);
      if (wordKind(word) !== KIND_DATA) continue;
      const start = offset + ENTRY_HEADER_BYTES;
      return {
        address, entry: bytes.slice(start, start + wordLength(word)),
        nextAddress: address + size,
      };
    }
  }
}
