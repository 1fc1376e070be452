/**
 * The FasterKV hash index: FASTER's latch-free, cache-line-bucket hash table mapping
 * (bucket, tag) of a key hash to the newest log address of that hash chain (digest §3).
 *
 * The index lives in ONE growable SharedArrayBuffer (layout: index-header.ts), so worker
 * threads attach to the same index (`HashIndex.attach`) and both engines operate on it in
 * place. Hot operations go through the engine's `index*` calls on `NativeBinding` (numbers
 * only, no buffers, no allocation); this façade adds what only JavaScript can do: growing the
 * buffer (NEEDS_MEMORY), splitting chunks during an index resize (NEEDS_SPLIT, with the store's
 * RecordLookup), and dumping/loading images for index checkpoints.
 *
 * Contract for the store (FASTER's use of the index):
 *  - `findTag(hash)` -> slot or NOT_FOUND; `findOrCreateTag(hash, beginAddress)` -> slot
 *    (a new slot reads TEMP_INVALID_ADDRESS); `readEntry(slot)` -> address;
 *    `casEntryAddress(slot, expected, next)` installs a record (false = retry the operation);
 *    `clearIfAddress(slot, address)` frees a slot whose chain became empty.
 *  - A slot is valid only within one epoch-protected operation: an index resize (startGrow)
 *    may move entries once every thread has refreshed.
 *  - A store that grows the index sets `whilePreparing` (FASTER C++'s HeavyEnter): while the
 *    index is in PREPARE_GROW, findTag and findOrCreateTag call it (it refreshes the caller's
 *    epoch) until the resize has started, so no thread takes a slot of the old table after
 *    the epoch action that calls startGrow was scheduled. Without it (single-threaded use,
 *    tests) they proceed on the old table.
 *
 * Thread rules: one HashIndex object per thread (it holds that thread's engine handle and
 * views); any number of threads per index.
 */
import { FasterError, assert } from '../errors.js';
import type { NativeBinding } from '../native.js';
import { TEMP_INVALID_ADDRESS } from './hash-bucket.js';
import { commitArena, createArena, keepHeadroom, tableLog2 } from './index-arena.js';
import { dumpImage, loadImage, verifyImage } from './index-dump.js';
import {
  CORRUPT, H_ALLOC_NEXT, H_OVERFLOW_COUNT, H_RESIZE_STATE, H_SPLIT_CHUNKS, H_SPLIT_CHUNKS_LEFT,
  H_SPLIT_CHUNK_LOG2, H_SPLIT_STATUS_FIRST, H_TABLE0_FIRST, H_TABLE0_LOG2, MAX_TABLE_LOG2,
  NEEDS_MEMORY, NEEDS_SPLIT, NOT_FOUND, PHASE_IN_PROGRESS_GROW, PHASE_PREPARE_GROW, PHASE_REST,
  SPLIT_CHUNK_LOG2_MAX, resizePhase, resizeState, resizeVersion,
} from './index-header.js';
import { IndexMemory } from './index-memory.js';
import { type RecordLookup, helpSplit, reclaimSplits, splitChunkOf } from './index-split.js';

export type { RecordLookup } from './index-split.js';
export { NOT_FOUND, TEMP_INVALID_ADDRESS };

export interface HashIndexOptions {
  /** Main-table buckets: a power of two in [1, 2^25]. */
  buckets: number;
  /** Reserved arena size in bytes (virtual memory); default and maximum 4 GiB. */
  maxBytes?: number;
  /** The store's records; required before the first grow. */
  lookup?: RecordLookup;
}

/** The index calls of the native seam (src/native.ts), as the façade uses them. */
export type IndexBinding = Pick<NativeBinding,
  'engine' | 'crc32c' | 'indexAttach' | 'indexDetach' | 'indexFindTag' | 'indexFindOrCreateTag' |
  'indexReadEntry' | 'indexCasEntryAddress' | 'indexClearIfAddress'>;

export class HashIndex {
  readonly binding: IndexBinding;
  readonly memory: SharedArrayBuffer;
  /** Used by splits; set it before the first grow. */
  lookup: RecordLookup | undefined;
  /** Called repeatedly by findTag/findOrCreateTag while a grow is prepared (see above). */
  whilePreparing: (() => void) | undefined;
  private readonly handle: number;
  private readonly arena: IndexMemory;
  private readonly allocForSplit = (): number => this.allocBucketGrowing();
  /**
   * This thread's id in split claims (a store sets its epoch owner id), so the chunks a dead
   * thread was splitting can be given back (`reclaimSplits`).
   */
  splitClaimer = 1;

  private constructor(binding: IndexBinding, memory: SharedArrayBuffer, lookup?: RecordLookup) {
    this.binding = binding;
    this.memory = memory;
    this.lookup = lookup;
    this.arena = new IndexMemory(memory);
    this.handle = binding.indexAttach(new Uint8Array(memory));
  }

  /** A new, empty index. */
  static create(binding: IndexBinding, options: HashIndexOptions): HashIndex {
    return new HashIndex(binding, createArena(options), options.lookup);
  }

  /** Operates on an existing index (from another thread: pass `index.memory` to the worker). */
  static attach(
    binding: IndexBinding, memory: SharedArrayBuffer, lookup?: RecordLookup,
  ): HashIndex {
    return new HashIndex(binding, memory, lookup);
  }

  /** An index holding the image `dumpImage()` made; tentative entries are dropped. */
  static load(
    binding: IndexBinding, image: Uint8Array, options: Omit<HashIndexOptions, 'buckets'> & {
      path?: string;
    } = {},
  ): HashIndex {
    const path = options.path ?? 'index image';
    const info = verifyImage(image, (d, c) => binding.crc32c(d, c), path);
    tableLog2(2 ** info.log2);
    const memory = createArena({
      buckets: 2 ** info.log2, spareBuckets: info.overflowBuckets + 16,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    });
    const arena = new IndexMemory(memory);
    const overflowFirst = arena.allocRegion(info.overflowBuckets);
    assert(overflowFirst >= 0, 'index load: spare buckets not committed');
    loadImage(arena, image, info, overflowFirst, path);
    return new HashIndex(binding, memory, options.lookup);
  }

  /** Slot of `hash`'s tag, or NOT_FOUND. */
  findTag(hash: number): number {
    if (resizePhase(Atomics.load(this.arena.w32, H_RESIZE_STATE)) === PHASE_PREPARE_GROW) {
      this.waitWhilePreparing();
    }
    const r = this.binding.indexFindTag(this.handle, hash);
    return r >= NOT_FOUND ? r : this.findTagSlow(hash, r);
  }

  /**
   * Slot of `hash`'s tag, created if absent (reading TEMP_INVALID_ADDRESS). Entries whose
   * address is below `beginAddress` are reclaimed on the way.
   */
  findOrCreateTag(hash: number, beginAddress: number): number {
    if (resizePhase(Atomics.load(this.arena.w32, H_RESIZE_STATE)) === PHASE_PREPARE_GROW) {
      this.waitWhilePreparing();
    }
    const r = this.binding.indexFindOrCreateTag(this.handle, hash, beginAddress);
    return r >= 0 ? r : this.findOrCreateTagSlow(hash, beginAddress, r);
  }

  /**
   * findOrCreateTag for a caller that must not refresh its epoch (it holds freshly allocated
   * log space it has not published): NOT_FOUND instead of waiting while a grow is prepared,
   * because a slot of the old table taken after the caller's last refresh could be split away
   * under it. Otherwise the same slot findOrCreateTag returns; it never refreshes.
   */
  findOrCreateTagWithoutWait(hash: number, beginAddress: number): number {
    if (resizePhase(Atomics.load(this.arena.w32, H_RESIZE_STATE)) === PHASE_PREPARE_GROW) {
      return NOT_FOUND;
    }
    const r = this.binding.indexFindOrCreateTag(this.handle, hash, beginAddress);
    return r >= 0 ? r : this.findOrCreateTagSlow(hash, beginAddress, r);
  }

  /** The address in `slot` (0 if the slot was freed since). */
  readEntry(slot: number): number {
    return this.binding.indexReadEntry(this.handle, slot);
  }

  /** Replaces the address in `slot` if it is `expectedAddress`; keeps the tag. */
  casEntryAddress(slot: number, expectedAddress: number, newAddress: number): boolean {
    return this.binding.indexCasEntryAddress(this.handle, slot, expectedAddress, newAddress);
  }

  /** Empties `slot` if it still holds `address`. */
  clearIfAddress(slot: number, address: number): boolean {
    return this.binding.indexClearIfAddress(this.handle, slot, address);
  }

  /** Buckets of the active main table. */
  get tableBuckets(): number {
    const w = this.arena.w32;
    return 2 ** w[H_TABLE0_LOG2 + 2 * resizeVersion(Atomics.load(w, H_RESIZE_STATE))]!;
  }

  /** Overflow buckets in use by the active table. */
  get overflowBuckets(): number {
    return Atomics.load(this.arena.w32, H_OVERFLOW_COUNT);
  }

  /** 'REST' | 'PREPARE_GROW' | 'IN_PROGRESS_GROW'. */
  get phase(): 'REST' | 'PREPARE_GROW' | 'IN_PROGRESS_GROW' {
    const phase = resizePhase(Atomics.load(this.arena.w32, H_RESIZE_STATE));
    if (phase === PHASE_REST) return 'REST';
    return phase === PHASE_PREPARE_GROW ? 'PREPARE_GROW' : 'IN_PROGRESS_GROW';
  }

  /** A suggested trigger for grow(): overflow buckets reach half the main table. */
  wantsGrow(): boolean {
    return this.phase === 'REST' && this.overflowBuckets * 2 >= this.tableBuckets &&
      Math.log2(this.tableBuckets) < MAX_TABLE_LOG2;
  }

  /**
   * Commits arena memory ahead of need (at least an eighth more than in use), so index calls
   * rarely stop for NEEDS_MEMORY. Cheap when nothing is needed; call it off the hot path.
   */
  maintain(): void {
    const next = Atomics.load(this.arena.w32, H_ALLOC_NEXT);
    keepHeadroom(this.memory, Math.max(16, next >>> 3));
  }

  /**
   * REST -> PREPARE_GROW: allocates the doubled table and the split-status array. Returns
   * false if a resize is already under way or the table is at its largest.
   */
  prepareGrow(): boolean {
    const w = this.arena.w32;
    const state = Atomics.load(w, H_RESIZE_STATE);
    const v = resizeVersion(state);
    const log2 = w[H_TABLE0_LOG2 + 2 * v]!;
    if (resizePhase(state) !== PHASE_REST || log2 >= MAX_TABLE_LOG2) return false;
    const preparing = resizeState(PHASE_PREPARE_GROW, v);
    if (Atomics.compareExchange(w, H_RESIZE_STATE, state, preparing) !== state) return false;
    try {
      const chunkLog2 = Math.min(SPLIT_CHUNK_LOG2_MAX, log2);
      const chunks = 2 ** (log2 - chunkLog2);
      const table = this.allocRegionGrowing(2 ** (log2 + 1));
      const status = this.allocRegionGrowing(Math.ceil(chunks / 16));
      const nw = this.arena.w32;
      nw[H_TABLE0_FIRST + 2 * (v ^ 1)] = table;
      nw[H_TABLE0_LOG2 + 2 * (v ^ 1)] = log2 + 1;
      nw[H_SPLIT_STATUS_FIRST] = status;
      nw[H_SPLIT_CHUNK_LOG2] = chunkLog2;
      nw[H_SPLIT_CHUNKS] = chunks;
      Atomics.store(nw, H_SPLIT_CHUNKS_LEFT, chunks);
    } catch (err) {
      Atomics.store(this.arena.w32, H_RESIZE_STATE, state);
      throw err;
    }
    return true;
  }

  /**
   * PREPARE_GROW -> IN_PROGRESS_GROW: operations now use the new table and split chunks on
   * first touch. REQUIRES: no thread holds a slot obtained before this call (call it from an
   * epoch-bump action after PREPARE_GROW was seen by every thread).
   */
  startGrow(): void {
    const w = this.arena.w32;
    const state = Atomics.load(w, H_RESIZE_STATE);
    assert(resizePhase(state) === PHASE_PREPARE_GROW, 'startGrow outside PREPARE_GROW');
    Atomics.store(w, H_OVERFLOW_COUNT, 0);
    Atomics.store(w, H_RESIZE_STATE, resizeState(PHASE_IN_PROGRESS_GROW, resizeVersion(state) ^ 1));
  }

  /** Splits up to `maxChunks` unsplit chunks (for a store's background driver). */
  helpSplit(maxChunks: number): number {
    return helpSplit(this.arena, maxChunks, this.requireLookup(), this.allocForSplit,
      this.splitClaimer);
  }

  /** Makes the chunks that the dead thread `claimer` was splitting splittable again. */
  reclaimSplits(claimer: number): number {
    return reclaimSplits(this.arena, claimer);
  }

  /**
   * Doubles the table and splits it completely. REQUIRES: no operation in flight on any
   * thread (single-threaded use; a store drives prepareGrow/startGrow through its epochs).
   */
  grow(): boolean {
    this.requireLookup();
    if (!this.prepareGrow()) return false;
    this.startGrow();
    while (this.phase === 'IN_PROGRESS_GROW') this.helpSplit(Number.MAX_SAFE_INTEGER);
    return true;
  }

  /** The active table and its chains as an image (fuzzy if operations run meanwhile). */
  dump(): Uint8Array {
    return dumpImage(this.arena, (d, c) => this.binding.crc32c(d, c));
  }

  /** Releases this thread's engine handle. The memory stays usable by other threads. */
  detach(): void {
    this.binding.indexDetach(this.handle);
  }

  private waitWhilePreparing(): void {
    const wait = this.whilePreparing;
    if (wait === undefined) return;
    while (resizePhase(Atomics.load(this.arena.w32, H_RESIZE_STATE)) === PHASE_PREPARE_GROW) {
      wait();
    }
  }

  private findTagSlow(hash: number, r: number): number {
    for (;;) {
      this.serveRequest(hash, r);
      r = this.binding.indexFindTag(this.handle, hash);
      if (r >= NOT_FOUND) return r;
    }
  }

  private findOrCreateTagSlow(hash: number, beginAddress: number, r: number): number {
    for (;;) {
      this.serveRequest(hash, r);
      r = this.binding.indexFindOrCreateTag(this.handle, hash, beginAddress);
      if (r >= 0) return r;
    }
  }

  /** Does the JavaScript-side work an index call asked for. */
  private serveRequest(hash: number, r: number): void {
    if (r === NEEDS_MEMORY) {
      commitArena(this.memory, Atomics.load(this.arena.w32, H_ALLOC_NEXT) + 1);
    } else if (r === NEEDS_SPLIT) {
      splitChunkOf(this.arena, hash, this.requireLookup(), this.allocForSplit,
        this.splitClaimer);
    } else {
      assert(r !== CORRUPT, 'hash index arena is inconsistent');
      assert(false, `unexpected index result ${r}`);
    }
  }

  private allocBucketGrowing(): number {
    for (;;) {
      const b = this.arena.allocBucket();
      if (b !== NEEDS_MEMORY) return b;
      commitArena(this.memory, Atomics.load(this.arena.w32, H_ALLOC_NEXT) + 1);
    }
  }

  private allocRegionGrowing(count: number): number {
    for (;;) {
      const first = this.arena.allocRegion(count);
      if (first !== NEEDS_MEMORY) return first;
      commitArena(this.memory, Atomics.load(this.arena.w32, H_ALLOC_NEXT) + count);
    }
  }

  private requireLookup(): RecordLookup {
    if (this.lookup === undefined) {
      throw new FasterError('ERR_INVALID_ARGUMENT',
        'the hash index needs a RecordLookup (index.lookup) to split chunks during a grow');
    }
    return this.lookup;
  }
}
