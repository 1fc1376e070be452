/**
 * YCSB trials, in-memory: one trial per (value size, store). Each child process loads every
 * record, then runs workloads A, B, C and F under the uniform and the zipf distribution, one
 * after the other on the loaded store, and reports each phase. Single thread; durability
 * none for every store (stores.ts). Default: 1M records, 1M operations per run;
 * `--full`: 10M records, 10M operations per run.
 */
import {
  loadPhase, runPhase, valuePool, type PhaseResult, type YcsbStore,
} from '../ycsb/driver.js';
import {
  openFasterKV, openPeer, PeerUnavailableError, type PeerName,
} from '../ycsb/stores.js';
import {
  hotShare, opStream, recordKeys, type Distribution, type WorkloadName,
} from '../ycsb/workload.js';
import type { Trial, TrialContext, TrialEngine, TrialResult } from '../trial.js';

/** Seed of every stream: FASTER's benchmark default, plus a per-run offset. */
const SEED = 211;
const RUNS: readonly { workload: WorkloadName; dist: Distribution }[] = [
  { workload: 'A', dist: 'uniform' }, { workload: 'B', dist: 'uniform' },
  { workload: 'C', dist: 'uniform' }, { workload: 'F', dist: 'uniform' },
  { workload: 'A', dist: 'zipf' }, { workload: 'B', dist: 'zipf' },
  { workload: 'C', dist: 'zipf' }, { workload: 'F', dist: 'zipf' },
];

type StoreKind = 'fasterkv' | PeerName;

function ycsbTrial(valueBytes: number, store: StoreKind): Trial {
  const name = `ycsb-${valueBytes}b-${store}`;
  const engines: readonly TrialEngine[] = store === 'fasterkv' ? ['native', 'js'] : ['none'];
  return {
    name,
    description: `YCSB load, A/B/C/F uniform and zipf, ${valueBytes}-byte values, ${store}`,
    engines,
    run: (ctx) => runYcsb(ctx, valueBytes, store),
  };
}

async function runYcsb(ctx: TrialContext, valueBytes: number,
  kind: StoreKind): Promise<TrialResult[]> {
  const records = ctx.full ? 10_000_000 : 1_000_000;
  const ops = records;
  const keys = recordKeys(records);
  const values = valuePool(valueBytes, SEED);
  const setup = { dir: ctx.dataDir, records, valueBytes };
  let store: YcsbStore;
  try {
    store = kind === 'fasterkv'
      ? await openFasterKV(ctx.engine === 'js' ? 'js' : 'native', setup)
      : await openPeer(kind, setup);
  } catch (err) {
    if (!(err instanceof PeerUnavailableError)) throw err;
    return [{ trial: `ycsb-${valueBytes}b`, engine: ctx.engine, store: kind, metrics: {},
      detail: `skipped: ${err.message}` }];
  }
  const results: TrialResult[] = [];
  const sizes = `${count(records)} records, 8-byte keys, ${valueBytes}-byte values`;
  const load = await loadPhase(store, keys, values);
  results.push(result(ctx, store, `ycsb-${valueBytes}b load`, load, `${sizes}; ` +
    'inserts in hashed key order'));
  for (const [i, run] of RUNS.entries()) {
    const stream = opStream(run.workload, run.dist, records, ops, SEED + i);
    const skew = run.dist === 'zipf'
      ? `, zipf 0.99 (top 1,000 records: ${(100 * hotShare(stream, records, 1000)).toFixed(0)}% ` +
        'of ops)' : ', uniform';
    const phase = await runPhase(store, stream, keys, values);
    results.push(result(ctx, store, `ycsb-${valueBytes}b ${run.workload}-${run.dist}`, phase,
      `${sizes}; ${count(ops)} ops${skew}, seed ${SEED + i}`));
  }
  await store.close();
  return results;
}

function result(ctx: TrialContext, store: YcsbStore, trial: string, phase: PhaseResult,
  detail: string): TrialResult {
  return {
    trial, engine: ctx.engine, store: store.name, metrics: phase.metrics,
    detail: `${detail}; single thread, batches of 1,000; durability ${store.durability}`,
  };
}

function count(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n.toLocaleString('en-US');
}

const STORES: readonly StoreKind[] = ['fasterkv', 'lmdb', 'classic-level', 'better-sqlite3',
  'map'];

export const ycsbTrials: readonly Trial[] = [8, 100].flatMap((valueBytes) =>
  STORES.map((store) => ycsbTrial(valueBytes, store)));
