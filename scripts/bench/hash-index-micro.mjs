#!/usr/bin/env node
// Micro-benchmark of the hash index hot calls on each engine:
//   node scripts/bench/hash-index-micro.mjs [keys, default 1000000] [log2 buckets, default 18]
// It imports the TypeScript sources directly through the test worker hooks
// (test/support/ts-loader-hooks.mjs), so no build is needed and src/native.ts finds the addon
// at its usual path. For each engine it times, over `keys` random 53-bit hashes in a fixed
// shuffled order: findOrCreateTag of new tags (insert), findOrCreateTag of existing tags,
// findTag hits, findTag misses, readEntry, and readEntry + casEntryAddress. Each figure is the
// median of 5 rounds, in ns per operation; the insert round uses a fresh index each time.
import { register } from 'node:module';
import os from 'node:os';

register('../../test/support/ts-loader-hooks.mjs', import.meta.url);
const { HashIndex } = await import('../../src/index/hash-index.ts');
const { availableEngines, selectBinding } = await import('../../src/native.ts');

const keys = Number(process.argv[2] ?? 1_000_000);
const log2 = Number(process.argv[3] ?? 18);
const ROUNDS = 5;

function hashes(count, seed, tagOffset) {
  const out = new Float64Array(count);
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) | 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const tag = (next() + tagOffset) & 0x3fff;
    out[i] = (tag * 128 + (next() & 127)) * 4294967296 + next();
  }
  return out;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  const sink = fn();
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink === 0.5) console.log(sink);
  return ns / keys;
}

function benchEngine(engine) {
  const binding = selectBinding(engine);
  const present = hashes(keys, 1, 0);
  const absent = hashes(keys, 2, 8192);
  const options = { buckets: 2 ** log2, maxBytes: 2 ** 31 };
  const results = { insert: [], findOrCreate: [], findHit: [], findMiss: [], read: [], cas: [] };
  let index;
  for (let round = 0; round < ROUNDS; round++) {
    index?.detach();
    index = HashIndex.create(binding, options);
    const ix = index;
    results.insert.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) acc += ix.findOrCreateTag(present[i], 0);
      return acc;
    }));
    results.findOrCreate.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) acc += ix.findOrCreateTag(present[i], 0);
      return acc;
    }));
    results.findHit.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) acc += ix.findTag(present[i]);
      return acc;
    }));
    results.findMiss.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) acc += ix.findTag(absent[i]);
      return acc;
    }));
    const slots = new Int32Array(keys);
    for (let i = 0; i < keys; i++) slots[i] = ix.findTag(present[i]);
    results.read.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) acc += ix.readEntry(slots[i]);
      return acc;
    }));
    results.cas.push(time(() => {
      let acc = 0;
      for (let i = 0; i < keys; i++) {
        const slot = slots[i];
        const address = ix.readEntry(slot);
        acc += ix.casEntryAddress(slot, address, address + 64) ? 1 : 0;
      }
      return acc;
    }));
  }
  const row = { engine, overflowBuckets: index.overflowBuckets };
  for (const [name, values] of Object.entries(results)) row[name] = median(values).toFixed(1);
  index.detach();
  return row;
}

console.log(`hash index micro-benchmark: ${keys} keys, 2^${log2} buckets, ` +
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ` +
  `${new Date().toISOString()}; ns per operation, median of ${ROUNDS}`);
console.table(availableEngines().map(benchEngine));
