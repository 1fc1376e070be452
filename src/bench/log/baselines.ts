/**
 * What a durable append costs without fasterkv, measured in the same process as FasterLog:
 *  - `write + fdatasync` per append (node:fs; concurrent appenders share libuv's pool);
 *  - a plain group commit: appends wait in a list; one positional write of everything waiting
 *    plus one fdatasync per batch, one batch in flight, the next starting when it completes;
 *  - lmdb-js asynchronous durable puts (lmdb-js batches concurrent puts into one transaction
 *    and syncs it after committing; `separateFlushed` gives each put a promise for the sync,
 *    which is what is awaited).
 * Every file grows as it is appended to (no preallocation), as an application's own log does.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

export interface DurableAppender {
  readonly name: string;
  readonly detail: string;
  append(entry: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

export function fsyncPerAppend(dir: string): DurableAppender {
  const fd = fs.openSync(join(dir, 'fsync-per-append.log'), 'w');
  let position = 0;
  return {
    name: 'write+fdatasync',
    detail: 'node:fs write + fdatasync per append',
    append: (entry) => new Promise<void>((resolve, reject) => {
      const at = position;
      position += entry.length;
      fs.write(fd, entry, 0, entry.length, at, (err) => {
        if (err !== null) return reject(err);
        fs.fdatasync(fd, (err2) => (err2 === null ? resolve() : reject(err2)));
      });
    }),
    close: async () => fs.closeSync(fd),
  };
}

export function plainGroupCommit(dir: string): DurableAppender {
  const fd = fs.openSync(join(dir, 'group-commit.log'), 'w');
  let waiting: { entry: Uint8Array; done: () => void; fail: (e: Error) => void }[] = [];
  let inFlight = false;
  let position = 0;
  const flush = (): void => {
    if (inFlight || waiting.length === 0) return;
    inFlight = true;
    const batch = waiting;
    waiting = [];
    const bytes = Buffer.concat(batch.map((w) => w.entry));
    const settle = (err: Error | null): void => {
      inFlight = false;
      for (const w of batch) {
        if (err === null) w.done();
        else w.fail(err);
      }
      flush();
    };
    fs.write(fd, bytes, 0, bytes.length, position, (err) => {
      if (err !== null) return settle(err);
      position += bytes.length;
      fs.fdatasync(fd, settle);
    });
  };
  return {
    name: 'plain group commit',
    detail: 'node:fs, one write + fdatasync per batch of waiting appends, one batch in flight',
    append: (entry) => new Promise<void>((done, fail) => {
      waiting.push({ entry, done, fail });
      flush();
    }),
    close: async () => fs.closeSync(fd),
  };
}

export async function lmdbAppender(dir: string): Promise<DurableAppender> {
  const { open } = await import('lmdb');
  const db = open({ path: join(dir, 'lmdb'), compression: false, cache: false,
    encoding: 'binary', keyEncoding: 'binary', separateFlushed: true });
  let key = 0;
  const keyBytes = (): Buffer => {
    const k = Buffer.alloc(8);
    k.writeBigUInt64BE(BigInt(key++));
    return k;
  };
  return {
    name: 'lmdb-js',
    detail: 'lmdb-js async put, awaiting its `flushed` promise (synced to disk)',
    append: (entry) => {
      const put = db.put(keyBytes(), entry) as Promise<boolean> & { flushed?: Promise<void> };
      return put.flushed ?? put;
    },
    close: () => db.close(),
  };
}
