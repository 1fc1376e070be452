/**
 * The exclusive writer lock of a storage directory: a file `LOCK` at its root whose content is
 * `"<pid> <boot id> <random token>\n"`.
 *
 * Why a pid file: Node.js exposes no flock/fcntl locking, and a lock file works the same on
 * every local file system. Taking the lock writes the content to a unique temporary file and
 * link(2)s it to `LOCK`: link fails with EEXIST when `LOCK` exists (atomic, like O_EXCL) and the
 * name never appears without its full content, so a crash cannot leave an empty,
 * unexplainable lock behind.
 *
 * A lock is stale when its holder cannot be running: its boot id differs from this boot's (the
 * machine restarted) or `kill(pid, 0)` says no such process. A stale lock is removed and taking
 * is retried once. A live holder — this very process included, so a second writer in the same
 * process is refused too — gives ERR_LOCKED naming the directory, the pid and the lock file.
 *
 * Limits: a pid reused by an unrelated process within one boot makes a stale lock look live
 * (the message says which file to remove); two processes recovering the same stale lock at the
 * same instant may both see it stale — the re-read before removal narrows that window, it does
 * not close it. The lock file is deliberately not made durable: after a power cut its holder
 * is gone and the boot id marks it stale.
 * Thread rules: synchronous; worker threads of one process share its pid and so cannot lock
 * against each other (stores shared with workers take the lock once, in the owner).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FasterError, ioError } from '../errors.js';
import { TEMPORARY_MARKER } from '../util/durable-fs.js';
import { LOCK_NAME } from './storage.js';

let cachedBootId: string | undefined;

/** This boot's id (Linux), or '' where the system has none. */
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

/** Takes the lock on `dir`; returns the (idempotent) release function. */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, LOCK_NAME);
  const content = `${process.pid} ${bootId()} ${randomBytes(8).toString('hex')}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryLink(path, content)) return releaser(path, content);
    const holder = readHolder(path);
    if (holder === undefined) continue;
    if (holderIsAlive(holder)) throw lockedError(dir, path, holder);
    removeIfUnchanged(path, holder.content);
  }
  const holder = readHolder(path);
  throw lockedError(dir, path, holder ?? { pid: NaN, boot: '', content: '' });
}

interface Holder {
  readonly pid: number;
  readonly boot: string;
  readonly content: string;
}

function tryLink(path: string, content: string): boolean {
  const temporary = `${path}${TEMPORARY_MARKER}${randomBytes(6).toString('hex')}`;
  try {
    fs.writeFileSync(temporary, content, { flag: 'wx', mode: 0o644 });
    fs.linkSync(temporary, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(err, path);
  } finally {
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Not created (the write failed first); nothing to clean up.
    }
  }
}

/** The holder recorded in the lock file; undefined when the file vanished meanwhile. */
function readHolder(path: string): Holder | undefined {
  let content: string;
  try {
    content = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(err, path);
  }
  const [pidText = '', boot = ''] = content.trim().split(/\s+/);
  return { pid: /^[1-9][0-9]*$/.test(pidText) ? Number(pidText) : NaN, boot, content };
}

/** Conservative: anything that cannot be shown dead counts as alive. */
function holderIsAlive(holder: Holder): boolean {
  if (Number.isNaN(holder.pid)) return true;
  const here = bootId();
  if (here !== '' && holder.boot !== '' && holder.boot !== here) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function removeIfUnchanged(path: string, staleContent: string): void {
  if (readHolder(path)?.content !== staleContent) return;
  try {
    fs.unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, path);
  }
}

function releaser(path: string, content: string): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    removeIfUnchanged(path, content);
  };
}

function lockedError(dir: string, path: string, holder: Holder): FasterError {
  const who = Number.isNaN(holder.pid) ? 'an unknown process' : `process ${holder.pid}`;
  return new FasterError('ERR_LOCKED', `${dir} is locked by ${who}: another writer has it ` +
    `open (lock file ${path}; remove it only if no process uses the directory)`,
    { path });
}
