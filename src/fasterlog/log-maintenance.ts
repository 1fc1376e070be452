/**
 * LogMaintenance: what happens after a commit is durable, off the acknowledgement path.
 *
 *  - Metadata copies (fast-commit mode): commit records live in the log, so the metadata ring
 *    is only a starting point for recovery. A copy of the newest commit is written to it
 *    (asynchronously, one at a time) once a second or every RING_COPY_BYTES of log, which
 *    bounds how much of the log recovery walks, and before segments are deleted (below).
 *  - Segment deletion: segments wholly below BeginAddress are deleted once a durable metadata
 *    record holds a begin address past them. Recovery starts from the metadata, so it never
 *    needs a deleted segment; disk usage drops by whole segments.
 *  - Retention (`retention` option): after each commit, and on a timer for `maxAgeMs`, picks
 *    the highest segment boundary that keeps the log within `maxBytes` and drops segments
 *    whose newest commit is older than `maxAgeMs`, never past the lowest named iterator's
 *    position unless `dropUnconsumed`, never past the committed-until address; truncates
 *    there and asks for a commit, which persists the new begin address.
 * Segment ages are the times of the commits that wrote into them (segments recovered from an
 * earlier run take the recovered commit's time, which can only keep them longer).
 * Failures here (a metadata write, an unlink) are kept in `lastError` and retried on the next
 * occasion; they never fail a commit.
 * Thread rules: the log's JS thread.
 */
import { FasterError } from '../errors.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { CommitRecord } from './commit-metadata.js';
import type { CommitStore } from './commit-store.js';
import type { IteratorRegistry } from './iterator-registry.js';
import type { RetentionOptions } from './options.js';

const RING_COPY_INTERVAL_MS = 1000;
const RING_COPY_BYTES = 64 << 20;

export interface MaintenanceParts {
  readonly log: HybridLog;
  readonly store: CommitStore;
  readonly iterators: IteratorRegistry;
  readonly fastCommit: boolean;
  readonly retention: Required<RetentionOptions> | undefined;
  committedUntil(): number;
  /** Logical truncation (FasterLog.truncateUntil) of an entry boundary. */
  truncate(address: number): void;
  commitNow(): void;
}

export class LogMaintenance {
  lastError: FasterError | undefined;
  private deletedBelow: number;
  private readonly segmentTimes = new Map<number, number>();
  private ringBusy: Promise<void> | undefined;
  private ringNext: CommitRecord | undefined;
  private ringCopied: CommitRecord | undefined;
  private lastRingMs = Date.now();
  private lastRingUntil: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: MaintenanceParts, recovered: CommitRecord) {
    const { log, retention } = parts;
    const range = log.device.segmentRange();
    this.deletedBelow = range.start;
    for (let s = range.start; s < range.end; s++) this.segmentTimes.set(s, recovered.timeMs);
    this.lastRingUntil = recovered.untilAddress;
    this.ringCopied = recovered;
    if (retention !== undefined && Number.isFinite(retention.maxAgeMs)) {
      const every = Math.max(10, Math.min(retention.maxAgeMs / 2, 1000));
      this.timer = setInterval(() => this.applyRetention(Date.now()), every);
      this.timer.unref();
    }
  }

  /** Whether a fast commit must reach the ring before it completes (see the committer). */
  needsMetadata(record: CommitRecord): boolean {
    return this.deletable(record.beginAddress);
  }

  /** A commit is durable; `inMetadata`: its ring record is durable too. */
  onCommitted(record: CommitRecord, inMetadata: boolean): void {
    const segmentBytes = this.parts.log.device.segmentBytes;
    const first = Math.floor(record.previousUntilAddress / segmentBytes);
    const last = Math.floor(Math.max(record.untilAddress - 1, 0) / segmentBytes);
    for (let s = first; s <= last; s++) this.segmentTimes.set(s, record.timeMs);
    if (inMetadata) {
      this.inRing(record);
    } else if (record.timeMs - this.lastRingMs >= RING_COPY_INTERVAL_MS ||
        record.untilAddress - this.lastRingUntil >= RING_COPY_BYTES) {
      this.copyToRing(record);
    }
    this.applyRetention(record.timeMs);
  }

  /** Fast-commit mode: makes sure the ring holds `record` (close). */
  async settle(record: CommitRecord): Promise<void> {
    while (this.ringBusy !== undefined) await this.ringBusy;
    if (this.parts.fastCommit && this.ringCopied !== record) this.copyToRing(record);
    while (this.ringBusy !== undefined) await this.ringBusy;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private deletable(beginAddress: number): boolean {
    return Math.floor(beginAddress / this.parts.log.device.segmentBytes) > this.deletedBelow;
  }

  /** `record`'s ring record is durable: recovery starts at it or later. */
  private inRing(record: CommitRecord): void {
    this.ringCopied = record;
    this.lastRingMs = record.timeMs;
    this.lastRingUntil = record.untilAddress;
    this.deleteBelow(record.beginAddress);
  }

  /**
   * Writes a copy of `record` to the ring in the background (one at a time; a newer request
   * replaces a waiting one). Never a record older than one already in the ring: sequence
   * order must stay commit order.
   */
  private copyToRing(record: CommitRecord): void {
    if (this.ringBusy !== undefined) {
      this.ringNext = record;
      return;
    }
    if (record.commitNumber <= this.parts.store.lastPreparedCommitNumber) return;
    this.lastRingMs = record.timeMs;
    this.lastRingUntil = record.untilAddress;
    const store = this.parts.store;
    this.ringBusy = store.write(store.prepare(record)).then(() => {
      this.inRing(record);
    }, (err: unknown) => {
      this.lastError = asFasterError(err);
    }).then(() => {
      this.ringBusy = undefined;
      const next = this.ringNext;
      this.ringNext = undefined;
      if (next !== undefined) this.copyToRing(next);
    });
  }

  /** Deletes the segments wholly below `beginAddress` (its metadata is durable). */
  private deleteBelow(beginAddress: number): void {
    if (!this.deletable(beginAddress)) return;
    const segment = Math.floor(beginAddress / this.parts.log.device.segmentBytes);
    try {
      this.parts.log.device.truncateUntilSegment(segment);
    } catch (err) {
      this.lastError = asFasterError(err);
      return;
    }
    for (let s = this.deletedBelow; s < segment; s++) this.segmentTimes.delete(s);
    this.deletedBelow = segment;
  }

  private applyRetention(nowMs: number): void {
    const retention = this.parts.retention;
    if (retention === undefined) return;
    const target = this.retentionTarget(retention, nowMs);
    if (target <= this.parts.log.beginAddress) return;
    this.parts.truncate(target);
    this.parts.commitNow();
  }

  /** The segment boundary retention truncates to (BeginAddress or below: nothing to do). */
  private retentionTarget(retention: Required<RetentionOptions>, nowMs: number): number {
    const segmentBytes = this.parts.log.device.segmentBytes;
    const committed = this.parts.committedUntil();
    const committedSegment = Math.floor(committed / segmentBytes);
    let segment = 0;
    if (Number.isFinite(retention.maxBytes)) {
      segment = Math.ceil((committed - retention.maxBytes) / segmentBytes);
    }
    if (Number.isFinite(retention.maxAgeMs)) {
      const cutoff = nowMs - retention.maxAgeMs;
      let old = this.deletedBelow;
      while (old < committedSegment && (this.segmentTimes.get(old) ?? Infinity) < cutoff) old++;
      segment = Math.max(segment, old);
    }
    segment = Math.min(segment, committedSegment);
    const lowest = retention.dropUnconsumed ? undefined : this.parts.iterators.lowest();
    if (lowest !== undefined) segment = Math.min(segment, Math.floor(lowest / segmentBytes));
    return segment * segmentBytes;
  }
}

function asFasterError(err: unknown): FasterError {
  if (err instanceof FasterError) return err;
  throw err;
}
