/**
 * FasterLog test helpers: deterministic entries, a model of what was appended, and a reader
 * that checks a log holds exactly the model's entries, in order, byte for byte.
 */
import { expect } from 'vitest';
import type { FasterLog } from '../../src/fasterlog/faster-log.js';
import { byteDifference } from './bytes.js';
import type { Prng } from './prng.js';

/** The bytes of entry `seq` (`length` of them): derived from seq, so any copy can be checked. */
export function entryBytes(seq: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seq * 131 + i * 7 + (i >> 8)) & 0xff;
  if (length >= 4) new DataView(bytes.buffer).setUint32(0, seq, true);
  return bytes;
}

export interface Appended {
  readonly address: number;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/** What was appended, in order. */
export class EntryModel {
  readonly entries: Appended[] = [];
  private seq = 0;

  constructor(private readonly prng: Prng, private readonly maxLength = 300) {}

  /** The next entry's bytes (random length 0..maxLength). */
  nextBytes(): { seq: number; bytes: Uint8Array } {
    const seq = this.seq++;
    return { seq, bytes: entryBytes(seq, this.prng.int(this.maxLength + 1)) };
  }

  /** Enqueues `count` entries. */
  enqueue(log: FasterLog, count: number): Appended[] {
    const added: Appended[] = [];
    for (let i = 0; i < count; i++) {
      const { seq, bytes } = this.nextBytes();
      const appended = { address: log.enqueue(bytes), seq, bytes };
      this.entries.push(appended);
      added.push(appended);
    }
    return added;
  }

  /** The entries below `until`. */
  below(until: number): Appended[] {
    return this.entries.filter((e) => e.address < until);
  }
}

/** Scans the whole (committed) log. */
export function scanAll(log: FasterLog, options: Parameters<FasterLog['scan']>[0] = {}):
  { address: number; entry: Uint8Array; nextAddress: number }[] {
  return [...log.scan(options)];
}

/** Expects the log's committed entries to be exactly `expected`, in order, byte for byte. */
export function expectEntries(log: FasterLog, expected: readonly Appended[], what = 'log'): void {
  const got = scanAll(log);
  expect(got.map((e) => e.address), `${what}: addresses`).toEqual(expected.map((e) => e.address));
  for (let i = 0; i < got.length; i++) {
    const difference = byteDifference(got[i]!.entry, expected[i]!.bytes);
    if (difference !== undefined) expect.fail(`${what}: entry ${i}: ${difference}`);
  }
}
