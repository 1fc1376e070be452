/**
 * The sessions a checkpoint must give CPR points to (digest §6): the sessions open on this
 * thread, sessions closed since the last checkpoint (disposing a session mid-cycle must not
 * lose its commit point), and sessions recovered from a checkpoint but not yet resumed (they
 * are re-recorded, unchanged, in every later checkpoint until resumed — FASTER's
 * RecoverableSessions).
 *
 * Thread rules: one registry per thread. Sessions on other threads (FasterKV.attach) will keep
 * their own registries and publish their points through shared memory at their acknowledgement
 * of IN_PROGRESS; this thread's driver switches only its own sessions.
 */
import type { SessionPoint } from './checkpoint-metadata.js';

/** What the state machine needs from a session. */
export interface CprSession {
  readonly id: string;
  /**
   * Moves the session to `version` on its behalf (it has no operation running: this thread is
   * in the driver). Its CPR point for the version it leaves is its current serial; its
   * asynchronous writes still pending become excluded serials.
   */
  cprSwitch(version: number): void;
  /** The session's CPR point for version `version`. REQUIRES: it has moved past `version`. */
  pointFor(version: number): SessionPoint;
  /** Asynchronous writes still in flight. */
  readonly pendingWrites: number;
}

export class CprSessions {
  /** Sessions recovered and not resumed, by id. */
  readonly recovered = new Map<string, SessionPoint>();
  private readonly open = new Map<string, CprSession>();
  private readonly closed = new Map<string, CprSession>();

  /** Adopts the session table of a recovered checkpoint. */
  restore(points: readonly SessionPoint[]): void {
    for (const p of points) this.recovered.set(p.id, p);
  }

  added(session: CprSession): void {
    this.recovered.delete(session.id);
    this.closed.delete(session.id);
    this.open.set(session.id, session);
  }

  removed(session: CprSession): void {
    if (this.open.get(session.id) !== session) return;
    this.open.delete(session.id);
    this.closed.set(session.id, session);
  }

  /** IN_PROGRESS on this thread: every session of the thread moves to `version`. */
  switchAll(version: number): void {
    for (const s of this.open.values()) s.cprSwitch(version);
    for (const s of this.closed.values()) s.cprSwitch(version);
  }

  /**
   * PERSISTENCE_CALLBACK: the CPR point of every known session for checkpoint version
   * `version`, by id (open sessions win over closed ones of the same id).
   */
  collect(version: number): SessionPoint[] {
    const points = new Map<string, SessionPoint>(this.recovered);
    for (const s of this.closed.values()) points.set(s.id, s.pointFor(version));
    for (const s of this.open.values()) points.set(s.id, s.pointFor(version));
    return [...points.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** After a checkpoint recorded them: closed sessions with nothing in flight are forgotten. */
  forgetClosed(): void {
    for (const [id, s] of this.closed) if (s.pendingWrites === 0) this.closed.delete(id);
  }
}
