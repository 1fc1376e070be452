/**
 * The CPR checkpoint state machine (digest §7): an asynchronous driver that moves the store
 * through the phases of one checkpoint, never blocking another session's operation.
 *
 *   REST v
 *   -> PREP_INDEX_CHECKPOINT v   indexStartAddress = tail            (index checkpoints only)
 *   -> INDEX_CHECKPOINT v        fuzzy dump of the hash index to index.dat
 *   -> PREPARE v                 operations begun earlier drain; then startAddress = tail,
 *                                beginAddress captured
 *   -> IN_PROGRESS v+1           every session moves to v+1: its CPR point is recorded
 *   -> WAIT_FLUSH v+1            finalAddress = tail; fold-over flushes the log to it,
 *                                snapshot copies [FlushedUntil, final) to snapshot.N
 *   -> PERSISTENCE_CALLBACK v+1  metadata written (the checkpoint now exists), retention
 *   -> REST v+1
 * An index-only checkpoint writes its metadata after INDEX_CHECKPOINT and returns to REST v.
 *
 * The Node.js model (design point a): a session is an object on a thread, and an operation
 * protects the epoch for one attempt only — never across an await or a device read. At
 * IN_PROGRESS the driver moves to v+1, on its behalf, every session (of any thread) whose
 * thread is not inside an operation (`CprSessions.switchAll`), the CPR point of each being the
 * last operation it ran; a thread inside one moves all its sessions itself at its next
 * operation. An idle session, an idle or busy thread, or one whose program awaits something
 * else, therefore never stalls a checkpoint. Threads acknowledge phases through their epoch
 * entry (`mark`, at their first operation in a new phase): the driver advances when
 * `checkIsComplete` holds, i.e. when every thread protected inside an operation has marked the
 * phase; and after publishing IN_PROGRESS it bumps the epoch
 * with CPR_ACTION_KIND and waits for that action to drain, so no operation begun in v is still
 * running anywhere when finalAddress is taken.
 *
 * Pending operations at the version switch (design point b): excluded serials, as FASTER C#
 * does, not WAIT_PENDING. An asynchronous RMW waiting on a device read when its session moves
 * to v+1 completes in v+1 (InNewVersion), so the checkpoint never waits on I/O or on a program;
 * its serial is listed in the checkpoint's `excludedSerials[sessionId]`. WAIT_PENDING would have
 * the checkpoint wait for those reads, and still could not order a v operation that completes
 * after another session's v+1 write of the same key before it.
 *
 * How v+1 records stay out of checkpoint v (digest §7.4): from IN_PROGRESS to REST, sessions
 * create records marked InNewVersion and never update in place, so every record below
 * startAddress is v, every record at or above finalAddress is v+1, and recovery undoes the
 * InNewVersion records in [startAddress, finalAddress). Because nothing below finalAddress
 * changes in place during WAIT_FLUSH, the snapshot copy reads stable bytes. With several
 * threads, an operation on another thread may still be running in the previous cycle's
 * phases (writing InNewVersion records of version v) when PREPARE v is published; the driver
 * therefore drains running operations before it takes startAddress, or recovery would undo
 * them although checkpoint v holds them. An operation that refreshes its epoch inside an
 * attempt lets that drain pass it, so it publishes a record only if the state word is still
 * the one its attempt began in, and retries otherwise (operations.ts appendRecord).
 *
 * Thread rules: one driver at a time per store (the state's active flag), on whichever thread
 * called checkpoint(); every thread of the store has its own StateMachine object over the
 * shared state. Listeners run synchronously on each transition of this object's cycles.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LightEpoch } from '../epoch/light-epoch.js';
import { EpochMarker } from '../epoch/light-epoch.js';
import { CPR_ACTION_KIND, Phase, phaseName, type PhaseName, type SystemState } from
  './system-state.js';

const ACTIVATE_WAIT_MS = 1;

export type TransitionListener = (phase: PhaseName, version: number) => void;

export class StateMachine {
  private readonly listeners: TransitionListener[] = [];

  constructor(readonly state: SystemState, private readonly epoch: LightEpoch) {
    epoch.registerAction(CPR_ACTION_KIND, (n) => state.noteDrained(n));
  }

  /** Calls `listener(phase, version)` on every transition this driver makes. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Takes the active flag, waiting while a checkpoint or compaction runs (on any thread of the
   * store: each thread serializes its own, threads wait for each other here).
   */
  async activate(): Promise<void> {
    const token = this.epoch.owner === 0 ? 1 : this.epoch.owner;
    while (!this.state.tryActivate(token)) {
      this.epoch.progress();
      await new Promise((resolve) => setTimeout(resolve, ACTIVATE_WAIT_MS));
    }
  }

  /** Runs `fn` holding the active flag at REST (a compaction: never beside a checkpoint). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.activate();
    try {
      return await fn();
    } finally {
      this.state.deactivate();
    }
  }

  /** Publishes (phase, version) and tells the listeners. */
  enter(phase: number, version: number): void {
    this.state.set(phase, version);
    for (const listener of [...this.listeners]) listener(phaseName(phase), version);
  }

  /** Back to REST at `version` and releases the flag. */
  finish(version: number): void {
    this.enter(Phase.REST, version);
    this.state.deactivate();
  }

  /**
   * This thread acknowledges `marker` for `version`, then waits until every thread protected
   * inside an operation has too (an unprotected thread has nothing to acknowledge).
   */
  async acknowledge(marker: number, version: number): Promise<void> {
    this.epoch.mark(marker, version);
    while (!this.epoch.checkIsComplete(marker, version)) {
      this.epoch.progress();
      await nextTurn();
    }
  }

  /** Resolves once every operation that was running anywhere at this call has finished. */
  async drainOperations(): Promise<void> {
    const n = (this.state.drained + 1) | 0;
    this.epoch.bumpCurrentEpoch(CPR_ACTION_KIND, n, 0);
    while (this.state.drained !== n) {
      this.epoch.progress();
      if (this.state.drained !== n) await nextTurn();
    }
  }
}

export { EpochMarker };
