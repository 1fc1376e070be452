import { describe, expect, it } from 'vitest';
import {
  hotShare, OP_READ, OP_RMW, OP_UPDATE, opStream, recordKeys, writeRecordKey,
} from '../../../src/bench/ycsb/workload.js';

/** YCSB's fnvhash64 with BigInt: FNV-1a over the 8 little-endian bytes, then |value| signed. */
function fnvReference(value: bigint): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < 8; i++) {
    h ^= value & 0xffn;
    value >>= 8n;
    h = (h * 0x100000001b3n) & ((1n << 64n) - 1n);
  }
  return h >= 1n << 63n ? (1n << 64n) - h : h;
}

describe('YCSB workload generator', () => {
  it('keys each record with the FNV-1a-64 hash of its number, as YCSB does', () => {
    const out = new Uint8Array(8);
    for (const r of [0, 1, 255, 256, 65_537, 999_999, 123_456_789, 9_999_999_999, 2 ** 52 + 3]) {
      writeRecordKey(r, out, 0);
      expect(Buffer.from(out).readBigUInt64LE(0)).toBe(fnvReference(BigInt(r)));
    }
  });

  it('gives 100,000 records 100,000 distinct keys', () => {
    const keys = recordKeys(100_000);
    expect(new Set(keys.map((k) => k.toString('latin1'))).size).toBe(100_000);
  });

  it('draws the same stream for the same seed and another for another seed', () => {
    const a = opStream('A', 'zipf', 10_000, 5_000, 7);
    const b = opStream('A', 'zipf', 10_000, 5_000, 7);
    const c = opStream('A', 'zipf', 10_000, 5_000, 8);
    expect(a.records).toEqual(b.records);
    expect(a.kinds).toEqual(b.kinds);
    expect(a.records).not.toEqual(c.records);
  });

  it('mixes operations in the proportions of workloads A, B, C and F', () => {
    const share = (w: 'A' | 'B' | 'C' | 'F', kind: number): number => {
      const s = opStream(w, 'uniform', 1000, 100_000, 1);
      return s.kinds.filter((k) => k === kind).length / s.kinds.length;
    };
    expect(share('A', OP_READ)).toBeCloseTo(0.5, 1);
    expect(share('A', OP_UPDATE)).toBeCloseTo(0.5, 1);
    expect(share('B', OP_READ)).toBeCloseTo(0.95, 1);
    expect(share('C', OP_READ)).toBe(1);
    expect(share('F', OP_RMW)).toBeCloseTo(0.5, 1);
  });

  it('keeps record numbers in range, skewed under zipf and flat under uniform', () => {
    const zipf = opStream('C', 'zipf', 100_000, 200_000, 3);
    const uniform = opStream('C', 'uniform', 100_000, 200_000, 3);
    for (const s of [zipf, uniform]) {
      expect(s.records.every((r) => r >= 0 && r < 100_000)).toBe(true);
    }
    expect(hotShare(zipf, 100_000, 100)).toBeGreaterThan(0.1);
    expect(hotShare(uniform, 100_000, 100)).toBeLessThan(0.01);
  });
});
