/**
 * YCSB workloads with fixed seeds: the record keys, and operation streams drawn from YCSB's
 * request distributions, precomputed before any timing so the timed loop only indexes arrays.
 *
 * Keys: record number r becomes the 8-byte little-endian FNV-1a-64 hash of r with the sign
 * bit cleared (YCSB's hashed key order, `fnvhash64`), so keys are spread and not sequential.
 * Distributions (YCSB's generators):
 *   uniform  record number uniform in [0, records)
 *   zipf     YCSB's scrambled Zipfian: a Zipfian rank over a fixed item space of 10^10 with
 *            constant 0.99 (Gray et al., "Quickly generating billion-record synthetic
 *            databases"), then record = fnvhash64(rank) mod records, so the popular records
 *            are scattered over the key space rather than being the first ones.
 * Mixes: A 50% read / 50% update, B 95/5, C 100% read, F 50% read / 50% read-modify-write.
 * Randomness comes from a 64-bit-state generator seeded per stream; the same seed gives the
 * same stream on every machine.
 */

export type Distribution = 'uniform' | 'zipf';
export type WorkloadName = 'A' | 'B' | 'C' | 'F';

/** Operation kinds in an OpStream. */
export const OP_READ = 0;
export const OP_UPDATE = 1;
export const OP_RMW = 2;

/** Fraction of reads; the rest are updates (A, B) or read-modify-writes (F). */
export const WORKLOADS: Readonly<Record<WorkloadName, { read: number; write: number }>> = {
  A: { read: 0.5, write: OP_UPDATE },
  B: { read: 0.95, write: OP_UPDATE },
  C: { read: 1, write: OP_UPDATE },
  F: { read: 0.5, write: OP_RMW },
};

export interface OpStream {
  /** Record number of each operation. */
  readonly records: Int32Array;
  /** OP_READ / OP_UPDATE / OP_RMW of each operation. */
  readonly kinds: Uint8Array;
}

const TWO_32 = 4294967296;
const FNV_OFFSET_LO = 0x84222325;
const FNV_OFFSET_HI = 0xcbf29ce4;
/** FNV-64 prime = 2^40 + 0x1b3. */
const FNV_PRIME_LOW = 0x1b3;

/** fnvhash64 result halves (module scratch: the hash allocates nothing). */
let fnvLo = 0;
let fnvHi = 0;

/**
 * YCSB's fnvhash64 of the 64-bit integer `value` (< 2^53): FNV-1a over its 8 little-endian
 * bytes, then the absolute value as a signed 64-bit integer. Leaves the halves in fnvLo/fnvHi.
 */
function fnvhash64(value: number): void {
  let lo = FNV_OFFSET_LO;
  let hi = FNV_OFFSET_HI;
  let vLo = value >>> 0;
  let vHi = Math.floor(value / TWO_32) >>> 0;
  for (let i = 0; i < 8; i++) {
    lo = (lo ^ (vLo & 0xff)) >>> 0;
    vLo = (vLo >>> 8) | ((vHi & 0xff) << 24);
    vHi >>>= 8;
    // (hi:lo) * (2^40 + 0x1b3) mod 2^64; each partial product is exact in a double.
    const p = lo * FNV_PRIME_LOW;
    const carry = Math.floor(p / TWO_32);
    const nextHi = (hi * FNV_PRIME_LOW + carry + ((lo << 8) >>> 0)) % TWO_32;
    lo = p % TWO_32;
    hi = nextHi;
  }
  if (hi >= 0x80000000) {
    // Two's complement negation of (hi:lo).
    lo = (TWO_32 - lo) % TWO_32;
    hi = (TWO_32 - hi - (lo === 0 ? 0 : 1)) % TWO_32;
  }
  fnvLo = lo >>> 0;
  fnvHi = hi >>> 0;
}

/** fnvhash64(value) mod `n` (n < 2^26, so every product below stays exact). */
function fnvMod(value: number, n: number): number {
  fnvhash64(value);
  return ((fnvHi % n) * (TWO_32 % n) + fnvLo) % n;
}

/** The 8-byte key of record `record`, written at `offset` of `out`. */
export function writeRecordKey(record: number, out: Uint8Array, offset: number): void {
  fnvhash64(record);
  for (let i = 0; i < 4; i++) {
    out[offset + i] = (fnvLo >>> (8 * i)) & 0xff;
    out[offset + 4 + i] = (fnvHi >>> (8 * i)) & 0xff;
  }
}

/** One Buffer per record (8-byte key), shared by every store of a run. */
export function recordKeys(records: number): Buffer[] {
  const keys: Buffer[] = new Array<Buffer>(records);
  const all = Buffer.alloc(8 * records);
  for (let r = 0; r < records; r++) {
    writeRecordKey(r, all, 8 * r);
    keys[r] = all.subarray(8 * r, 8 * r + 8);
  }
  return keys;
}

/** Seeded generator of doubles in [0, 1) with 53 random bits (splitmix32 steps, two per). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  nextDouble(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
}

/** YCSB's item space for the scrambled Zipfian and its zeta(10^10, 0.99), as YCSB fixes it. */
const ZIPF_ITEMS = 10_000_000_000;
const ZIPF_ZETAN = 26.46902820178302;
const ZIPF_THETA = 0.99;

/** Zipfian ranks over ZIPF_ITEMS items, constant 0.99 (the rejection-free inverse method). */
class ZipfianRanks {
  private readonly alpha = 1 / (1 - ZIPF_THETA);
  private readonly eta: number;
  private readonly half = 1 + Math.pow(0.5, ZIPF_THETA);

  constructor(private readonly random: SeededRandom) {
    const zeta2 = 1 + Math.pow(0.5, ZIPF_THETA);
    this.eta = (1 - Math.pow(2 / ZIPF_ITEMS, 1 - ZIPF_THETA)) / (1 - zeta2 / ZIPF_ZETAN);
  }

  next(): number {
    const u = this.random.nextDouble();
    const uz = u * ZIPF_ZETAN;
    if (uz < 1) return 0;
    if (uz < this.half) return 1;
    return Math.floor(ZIPF_ITEMS * Math.pow(this.eta * u - this.eta + 1, this.alpha));
  }
}

/** A stream of `count` operations of `workload` over `records` records. */
export function opStream(workload: WorkloadName, dist: Distribution, records: number,
  count: number, seed: number): OpStream {
  const random = new SeededRandom(seed);
  const zipf = new ZipfianRanks(new SeededRandom(seed ^ 0x5bd1e995));
  const mix = WORKLOADS[workload];
  const recordsOut = new Int32Array(count);
  const kinds = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    kinds[i] = random.nextDouble() < mix.read ? OP_READ : mix.write;
    recordsOut[i] = dist === 'uniform'
      ? Math.floor(random.nextDouble() * records)
      : fnvMod(zipf.next(), records);
  }
  return { records: recordsOut, kinds };
}

/** The share of operations that go to the `top` most frequent records (for the detail). */
export function hotShare(stream: OpStream, records: number, top: number): number {
  const counts = new Uint32Array(records);
  for (const r of stream.records) counts[r]!++;
  const sorted = counts.sort().reverse();
  let sum = 0;
  for (let i = 0; i < top && i < sorted.length; i++) sum += sorted[i]!;
  return sum / stream.records.length;
}
