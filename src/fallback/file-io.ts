/**
 * File I/O of the pure-TypeScript engine, on node:fs: positional reads and writes, fdatasync,
 * buffered only (node:fs cannot open with O_DIRECT, so `direct` is ignored and reported false).
 * Asynchronous calls run on libuv's thread pool. Errors are `ERR_IO` naming file and offset.
 */
import * as fs from 'node:fs';
import { FasterError, ioError } from '../errors.js';
import type { IoCallback, SyncCallback } from '../native.js';
import {
  checkBoolean, checkBytes, checkFunction, checkHandle, checkOffset, checkPath,
} from './args.js';

/** Path of each open handle, for error messages. */
const paths = new Map<number, string>();

function pathOf(handle: number): string {
  checkHandle(handle);
  const p = paths.get(handle);
  if (p === undefined) {
    throw new FasterError('ERR_CLOSED', `file handle ${handle} is not open`);
  }
  return p;
}

export function fileOpen(path: string, create: boolean, readOnly: boolean, direct: boolean): number {
  checkPath('path', path);
  checkBoolean('create', create);
  checkBoolean('readOnly', readOnly);
  checkBoolean('direct', direct);
  const flags = (readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR) |
    (create && !readOnly ? fs.constants.O_CREAT : 0);
  let fd: number;
  try {
    fd = fs.openSync(path, flags, 0o644);
  } catch (err) {
    throw ioError(err, path);
  }
  paths.set(fd, path);
  return fd;
}

export function fileIsDirect(handle: number): boolean {
  pathOf(handle);
  return false;
}

export function fileClose(handle: number): void {
  const path = pathOf(handle);
  paths.delete(handle);
  try {
    fs.closeSync(handle);
  } catch (err) {
    throw ioError(err, path);
  }
}

export function fileReadSync(handle: number, dst: Uint8Array, position: number): number {
  const path = pathOf(handle);
  checkBytes('dst', dst);
  checkOffset('position', position);
  let done = 0;
  try {
    while (done < dst.length) {
      const n = fs.readSync(handle, dst, done, dst.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (err) {
    throw ioError(err, path, position + done, 'pread');
  }
  return done;
}

export function fileWriteSync(handle: number, src: Uint8Array, position: number): void {
  const path = pathOf(handle);
  checkBytes('src', src);
  checkOffset('position', position);
  let done = 0;
  try {
    while (done < src.length) {
      done += fs.writeSync(handle, src, done, src.length - done, position + done);
    }
  } catch (err) {
    throw ioError(err, path, position + done, 'pwrite');
  }
}

export function fileRead(handle: number, dst: Uint8Array, position: number, cb: IoCallback): void {
  checkAsync(handle, 'dst', dst, position, cb);
  const path = paths.get(handle);
  if (path === undefined) return deferError(cb, handle);
  const step = (done: number): void => {
    if (done >= dst.length) return cb(null, done);
    fs.read(handle, dst, done, dst.length - done, position + done, (err, n) => {
      if (err) return cb(ioError(err, path, position + done, 'pread'), done);
      if (n === 0) return cb(null, done);
      step(done + n);
    });
  };
  step(0);
}

export function fileWrite(handle: number, src: Uint8Array, position: number, cb: IoCallback): void {
  checkAsync(handle, 'src', src, position, cb);
  const path = paths.get(handle);
  if (path === undefined) return deferError(cb, handle);
  const step = (done: number): void => {
    if (done >= src.length) return cb(null, done);
    fs.write(handle, src, done, src.length - done, position + done, (err, n) => {
      if (err) return cb(ioError(err, path, position + done, 'pwrite'), done);
      step(done + n);
    });
  };
  step(0);
}

export function fileDatasyncSync(handle: number): void {
  const path = pathOf(handle);
  try {
    fs.fdatasyncSync(handle);
  } catch (err) {
    throw ioError(err, path);
  }
}

export function fileDatasync(handle: number, cb: SyncCallback): void {
  checkHandle(handle);
  checkFunction('cb', cb);
  const path = paths.get(handle);
  if (path === undefined) return deferError(cb, handle);
  fs.fdatasync(handle, (err) => cb(err ? ioError(err, path) : null));
}

/**
 * node:fs has no fallocate. Like fallocate mode 0 the file grows to cover [offset,
 * offset+length), so both engines report the same size; the blocks themselves are allocated
 * only as they are written (the file is sparse).
 */
export function fileAllocate(handle: number, offset: number, length: number): void {
  const path = pathOf(handle);
  checkOffset('offset', offset);
  checkOffset('length', length);
  try {
    if (fs.fstatSync(handle).size < offset + length) fs.ftruncateSync(handle, offset + length);
  } catch (err) {
    throw ioError(err, path, offset);
  }
}

export function fileTruncate(handle: number, length: number): void {
  const path = pathOf(handle);
  checkOffset('length', length);
  try {
    fs.ftruncateSync(handle, length);
  } catch (err) {
    throw ioError(err, path, length);
  }
}

export function fileSize(handle: number): number {
  const path = pathOf(handle);
  try {
    return fs.fstatSync(handle).size;
  } catch (err) {
    throw ioError(err, path);
  }
}

export function unlink(path: string): void {
  checkPath('path', path);
  try {
    fs.unlinkSync(path);
  } catch (err) {
    throw ioError(err, path);
  }
}

export function fsyncDirectory(path: string): void {
  checkPath('path', path);
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch (err) {
    throw ioError(err, path);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function deferError(cb: (err: FasterError, n: number) => void, handle: number): void {
  const err = new FasterError('ERR_CLOSED', `file handle ${handle} is not open`);
  process.nextTick(() => cb(err, 0));
}

function checkAsync(handle: number, name: string, buf: Uint8Array, position: number,
  cb: unknown): void {
  checkHandle(handle);
  checkBytes(name, buf);
  checkOffset('position', position);
  checkFunction('cb', cb);
}
