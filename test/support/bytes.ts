/**
 * Fast byte comparison for tests. vitest's deep equality walks typed arrays element by element,
 * which is slow for pages; `expectBytes` compares with Buffer.equals and, on a mismatch, fails
 * naming the first differing byte.
 */
import { expect } from 'vitest';

/** Undefined when equal, else a description of the first difference. */
export function byteDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (actual.length !== expected.length) {
    return `length ${actual.length} differs from the expected ${expected.length}`;
  }
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.length))) {
    return undefined;
  }
  let i = 0;
  while (actual[i] === expected[i]) i++;
  return `byte ${i} is ${actual[i]}, expected ${expected[i]}`;
}

export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  expect(byteDifference(actual, expected), what).toBeUndefined();
}
