/**
 * Small helpers of Session (session.ts): retry pacing, releasing a read's record lock, and
 * turning a synchronous call into a settled promise.
 */
import type { StoreContext } from './store-context.js';

/** Releases the shared lock a read took to copy its value (locking mode). */
export function releaseRead(ctx: StoreContext): void {
  ctx.locks!.unlockShared(ctx.sharedLocked);
  ctx.sharedLocked = -1;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
const SPIN_TRIES = 8;
const PAUSE_MS = 0.05;

/**
 * Between attempts that must be retried (a record lock held by another thread, a record being
 * published, the fuzzy region): at once at first, then with short sleeps so the thread being
 * waited for gets a core.
 */
export function backoff(tries: number): void {
  if (tries > SPIN_TRIES) Atomics.wait(pause, 0, 0, PAUSE_MS);
}

/** `op()`'s result as a promise, or its exception as a rejection. */
export function settled<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (err) {
    return Promise.reject(err);
  }
}
