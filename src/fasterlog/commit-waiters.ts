/**
 * CommitWaiters: promises waiting for the committed-until address to pass an entry's address
 * (`enqueueAndWaitForCommit`, `waitForCommit`). A waiter with key `k` is settled once
 * committedUntilAddress > k, i.e. once the entry starting at `k` is durable.
 *
 * Keys arrive almost always in ascending order (appends), so the queue is three parallel
 * arrays consumed from a moving head: adding and settling allocate nothing beyond the caller's
 * promise; an out-of-order key is inserted in place. A waiter resolves with its `value`, or
 * with the committed-until address when `value` is -1.
 * Thread rules: the log's JS thread.
 */
import type { FasterError } from '../errors.js';

type Resolve = (value: number) => void;
type Reject = (error: FasterError) => void;

const COMPACT_AT = 1024;

export class CommitWaiters {
  private keys: number[] = [];
  private values: number[] = [];
  private resolves: Resolve[] = [];
  private rejects: Reject[] = [];
  private head = 0;

  get size(): number {
    return this.keys.length - this.head;
  }

  add(key: number, value: number, resolve: Resolve, reject: Reject): void {
    const keys = this.keys;
    let at = keys.length;
    while (at > this.head && keys[at - 1]! > key) at--;
    if (at === keys.length) {
      keys.push(key);
      this.values.push(value);
      this.resolves.push(resolve);
      this.rejects.push(reject);
      return;
    }
    keys.splice(at, 0, key);
    this.values.splice(at, 0, value);
    this.resolves.splice(at, 0, resolve);
    this.rejects.splice(at, 0, reject);
  }

  /** Resolves every waiter whose key is below `committedUntil`. */
  resolveBelow(committedUntil: number): void {
    const { keys, values, resolves, rejects } = this;
    let head = this.head;
    while (head < keys.length && keys[head]! < committedUntil) {
      const value = values[head]!;
      const resolve = resolves[head]!;
      resolves[head] = undefined as unknown as Resolve;
      rejects[head] = undefined as unknown as Reject;
      head++;
      resolve(value === -1 ? committedUntil : value);
    }
    this.head = head;
    this.compact();
  }

  /** Rejects every waiter whose key is below `until` (their commit failed). */
  rejectBelow(until: number, error: FasterError): void {
    const { keys, rejects, resolves } = this;
    let head = this.head;
    while (head < keys.length && keys[head]! < until) {
      const reject = rejects[head]!;
      resolves[head] = undefined as unknown as Resolve;
      rejects[head] = undefined as unknown as Reject;
      head++;
      reject(error);
    }
    this.head = head;
    this.compact();
  }

  rejectAll(error: FasterError): void {
    this.rejectBelow(Infinity, error);
  }

  private compact(): void {
    const head = this.head;
    if (head === this.keys.length) {
      if (head === 0) return;
      this.keys.length = 0;
      this.values.length = 0;
      this.resolves.length = 0;
      this.rejects.length = 0;
      this.head = 0;
      return;
    }
    if (head < COMPACT_AT || head * 2 < this.keys.length) return;
    this.keys.splice(0, head);
    this.values.splice(0, head);
    this.resolves.splice(0, head);
    this.rejects.splice(0, head);
    this.head = 0;
  }
}
