/**
 * The deterministic workload of the crash tests, and its model. Session `s` (ids 's0', 's1',
 * ...) owns its keys alone, so each session's CPR prefix can be checked on its own. Operation
 * `n` of session `s` in process life `life` is `opFor(s, n, life)`: an upsert or delete of one
 * of its value keys (the value names the life and serial that wrote it) or an RMW counter add
 * of `n`; some RMWs are issued asynchronously and left pending, so operations are in flight at
 * version switches and become excluded serials.
 *
 * SessionModel holds what recovery must show for one session: the state after its committed
 * operations, i.e. every serial up to the CPR point except the excluded ones. It only moves
 * forward, applying the serials a newer checkpoint adds.
 */
import type { CheckpointOptions } from '../../src/checkpoint/checkpoint.js';
import { rmwFunctions } from '../../src/store/rmw-functions.js';
import type { Session } from '../../src/store/session.js';

export const SESSIONS = 4;
const VALUE_KEYS = 48;
const COUNTER_KEYS = 24;

export interface Op {
  readonly kind: 'upsert' | 'delete' | 'rmw';
  readonly key: string;
  readonly value: string;
  readonly input: number;
  /** RMW only: issue with rmwAsync and do not wait for it. */
  readonly async: boolean;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export function sessionId(s: number): string {
  return `s${s}`;
}

export function opFor(s: number, n: number, life: number): Op {
  const h = mix(s * 7919 + 1, n);
  const pick = h % 10;
  const slot = (h >>> 8) % (pick < 7 ? VALUE_KEYS : COUNTER_KEYS);
  if (pick < 6) {
    const value = `${life}/${n}/`.padEnd(8 + ((h >>> 16) % 72), '#');
    return { kind: 'upsert', key: `s${s}/v${slot}`, value, input: 0, async: false };
  }
  if (pick === 6) {
    return { kind: 'delete', key: `s${s}/v${slot}`, value: '', input: 0, async: false };
  }
  return { kind: 'rmw', key: `s${s}/c${slot}`, value: '', input: n, async: (h >>> 20) % 3 === 0 };
}

export function keysOf(s: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < VALUE_KEYS; i++) keys.push(`s${s}/v${i}`);
  for (let i = 0; i < COUNTER_KEYS; i++) keys.push(`s${s}/c${i}`);
  return keys;
}

/**
 * Issues `op` as serial `n` of `session`; throws if the session numbers it otherwise. An
 * asynchronous RMW is handed to `track` instead of being awaited.
 */
export function issue(session: Session<Uint8Array, Uint8Array, number>, op: Op, n: number,
  track: (pending: Promise<unknown>) => void): void {
  const key = Buffer.from(op.key);
  if (op.kind === 'upsert') session.upsert(key, Buffer.from(op.value));
  else if (op.kind === 'delete') session.delete(key);
  else if (op.async) track(session.rmwAsync(key, op.input));
  else session.rmw(key, op.input);
  if (session.serial !== n) {
    throw new Error(`session ${session.id} numbered op ${n} as ${session.serial}`);
  }
}

export class SessionModel {
  point = 0;
  excluded: readonly number[] = [];
  private readonly values = new Map<string, string | bigint>();

  constructor(readonly s: number) {}

  /** A checkpoint taken in `life` holds serials up to `point` except `excluded`. */
  advance(point: number, excluded: readonly number[], life: number): void {
    if (point < this.point) {
      throw new Error(`session s${this.s}: CPR point went back from ${this.point} to ${point}`);
    }
    const skip = new Set(excluded);
    for (const old of this.excluded) {
      if (!skip.has(old)) throw new Error(`session s${this.s}: excluded serial ${old} forgotten`);
    }
    for (let n = this.point + 1; n <= point; n++) {
      if (skip.has(n)) continue;
      const op = opFor(this.s, n, life);
      if (op.kind === 'upsert') this.values.set(op.key, op.value);
      else if (op.kind === 'delete') this.values.delete(op.key);
      else {
        const old = (this.values.get(op.key) as bigint | undefined) ?? 0n;
        this.values.set(op.key, old + BigInt(n));
      }
    }
    this.point = point;
    this.excluded = [...excluded];
  }

  /** Compares every key of the session with what `read` returns; throws on a difference. */
  verify(read: (key: Uint8Array) => Uint8Array | undefined): void {
    this.verifyValues(readValues(this.s, read));
  }

  /** As verify, for values already read and shown with `showValue`. */
  verifyValues(values: Readonly<Record<string, string | null>>): void {
    for (const key of keysOf(this.s)) {
      const want = this.values.get(key);
      const shown = want === undefined ? null : String(want);
      if (values[key] !== shown) {
        throw new Error(`session s${this.s} at CPR point ${this.point}: key ${key} is ` +
          `${values[key]}, expected ${shown}`);
      }
    }
  }
}

/** A value as the model shows it: counters as decimal, other values as text, absent null. */
export function showValue(key: string, bytes: Uint8Array | undefined): string | null {
  if (bytes === undefined) return null;
  return key.includes('/c') ? String(Buffer.from(bytes).readBigUInt64LE(0))
    : Buffer.from(bytes).toString();
}

/** Every key of session `s` read with `read`, shown with showValue. */
export function readValues(s: number, read: (key: Uint8Array) => Uint8Array | undefined):
  Record<string, string | null> {
  const values: Record<string, string | null> = {};
  for (const key of keysOf(s)) values[key] = showValue(key, read(Buffer.from(key)));
  return values;
}

/** Store options of the crash tests: 4 KiB pages and 16 KiB of memory, so records go to disk. */
export const CRASH_STORE = {
  pageBytes: 4096, memoryBytes: 4 * 4096, segmentBytes: 65536, indexBuckets: 64,
  rmw: rmwFunctions.counter,
} as const;

/** Every checkpoint kind, in the order the crash tests cycle through them. */
export const CHECKPOINT_KINDS: readonly CheckpointOptions[] = [
  { type: 'foldover' },
  { type: 'snapshot', index: false },
  { type: 'snapshot' },
  { log: false },
  { type: 'foldover', index: false },
  { type: 'snapshot', index: false, incremental: true },
];
