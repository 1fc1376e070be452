/**
 * Device: FASTER's IDevice. A logical byte address space split into segments of
 * `segmentBytes` (a power of two); device address A lives in segment `floor(A / segmentBytes)`
 * at offset `A % segmentBytes`. The hybrid log and FasterLog write pages to it; the address of
 * a byte on the device equals its logical log address.
 *
 * Contracts shared by every implementation (the conformance suite in test/unit/device checks
 * each one):
 *  - `address` and buffer lengths of reads and writes are multiples of `sectorBytes`; anything
 *    else, a negative or non-integer address, is ERR_INVALID_ARGUMENT naming the device and
 *    address. A write or read may span segment boundaries; the device splits it.
 *  - Bytes never written read back as zeros (including whole missing segments).
 *  - A write is durable once a `sync`/`syncSync` that started after the write completed has
 *    completed. Nothing else makes a write durable. Segment files created since the last sync
 *    have their directory entry made durable by that sync too.
 *  - Errors are FasterError: ERR_IO (with errno, syscall, path, offset) for OS refusals,
 *    ERR_CLOSED after close(). A failed write leaves earlier synced data intact and the device
 *    usable where the OS allows (for example after ENOSPC, once space is freed).
 *  - Buffers passed to the async forms must stay untouched until the promise settles; an async
 *    operation split into several OS I/Os settles only after the last of them completes.
 *  - A device opened read-only refuses writes and truncation with ERR_IO EROFS, as the OS does.
 */
export interface DeviceStats {
  /** Which implementation. */
  readonly kind: 'file' | 'memory' | 'fault';
  /** Which engine performs the file I/O (`'js'` for memory devices). */
  readonly engine: 'native' | 'js';
  /** Whether writes bypass the page cache (O_DIRECT). */
  readonly direct: boolean;
  /** Why O_DIRECT is not in use, when it was asked for and refused (for example tmpfs). */
  readonly directFallbackReason: string | undefined;
  readonly reads: number;
  readonly writes: number;
  readonly syncs: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface Device {
  /** Base name: the segment files are `${name}.${segment}`. */
  readonly name: string;
  /** Alignment of addresses and lengths for reads and writes. */
  readonly sectorBytes: number;
  /** Size of one segment; a power of two and a multiple of sectorBytes. */
  readonly segmentBytes: number;

  writeSync(src: Uint8Array, address: number): void;
  write(src: Uint8Array, address: number): Promise<void>;
  readSync(dst: Uint8Array, address: number): void;
  read(dst: Uint8Array, address: number): Promise<void>;
  /** Makes every write completed before this call durable (fdatasync + directory fsync). */
  syncSync(): void;
  sync(): Promise<void>;
  /**
   * Deletes every segment below `segment` (exclusive) and makes the removal durable. Reads of
   * removed addresses return zeros. Never touches segments at or above `segment`.
   */
  truncateUntilSegment(segment: number): void;
  /** Segments that exist: [start, end). Empty device: start === end. */
  segmentRange(): { start: number; end: number };
  /** Bytes the device occupies on its medium (sum of segment sizes). */
  sizeBytes(): number;
  stats(): DeviceStats;
  /** Releases handles. Does not sync. Idempotent. */
  close(): void;
}
