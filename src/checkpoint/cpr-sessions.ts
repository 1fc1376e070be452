/**
 * The sessions a checkpoint gives CPR points to (digest §6), across every thread of a store:
 * open sessions, sessions closed since the last checkpoint (a session disposed mid-cycle keeps
 * its commit point), sessions whose thread died, and sessions recovered from a checkpoint but
 * not resumed yet (re-recorded, unchanged, in every later checkpoint until resumed: FASTER's
 * RecoverableSessions). Their state lives in shared memory (session-table.ts,
 * recovered-sessions.ts); a CprSessions object is one thread's view, holding its own sessions.
 *
 * Version switch (IN_PROGRESS): a thread whose operation meets a new state word brings all
 * its sessions to it at once (`refresh`) and marks the phase in its epoch entry, so a driver
 * waiting for acknowledgements hears from a busy thread at its next operation. The driver
 * (`switchAll`, on whatever thread runs the checkpoint) switches every session whose thread is
 * not inside an operation on its behalf — so an idle thread, an idle session, or a dead thread
 * never stalls a checkpoint — and waits only for threads that are inside one.
 * Thread rules: one CprSessions per thread and store object; `refresh` runs inside an
 * operation of one of its sessions, the rest outside operations.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EpochMarker, type LightEpoch } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import type { SessionPoint } from './checkpoint-metadata.js';
import type { RecoveredSessions } from './recovered-sessions.js';
import { CLOSED, DEAD, FREE, OPEN, type SessionTable } from './session-table.js';
import { Phase, phaseOf, versionBitsOf, type SystemState } from './system-state.js';

/** What the registry needs from a session of its thread. */
export interface CprSession {
  readonly id: string;
  /** Its slot in the SessionTable. */
  readonly slot: number;
  /** Brings the session to state word `word` of version `version` (switching if newer). */
  cprApply(word: number, version: number): void;
}

/** The versions a state word can tell apart (system-state.ts keeps 28 bits of it). */
const VERSION_BITS = 2 ** 28;

export class CprSessions {
  private readonly local = new Set<CprSession>();

  constructor(
    readonly table: SessionTable,
    readonly recovered: RecoveredSessions,
    private readonly epoch: LightEpoch,
    private readonly state: SystemState,
  ) {}

  /**
   * A slot for new session `id`: ERR_INVALID_ARGUMENT when a session of that id is open on any
   * thread, or is a recovered session waiting to be resumed.
   */
  openSlot(id: string): number {
    return this.table.locked(this.epoch.owner, () => {
      if (this.table.findOpen(id) >= 0) {
        throw invalidArgument('id', 'not the id of a session that is open', id);
      }
      if (this.recovered.has(id)) {
        throw invalidArgument('id', 'not the id of a recovered session (resume it with ' +
          'resumeSession)', id);
      }
      return this.table.open(id, this.current().version, this.epoch.entry, this.epoch.owner,
        0, 0);
    });
  }

  /** Claims recovered session `id` (ERR_UNKNOWN_SESSION when there is none to resume). */
  resume(id: string): { slot: number; point: SessionPoint } {
    return this.table.locked(this.epoch.owner, () => {
      const taken = typeof id === 'string' ? this.recovered.take(id) : undefined;
      if (taken === undefined) {
        throw new FasterError('ERR_UNKNOWN_SESSION', `no recovered session ${JSON.stringify(id)}` +
          ' to resume');
      }
      const slot = this.table.open(id, this.current().version, this.epoch.entry,
        this.epoch.owner, taken.point.serial, taken.index + 1);
      return { slot, point: taken.point };
    });
  }

  /** The state word and its version, read consistently. */
  current(): { word: number; version: number } {
    for (;;) {
      const word = Atomics.load(this.state.words, 0);
      const version = this.state.version;
      if (Atomics.load(this.state.words, 0) === word &&
          versionBitsOf(word) === version % VERSION_BITS) {
        return { word, version };
      }
    }
  }

  added(session: CprSession): void {
    this.local.add(session);
  }

  /** The session closed: it is owed its point by the next checkpoint, then forgotten. */
  removed(session: CprSession): void {
    if (!this.local.delete(session)) return;
    this.table.setState(session.slot, CLOSED);
  }

  /**
   * A session of this thread met a new state word inside an operation: every session of the
   * thread follows it, then the thread acknowledges the phases it reached.
   */
  refresh(caller: CprSession): void {
    const { word, version } = this.current();
    for (const s of this.local) s.cprApply(word, version);
    if (!this.local.has(caller)) caller.cprApply(word, version);
    const phase = phaseOf(word);
    if (phase === Phase.PREPARE) this.epoch.mark(EpochMarker.Prepare, version);
    if (phase >= Phase.IN_PROGRESS) this.epoch.mark(EpochMarker.InProgress, version);
    if (phase >= Phase.WAIT_FLUSH) this.epoch.mark(EpochMarker.WaitFlush, version);
    if (phase >= Phase.PERSISTENCE_CALLBACK) {
      this.epoch.mark(EpochMarker.CheckpointCompletionCallback, version);
    }
  }

  /**
   * The driver at IN_PROGRESS: resolves once every session of the store is in `version` with
   * its point for `version - 1` published — switched by its own thread, or here on behalf of a
   * thread not inside an operation.
   */
  async switchAll(version: number): Promise<void> {
    const table = this.table;
    for (;;) {
      let waiting = false;
      for (let slot = 0; slot < table.high; slot++) {
        const state = table.state(slot);
        if (state === FREE) continue;
        if (table.versionOf(slot) < version &&
            !this.epoch.isProtectedBy(table.entryOf(slot), table.ownerOf(slot))) {
          table.trySwitch(slot, version);
        }
        if (table.pointFor(slot, version - 1) === undefined) waiting = true;
      }
      if (!waiting) return;
      this.epoch.progress();
      await nextTurn();
    }
  }

  /** PERSISTENCE_CALLBACK: every session's point for checkpoint version `version`, by id. */
  collect(version: number): SessionPoint[] {
    const { table, recovered } = this;
    const points = new Map<string, SessionPoint>();
    for (const p of recovered.notResumed()) points.set(p.id, p);
    for (const wanted of [CLOSED, DEAD, OPEN]) {
      for (let slot = 0; slot < table.high; slot++) {
        if (table.state(slot) !== wanted) continue;
        const p = table.pointFor(slot, version);
        if (p === undefined) continue;
        const carried = p.resumed > 0 ? recovered.points[p.resumed - 1]!.excluded : [];
        const excluded = [...carried, ...[...p.excluded].sort((a, b) => a - b)];
        points.set(p.id, { id: p.id, serial: p.serial, excluded });
      }
    }
    return [...points.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * After a checkpoint recorded them: closed sessions with nothing in flight, and those of
   * dead threads, are forgotten.
   */
  forgetClosed(): void {
    const table = this.table;
    table.locked(this.epoch.owner, () => {
      for (let slot = 0; slot < table.high; slot++) {
        const state = table.state(slot);
        if (state === DEAD || (state === CLOSED && table.pendingCount(slot) === 0)) {
          table.setState(slot, FREE);
        }
      }
    });
  }

  /** The sessions of the thread whose epoch owner id was `owner` died with it. */
  reclaimOwner(owner: number): void {
    const table = this.table;
    table.reclaimLock(owner);
    table.locked(this.epoch.owner, () => {
      for (let slot = 0; slot < table.high; slot++) {
        const state = table.state(slot);
        if ((state === OPEN || state === CLOSED) && table.ownerOf(slot) === owner) {
          table.setState(slot, DEAD);
        }
      }
    });
  }
}
