/**
 * IoBatch: the completion of one asynchronous device operation that the device split into
 * several OS I/Os (one per segment piece, or one fdatasync per dirty segment). The promise
 * settles once, after the LAST piece completes — never earlier, even on error, because the
 * caller's buffer must stay untouched while any piece is still in flight.
 *
 * Usage: construct (one reference held by the issuer), `add()` before issuing each piece,
 * `done(err)` from each piece's completion, and a final `done(null)` from the issuer once it
 * has issued everything; that guard reference keeps an early completion from settling a
 * half-issued batch.
 * Thread rules: main thread only.
 */
import type { FasterError } from '../errors.js';

export type IoKind = 'read' | 'write' | 'sync';

/** Who counts completed operations (the device's stats). */
export interface IoAccount {
  account(kind: IoKind, bytes: number): void;
}

export class IoBatch {
  /** The first error of any piece; the batch rejects with it. */
  error: FasterError | null = null;
  private remaining = 1;

  constructor(
    private readonly owner: IoAccount,
    private readonly kind: IoKind,
    private readonly bytes: number,
    private readonly resolve: () => void,
    private readonly reject: (err: FasterError) => void,
  ) {}

  add(): void {
    this.remaining++;
  }

  done(err: FasterError | null): void {
    if (err !== null && this.error === null) this.error = err;
    if (--this.remaining > 0) return;
    if (this.error !== null) {
      this.reject(this.error);
    } else {
      this.owner.account(this.kind, this.bytes);
      this.resolve();
    }
  }
}
