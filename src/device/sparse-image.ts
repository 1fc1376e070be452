/**
 * SparseImage: the bytes of an in-memory device, as a map from segment number to a growable
 * Uint8Array — the memory twin of a directory of segment files. A segment exists once written;
 * its length is the end of its highest write (like a file's size), and its buffer grows by
 * doubling up to segmentBytes, so a 1 GiB segment that holds 8 KiB costs a few KiB.
 *
 * Invariants: bytes never written read as zeros; `length <= bytes.length <= segmentBytes`;
 * bytes at or past `length` are zeros.
 * Thread rules: plain memory, one thread.
 */
const MIN_CAPACITY = 65536;

interface Segment {
  bytes: Uint8Array;
  length: number;
}

export class SparseImage {
  readonly segmentBytes: number;
  private readonly segments = new Map<number, Segment>();

  constructor(segmentBytes: number) {
    this.segmentBytes = segmentBytes;
  }

  /** Copies `src` to `address`, splitting at segment boundaries. */
  write(src: Uint8Array, address: number): void {
    let done = 0;
    while (done < src.length) {
      const segment = Math.floor((address + done) / this.segmentBytes);
      const offset = address + done - segment * this.segmentBytes;
      const n = Math.min(src.length - done, this.segmentBytes - offset);
      const target = this.segmentFor(segment, offset + n);
      target.bytes.set(done === 0 && n === src.length ? src : src.subarray(done, done + n), offset);
      if (offset + n > target.length) target.length = offset + n;
      done += n;
    }
  }

  /** Fills `dst` from `address`; unwritten bytes read as zeros. */
  read(dst: Uint8Array, address: number): void {
    let done = 0;
    while (done < dst.length) {
      const segment = Math.floor((address + done) / this.segmentBytes);
      const offset = address + done - segment * this.segmentBytes;
      const n = Math.min(dst.length - done, this.segmentBytes - offset);
      const source = this.segments.get(segment);
      const have = source === undefined ? 0 : Math.max(0, Math.min(n, source.length - offset));
      if (source !== undefined && have > 0) {
        dst.set(source.bytes.subarray(offset, offset + have), done);
      }
      if (have < n) dst.fill(0, done + have, done + n);
      done += n;
    }
  }

  /** Removes `segment`; returns whether it existed. */
  removeSegment(segment: number): boolean {
    return this.segments.delete(segment);
  }

  /** Removes every segment below `segment`; returns how many were removed. */
  removeBelow(segment: number): number {
    let removed = 0;
    for (const s of [...this.segments.keys()]) {
      if (s < segment && this.segments.delete(s)) removed++;
    }
    return removed;
  }

  /** Existing segments as [start, end); {0, 0} when empty. */
  range(): { start: number; end: number } {
    if (this.segments.size === 0) return { start: 0, end: 0 };
    let start = Infinity;
    let end = -Infinity;
    for (const s of this.segments.keys()) {
      if (s < start) start = s;
      if (s + 1 > end) end = s + 1;
    }
    return { start, end };
  }

  /** Existing segment numbers, ascending. */
  segmentNumbers(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  /** Sum of segment lengths: what the segment files would occupy. */
  sizeBytes(): number {
    let total = 0;
    for (const s of this.segments.values()) total += s.length;
    return total;
  }

  /** Makes this image an exact copy of `other` (same segment size). */
  copyFrom(other: SparseImage): void {
    this.segments.clear();
    for (const [n, s] of other.segments) {
      this.segments.set(n, { bytes: s.bytes.slice(0, s.length), length: s.length });
    }
  }

  private segmentFor(segment: number, end: number): Segment {
    let target = this.segments.get(segment);
    if (target === undefined) {
      target = { bytes: new Uint8Array(this.capacityFor(end, 0)), length: 0 };
      this.segments.set(segment, target);
    } else if (end > target.bytes.length) {
      const grown = new Uint8Array(this.capacityFor(end, target.bytes.length));
      grown.set(target.bytes.subarray(0, target.length));
      target.bytes = grown;
    }
    return target;
  }

  private capacityFor(end: number, current: number): number {
    let capacity = Math.max(MIN_CAPACITY, current);
    while (capacity < end) capacity *= 2;
    return Math.min(capacity, this.segmentBytes);
  }
}
