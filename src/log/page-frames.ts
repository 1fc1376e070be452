/**
 * PageFrames: the circular buffer of in-memory page frames of the hybrid log, all in one
 * SharedArrayBuffer so that every thread attached to a store sees the same bytes.
 *
 * Page `p` lives in frame `p % frameCount`. Frames are `pageBytes` each, back to back from an
 * aligned base (binding.alignmentOffset), so every frame starts on a multiple of
 * min(pageBytes, alignment) and O_DIRECT writes need no bounce copy. The frames together take
 * exactly frameCount x pageBytes <= memoryBytes; the buffer has `alignment` bytes of slack
 * in front to find an aligned base.
 *
 * A frame is all zeros when a page starts in it (initially, and because closing a page
 * zeroes its frame), which is what lets scanners treat a zero header as page padding.
 * Thread rules: the bytes are shared; who may write which bytes is the hybrid log's
 * business (records are written by their allocating thread, frames are zeroed by the closer).
 */
import type { NativeBinding } from '../native.js';
import { assert } from '../errors.js';

export interface PageFramesHandle {
  readonly buffer: SharedArrayBuffer;
  readonly base: number;
  readonly frameCount: number;
  readonly pageBytes: number;
}

export interface PageFramesOptions {
  frameCount: number;
  pageBytes: number;
  /** Memory alignment of the base, a power of two (4096 suits O_DIRECT). */
  alignment: number;
  binding: NativeBinding;
}

export class PageFrames {
  /** Every byte of the buffer; frame bytes start at `base`. */
  readonly bytes: Uint8Array;
  readonly base: number;
  readonly frameCount: number;
  readonly pageBytes: number;
  private readonly buffer: SharedArrayBuffer;

  constructor(options: PageFramesOptions | { attach: PageFramesHandle }) {
    if ('attach' in options) {
      const handle = options.attach;
      this.buffer = handle.buffer;
      this.base = handle.base;
      this.frameCount = handle.frameCount;
      this.pageBytes = handle.pageBytes;
    } else {
      const { frameCount, pageBytes, alignment, binding } = options;
      assert(frameCount >= 1 && Number.isInteger(Math.log2(alignment)), 'bad frame layout');
      this.buffer = new SharedArrayBuffer(frameCount * pageBytes + alignment);
      const base = binding.alignmentOffset(new Uint8Array(this.buffer), alignment);
      assert(base >= 0 && base < alignment, 'alignmentOffset out of range');
      this.base = base;
      this.frameCount = frameCount;
      this.pageBytes = pageBytes;
    }
    this.bytes = new Uint8Array(this.buffer);
    assert(this.base + this.frameCount * this.pageBytes <= this.bytes.length, 'frames overflow');
  }

  handle(): PageFramesHandle {
    return {
      buffer: this.buffer, base: this.base, frameCount: this.frameCount, pageBytes: this.pageBytes,
    };
  }

  /** Frame index of page `page`. */
  slotOf(page: number): number {
    return page % this.frameCount;
  }

  /** Offset in `bytes` of the first byte of frame `slot`. */
  slotOffset(slot: number): number {
    return this.base + slot * this.pageBytes;
  }

  /** Offset in `bytes` of logical address `address`. REQUIRES: its page is in memory. */
  physicalOffset(address: number): number {
    const offset = address % this.pageBytes;
    const page = (address - offset) / this.pageBytes;
    return this.base + (page % this.frameCount) * this.pageBytes + offset;
  }

  /** A view of bytes [from, to) of frame `slot` (allocates a view: not for per-record use). */
  view(slot: number, from: number, to: number): Uint8Array {
    const start = this.slotOffset(slot);
    return this.bytes.subarray(start + from, start + to);
  }

  /** Zeroes frame `slot` so the next page to live there starts clean. */
  zero(slot: number): void {
    const start = this.slotOffset(slot);
    this.bytes.fill(0, start, start + this.pageBytes);
  }
}
