/**
 * `npm run bench`: runs every trial for every engine that is available, each in a fresh child
 * process, prints a table with progress, writes the results with the environment to
 * bench-results/bench-<date>.json, and the SVG charts of those results beside it
 * (bench-<date>-<chart>.svg, charts.ts).
 *
 * Options: --filter <regex> (trial names), --full (large configuration), --out <file>,
 * --charts-from <results.json> (write the charts of an existing results file and run nothing).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { availableEngines, type EngineName } from '../native.js';
import { chartsFromFile, subjectOf, writeCharts } from './charts.js';
import { benchEnvironment, formatEnvironment, packageRoot } from './environment.js';
import type { TrialMetrics, TrialResult } from './trial.js';
import { trials } from './trials/index.js';

interface RunOptions {
  filter: RegExp;
  full: boolean;
  out: string | undefined;
  chartsFrom: string | undefined;
}

export async function runBench(argv: string[]): Promise<TrialResult[]> {
  const opts = parseOptions(argv);
  if (opts.chartsFrom !== undefined) {
    for (const path of chartsFromFile(opts.chartsFrom)) console.log(`chart written to ${path}`);
    return [];
  }
  const env = benchEnvironment();
  console.log(formatEnvironment(env));
  const engines = availableEngines();
  if (!engines.includes('native')) console.log('note     native addon not loaded: js engine only');
  const runnable = (e: string): boolean => e === 'none' || engines.includes(e as EngineName);
  const plan = trials.filter((t) => opts.filter.test(t.name))
    .flatMap((t) => t.engines.filter(runnable).map((e) => ({ t, e })));
  const results: TrialResult[] = [];
  console.log(`\n${'trial'.padEnd(24)}${'engine'.padEnd(18)}${'result'.padEnd(58)}detail`);
  for (const [i, { t, e }] of plan.entries()) {
    if (process.stdout.isTTY) process.stdout.write(`[${i + 1}/${plan.length}] ${t.name} (${e})...`);
    const trialResults = runTrialInChild(t.name, e, opts.full);
    results.push(...trialResults);
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
    for (const r of trialResults) console.log(formatResult(r));
  }
  const out = opts.out ?? join(packageRoot, 'bench-results',
    `bench-${env.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ environment: env, results }, null, 2));
  console.log(`\nresults written to ${out}`);
  const charts = writeCharts({ environment: env, results }, dirname(resolve(out)),
    basename(out).replace(/\.json$/, ''));
  for (const path of charts) console.log(`chart written to ${path}`);
  return results;
}

function parseOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      filter: { type: 'string', default: '.*' },
      full: { type: 'boolean', default: false },
      out: { type: 'string' },
      'charts-from': { type: 'string' },
    },
  });
  return {
    filter: new RegExp(values.filter ?? '.*'), full: values.full ?? false, out: values.out,
    chartsFrom: values['charts-from'],
  };
}

/** One line of the results table. */
export function formatResult(r: TrialResult): string {
  return `${r.trial.padEnd(24)}${subjectOf(r).padEnd(18)}${formatMetrics(r.metrics).padEnd(58)}` +
    r.detail;
}

function runTrialInChild(name: string, engine: string, full: boolean): TrialResult[] {
  const dataDir = mkdtempSync(join(packageRoot, '.bench-'));
  try {
    const child = spawnSync(process.execPath,
      ['--expose-gc', join(packageRoot, 'dist', 'bench', 'child.js'), name, engine, dataDir,
        full ? 'full' : ''],
      { encoding: 'utf8', maxBuffer: 16 << 20 });
    const lines = child.stdout.split('\n').filter((l) => l.startsWith('RESULT '));
    if (child.status !== 0 || lines.length === 0) {
      throw new Error(`trial ${name} (${engine}) failed:\n${child.stderr}`);
    }
    return lines.map((l) => JSON.parse(l.slice('RESULT '.length)) as TrialResult);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatMetrics(m: TrialMetrics): string {
  const parts: string[] = [];
  if (m.opsPerSec !== undefined) parts.push(`${formatCount(m.opsPerSec)} ops/s`);
  if (m.opsPerCpuSec !== undefined) parts.push(`(${formatCount(m.opsPerCpuSec)}/cpu-s)`);
  if (m.mbPerSec !== undefined) parts.push(`${m.mbPerSec.toFixed(0)} MB/s`);
  if (m.p50Us !== undefined) parts.push(`p50 ${m.p50Us.toFixed(1)} µs`);
  if (m.p99Us !== undefined) parts.push(`p99 ${m.p99Us.toFixed(1)} µs`);
  if (m.iops !== undefined) parts.push(`${formatCount(m.iops)} IOPS`);
  return parts.join(', ');
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}
