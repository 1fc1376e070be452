/**
 * FileDevice: a Device over segment files `${baseName}.0`, `${baseName}.1`, ... in one
 * directory, doing its I/O through a NativeBinding. The native engine opens segments with
 * O_DIRECT (falling back to buffered I/O where the file system refuses it, e.g. tmpfs); the
 * js engine uses buffered node:fs. Both write the same bytes at the same offsets, so a device
 * written by one engine reads back in the other.
 *
 * Invariants: see device.ts. In addition, a write marks its segment dirty only when it
 * completes, so a sync that started earlier can never claim it; a sync that fails leaves its
 * segments dirty for the next one.
 *
 * O_DIRECT also needs sector-aligned memory. Page frames are laid out that way
 * (NativeBinding.alignmentOffset), so the hot path passes caller buffers straight through; the
 * binding copies any other buffer through an aligned bounce buffer itself.
 *
 * Thread rules: one thread per FileDevice; async completions arrive on it, and many reads and
 * writes may be in flight at once. Devices of several worker_threads may share segment files
 * through `shared` (shared-segments.ts): any thread's sync then covers every thread's writes.
 */
import type { NativeBinding, EngineOption } from '../native.js';
import { selectBinding } from '../native.js';
import type { FasterError } from '../errors.js';
import { invalidArgument } from '../errors.js';
import type { Device, DeviceStats } from './device.js';
import { SegmentFiles, type SegmentFile } from './file-segments.js';
import {
  checkAccess, checkSegment, closedError, readOnlyError, validateFlag, validateSectorBytes,
  validateSegmentBytes,
  DeviceCounters,
} from './geometry.js';
import { IoBatch, type IoKind } from './io-batch.js';
import { SharedSegments } from './shared-segments.js';
import { join } from 'node:path';

export interface FileDeviceOptions {
  /** Directory of the segment files; must exist (else ERR_IO ENOENT). */
  dir: string;
  /** Segment files are `${baseName}.${n}`; one path component. */
  baseName: string;
  /** Bytes per segment file: a power of two from sectorBytes to 2^40. */
  segmentBytes: number;
  /** I/O alignment: a power of two from 512 to 65536; default 4096. */
  sectorBytes?: number;
  /** Ask for O_DIRECT (native engine only); default true. */
  direct?: boolean;
  /** fallocate each new segment file to segmentBytes; default false. */
  preallocate?: boolean;
  /** Open segments read-only; writes and truncation are ERR_IO EROFS. Default false. */
  readOnly?: boolean;
  /** The binding that does the I/O; default `selectBinding(engine)`. */
  binding?: NativeBinding;
  /** Which engine does the I/O when no `binding` is given; default 'auto'. */
  engine?: EngineOption;
  /**
   * The SharedSegments buffer of devices on other worker_threads over the same files: dirty
   * segments, truncation and new segments are then shared (shared-segments.ts).
   */
  shared?: SharedArrayBuffer;
}

const JS_BUFFERED = 'the js engine does buffered node:fs I/O (node:fs has no O_DIRECT)';

export class FileDevice implements Device {
  /** Full path prefix of the segment files: they are `${name}.${n}`. */
  readonly name: string;
  readonly sectorBytes: number;
  readonly segmentBytes: number;
  readonly readOnly: boolean;
  private readonly binding: NativeBinding;
  private readonly directAsked: boolean;
  private readonly files: SegmentFiles;
  private readonly dirty = new Set<SegmentFile>();
  private readonly shared: SharedSegments | undefined;
  private readonly marked: bigint[] = [];
  private closed = false;
  private readonly counters = new DeviceCounters();

  /** Validates the options and lists the existing segments; opens no file yet. */
  constructor(options: FileDeviceOptions) {
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw invalidArgument('dir', 'a non-empty directory path', options.dir);
    }
    const base = options.baseName;
    if (typeof base !== 'string' || base === '' || base === '.' || base === '..' ||
        base.includes('/') || base.includes('\0')) {
      throw invalidArgument('baseName', 'a file name without "/" (one path component)', base);
    }
    this.sectorBytes = validateSectorBytes(options.sectorBytes);
    this.segmentBytes = validateSegmentBytes(options.segmentBytes, this.sectorBytes);
    this.directAsked = validateFlag('direct', options.direct, true);
    this.readOnly = validateFlag('readOnly', options.readOnly, false);
    const preallocate = validateFlag('preallocate', options.preallocate, false);
    this.binding = options.binding ?? selectBinding(options.engine);
    this.name = join(options.dir, base);
    this.shared = options.shared === undefined ? undefined : new SharedSegments(options.shared);
    this.files = new SegmentFiles(this.binding, {
      dir: options.dir, baseName: base, segmentBytes: this.segmentBytes,
      direct: this.directAsked, preallocate, readOnly: this.readOnly, shared: this.shared,
    });
  }

  writeSync(src: Uint8Array, address: number): void {
    this.checkUsable('write', address, src.length);
    let done = 0;
    while (done < src.length) {
      const at = address + done;
      const segment = Math.floor(at / this.segmentBytes);
      const offset = at - segment * this.segmentBytes;
      const n = Math.min(src.length - done, this.segmentBytes - offset);
      const piece = n === src.length ? src : src.subarray(done, done + n);
      const file = this.files.get(segment, true)!;
      this.binding.fileWriteSync(file.handle, piece, offset);
      this.markDirty(file);
      done += n;
    }
    this.counters.count('write', src.length);
  }

  readSync(dst: Uint8Array, address: number): void {
    this.checkUsable('read', address, dst.length);
    let done = 0;
    while (done < dst.length) {
      const at = address + done;
      const segment = Math.floor(at / this.segmentBytes);
      const offset = at - segment * this.segmentBytes;
      const n = Math.min(dst.length - done, this.segmentBytes - offset);
      const piece = n === dst.length ? dst : dst.subarray(done, done + n);
      const file = this.files.get(segment, false);
      if (file === undefined) {
        piece.fill(0);
      } else {
        const got = this.binding.fileReadSync(file.handle, piece, offset);
        if (got < n) piece.fill(0, got);
      }
      done += n;
    }
    this.counters.count('read', dst.length);
  }

  write(src: Uint8Array, address: number): Promise<void> {
    return this.startIo('write', src, address);
  }

  read(dst: Uint8Array, address: number): Promise<void> {
    return this.startIo('read', dst, address);
  }

  syncSync(): void {
    if (this.closed) throw closedError(this);
    for (const file of this.dirty) {
      this.binding.fileDatasyncSync(file.handle);
      this.dirty.delete(file);
    }
    if (this.shared !== undefined) this.syncSharedSync(this.shared);
    this.counters.count('sync', 0);
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.reject(closedError(this));
    return new Promise((resolve, reject) => {
      const batch = new IoBatch(this, 'sync', 0, resolve, reject);
      for (const file of this.dirty) {
        this.dirty.delete(file);
        batch.add();
        file.pending++;
        this.binding.fileDatasync(file.handle, (err) => {
          this.files.end(file);
          if (err !== null && !file.retired) this.dirty.add(file);
          batch.done(err);
        });
      }
      if (this.shared !== undefined) this.syncShared(this.shared, batch);
      batch.done(null);
    });
  }

  /** After a completed write to `file`: remembered for the next sync (shared, or here). */
  private markDirty(file: SegmentFile): void {
    const shared = this.shared;
    if (shared === undefined) {
      this.dirty.add(file);
      return;
    }
    while (!shared.markDirty(file.segment)) this.syncSharedSync(shared);
  }

  /** fdatasyncs every segment marked dirty by any thread, then clears the marks it covered. */
  private syncSharedSync(shared: SharedSegments): void {
    const marked = shared.snapshot(this.marked);
    for (let i = 0; i < marked.length; i += 2) {
      const word = marked[i + 1]!;
      const file = this.files.get(SharedSegments.segmentOf(word), false);
      if (file !== undefined) this.binding.fileDatasyncSync(file.handle);
      shared.clear(marked[i]!, word);
    }
  }

  /** Asynchronous syncSharedSync, as part of `batch`. */
  private syncShared(shared: SharedSegments, batch: IoBatch): void {
    const marked = shared.snapshot([]);
    for (let i = 0; i < marked.length; i += 2) {
      const index = marked[i]!;
      const word = marked[i + 1]!;
      let file: SegmentFile | undefined;
      try {
        file = this.files.get(SharedSegments.segmentOf(word), false);
      } catch (err) {
        batch.add();
        batch.done(err as FasterError);
        continue;
      }
      if (file === undefined) {
        shared.clear(index, word);
        continue;
      }
      const opened = file;
      batch.add();
      opened.pending++;
      this.binding.fileDatasync(opened.handle, (err) => {
        this.files.end(opened);
        if (err === null) shared.clear(index, word);
        batch.done(err);
      });
    }
  }

  truncateUntilSegment(segment: number): void {
    if (this.closed) throw closedError(this);
    checkSegment(this, segment);
    if (this.readOnly) throw readOnlyError(this, 'unlink', undefined);
    const retired: SegmentFile[] = [];
    this.shared?.noteTruncated(segment);
    try {
      this.files.removeBelow(segment, retired);
    } finally {
      for (const file of retired) {
        this.dirty.delete(file);
        this.shared?.forget(file.segment);
      }
    }
  }

  segmentRange(): { start: number; end: number } {
    if (this.closed) throw closedError(this);
    return this.files.range();
  }

  sizeBytes(): number {
    if (this.closed) throw closedError(this);
    return this.files.sizeBytes();
  }

  /**
   * `direct` says whether segment I/O bypasses the page cache. It is settled when the first
   * segment file opens; before that it reports what was asked for.
   */
  stats(): DeviceStats {
    const native = this.binding.engine === 'native';
    const direct = native && this.directAsked && (this.files.lastOpenDirect ?? true);
    let reason: string | undefined;
    if (this.directAsked && !direct) {
      reason = native
        ? `the file system holding ${this.name} refused O_DIRECT (tmpfs, for example); ` +
          'segments use buffered I/O'
        : JS_BUFFERED;
    }
    return {
      kind: 'file', engine: this.binding.engine, direct, directFallbackReason: reason,
      ...this.counters.snapshot(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dirty.clear();
    const err = this.files.closeAll();
    if (err !== undefined) throw err;
  }

  /** Counts a completed operation (IoBatch calls it on success). */
  account(kind: IoKind, bytes: number): void {
    this.counters.count(kind, bytes);
  }

  private checkUsable(op: 'read' | 'write', address: number, length: number): void {
    if (this.closed) throw closedError(this);
    checkAccess(this, op, address, length);
    if (op === 'write' && this.readOnly) throw readOnlyError(this, 'pwrite', address);
  }

  private startIo(kind: 'read' | 'write', buffer: Uint8Array, address: number): Promise<void> {
    try {
      this.checkUsable(kind, address, buffer.length);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const batch = new IoBatch(this, kind, buffer.length, resolve, reject);
      let done = 0;
      while (done < buffer.length && batch.error === null) {
        const at = address + done;
        const segment = Math.floor(at / this.segmentBytes);
        const offset = at - segment * this.segmentBytes;
        const n = Math.min(buffer.length - done, this.segmentBytes - offset);
        const piece = n === buffer.length ? buffer : buffer.subarray(done, done + n);
        this.startPiece(batch, kind, piece, segment, offset);
        done += n;
      }
      batch.done(null);
    });
  }

  private startPiece(
    batch: IoBatch, kind: 'read' | 'write', piece: Uint8Array, segment: number, offset: number,
  ): void {
    let file: SegmentFile | undefined;
    try {
      file = this.files.get(segment, kind === 'write');
    } catch (err) {
      batch.add();
      batch.done(err as FasterError);
      return;
    }
    if (file === undefined) {
      piece.fill(0);
      return;
    }
    batch.add();
    file.pending++;
    const opened = file;
    if (kind === 'write') {
      this.binding.fileWrite(file.handle, piece, offset, (err) => {
        this.files.end(opened);
        if (err === null && !opened.retired) this.markDirty(opened);
        batch.done(err);
      });
      return;
    }
    this.binding.fileRead(file.handle, piece, offset, (err, got) => {
      this.files.end(opened);
      if (err === null && got < piece.length) piece.fill(0, got);
      batch.done(err);
    });
  }
}
