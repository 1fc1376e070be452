/**
 * The segment-file table of a FileDevice: which segment files exist (discovered by listing
 * `${baseName}.${n}` in the directory at open, then kept up to date), which are open, and the
 * lifetime of their handles.
 *
 * Invariants:
 *  - a segment is in `existing` iff its file exists (as far as this process knows: the
 *    directory's writer lock keeps other processes out); with `shared` (other threads' devices
 *    over the same files) a segment missing here is looked up on disk before it reads as
 *    zeros, and segments another thread truncated are forgotten on the next access;
 *  - a created segment file's directory entry is fsynced before the creating call returns;
 *  - a handle is closed only when no I/O on it is in flight: retiring a file with I/O pending
 *    (truncation, close) defers the close to the last completion, so a recycled descriptor
 *    number can never receive a stale write.
 * Thread rules: main thread only; async completions arrive on it.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FasterError, ioError } from '../errors.js';
import type { NativeBinding } from '../native.js';
import { fsyncDirectory } from '../util/durable-fs.js';
import { parseSegmentFileName, segmentFileName } from './geometry.js';
import type { SharedSegments } from './shared-segments.js';

/** One open segment file. */
export interface SegmentFile {
  readonly segment: number;
  readonly path: string;
  readonly handle: number;
  /** Whether the OS opened it with O_DIRECT (buffers and offsets must be aligned). */
  readonly direct: boolean;
  /** I/Os in flight on the handle. */
  pending: number;
  /** No longer in the table; the handle closes when `pending` drops to zero. */
  retired: boolean;
}

export interface SegmentFilesOptions {
  dir: string;
  baseName: string;
  segmentBytes: number;
  direct: boolean;
  preallocate: boolean;
  readOnly: boolean;
  /** Set when other threads' devices use the same files (shared-segments.ts). */
  shared?: SharedSegments | undefined;
}

export class SegmentFiles {
  /** Whether the most recently opened segment got O_DIRECT; undefined before the first open. */
  lastOpenDirect: boolean | undefined;
  private readonly existing = new Set<number>();
  private readonly open = new Map<number, SegmentFile>();
  /** The shared truncation bound this table has applied (shared mode). */
  private truncatedBelow = 0;

  constructor(
    private readonly binding: NativeBinding,
    private readonly options: SegmentFilesOptions,
  ) {
    let names: string[];
    try {
      names = fs.readdirSync(options.dir);
    } catch (err) {
      throw ioError(err, options.dir);
    }
    for (const name of names) {
      const segment = parseSegmentFileName(options.baseName, name);
      if (segment !== undefined) this.existing.add(segment);
    }
  }

  pathOf(segment: number): string {
    return join(this.options.dir, segmentFileName(this.options.baseName, segment));
  }

  /**
   * The open file of `segment`. A missing segment is created when `create` (with
   * preallocation and a directory fsync), else the result is undefined (reads see zeros).
   */
  get(segment: number, create: boolean): SegmentFile | undefined {
    if (this.options.shared !== undefined) this.followShared(this.options.shared);
    const found = this.open.get(segment);
    if (found !== undefined) return found;
    const exists = this.existing.has(segment) || this.createdElsewhere(segment);
    if (!exists && !create) return undefined;
    const path = this.pathOf(segment);
    const { binding, options } = this;
    const handle = binding.fileOpen(path, !exists, options.readOnly, options.direct);
    if (!exists) this.existing.add(segment);
    const file: SegmentFile = {
      segment, path, handle, direct: binding.fileIsDirect(handle), pending: 0, retired: false,
    };
    this.open.set(segment, file);
    this.lastOpenDirect = file.direct;
    if (!exists) {
      if (options.preallocate) binding.fileAllocate(handle, 0, options.segmentBytes);
      fsyncDirectory(binding, options.dir);
    }
    return file;
  }

  /** Shared mode: forgets the segments another thread deleted. */
  private followShared(shared: SharedSegments): void {
    const below = shared.truncatedBelow;
    if (below <= this.truncatedBelow) return;
    this.truncatedBelow = below;
    for (const s of [...this.existing]) {
      if (s >= below) continue;
      const file = this.open.get(s);
      if (file !== undefined) this.retire(file);
      this.existing.delete(s);
    }
  }

  /** Shared mode: whether another thread created `segment` since this table was listed. */
  private createdElsewhere(segment: number): boolean {
    if (this.options.shared === undefined || segment < this.truncatedBelow) return false;
    if (!fs.existsSync(this.pathOf(segment))) return false;
    this.existing.add(segment);
    return true;
  }

  /** Marks the end of one I/O on `file`; closes a retired file's handle after its last one. */
  end(file: SegmentFile): void {
    file.pending--;
    if (file.retired && file.pending === 0) closeQuietly(this.binding, file.handle);
  }

  /**
   * Deletes every segment file below `segment` and fsyncs the directory once. Returns the
   * files that were open, now retired, so the device can forget them.
   */
  removeBelow(segment: number, retiredOut: SegmentFile[]): void {
    const doomed = [...this.existing].filter((s) => s < segment).sort((a, b) => a - b);
    for (const s of doomed) {
      const file = this.open.get(s);
      if (file !== undefined) {
        this.retire(file);
        retiredOut.push(file);
      }
      this.unlinkSegment(s);
    }
    if (doomed.length > 0) fsyncDirectory(this.binding, this.options.dir);
  }

  /** Retires every open file. Returns the first error from closing an idle handle. */
  closeAll(): FasterError | undefined {
    let first: FasterError | undefined;
    for (const file of this.open.values()) {
      const err = this.retire(file);
      if (first === undefined) first = err;
    }
    return first;
  }

  /** Existing segments as [start, end); {0, 0} when there are none. */
  range(): { start: number; end: number } {
    if (this.existing.size === 0) return { start: 0, end: 0 };
    let start = Infinity;
    let end = -Infinity;
    for (const s of this.existing) {
      if (s < start) start = s;
      if (s + 1 > end) end = s + 1;
    }
    return { start, end };
  }

  /** Sum of the segment files' sizes. */
  sizeBytes(): number {
    let total = 0;
    for (const s of this.existing) {
      const file = this.open.get(s);
      if (file !== undefined) {
        total += this.binding.fileSize(file.handle);
        continue;
      }
      const path = this.pathOf(s);
      try {
        total += fs.statSync(path).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, path);
      }
    }
    return total;
  }

  private unlinkSegment(segment: number): void {
    const path = this.pathOf(segment);
    try {
      this.binding.unlink(path);
    } catch (err) {
      if (!(err instanceof FasterError && err.errno === 'ENOENT')) throw err;
    }
    this.existing.delete(segment);
  }

  private retire(file: SegmentFile): FasterError | undefined {
    this.open.delete(file.segment);
    file.retired = true;
    if (file.pending > 0) return undefined;
    try {
      this.binding.fileClose(file.handle);
    } catch (err) {
      return err instanceof FasterError ? err : ioError(err, file.path);
    }
    return undefined;
  }
}

function closeQuietly(binding: NativeBinding, handle: number): void {
  try {
    binding.fileClose(handle);
  } catch {
    // The owner is gone (truncated or closed device); there is nobody left to tell.
  }
}
