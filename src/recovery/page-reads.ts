/**
 * The page images of a replay (log-replay.ts), read ahead: while page i is replayed on the
 * JavaScript thread, the reads of the next pages run on the I/O threads, each into its own
 * buffer of a small ring. Pages come from the main log below the source's snapshotStart and
 * from the snapshot (read and verified by the PageSource) from there on.
 *
 * Order: `take(i)` hands out page i once read; `release(i, writeBytes)` gives it back, first
 * writing its first `writeBytes` bytes to the main log at its address when asked (a snapshot
 * page, or a page with undone records), and reuses the buffer for page i + ring size once that
 * write completed. Errors surface in page order as they did when every step was synchronous:
 * a read error at `take`, and `settle()` returns the first failed write, which precedes any
 * error met on a later page.
 * Thread rules: one thread; before an error propagates the caller awaits `settle()`, so no I/O
 * still runs into a buffer, or on a device the caller is about to close.
 */
import type { Device } from '../device/device.js';
import type { PageSource } from './log-replay.js';

interface Slot {
  readonly buffer: Uint8Array;
  /** The read of the page the slot holds (after the write of the page it held before). */
  read: Promise<void>;
}

const settled = Promise.resolve();

export class PageReads {
  private readonly slots: Slot[];
  private readonly pageBytes: number;
  /** Writes issued, by page, in page order; each resolves to its error, if any. */
  private readonly writes: Promise<unknown>[] = [];
  /** Snapshot pages whose reads wait for `attach`. */
  private waiting: number[] = [];

  /**
   * Starts reading pages [firstPage, firstPage + pageCount) into `buffers` (at least one, all
   * of pageBytes, aligned for the device). `source` may be undefined at first: snapshot pages
   * (at or after `snapshotStart`) are then read once it is attached.
   */
  constructor(private readonly device: Device, private source: PageSource | undefined,
    private readonly snapshotStart: number, readonly firstPage: number,
    readonly pageCount: number, buffers: readonly Uint8Array[]) {
    this.slots = buffers.slice(0, Math.max(1, Math.min(buffers.length, pageCount)))
      .map((buffer) => ({ buffer, read: settled }));
    this.pageBytes = this.slots[0]!.buffer.length;
    for (let i = 0; i < Math.min(this.slots.length, pageCount); i++) {
      this.slots[i]!.read = this.issue(i, settled);
    }
  }

  /** Supplies the snapshot's pages; REQUIRES: before the first snapshot page is taken. */
  attach(source: PageSource): void {
    this.source = source;
    const waiting = this.waiting;
    this.waiting = [];
    for (const i of waiting) this.slotOf(i).read = this.issue(i, this.slotOf(i).read);
  }

  /** Page i (relative to firstPage), once read. REQUIRES: pages taken in order. */
  async take(i: number): Promise<Uint8Array> {
    const slot = this.slotOf(i);
    await slot.read;
    return slot.buffer;
  }

  /** Done with page i: writes its first `writeBytes` bytes back first when non-zero. */
  release(i: number, writeBytes: number): void {
    const slot = this.slotOf(i);
    let before = settled;
    if (writeBytes > 0) {
      const pageBytes = slot.buffer.length;
      const write = this.device.write(slot.buffer.subarray(0, writeBytes),
        (this.firstPage + i) * pageBytes);
      this.writes.push(write.then(() => undefined, (err: unknown) => err ?? new Error('write')));
      before = write;
    }
    const next = i + this.slots.length;
    slot.read = next < this.pageCount ? this.issue(next, before) : before;
    slot.read.catch(() => undefined);
  }

  /**
   * Waits for every read and write in flight; returns the error of the first write that
   * failed (in page order), undefined when none did.
   */
  async settle(): Promise<unknown> {
    await Promise.allSettled(this.slots.map((s) => s.read));
    for (const write of this.writes) {
      const err = await write;
      if (err !== undefined) return err;
    }
    return undefined;
  }

  private slotOf(i: number): Slot {
    return this.slots[i % this.slots.length]!;
  }

  /** The read of page i into its slot's buffer, after `before` (the slot's previous use). */
  private issue(i: number, before: Promise<unknown>): Promise<void> {
    const buffer = this.slotOf(i).buffer;
    const page = this.firstPage + i;
    let read: Promise<void>;
    if (page * this.pageBytes < this.snapshotStart) {
      read = before.then(() => this.device.read(buffer, page * this.pageBytes));
    } else if (this.source === undefined) {
      // Held back until attach(), which chains the read after this (the slot's previous use).
      this.waiting.push(i);
      read = before.then(() => undefined);
    } else {
      const source = this.source;
      read = before.then(() => source.readSnapshotPage(page, buffer));
    }
    read.catch(() => undefined);
    return read;
  }
}
