/**
 * Reclaiming a dead thread (its worker exited without closing its store, or was terminated in
 * the middle of an operation; it will never run again): everything it held in shared memory
 * is given back, so the other threads, checkpoints and the owner's close go on.
 *
 *  - its record lock (record-locks.ts: the held table says which record and which kind); the
 *    value of a record it was updating in place may be partly written;
 *  - the log's tokens it held (flush writes, closing pages, an unfinished page turn:
 *    HybridLog.reclaimThread), and the index chunks it was splitting during a growth
 *    (HashIndex.reclaimSplits: split again from scratch);
 *  - its epoch entry, so it no longer holds back deferred actions (flushes, page closing,
 *    CPR phases);
 *  - its store object's place among the attached stores (the owner's close waits for those);
 *  - its sessions: they become DEAD — closed, their pending writes excluded for good — and
 *    get their CPR points from the next checkpoint (cpr-sessions.ts), which then forgets them;
 *  - a checkpoint it was driving: abandoned at REST, so the next one can start.
 * A record it had linked into a hash chain is always published (operations.ts appendRecord);
 * one it had written but not linked stays invalid garbage, as after a lost CAS; log space it
 * had taken but not yet filled (it died between the tail add and the record header) is made
 * an invalid filler record first (HybridLog.reclaimAllocation, RecordMemory.fillHole), while
 * its epoch entry still keeps that page from being flushed — a zero gap would end the walk of
 * the page, and the records other threads put after it would never get their checksums.
 *
 * Several threads may hear of the same death (one store object each): the entry's role word
 * is claimed by compare-and-swap first, so exactly one of them reclaims it.
 * Thread rules: any thread of the store, not protected.
 */
import type { CprSessions } from '../checkpoint/cpr-sessions.js';
import type { SystemState } from '../checkpoint/system-state.js';
import { releaseHeld } from './record-locks.js';
import type { StoreParts } from './threads.js';
import { ROLE_ATTACHED, ROLE_NONE, ROLE_OWNER, ROLE_RECLAIMING } from './store-shared.js';

/** What reclaiming touches of a store object. */
export interface Reclaimable {
  readonly parts: StoreParts;
  readonly cpr: CprSessions;
  readonly systemState: SystemState;
}

/** Reclaims the epoch entries of worker thread `threadId`; returns how many. */
export function reclaimThread(kv: Reclaimable, threadId: number): number {
  const { ctx, shared } = kv.parts;
  const epoch = ctx.epoch;
  let reclaimed = 0;
  for (const { entry, ownerId } of epoch.entriesOf(threadId)) {
    const role = Atomics.load(shared.roles, entry);
    if (role === ROLE_RECLAIMING) continue;
    if (Atomics.compareExchange(shared.roles, entry, role, ROLE_RECLAIMING) !== role) continue;
    const held = shared.heldIndex(entry);
    releaseHeld(ctx.rec.mem32, shared.held[held]!);
    shared.held[held] = 0;
    ctx.log.reclaimAllocation(entry, (off, size) => ctx.rec.fillHole(off, size));
    ctx.log.reclaimThread(ownerId);
    ctx.index.reclaimSplits(ownerId);
    kv.cpr.reclaimOwner(ownerId);
    kv.systemState.reclaimActive(ownerId);
    epoch.reclaimEntry(entry, ownerId);
    Atomics.store(shared.roles, entry, ROLE_NONE);
    if (role === ROLE_ATTACHED) shared.leave();
    if (role === ROLE_OWNER) shared.beginClosing();
    reclaimed++;
  }
  if (reclaimed > 0 && epoch.isAcquired && !epoch.isProtected) epoch.progress();
  return reclaimed;
}
