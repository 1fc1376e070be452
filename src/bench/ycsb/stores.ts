/**
 * The stores a YCSB trial drives (driver.ts): FasterKV on either engine, and the peers in the
 * same run — lmdb-js (sync API, noSync, one write transaction per batch that writes; reads of
 * a read-only batch use lmdb-js's shared read transaction), classic-level
 * (LevelDB: sync reads, one asynchronous write batch per batch), better-sqlite3 (SQLite in WAL
 * mode, one `WITHOUT ROWID` table of BLOB keys and values, prepared statements, one
 * transaction per batch, read-only batches included, and a 256 MiB page cache) and a JS Map
 * keyed by latin1 strings. The peers are devDependencies, loaded only when their trial runs.
 * better-sqlite3 compiles SQLite from source when installed; where it is missing or its build
 * failed, openPeer throws PeerUnavailableError and the trial reports the store as skipped.
 *
 * Durability is matched: none of the stores syncs to the device during a run. FasterKV keeps
 * the log in memory (no checkpoint); lmdb-js commits to the page cache without fsync
 * (noSync); classic-level writes its log to the page cache without fsync (sync: false);
 * better-sqlite3 commits to the write-ahead log in the page cache without fsync
 * (synchronous=OFF; WAL checkpoints do not fsync either); the Map is process memory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineName } from '../../native.js';
import { FasterKV } from '../../store/faster-kv.js';
import type { Session } from '../../store/session.js';
import { rmwFunctions, type RmwFunctions } from '../../store/rmw-functions.js';
import { addOne, type YcsbStore } from './driver.js';

/** Largest log memory a trial asks for (one SharedArrayBuffer). */
const MAX_MEMORY_BYTES = 2 ** 31;

export type PeerName = 'lmdb' | 'classic-level' | 'better-sqlite3' | 'map';

/** A peer store whose package is not installed (or whose native part did not build). */
export class PeerUnavailableError extends Error {
  constructor(readonly peer: PeerName, cause: unknown, installHint = '') {
    super(`${peer} is not installed (${firstLine(cause)})${installHint}`);
    this.name = 'PeerUnavailableError';
  }
}

export interface StoreSetup {
  readonly dir: string;
  readonly records: number;
  readonly valueBytes: number;
}

/**
 * RMW for values of any size: adds 1 to the 64-bit integer in the first 8 bytes, in place in
 * the mutable region, keeping the value's length (the built-in counter serves 8-byte values).
 */
const addOneRmw: RmwFunctions<Uint8Array, number> = {
  raw: true,
  initial: () => new Uint8Array(8),
  update(old) {
    const out = new Uint8Array(old);
    addOne(out);
    return out;
  },
  inPlace(value) {
    addOne(value);
    return true;
  },
};

/** A FasterKV store holding every record in memory (the in-memory YCSB configuration). */
export async function openFasterKV(engine: EngineName, setup: StoreSetup): Promise<YcsbStore> {
  const recordBytes = 24 + 8 + setup.valueBytes;
  const rmw = setup.valueBytes === 8 ? rmwFunctions.counter : addOneRmw;
  const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
    dir: join(setup.dir, 'fasterkv'), engine,
    indexBuckets: powerOfTwoAtLeast(setup.records / 2),
    memoryBytes: Math.min(MAX_MEMORY_BYTES, powerOfTwoAtLeast(setup.records * recordBytes * 2)),
    rmw: rmw as RmwFunctions<Uint8Array, number>,
  });
  const session: Session<Uint8Array, Uint8Array, number> = kv.newSession('ycsb');
  return {
    name: 'fasterkv',
    durability: 'none (log in memory, no checkpoint)',
    read: (key) => session.read(key),
    update: (key, value) => {
      session.upsert(key, value);
    },
    rmw: (key) => {
      session.rmw(key, 1);
    },
    batch: (ops) => ops(),
    flush: () => undefined,
    close: () => kv.close(),
  };
}

export async function openPeer(peer: PeerName, setup: StoreSetup): Promise<YcsbStore> {
  if (peer === 'lmdb') return openLmdb(setup);
  if (peer === 'classic-level') return openClassicLevel(setup);
  if (peer === 'better-sqlite3') return openSqlite(setup);
  return openMap();
}

async function openLmdb(setup: StoreSetup): Promise<YcsbStore> {
  const { open } = await import('lmdb');
  const db = open({
    path: join(setup.dir, 'lmdb'), noSync: true, compression: false, cache: false,
    encoding: 'binary', keyEncoding: 'binary',
  });
  return {
    name: 'lmdb',
    durability: 'none (noSync: commits reach the page cache, never fsync)',
    read: (key) => db.get(key),
    update: (key, value) => {
      db.putSync(key, value);
    },
    rmw: (key) => {
      const old = db.get(key) as Buffer | undefined;
      const value = old === undefined ? Buffer.alloc(8) : old;
      addOne(value);
      db.putSync(key, value);
    },
    batch: (ops, writes) => {
      if (writes) db.transactionSync(ops);
      else ops();
    },
    flush: () => undefined,
    close: () => db.close(),
  };
}

async function openClassicLevel(setup: StoreSetup): Promise<YcsbStore> {
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel<Buffer, Buffer>(join(setup.dir, 'level'), {
    keyEncoding: 'buffer', valueEncoding: 'buffer',
  });
  await db.open();
  let writes = db.batch();
  return {
    name: 'classic-level',
    durability: 'none (sync: false: the write-ahead log reaches the page cache, never fsync)',
    read: (key) => db.getSync(key),
    update: (key, value) => {
      writes.put(key, value);
    },
    rmw: (key) => {
      const old = db.getSync(key);
      const value = old === undefined ? Buffer.alloc(8) : old;
      addOne(value);
      writes.put(key, value);
    },
    batch: (ops) => ops(),
    flush: () => {
      if (writes.length === 0) return undefined;
      const done = writes.write();
      writes = db.batch();
      return done;
    },
    close: () => db.close(),
  };
}

/** The part of better-sqlite3's API the bench uses (the package ships no types). */
interface SqliteStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
  pluck(): SqliteStatement;
}
interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}
type SqliteConstructor = new (path: string) => SqliteDatabase;

async function openSqlite(setup: StoreSetup): Promise<YcsbStore> {
  let db: SqliteDatabase;
  try {
    // A variable specifier: the package is optional and has no type declarations.
    const specifier = 'better-sqlite3';
    const { default: Database } = await import(specifier) as { default: SqliteConstructor };
    mkdirSync(setup.dir, { recursive: true });
    db = new Database(join(setup.dir, 'sqlite.db'));
  } catch (err) {
    throw new PeerUnavailableError('better-sqlite3', err,
      '; `npm install --no-save better-sqlite3@12` adds it (builds SQLite from source)');
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.exec('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
  const get = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
  const put = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ' +
    'ON CONFLICT (k) DO UPDATE SET v = excluded.v');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  return {
    name: 'better-sqlite3',
    durability: 'none (WAL, synchronous=OFF: commits reach the page cache, never fsync)',
    read: (key) => get.get(key),
    update: (key, value) => {
      put.run(key, value);
    },
    rmw: (key) => {
      const old = get.get(key) as Buffer | undefined;
      const value = old === undefined ? Buffer.alloc(8) : old;
      addOne(value);
      put.run(key, value);
    },
    batch: (ops) => {
      begin.run();
      try {
        ops();
      } catch (err) {
        rollback.run();
        throw err;
      }
      commit.run();
    },
    flush: () => undefined,
    close: async () => {
      db.close();
    },
  };
}

/** A Map from latin1 key strings to value Buffers (updates copy into the stored Buffer). */
function openMap(): YcsbStore {
  const map = new Map<string, Buffer>();
  return {
    name: 'map',
    durability: 'none (process memory)',
    read: (key) => map.get(key.toString('latin1')),
    update: (key, value) => {
      const k = key.toString('latin1');
      const stored = map.get(k);
      if (stored !== undefined && stored.length === value.length) stored.set(value);
      else map.set(k, Buffer.from(value));
    },
    rmw: (key) => {
      const k = key.toString('latin1');
      const stored = map.get(k);
      if (stored !== undefined) addOne(stored);
      else map.set(k, Buffer.alloc(8, 0).fill(1, 0, 1));
    },
    batch: (ops) => ops(),
    flush: () => undefined,
    close: async () => {
      map.clear();
    },
  };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

function powerOfTwoAtLeast(n: number): number {
  return 2 ** Math.max(6, Math.ceil(Math.log2(Math.max(1, n))));
}
