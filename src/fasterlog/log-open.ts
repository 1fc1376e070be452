/**
 * Opening a FasterLog directory: storage and lock, the commit-metadata ring, the log device,
 * recovery, and then either a writer (a hybrid log restored to the recovered commit, and an
 * ANCHOR record that starts this writer's commit chain) or a read-only follower.
 *
 * The anchor is prepared here and written (and synced) just before this writer first writes
 * the log or the metadata (WriterState), so an open that writes nothing (a look at an older
 * commit with `recoverTo`) changes nothing. It repeats the recovered commit (same number,
 * begin, until, iterators, cookie) with this writer's nonce, so that
 *  - every commit this writer makes follows it, and no record left in the log by an earlier
 *    life (a torn tail that recovery dropped, or commits after a `recoverTo` point) can ever
 *    continue the chain;
 *  - after `recoverTo`, the newest metadata is the recovered commit, not the abandoned ones.
 * The log's geometry (page and segment size) is fixed at creation and kept in every commit
 * record; reopening with different values is ERR_INVALID_ARGUMENT.
 * Thread rules: the opening thread; synchronous.
 */
import { randomInt } from 'node:crypto';
import type { Device } from '../device/device.js';
import { SharedSegments } from '../device/shared-segments.js';
import { LightEpoch } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import { HybridLog } from '../log/hybrid-log.js';
import { restoreLog } from '../log/log-restore.js';
import { selectBinding, type NativeBinding } from '../native.js';
import { DirectoryStorage } from '../storage/directory-storage.js';
import type { Storage } from '../storage/storage.js';
import type { CommitRecord } from './commit-metadata.js';
import { CommitStore, type RingContents, type RingWrite } from './commit-store.js';
import type { ChainStart } from './committer.js';
import { LogFollower } from './follower.js';
import { LOG_DEVICE_NAME } from './layout.js';
import type { ResolvedLogOptions } from './options.js';
import { recover, type FasterLogRecoveryReport } from './recovery.js';

/** What every kind of opened log (writer, follower, attached) is built from. */
export interface CommonParts {
  readonly binding: NativeBinding;
  readonly storage: Storage;
  readonly release: () => void;
  readonly report: FasterLogRecoveryReport;
  readonly pageBytes: number;
  readonly segmentBytes: number;
}

export interface WriterParts extends CommonParts {
  readonly kind: 'writer';
  readonly log: HybridLog;
  readonly store: CommitStore;
  readonly start: ChainStart;
  /** The anchor, prepared: written before this writer writes anything (WriterState). */
  readonly anchorWrite: RingWrite;
  readonly writerNonce: number;
  /** The log device's SharedSegments buffer (for threads that attach: log-threads.ts). */
  readonly segments: SharedArrayBuffer;
}

export interface FollowerParts extends CommonParts {
  readonly kind: 'follower';
  readonly follower: LogFollower;
  readonly start: CommitRecord;
}

export function openLogParts(o: ResolvedLogOptions, given: Storage | undefined):
  WriterParts | FollowerParts {
  const binding = selectBinding(o.engine);
  const storage = given ?? new DirectoryStorage(o.dir, binding, { create: !o.readOnly });
  const releaseLock = o.readOnly ? () => undefined : storage.lock();
  const release = (): void => {
    releaseLock();
    if (given === undefined) storage.close();
  };
  const opened: Device[] = [];
  try {
    return o.readOnly ? openFollower(o, binding, storage, release, opened)
      : openWriter(o, binding, storage, release, opened);
  } catch (err) {
    for (const device of opened) device.close();
    release();
    throw err;
  }
}

function openWriter(o: ResolvedLogOptions, binding: NativeBinding, storage: Storage,
  release: () => void, opened: Device[]): WriterParts {
  const { store, created } = CommitStore.open(storage, binding, false)!;
  opened.push(store.device);
  const ring = store.readAll();
  const { pageBytes, segmentBytes } = geometry(o, ring);
  const segments = new SharedSegments().buffer;
  const device = storage.openDevice(LOG_DEVICE_NAME, {
    segmentBytes, direct: o.directIo, shared: segments,
  });
  opened.push(device);
  const recovered = recover({ binding, device, pageBytes, ring, ringCreated: created,
    onCorruption: o.onCorruption, recoverTo: o.recoverTo });
  const epoch = new LightEpoch();
  epoch.acquire();
  let log: HybridLog;
  try {
    log = new HybridLog({ device, binding, epoch, pageBytes, memoryBytes: o.memoryBytes,
      mutableFraction: 0, eagerFlush: false, zeroClosedFrames: false });
    restoreLog(log, recovered.record.beginAddress, recovered.record.untilAddress);
  } catch (err) {
    epoch.release();
    throw err;
  }
  const writerNonce = randomInt(1, 2 ** 32 - 1);
  const anchor: CommitRecord = {
    ...recovered.record, anchor: true, writerNonce, timeMs: Date.now(),
    previousUntilAddress: recovered.record.untilAddress, previousChecksum: recovered.checksum,
  };
  const anchorWrite = store.prepare(anchor);
  return {
    kind: 'writer', binding, storage, release, report: recovered.report, pageBytes,
    segmentBytes, log, store, start: { record: anchor, checksum: anchorWrite.checksum },
    anchorWrite, writerNonce, segments,
  };
}

function openFollower(o: ResolvedLogOptions, binding: NativeBinding, storage: Storage,
  release: () => void, opened: Device[]): FollowerParts {
  const found = CommitStore.open(storage, binding, true);
  if (found === undefined) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `readOnly: ${storage.path} holds no ` +
      'FasterLog (no commit metadata); a follower needs a log a writer has opened');
  }
  const { store } = found;
  opened.push(store.device);
  const ring = store.readAll();
  const { pageBytes, segmentBytes } = geometry(o, ring);
  const device = storage.openDevice(LOG_DEVICE_NAME, { segmentBytes, readOnly: true });
  opened.push(device);
  const recovered = recover({ binding, device, pageBytes, ring, ringCreated: false,
    onCorruption: o.onCorruption, recoverTo: o.recoverTo });
  const sequence = ring.records[ring.records.length - 1]?.sequence ?? 0;
  const follower = new LogFollower(storage, binding, store, pageBytes, segmentBytes, {
    tip: { record: recovered.record, checksum: recovered.checksum }, sequence, device,
  });
  return {
    kind: 'follower', binding, storage, release, report: recovered.report, pageBytes,
    segmentBytes, follower, start: recovered.record,
  };
}

/** The geometry of an existing log (checked against the options), or the options'. */
function geometry(o: ResolvedLogOptions, ring: RingContents):
  { pageBytes: number; segmentBytes: number } {
  const stored = ring.records[ring.records.length - 1]?.commit;
  if (stored === undefined) return { pageBytes: o.pageBytes, segmentBytes: o.segmentBytes };
  for (const name of ['pageBytes', 'segmentBytes'] as const) {
    if (o.geometryGiven[name] && o[name] !== stored[name]) {
      throw invalidArgument(name, `${stored[name]}, the value the existing log at ${o.dir} ` +
        'was created with', o[name]);
    }
  }
  return { pageBytes: stored.pageBytes, segmentBytes: stored.segmentBytes };
}
