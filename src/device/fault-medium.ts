/**
 * FaultMedium: the simulated disk under one or more FaultDevice handles. It keeps two images —
 * `current` (what reads see now, i.e. the OS page cache) and `durable` (what survives a power
 * cut) — and the list of completed writes that no completed sync has covered yet.
 *
 * Durability model (leveldb's FaultInjectionTestEnv, per write rather than per file):
 *  - a completed write lands in `current` and joins the unsynced list, in completion order;
 *  - a sync takes a sync point (the last completed write) when it STARTS and, when it
 *    completes, copies every write up to that point into `durable`;
 *  - `powerCut()` resets `current` to `durable` and drops the unsynced list. With `tear`, the
 *    last unsynced write is partially applied: a seeded number of its first sectors whole, then
 *    at most one torn sector (a prefix of its new bytes over the old ones). The torn bytes are
 *    what the disk now holds, so they go into both images;
 *  - `generation` counts power cuts: an async operation issued before a cut that completes
 *    after it belongs to the "crashed" owner and must not land (FaultDevice checks it).
 * Thread rules: one thread.
 */
import { Prng, randomSeed } from '../util/prng.js';
import { SparseImage } from './sparse-image.js';

export interface PowerCutOptions {
  /** Partially apply the last unsynced write. Default false. */
  tear?: boolean;
  /** Seed of the tear; a random one (reported back) when absent. */
  seed?: number;
}

export interface PowerCutReport {
  /** The seed used for the tear, to replay a failing test. */
  readonly seed: number;
  /** Completed writes not covered by a completed sync (all lost, except a torn prefix). */
  readonly droppedWrites: number;
  /** What survived of the torn write, when there was one. */
  readonly torn: TornWrite | undefined;
}

export interface TornWrite {
  readonly address: number;
  readonly length: number;
  /** Leading sectors of the write that reached the disk whole. */
  readonly wholeSectors: number;
  /** Bytes of the next sector that reached the disk (0 when none did). */
  readonly tornBytes: number;
}

interface UnsyncedWrite {
  readonly seq: number;
  readonly address: number;
  readonly data: Uint8Array;
}

export class FaultMedium {
  readonly current: SparseImage;
  readonly durable: SparseImage;
  generation = 0;
  private unsynced: UnsyncedWrite[] = [];
  private lastSeq = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly segmentBytes: number, readonly sectorBytes: number) {
    this.current = new SparseImage(segmentBytes);
    this.durable = new SparseImage(segmentBytes);
  }

  /** Applies a completed write. Keeps a copy: the caller may reuse its buffer afterwards. */
  write(src: Uint8Array, address: number): void {
    this.current.write(src, address);
    this.unsynced.push({ seq: ++this.lastSeq, address, data: src.slice() });
  }

  /** The sync point of a sync starting now. */
  syncPoint(): number {
    return this.lastSeq;
  }

  /** Makes every write up to `point` durable. */
  makeDurable(point: number): void {
    let i = 0;
    while (i < this.unsynced.length && this.unsynced[i]!.seq <= point) {
      const w = this.unsynced[i]!;
      this.durable.write(w.data, w.address);
      i++;
    }
    if (i > 0) this.unsynced = this.unsynced.slice(i);
  }

  /** Segments that exist now (in `current`), ascending. */
  segmentNumbers(): number[] {
    return this.current.segmentNumbers();
  }

  unsyncedCount(): number {
    return this.unsynced.length;
  }

  /** Removes segments below `segment` from both images, and unsynced writes to them. */
  removeBelow(segment: number): void {
    this.current.removeBelow(segment);
    this.durable.removeBelow(segment);
    this.dropUnsynced(0, segment * this.segmentBytes);
  }

  /** Removes one segment from both images, and unsynced writes to it. */
  removeSegment(segment: number): void {
    this.current.removeSegment(segment);
    this.durable.removeSegment(segment);
    this.dropUnsynced(segment * this.segmentBytes, (segment + 1) * this.segmentBytes);
  }

  /** Cuts [low, high) out of every unsynced write, so a later sync cannot resurrect it. */
  private dropUnsynced(low: number, high: number): void {
    const kept: UnsyncedWrite[] = [];
    for (const w of this.unsynced) {
      const end = w.address + w.data.length;
      if (end <= low || w.address >= high) {
        kept.push(w);
        continue;
      }
      if (w.address < low) {
        kept.push({ seq: w.seq, address: w.address, data: w.data.subarray(0, low - w.address) });
      }
      if (end > high) {
        kept.push({ seq: w.seq, address: high, data: w.data.subarray(high - w.address) });
      }
    }
    this.unsynced = kept;
  }

  /** Loses power: see the file header. The medium is usable again at once. */
  powerCut(options: PowerCutOptions = {}): PowerCutReport {
    const seed = options.seed ?? randomSeed();
    const last = options.tear === true ? this.unsynced[this.unsynced.length - 1] : undefined;
    const droppedWrites = this.unsynced.length;
    this.unsynced = [];
    this.generation++;
    this.current.copyFrom(this.durable);
    const torn = last === undefined ? undefined : this.tear(last, new Prng(seed));
    return { seed, droppedWrites, torn };
  }

  /** Counts an async operation in flight (stale ones included) for `idle()`. */
  begin(): void {
    this.inFlight++;
  }

  end(): void {
    if (--this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when no async operation is in flight, including those a power cut orphaned. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private tear(w: UnsyncedWrite, prng: Prng): TornWrite {
    const sector = this.sectorBytes;
    const sectors = w.data.length / sector;
    const wholeSectors = prng.int(sectors + 1);
    const tornBytes = wholeSectors < sectors ? prng.int(sector) : 0;
    if (wholeSectors > 0) this.applyBoth(w.data.subarray(0, wholeSectors * sector), w.address);
    if (tornBytes > 0) {
      const at = w.address + wholeSectors * sector;
      const mixed = new Uint8Array(sector);
      this.durable.read(mixed, at);
      mixed.set(w.data.subarray(wholeSectors * sector, wholeSectors * sector + tornBytes));
      this.applyBoth(mixed, at);
    }
    return { address: w.address, length: w.data.length, wholeSectors, tornBytes };
  }

  private applyBoth(bytes: Uint8Array, address: number): void {
    this.current.write(bytes, address);
    this.durable.write(bytes, address);
  }
}
