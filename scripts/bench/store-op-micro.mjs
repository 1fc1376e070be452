#!/usr/bin/env node
// Where the time of one FasterKV operation goes, step by step, on one engine:
//   node scripts/bench/store-op-micro.mjs [native|js] [uniform|zipf, default zipf]
//     [records, default 1000000]
// Loads a store with YCSB's 8-byte keys and 8-byte values (src/bench/ycsb), then times, over
// the same YCSB key sequence (1M operations), each step of a read and of an upsert alone and
// the whole operations, plus a JS Map read with latin1 keys for scale. Each figure is the
// median of 7 rounds in CPU ns per operation (user + system time, steadier than wall time on
// a shared machine); the steps overlap, so they show shares, not a sum. Few records keep
// everything in the CPU caches (the cost of the instructions); 1M records add the cache
// misses a real workload pays. Imports the TypeScript sources through the test worker hooks.
import { mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

register('../../test/support/ts-loader-hooks.mjs', import.meta.url);
const { FasterKV } = await import('../../src/store/faster-kv.ts');
const { keyHash } = await import('../../src/fallback/key-hash.ts');
const { internalRead, internalUpsert } = await import('../../src/store/operations.ts');
const { opStream, recordKeys } = await import('../../src/bench/ycsb/workload.ts');

const engine = process.argv[2] ?? 'native';
const dist = process.argv[3] ?? 'zipf';
const records = Number(process.argv[4] ?? 1_000_000);
const ROUNDS = 7;

const keys = recordKeys(records);
const order = opStream('C', dist, records, 1_000_000, 211).records;
const seq = Array.from(order, (r) => keys[r]);
const hashes = Float64Array.from(seq, (k) => keyHash(k));
const value = Buffer.alloc(8, 7);
const dir = mkdtempSync(join(tmpdir(), 'store-op-micro-'));
const kv = await FasterKV.open({
  dir, engine, indexBuckets: 2 ** Math.ceil(Math.log2(records / 2)),
  memoryBytes: 2 ** Math.max(26, Math.ceil(Math.log2(records * 80))),
});
const s = kv.newSession('micro');
for (const k of keys) s.upsert(k, value);
const { ctx } = kv;
// Operations called without a session act in the state word they read (no checkpoint runs).
ctx.cprWord = Atomics.load(ctx.cprWords, 0);
const { index, log, epoch, rec } = ctx;
const map = new Map(keys.map((k) => [k.toString('latin1'), Buffer.from(value)]));

const steps = {
  'keyHash': () => {
    let sink = 0;
    for (const k of seq) sink += keyHash(k);
    return sink;
  },
  'index.findTag': () => {
    let sink = 0;
    for (const h of hashes) sink += index.findTag(h);
    return sink;
  },
  'findTag + readEntry': () => {
    let sink = 0;
    for (const h of hashes) sink += index.readEntry(index.findTag(h));
    return sink;
  },
  'protect + unprotect': () => {
    for (let i = 0; i < seq.length; i++) {
      epoch.protect();
      epoch.unprotect();
    }
    return 0;
  },
  'log.headAddress': () => {
    let sink = 0;
    for (let i = 0; i < seq.length; i++) sink += log.headAddress;
    return sink;
  },
  'internalRead (protected)': () => {
    let sink = 0;
    epoch.protect();
    for (let i = 0; i < seq.length; i++) sink += internalRead(ctx, seq[i], hashes[i]);
    epoch.unprotect();
    return sink;
  },
  'internalRead + copyValue': () => {
    let sink = 0;
    epoch.protect();
    for (let i = 0; i < seq.length; i++) {
      internalRead(ctx, seq[i], hashes[i]);
      sink += rec.copyValue(ctx.foundOffset).length;
    }
    epoch.unprotect();
    return sink;
  },
  'session.read': () => {
    let sink = 0;
    for (const k of seq) sink += s.read(k).length;
    return sink;
  },
  'internalUpsert (protected)': () => {
    let sink = 0;
    epoch.protect();
    for (let i = 0; i < seq.length; i++) {
      sink += internalUpsert(ctx, seq[i], hashes[i], value, 0, true);
    }
    epoch.unprotect();
    return sink;
  },
  'session.upsert': () => {
    let sink = 0;
    for (const k of seq) sink += s.upsert(k, value);
    return sink;
  },
  'Map.get(latin1 key)': () => {
    let sink = 0;
    for (const k of seq) sink += map.get(k.toString('latin1')).length;
    return sink;
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`engine ${engine}, ${records} records, ${dist} key order, CPU ns per operation`);
let total = 0;
for (const [name, fn] of Object.entries(steps)) {
  const ns = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    total += fn();
    const cpu = process.cpuUsage(t0);
    ns.push(((cpu.user + cpu.system) * 1000) / seq.length);
  }
  console.log(`${name.padEnd(28)} ${median(ns).toFixed(1).padStart(7)}`);
}
if (total === 0.5) console.log(total);
await kv.close();
rmSync(dir, { recursive: true, force: true });
