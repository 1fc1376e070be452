/**
 * DrainList: LightEpoch's list of deferred actions, in shared memory. A slot holds
 * (epoch, kind, a, b): the action `kind(a, b)` may run once every protected thread has moved
 * past `epoch`. Slots go FREE -> FILLING (claimed by the pusher's CAS, fields written) ->
 * READY (published) -> CLAIMED by entry e (one drainer's CAS, fields read; the slot keeps
 * the drainer's epoch entry while the action runs) -> FREE (`release`, after the action
 * returned), so each action runs once, on whichever thread claims it — and if that thread
 * dies while running it (a terminated worker), reclaiming its entry puts the action back
 * (`requeueClaimedBy`), so it runs again to completion elsewhere; actions are therefore
 * idempotent. A count of READY-or-later slots lets protect() skip the list with one load
 * when nothing is pending.
 *
 * Layout from `offset`: state, epoch and kind Int32 arrays of `size`, then (8-aligned) a
 * Float64 array of 2 x size arguments. Thread rules: the buffer is shared; a DrainList object
 * (its claimed-slot fields) belongs to one thread.
 */

const SLOT_FREE = 0;
const SLOT_FILLING = 1;
const SLOT_READY = 2;
/** CLAIMED by epoch entry e: SLOT_CLAIMED + e. */
const SLOT_CLAIMED = 3;

export class DrainList {
  readonly size: number;
  /** Fields of the slot last claimed by `claim()`. */
  kind = 0;
  a = 0;
  b = 0;
  private readonly state: Int32Array;
  private readonly epochs: Int32Array;
  private readonly kinds: Int32Array;
  private readonly args: Float64Array;

  /** `count` word `countIndex` tracks pending actions; the caller owns its placement. */
  constructor(
    buffer: SharedArrayBuffer,
    offset: number,
    size: number,
    private readonly count: Int32Array,
    private readonly countIndex: number,
  ) {
    this.size = size;
    this.state = new Int32Array(buffer, offset, size);
    this.epochs = new Int32Array(buffer, offset + 4 * size, size);
    this.kinds = new Int32Array(buffer, offset + 8 * size, size);
    this.args = new Float64Array(buffer, align8(offset + 12 * size), 2 * size);
  }

  /** Bytes the list takes when it starts at `offset`. */
  static bytesFrom(offset: number, size: number): number {
    return align8(offset + 12 * size) + 16 * size - offset;
  }

  get pending(): number {
    return Atomics.load(this.count, this.countIndex);
  }

  /** Stores the action in a free slot; false when every slot is taken. */
  tryPush(epoch: number, kind: number, a: number, b: number): boolean {
    const state = this.state;
    for (let slot = 0; slot < this.size; slot++) {
      if (Atomics.load(state, slot) !== SLOT_FREE) continue;
      if (Atomics.compareExchange(state, slot, SLOT_FREE, SLOT_FILLING) !== SLOT_FREE) continue;
      this.epochs[slot] = epoch;
      this.kinds[slot] = kind;
      this.args[2 * slot] = a;
      this.args[2 * slot + 1] = b;
      Atomics.add(this.count, this.countIndex, 1);
      Atomics.store(state, slot, SLOT_READY);
      return true;
    }
    return false;
  }

  /**
   * Claims slot `slot` for epoch entry `entry` if it holds an action whose epoch is at or
   * before `safe` (compared wrap-aware), and leaves the action in kind/a/b for the caller to
   * run; the caller then calls `release(slot)`.
   */
  claim(slot: number, safe: number, entry: number): boolean {
    const state = this.state;
    if (Atomics.load(state, slot) !== SLOT_READY) return false;
    if (((this.epochs[slot]! - safe) | 0) > 0) return false;
    if (Atomics.compareExchange(state, slot, SLOT_READY, SLOT_CLAIMED + entry) !== SLOT_READY) {
      return false;
    }
    this.kind = this.kinds[slot]!;
    this.a = this.args[2 * slot]!;
    this.b = this.args[2 * slot + 1]!;
    return true;
  }

  /** Gives a claimed action back unrun (this thread has no handler for its kind yet). */
  unclaim(slot: number): void {
    Atomics.store(this.state, slot, SLOT_READY);
  }

  /** Frees a slot whose claimed action has run. */
  release(slot: number): void {
    Atomics.store(this.state, slot, SLOT_FREE);
    Atomics.sub(this.count, this.countIndex, 1);
    Atomics.notify(this.count, this.countIndex);
  }

  /** Makes the actions epoch entry `entry` had claimed (and never finished) ready again. */
  requeueClaimedBy(entry: number): number {
    let requeued = 0;
    for (let slot = 0; slot < this.size; slot++) {
      if (Atomics.compareExchange(this.state, slot, SLOT_CLAIMED + entry, SLOT_READY) ===
        SLOT_CLAIMED + entry) requeued++;
    }
    return requeued;
  }

  /** Sleeps up to `ms` while every slot is taken (woken when a slot is claimed). */
  waitWhileFull(ms: number): void {
    Atomics.wait(this.count, this.countIndex, this.size, ms);
  }
}

function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}
