/**
 * Argument checks of the pure-TypeScript twin, worded like the addon's (native/napi/args.cc),
 * so both engines reject the same calls with the same ERR_INVALID_ARGUMENT messages.
 */
import { invalidArgument } from '../errors.js';

const TWO_POW_53 = 2 ** 53;

export function checkBytes(name: string, value: unknown): void {
  if (!(value instanceof Uint8Array)) throw invalidArgument(name, 'a Uint8Array', value);
}

export function checkUint32(name: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 32)) {
    throw invalidArgument(name, 'an integer in [0, 2^32)', value);
  }
}

/** A position or length: an integer in [0, 2^53). */
export function checkOffset(name: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) < TWO_POW_53)) {
    throw invalidArgument(name, 'an integer in [0, 2^53)', value);
  }
}

export function checkHandle(value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 31)) {
    throw invalidArgument('handle', 'a file handle (an integer in [0, 2^31))', value);
  }
}

export function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw invalidArgument(name, 'a boolean', value);
}

export function checkPath(name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw invalidArgument(name, 'a non-empty path string without NUL characters', value);
  }
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw invalidArgument(name, 'a function', value);
}

export function checkAlignment(value: unknown): void {
  const n = value as number;
  if (!(Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0)) {
    throw invalidArgument('alignment', 'a power of two in [1, 2^30]', value);
  }
}
