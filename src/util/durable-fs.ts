/**
 * Directory durability: THE one place that creates, replaces, renames and removes files so that
 * the change survives a power cut. Every file creation or rename in the project goes through
 * these helpers (devices create segment files and call `fsyncDirectory`; storages write
 * metadata with `writeFileAtomic`); nothing else calls rename(2) or mkdir(2) on data paths.
 *
 * Why: on Linux file systems (ext4, xfs) fdatasync of a file makes its bytes durable but not
 * its directory entry. A new name, a rename or an unlink is durable only after an fsync of the
 * directory that holds it. Replacing a file in place is never atomic; writing a temporary file,
 * syncing it and renaming it over the old name is (the rename either happened or not).
 *
 * Invariants: `writeFileAtomic(p, b)` returning means a reader after any crash sees exactly `b`
 * at `p`; a crash before it returns leaves either the old content or `b`, never a mix. A
 * temporary file `p.tmp-<random>` may survive a crash; `isTemporaryFileName` recognises it so
 * storages can hide and remove leftovers.
 *
 * Thread rules: synchronous; callers serialise changes to one path.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { FasterError, ioError } from '../errors.js';
import type { NativeBinding } from '../native.js';

/** Marker between a file's name and the random suffix of its temporary twin. */
export const TEMPORARY_MARKER = '.tmp-';

/** Whether `fileName` (one path component) is a temporary file left by `writeFileAtomic`. */
export function isTemporaryFileName(fileName: string): boolean {
  return fileName.includes(TEMPORARY_MARKER);
}

/** fsync(2) of a directory: makes creations, renames and removals inside it durable. */
export function fsyncDirectory(binding: NativeBinding, dir: string): void {
  binding.fsyncDirectory(dir);
}

/**
 * Replaces the content of `path` with `bytes`, atomically and durably: writes
 * `path.tmp-<random>`, fdatasyncs it, renames it over `path` and fsyncs the directory.
 * REQUIRES: the parent directory exists (else ERR_IO ENOENT).
 */
export function writeFileAtomic(binding: NativeBinding, path: string, bytes: Uint8Array): void {
  const temporary = `${path}${TEMPORARY_MARKER}${randomBytes(6).toString('hex')}`;
  const handle = binding.fileOpen(temporary, true, false, false);
  try {
    binding.fileWriteSync(handle, bytes, 0);
    binding.fileDatasyncSync(handle);
  } catch (err) {
    closeQuietly(binding, handle);
    unlinkQuietly(binding, temporary);
    throw err;
  }
  binding.fileClose(handle);
  try {
    fs.renameSync(temporary, path);
  } catch (err) {
    unlinkQuietly(binding, temporary);
    throw ioError(err, path);
  }
  fsyncDirectory(binding, dirname(path));
}

/** Renames `from` to `to` (replacing `to`) and makes both directory entries durable. */
export function renameDurable(binding: NativeBinding, from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    throw ioError(err, from);
  }
  fsyncDirectory(binding, dirname(to));
  if (dirname(from) !== dirname(to)) fsyncDirectory(binding, dirname(from));
}

/**
 * The whole content of `path`, or `undefined` when there is no such file. Other failures
 * (EACCES, EISDIR, EIO) are ERR_IO.
 */
export function readFileFully(binding: NativeBinding, path: string): Uint8Array | undefined {
  let handle: number;
  try {
    handle = binding.fileOpen(path, false, true, false);
  } catch (err) {
    if (err instanceof FasterError && err.errno === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const bytes = new Uint8Array(binding.fileSize(handle));
    const got = binding.fileReadSync(handle, bytes, 0);
    return got === bytes.length ? bytes : bytes.subarray(0, got);
  } finally {
    binding.fileClose(handle);
  }
}

/**
 * Removes the file at `path` and makes the removal durable. Returns whether it existed; a
 * missing file is not an error (removal is idempotent, which crash cleanup relies on).
 */
export function removeFileDurable(binding: NativeBinding, path: string): boolean {
  try {
    binding.unlink(path);
  } catch (err) {
    if (err instanceof FasterError && err.errno === 'ENOENT') return false;
    throw err;
  }
  fsyncDirectory(binding, dirname(path));
  return true;
}

/**
 * Creates `dir` and any missing ancestors, fsyncing each parent after a creation so the new
 * directory entries are durable. An existing directory is left alone.
 */
export function ensureDirectory(binding: NativeBinding, dir: string): void {
  if (isDirectory(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureDirectory(binding, parent);
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(err, dir);
    if (!isDirectory(dir)) throw ioError({ code: 'ENOTDIR', syscall: 'mkdir' }, dir);
  }
  fsyncDirectory(binding, parent);
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(err, path);
  }
}

function closeQuietly(binding: NativeBinding, handle: number): void {
  try {
    binding.fileClose(handle);
  } catch {
    // The write already failed; that error is the one to report.
  }
}

function unlinkQuietly(binding: NativeBinding, path: string): void {
  try {
    binding.unlink(path);
  } catch {
    // A leftover temporary file is harmless: readers ignore it and storages remove it.
  }
}
