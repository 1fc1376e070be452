#!/usr/bin/env node
// Quick YCSB comparison for hot-path work: FasterKV on each engine and the JS Map peer.
//   node scripts/bench/ycsb-micro.mjs [runs, default A-zipf,C-zipf] [rounds, default 5]
//     [records, default 1000000] [valueBytes, default 8]
// Each round starts one fresh process per store (a process that drove several stores would
// make the driver's store calls polymorphic and slow every store down), alternating the stores
// so they share the machine's noise; each process loads the store, then runs every workload
// once. Prints the median ops per CPU second per store (user + system time: steadier than wall
// time while other work shares the machine; YCSB_WALL=1 for wall time) and the ratios to the
// Map. YCSB_STORES=native,js,map picks the stores.
// It imports the TypeScript sources through the test worker hooks (no build needed).
// Profile one store with: node --cpu-prof scripts/bench/ycsb-micro.mjs --child native A-zipf
// The published numbers come from `npm run bench`; this is for before/after comparisons.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1], args[2].split(','), Number(args[3] ?? 1e6), Number(args[4] ?? 8));
} else {
  parent(args);
}

function parent([runList = 'A-zipf,C-zipf', roundsArg = '5', records = '1000000', size = '8']) {
  const stores = (process.env.YCSB_STORES ?? 'native,js,map').split(',');
  const rates = new Map();
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const store of stores) {
      const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url),
        '--child', store, runList, records, size], { encoding: 'utf8' });
      for (const line of out.trim().split('\n')) {
        const [run, rate] = line.split(' ');
        const key = `${run} ${store}`;
        rates.set(key, [...(rates.get(key) ?? []), Number(rate)]);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const run of ['load', ...runList.split(',')]) {
    const m = Object.fromEntries(stores.map((s) => [s, median(rates.get(`${run} ${s}`))]));
    const cells = stores.map((s) => `${s} ${(m[s] / 1e6).toFixed(3)}M` +
      (m.map && s !== 'map' ? ` (${(m[s] / m.map).toFixed(2)}x map)` : ''));
    console.log(`${run.padEnd(10)} ${cells.join('  ')}`);
  }
}

async function child(store, runs, records, valueBytes) {
  register('../../test/support/ts-loader-hooks.mjs', import.meta.url);
  const { loadPhase, runPhase, valuePool } = await import('../../src/bench/ycsb/driver.ts');
  const { openFasterKV, openPeer } = await import('../../src/bench/ycsb/stores.ts');
  const { opStream, recordKeys } = await import('../../src/bench/ycsb/workload.ts');
  const keys = recordKeys(records);
  const values = valuePool(valueBytes, 211);
  const dir = mkdtempSync(join(tmpdir(), 'ycsb-micro-'));
  const setup = { dir, records, valueBytes };
  const s = store === 'map' ? await openPeer('map', setup) : await openFasterKV(store, setup);
  const rate = (phase) => (process.env.YCSB_WALL ? phase.ops / phase.seconds
    : phase.ops / phase.cpuSeconds);
  console.log(`load ${rate(await loadPhase(s, keys, values))}`);
  for (const [i, run] of runs.entries()) {
    const [workload, dist] = run.split('-');
    const stream = opStream(workload, dist, records, records, 211 + i);
    console.log(`${run} ${rate(await runPhase(s, stream, keys, values))}`);
  }
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}
