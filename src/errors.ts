/**
 * Errors. Two kinds, kept apart:
 *  - operating errors are `FasterError` with a stable string `code` (the table in the README);
 *    callers may catch and branch on `code`;
 *  - broken invariants are `assert()` failures (`AssertionError`), never caught by library code.
 * "Not found" is `undefined`, never an error.
 */
import { AssertionError } from 'node:assert';

/** Stable error codes. Never rename or reuse one: user code branches on them. */
export type FasterErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_CLOSED'
  | 'ERR_EXISTS'
  | 'ERR_CORRUPTION'
  | 'ERR_FORMAT_VERSION'
  | 'ERR_UNKNOWN_CHECKPOINT'
  | 'ERR_UNKNOWN_SESSION'
  | 'ERR_IO'
  | 'ERR_NATIVE_UNAVAILABLE'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_LOCKED';

/** Extra facts an error may carry; I/O errors carry `errno`/`syscall`, format errors `path`/`offset`. */
export interface FasterErrorDetails {
  errno?: string;
  syscall?: string;
  path?: string;
  offset?: number;
  cause?: unknown;
}

export class FasterError extends Error {
  readonly code: FasterErrorCode;
  /** Symbolic OS error (`ENOSPC`, `EACCES`, ...) for `ERR_IO`. */
  readonly errno: string | undefined;
  /** The system call that failed (`pwrite`, `fdatasync`, `open`, ...) for `ERR_IO`. */
  readonly syscall: string | undefined;
  /** The file concerned, when there is one. */
  readonly path: string | undefined;
  /** The byte offset (in the file, or the logical address) concerned, when there is one. */
  readonly offset: number | undefined;

  constructor(code: FasterErrorCode, message: string, details: FasterErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FasterError';
    this.code = code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.path = details.path;
    this.offset = details.offset;
  }
}

/** Throws `AssertionError` when an internal invariant does not hold. Not for user input. */
export function assert(condition: unknown, message = 'invariant violated'): asserts condition {
  if (!condition) throw new AssertionError({ message, stackStartFn: assert });
}

/** An `ERR_INVALID_ARGUMENT` whose message names the argument and what it allows. */
export function invalidArgument(name: string, allowed: string, got: unknown): FasterError {
  return new FasterError('ERR_INVALID_ARGUMENT', `${name} must be ${allowed}; got ${describe(got)}`);
}

/**
 * `ERR_IO` from a Node.js system error, naming the file and offset. `syscall` overrides the one
 * Node reports (Node says `read`/`write` for positional I/O that is really pread/pwrite).
 */
export function ioError(err: unknown, path: string, offset?: number,
  syscall?: string): FasterError {
  const e = err as NodeJS.ErrnoException;
  const at = offset === undefined ? '' : ` at offset ${offset}`;
  const errno = typeof e?.code === 'string' ? e.code : 'EIO';
  syscall ??= typeof e?.syscall === 'string' ? e.syscall : 'io';
  return new FasterError('ERR_IO', `${syscall} ${path}${at} failed: ${errno}`, {
    errno, syscall, path, ...(offset === undefined ? {} : { offset }), cause: err,
  });
}

/** `ERR_CORRUPTION` naming the file and offset where a check failed. */
export function corruption(path: string, offset: number, what: string): FasterError {
  return new FasterError('ERR_CORRUPTION', `${path} is damaged at offset ${offset}: ${what}`, {
    path, offset,
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
