/**
 * SystemState: the CPR phase and version of a store (FASTER's SystemState, digest §7.1), in a
 * SharedArrayBuffer so every thread attached to the store reads the same word.
 *
 * One Int32 word holds both, so a single atomic load gives a consistent pair:
 *
 *   31                                   3 2       0
 *   +-------------------------------------+---------+
 *   |   version mod 2^28 (low 28 bits)    |  phase  |
 *   +-------------------------------------+---------+
 *
 * Sessions only compare the word for equality, so the version may wrap; the whole version
 * (a plain number) is kept next to it, written by the thread that holds the active flag.
 *
 * Phases, in the order a cycle visits them (digest §7.1, C++ classic form; WAIT_PENDING is not
 * used: operations pending at the version switch become excluded serials, see
 * state-machine.ts):
 *   REST -> [PREP_INDEX_CHECKPOINT -> INDEX_CHECKPOINT] -> PREPARE (v) -> IN_PROGRESS (v+1)
 *        -> WAIT_FLUSH (v+1) -> PERSISTENCE_CALLBACK (v+1) -> REST (v+1)
 * An index-only checkpoint visits PREP_INDEX_CHECKPOINT and INDEX_CHECKPOINT and returns to
 * REST without a version change. Phase numbers live only in memory (never persisted), but
 * every thread of a store must agree on them: do not renumber within a release.
 *
 * Word 1 is the "a state machine is active" flag (FASTER's stateMachineActive), taken by
 * compare-and-swap so only one checkpoint (or compaction) runs at a time across threads; it
 * holds the taker's epoch owner id. Word 2 is the number
 * of the last drained version-switch epoch action (CPR_ACTION_KIND): the driver bumps the
 * epoch with a fresh number and waits until the action, run by whichever thread drains it,
 * has stored that number — then no thread still runs an operation begun before the bump.
 * Thread rules: any thread may read; only the thread holding the active flag writes the word.
 */
import { assert } from '../errors.js';

export const Phase = {
  REST: 0,
  PREP_INDEX_CHECKPOINT: 1,
  INDEX_CHECKPOINT: 2,
  PREPARE: 3,
  IN_PROGRESS: 4,
  WAIT_FLUSH: 5,
  PERSISTENCE_CALLBACK: 6,
} as const;
export type PhaseName = keyof typeof Phase;

const PHASE_NAMES: readonly PhaseName[] = [
  'REST', 'PREP_INDEX_CHECKPOINT', 'INDEX_CHECKPOINT', 'PREPARE', 'IN_PROGRESS', 'WAIT_FLUSH',
  'PERSISTENCE_CALLBACK',
];

const PHASE_BITS = 3;
const PHASE_MASK = (1 << PHASE_BITS) - 1;
const VERSION_MASK = 2 ** (31 - PHASE_BITS) - 1;

const W_STATE = 0;
const W_ACTIVE = 1;
const W_DRAINED = 2;
/** Float64 index of the whole version (bytes 16..23). */
const F_VERSION = 2;
const BYTES = 24;

/** The epoch action kind of the CPR state machine (the hybrid log uses kinds 1 to 3). */
export const CPR_ACTION_KIND = 8;

export function phaseName(phase: number): PhaseName {
  const name = PHASE_NAMES[phase];
  assert(name !== undefined, `bad CPR phase ${phase}`);
  return name;
}

export function packState(phase: number, version: number): number {
  assert(Number.isSafeInteger(version) && version >= 1 && phase >= 0 && phase <= PHASE_MASK,
    `bad CPR state (${phase}, ${version})`);
  return ((version & VERSION_MASK) << PHASE_BITS) | phase;
}

export function phaseOf(word: number): number {
  return word & PHASE_MASK;
}

/** The low 28 bits of the version in `word`. */
export function versionBitsOf(word: number): number {
  return word >>> PHASE_BITS;
}

/**
 * True while sessions of the new version must create records marked InNewVersion and must
 * not update records in place (digest §7.3 IN_PROGRESS: from the version switch until REST).
 */
export function inVersionSwitch(phase: number): boolean {
  return phase >= Phase.IN_PROGRESS;
}

export class SystemState {
  readonly buffer: SharedArrayBuffer;
  /** The shared words; `words[0]` is the state word sessions compare against. */
  readonly words: Int32Array;
  private readonly f64: Float64Array;

  /** Fresh state at (REST, version), or a view over another thread's `buffer`. */
  constructor(version: number, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    this.words = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    if (buffer === undefined) {
      this.f64[F_VERSION] = version;
      this.words[W_STATE] = packState(Phase.REST, version);
    }
  }

  get word(): number {
    return Atomics.load(this.words, W_STATE);
  }

  get phase(): number {
    return phaseOf(this.word);
  }

  /**
   * The whole current version. Written before the state word that announces it, so a thread
   * that saw the word (an Atomics load) reads a version at least as new.
   */
  get version(): number {
    return this.f64[F_VERSION]!;
  }

  /** Publishes (phase, version). REQUIRES: this thread holds the active flag. */
  set(phase: number, version: number): void {
    assert(Atomics.load(this.words, W_ACTIVE) !== 0, 'CPR state changed without the flag');
    this.f64[F_VERSION] = version;
    Atomics.store(this.words, W_STATE, packState(phase, version));
  }

  /**
   * Takes the active flag, recording `token` (the taker's epoch owner id, so the flag of a
   * thread that died holding it can be freed: `reclaimActive`); false when it is taken.
   */
  tryActivate(token = 1): boolean {
    return Atomics.compareExchange(this.words, W_ACTIVE, 0, token) === 0;
  }

  /** Releases the active flag. REQUIRES: held, and the phase is REST. */
  deactivate(): void {
    assert(this.phase === Phase.REST, 'state machine released outside REST');
    Atomics.store(this.words, W_ACTIVE, 0);
  }

  get active(): boolean {
    return Atomics.load(this.words, W_ACTIVE) !== 0;
  }

  /**
   * The thread holding the active flag (`token`) died: its cycle is abandoned at REST in the
   * version it reached (sessions never go back), and the flag is free. True when it held it.
   */
  reclaimActive(token: number): boolean {
    if (Atomics.load(this.words, W_ACTIVE) !== token) return false;
    this.f64[F_VERSION] = this.version;
    Atomics.store(this.words, W_STATE, packState(Phase.REST, this.version));
    return Atomics.compareExchange(this.words, W_ACTIVE, token, 0) === token;
  }

  /** The number of the last drained CPR epoch action. */
  get drained(): number {
    return Atomics.load(this.words, W_DRAINED);
  }

  /** The CPR epoch action: every thread protected at the bump numbered `n` has moved on. */
  noteDrained(n: number): void {
    Atomics.store(this.words, W_DRAINED, n);
  }
}
