/**
 * DirectoryStorage: a Storage over a directory of real files, doing file I/O through a
 * NativeBinding (so devices get O_DIRECT on the native engine). Names map to paths under the
 * root; parent directories are created on demand, durably (durable-fs). Devices are
 * FileDevices; metadata files are written with writeFileAtomic.
 *
 * Taking the lock also removes temporary files a crashed writer left behind: only the lock
 * holder writes, so any temporary present then is an orphan. Nested directories (a
 * checkpoint's) are removed with their last file, and empty ones found when the lock is taken.
 * Thread rules: one thread per instance; one writer (lock holder) per directory.
 */
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FasterError, invalidArgument, ioError } from '../errors.js';
import type { EngineOption, NativeBinding } from '../native.js';
import { selectBinding } from '../native.js';
import type { Device } from '../device/device.js';
import { FileDevice } from '../device/file-device.js';
import {
  ensureDirectory, fsyncDirectory, isTemporaryFileName, readFileFully, removeFileDurable,
  TEMPORARY_MARKER, writeFileAtomic,
} from '../util/durable-fs.js';
import { lockDirectory } from './directory-lock.js';
import {
  LOCK_NAME, validateName, validatePrefix, type Storage, type StorageDeviceOptions,
} from './storage.js';

const LOCK_TEMPORARY = `${LOCK_NAME}${TEMPORARY_MARKER}`;
/** Directories at least this deep (`checkpoints/<token>`) are removed once empty. */
const NESTED_DEPTH = 2;

export interface DirectoryStorageOptions {
  /** Create the directory (and missing ancestors) when absent. Default true. */
  create?: boolean;
  /** Which engine does the I/O when no binding is passed; default 'auto'. */
  engine?: EngineOption;
}

export class DirectoryStorage implements Storage {
  readonly path: string;
  private readonly binding: NativeBinding;
  private release: (() => void) | undefined;
  private closed = false;

  /** Opens (by default creating) the directory `dir`. Missing and not created: ERR_IO ENOENT. */
  constructor(dir: string, binding?: NativeBinding, options: DirectoryStorageOptions = {}) {
    if (typeof dir !== 'string' || dir === '') {
      throw invalidArgument('dir', 'a non-empty directory path', dir);
    }
    this.path = resolve(dir);
    this.binding = binding ?? selectBinding(options.engine);
    if (options.create ?? true) {
      ensureDirectory(this.binding, this.path);
    } else if (!fs.existsSync(this.path)) {
      throw ioError({ code: 'ENOENT', syscall: 'stat' }, this.path);
    }
  }

  openDevice(baseName: string, options: StorageDeviceOptions): Device {
    this.checkOpen();
    const parts = validateName(baseName, 'baseName');
    const dir = join(this.path, ...parts.slice(0, -1));
    if (options.readOnly !== true) ensureDirectory(this.binding, dir);
    return new FileDevice({
      ...options, dir, baseName: parts[parts.length - 1]!, binding: this.binding,
    });
  }

  writeFileAtomic(name: string, bytes: Uint8Array): void {
    this.checkOpen();
    const parts = validateName(name);
    ensureDirectory(this.binding, join(this.path, ...parts.slice(0, -1)));
    writeFileAtomic(this.binding, join(this.path, ...parts), bytes);
  }

  readFile(name: string): Uint8Array | undefined {
    this.checkOpen();
    const parts = validateName(name);
    try {
      return readFileFully(this.binding, join(this.path, ...parts));
    } catch (err) {
      if (err instanceof FasterError && err.errno === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  list(prefix?: string): string[] {
    this.checkOpen();
    const wanted = validatePrefix(prefix);
    const slash = wanted.lastIndexOf('/');
    const start = slash < 0 ? '' : wanted.slice(0, slash);
    const names: string[] = [];
    this.walk(start, names);
    return names.filter((n) => n.startsWith(wanted) && n !== LOCK_NAME).sort();
  }

  remove(name: string): void {
    this.checkOpen();
    const parts = validateName(name);
    removeFileDurable(this.binding, join(this.path, ...parts));
    // A directory below a top-level one (a checkpoint's) that this left empty goes too, or a
    // store taking checkpoints for months would keep one empty directory per checkpoint.
    for (let depth = parts.length - 1; depth >= NESTED_DEPTH; depth--) {
      if (!this.removeIfEmpty(parts.slice(0, depth).join('/'))) return;
    }
  }

  lock(): () => void {
    this.checkOpen();
    if (this.release !== undefined) {
      throw new FasterError('ERR_LOCKED', `${this.path} is already locked by this storage`,
        { path: this.path });
    }
    const release = lockDirectory(this.path);
    this.release = release;
    this.removeTemporaries('');
    return () => {
      release();
      if (this.release === release) this.release = undefined;
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  private checkOpen(): void {
    if (this.closed) throw new FasterError('ERR_CLOSED', `storage ${this.path} is closed`);
  }

  /** Appends the names of regular files under `relative` (recursively), temporaries excluded. */
  private walk(relative: string, out: string[]): void {
    let entries: fs.Dirent[];
    const dir = join(this.path, relative);
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw ioError(err, dir);
    }
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) this.walk(name, out);
      else if (!isTemporaryFileName(entry.name)) out.push(name);
    }
  }

  /** Removes the directory `relative` if it is empty (durably); true when it did. */
  private removeIfEmpty(relative: string): boolean {
    const dir = join(this.path, relative);
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
      throw ioError(err, dir);
    }
    fsyncDirectory(this.binding, dirname(dir));
    return true;
  }

  /**
   * Removes temporaries left by a crashed writer under `relative`, and nested directories
   * left empty (by an interrupted removal, or by a version that did not remove them). Lock temporaries are left
   * alone: they belong to other processes trying to take the lock right now.
   */
  private removeTemporaries(relative: string): void {
    const dir = join(this.path, relative);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw ioError(err, dir);
    }
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        this.removeTemporaries(name);
        if (name.split('/').length >= NESTED_DEPTH) this.removeIfEmpty(name);
      } else if (isTemporaryFileName(entry.name) && !name.startsWith(LOCK_TEMPORARY)) {
        removeFileDurable(this.binding, join(this.path, name));
      }
    }
  }
}
