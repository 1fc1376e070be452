/**
 * Reading a FasterKV directory without changing it, for `fasterkv inspect` and `fasterkv verify`:
 * what is there (segments, lock holder, checkpoints with their sessions and serials, format
 * versions), and whether every checksum holds (checkpoint metadata, index images, snapshot
 * pages, and every record of the log range the newest log checkpoint needs).
 *
 * Never takes the directory's lock and never writes: a store may be running while it is read
 * (then its newest, still-unflushed bytes are simply not covered by any checkpoint yet).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointManager, toInfo, type CheckpointInfo } from '../checkpoint/checkpoint-manager.js';
import { METADATA_VERSION, type CheckpointMetadata } from '../checkpoint/checkpoint-metadata.js';
import { filesOf, indexName } from '../checkpoint/naming.js';
import { SNAPSHOT_VERSION, SnapshotReader } from '../checkpoint/snapshot-file.js';
import { FasterError } from '../errors.js';
import { IMAGE_VERSION, verifyImage } from '../index/index-dump.js';
import type { NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import { verifyLogRange, type Problem } from './verify-log.js';

export type { Problem } from './verify-log.js';

const LOG_BASE_NAME = 'hlog.log';
const SECTOR_BYTES = 4096;

export interface FileInfo {
  readonly name: string;
  readonly bytes: number;
}

export interface StoreCheckpoint extends CheckpointInfo {
  readonly sequence: number;
  readonly pageBytes: number;
  readonly segmentBytes: number;
  readonly startAddress: number;
  readonly files: FileInfo[];
}

export interface StoreReport {
  readonly kind: 'fasterkv';
  readonly dir: string;
  readonly formats: Record<string, number>;
  readonly segments: FileInfo[];
  /** The LOCK file's contents (the writer holding the directory), when present. */
  readonly lock: string | undefined;
  readonly checkpoints: StoreCheckpoint[];
  readonly damagedCheckpoints: { token: string; error: string }[];
  readonly incompleteCheckpoints: string[];
}

export interface VerifyReport {
  readonly dir: string;
  readonly problems: Problem[];
  readonly checkpointsChecked: number;
  readonly recordsChecked: number;
  readonly logBytesChecked: number;
  /** Why the log was not checked, when it was not. */
  readonly logNotChecked: string | undefined;
}

/** The writer lock file's contents (the Storage reserves the name, so it is read directly). */
export function readLock(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'LOCK'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function openStorage(dir: string, binding: NativeBinding): DirectoryStorage {
  return new DirectoryStorage(dir, binding, { create: false });
}

function fileInfo(storage: DirectoryStorage, name: string): FileInfo {
  return { name, bytes: statSync(join(storage.path, name)).size };
}

export function inspectStore(dir: string, binding: NativeBinding): StoreReport {
  const storage = openStorage(dir, binding);
  try {
    const manager = new CheckpointManager(storage, (d, s) => binding.crc32c(d, s), 0);
    const scan = manager.scan();
    return {
      kind: 'fasterkv', dir: storage.path,
      formats: { record: 1, checkpointMetadata: METADATA_VERSION, indexImage: IMAGE_VERSION,
        snapshot: SNAPSHOT_VERSION },
      segments: storage.list(`${LOG_BASE_NAME}.`).map((n) => fileInfo(storage, n)),
      lock: readLock(storage.path),
      checkpoints: scan.good.map((m) => ({
        ...toInfo(m), sequence: m.sequence, pageBytes: m.pageBytes, segmentBytes: m.segmentBytes,
        startAddress: m.startAddress, files: filesOf(storage, m.token).map((n) => fileInfo(storage, n)),
      })),
      damagedCheckpoints: scan.damaged.map((d) => ({ token: d.token, error: d.error.message })),
      incompleteCheckpoints: scan.incomplete,
    };
  } finally {
    storage.close();
  }
}

/** Checks every checksum the directory's checkpoints rely on; `progress(done, total)` bytes. */
export function verifyStore(dir: string, binding: NativeBinding,
  progress: (done: number, total: number) => void = () => {}): VerifyReport {
  const storage = openStorage(dir, binding);
  const crc = (d: Uint8Array, s: number): number => binding.crc32c(d, s);
  try {
    const scan = new CheckpointManager(storage, crc, 0).scan();
    const problems: Problem[] = scan.damaged.map((d) => problemOf(d.error, d.token));
    for (const m of scan.good) problems.push(...verifyCheckpointFiles(storage, m, crc));
    const newest = scan.good.find((m) => m.log);
    if (newest === undefined) {
      return { dir: storage.path, problems, checkpointsChecked: scan.good.length,
        recordsChecked: 0, logBytesChecked: 0, logNotChecked: 'no log checkpoint' };
    }
    const end = newest.snapshot ? newest.snapshotStart : newest.finalAddress;
    const device = storage.openDevice(LOG_BASE_NAME, {
      segmentBytes: newest.segmentBytes, sectorBytes: SECTOR_BYTES, readOnly: true,
    });
    try {
      const log = verifyLogRange(device, newest.pageBytes, newest.beginAddress, end, crc,
        progress);
      problems.push(...log.problems);
      return { dir: storage.path, problems, checkpointsChecked: scan.good.length,
        recordsChecked: log.records, logBytesChecked: log.bytes, logNotChecked: undefined };
    } finally {
      device.close();
    }
  } finally {
    storage.close();
  }
}

function verifyCheckpointFiles(storage: DirectoryStorage, m: CheckpointMetadata,
  crc: (d: Uint8Array, s: number) => number): Problem[] {
  const problems: Problem[] = [];
  if (m.index) {
    const name = indexName(m.token);
    const bytes = storage.readFile(name);
    if (bytes === undefined) problems.push({ file: name, offset: 0, message: 'missing' });
    else tryCheck(problems, m.token, () => verifyImage(bytes, crc, name));
  }
  if (m.log && m.snapshot) {
    tryCheck(problems, m.token, () => {
      const reader = new SnapshotReader(storage, m.token, m.segmentBytes, SECTOR_BYTES, crc);
      try {
        const page = new Uint8Array(reader.layout.pageBytes);
        for (let i = 0; i < reader.layout.pageCount; i++) reader.readPage(i, page);
      } finally {
        reader.close();
      }
    });
  }
  return problems;
}

function tryCheck(problems: Problem[], token: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof FasterError)) throw err;
    problems.push(problemOf(err, token));
  }
}

function problemOf(err: FasterError, token: string): Problem {
  return { file: err.path ?? `checkpoint ${token}`, offset: err.offset ?? 0, message: err.message };
}
