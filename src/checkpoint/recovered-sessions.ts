/**
 * The sessions of the checkpoint a store recovered, shared by every thread of the store: each
 * may be resumed once, on any thread (`take`), and every later checkpoint re-records those not
 * resumed yet (FASTER's RecoverableSessions, digest §6).
 *
 * One SharedArrayBuffer, written once by the owner before any other thread attaches:
 *   Int32 [0] count  [1] JSON byte length  [2 .. 2 + count) resumed flags (0, or 1 once taken)
 *   then the UTF-8 JSON of the recovered points, [{ id, serial, excluded }], in table order.
 * Thread rules: any thread; one object per thread (each parses the points once).
 */
import type { SessionPoint } from './checkpoint-metadata.js';

const HEADER_INTS = 2;

export class RecoveredSessions {
  readonly buffer: SharedArrayBuffer;
  readonly points: readonly SessionPoint[];
  private readonly flags: Int32Array;
  private readonly byId = new Map<string, number>();

  /** The owner's table of `points`, or (with `buffer`) a view over another thread's. */
  constructor(points: readonly SessionPoint[], buffer?: SharedArrayBuffer) {
    const fresh = buffer === undefined;
    if (buffer === undefined) {
      const json = new TextEncoder().encode(JSON.stringify(points));
      buffer = new SharedArrayBuffer(4 * (HEADER_INTS + points.length) + json.length);
      const head = new Int32Array(buffer, 0, HEADER_INTS);
      head[0] = points.length;
      head[1] = json.length;
      new Uint8Array(buffer, 4 * (HEADER_INTS + points.length)).set(json);
    }
    this.buffer = buffer;
    const [count, bytes] = new Int32Array(buffer, 0, HEADER_INTS);
    this.flags = new Int32Array(buffer, 4 * HEADER_INTS, count!);
    this.points = fresh ? points : JSON.parse(new TextDecoder().decode(
      new Uint8Array(buffer, 4 * (HEADER_INTS + count!), bytes!).slice())) as SessionPoint[];
    this.points.forEach((p, i) => this.byId.set(p.id, i));
  }

  /** Whether `id` is a recovered session not resumed yet. */
  has(id: string): boolean {
    const i = this.byId.get(id);
    return i !== undefined && Atomics.load(this.flags, i) === 0;
  }

  /** Claims `id` for resumption: its index and point, or undefined (unknown, or taken). */
  take(id: string): { index: number; point: SessionPoint } | undefined {
    const i = this.byId.get(id);
    if (i === undefined || Atomics.compareExchange(this.flags, i, 0, 1) !== 0) return undefined;
    return { index: i, point: this.points[i]! };
  }

  /** The recovered sessions nobody resumed. */
  notResumed(): SessionPoint[] {
    return this.points.filter((_, i) => Atomics.load(this.flags, i) === 0);
  }
}
