/**
 * The main job (`npm start` = `fasterkv demo`), about a minute on 2 cores, on a default data
 * directory (./.fasterkv-data, emptied of the demo's own earlier runs first):
 *   1. per engine: load a data set, run a YCSB-A mixed workload, checkpoint, recover;
 *   2. kill a writer process mid-load with SIGKILL, recover, and show each session's CPR point
 *      with every operation up to it read back and none after it present;
 *   3. per engine: durable 1 KiB appends to a FasterLog from 64 concurrent appenders (group
 *      commit), then reopen and read back every acknowledged entry;
 * then a compact report. Progress goes to standard error on a terminal.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableEngines, selectBinding } from '../../native.js';
import { benchEnvironment, formatEnvironment } from '../../bench/environment.js';
import { crashPhase, type CrashResult } from './crash-phase.js';
import { kvPhase, type KvResult } from './kv-phase.js';
import { logPhase, type LogResult } from './log-phase.js';

const RECORDS = 250_000;
const OPS = 1_000_000;
const CRASH_RUN_MS = 1_500;
const LOG_RUN_MS = 2_000;

/** What the demo measured (printed as a report, or as JSON by `fasterkv demo --json`). */
export interface DemoResult {
  readonly environment: ReturnType<typeof benchEnvironment>;
  readonly dir: string;
  readonly kv: KvResult[];
  readonly crash: CrashResult;
  readonly logs: LogResult[];
}

export async function runDemo(dirOption: string): Promise<DemoResult> {
  const dir = resolve(dirOption);
  const environment = benchEnvironment();
  console.log(formatEnvironment(environment));
  console.log(`data     ${dir}\n`);
  const engines = availableEngines();
  const kv: KvResult[] = [];
  for (const engine of engines) {
    const engineDir = fresh(join(dir, `demo-kv-${engine}`));
    kv.push(await kvPhase(engineDir, engine, RECORDS, OPS, status(`store (${engine})`)));
  }
  const crashEngine = selectBinding('auto').engine;
  const crash = await crashPhase(fresh(join(dir, 'demo-crash')), crashEngine, CRASH_RUN_MS,
    status(`crash (${crashEngine})`));
  const logs: LogResult[] = [];
  for (const engine of engines) {
    const logDir = fresh(join(dir, `demo-log-${engine}`));
    logs.push(await logPhase(logDir, engine, LOG_RUN_MS, status(`FasterLog (${engine})`)));
  }
  status('')('');
  printReport(kv, crash, logs);
  return { environment, dir, kv, crash, logs };
}

function fresh(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function status(label: string): (text: string) => void {
  return (text) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${label}${text ? `: ${text}` : ''}`);
  };
}

function printReport(kv: KvResult[], crash: CrashResult, logs: LogResult[]): void {
  const m = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
  console.log('FasterKV, 8-byte keys and values, single session');
  console.log('engine  records  load ops/s  YCSB-A zipf ops/s  p99 µs  checkpoint ms  recover ms');
  for (const r of kv) {
    console.log(`${r.engine.padEnd(8)}${String(r.records).padEnd(9)}${m(r.loadOpsPerSec).padEnd(12)}` +
      `${m(r.runOpsPerSec).padEnd(19)}${r.runP99Us.toFixed(1).padEnd(8)}` +
      `${r.checkpointMs.toFixed(0).padEnd(15)}${r.recoverMs.toFixed(0)}`);
  }
  console.log(`\nCrash recovery (${crash.engine}): a writer with ${crash.sessions.length} sessions ` +
    `and a checkpoint every 150 ms, killed with SIGKILL after ${crash.ranMs} ms`);
  console.log(`recovered checkpoint ${crash.checkpoint} in ${crash.recoverMs.toFixed(0)} ms`);
  for (const s of crash.sessions) {
    console.log(`  session ${s.id}: CPR point ${s.cprPoint}; operations 1..${s.verified} all ` +
      `read back; operation ${s.cprPoint + 1} ${s.afterMissing ? 'absent' : 'PRESENT (wrong)'}`);
  }
  console.log('\nFasterLog, durable 1 KiB appends (commit: immediate, group commit)');
  console.log('engine  appenders  appends/s  ack p50 µs  ack p99 µs  read back after reopen');
  for (const r of logs) {
    console.log(`${r.engine.padEnd(8)}${String(r.appenders).padEnd(11)}` +
      `${(r.appendsPerSec / 1e3).toFixed(1).concat('k').padEnd(11)}` +
      `${r.ackP50Us.toFixed(0).padEnd(12)}${r.ackP99Us.toFixed(0).padEnd(12)}` +
      `${r.verified} of ${r.appends}`);
  }
}
