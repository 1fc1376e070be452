/**
 * SVG charts of a bench results file (run.ts writes them next to the JSON after a run, and
 * `--charts-from <results.json>` re-renders them without running anything). No dependencies:
 * the SVG is written as text.
 *
 * Three charts, each a column of horizontal bars grouped under headings:
 * - throughput: one group per trial (workload), one bar per store/engine with its ops/s
 *   (trials that report only MB/s get a second chart in MB/s);
 * - latency: one group per trial, one row per store/engine where the result has p50 or p99:
 *   the p99 bar drawn light, the p50 bar dark over it;
 * - native vs js: one bar per trial (and store) measured on both engines, the ratio of the
 *   native engine's throughput to the pure-TS engine's, with a line at 1x.
 *
 * Bars are scaled within their group (the values of different workloads differ by orders of
 * magnitude), which every chart says under its title; each bar carries its value. Every chart
 * states the machine, CPU, Node.js version, commit and date from the results' environment.
 * Results without the chart's metric are left out of that chart; a chart with no rows at all
 * is not written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BenchEnvironment } from './environment.js';
import type { TrialResult } from './trial.js';

export interface BenchResultsFile {
  readonly environment: BenchEnvironment;
  readonly results: readonly TrialResult[];
}

/** One bar: `value` (≥ 0) drawn to scale, `text` printed after it. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  /** Fill color; by default each label keeps one color across the chart's groups. */
  readonly color?: string;
  /** A second, lighter bar behind the first (the p99 of a latency row). */
  readonly back?: { readonly value: number };
}

export interface BarGroup {
  readonly title: string;
  readonly bars: readonly Bar[];
}

export interface BarChart {
  readonly title: string;
  /** Lines under the title: what the bars are and how they are scaled. */
  readonly notes: readonly string[];
  readonly groups: readonly BarGroup[];
  /** Where a reference line is drawn, in the groups' units (the 1x of a ratio chart). */
  readonly reference?: number;
}

const WIDTH = 960;
const LABEL_RIGHT = 250;
const BAR_LEFT = 260;
const BAR_MAX = 520;
const BAR_HEIGHT = 14;
const ROW = 18;
const GROUP_HEAD = 22;
const GROUP_GAP = 8;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#9c755f',
  '#edc948'];

/** Text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&apos;',
  })[c] as string);
}

/** What a result measured: its store, its engine, or both ('lmdb', 'fasterkv/native'). */
export function subjectOf(r: TrialResult): string {
  if (r.store === undefined) return r.engine;
  return r.engine === 'none' ? r.store : `${r.store}/${r.engine}`;
}

/** The lines every chart carries: where and when the numbers were measured. */
export function environmentLines(env: BenchEnvironment): string[] {
  return [
    `machine ${env.machine}, ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB`,
    `Node.js ${env.node}, fasterkv ${env.packageVersion}, commit ${env.commit}, ${env.date}`,
  ];
}

/** Renders a chart as a standalone SVG document. */
export function renderBarChart(chart: BarChart, env: BenchEnvironment): string {
  const head = [chart.title, ...chart.notes, ...environmentLines(env)];
  let y = 28 + (head.length - 1) * 16 + 16;
  const body: string[] = [];
  const colorOf = colorIndex(chart.groups);
  for (const group of chart.groups) {
    body.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold" ${FONT}>` +
      `${escapeXml(group.title)}</text>`);
    y += GROUP_HEAD;
    const max = Math.max(chart.reference ?? 0,
      ...group.bars.map((b) => Math.max(b.value, b.back?.value ?? 0)));
    const scale = (v: number): number => max > 0 && Number.isFinite(v)
      ? Math.max(0, (v / max) * BAR_MAX) : 0;
    for (const bar of group.bars) {
      const color = bar.color ?? COLORS[colorOf.get(bar.label)! % COLORS.length]!;
      const label = escapeXml(bar.label);
      body.push(`<text x="${LABEL_RIGHT}" y="${y + 11}" font-size="11" text-anchor="end" ` +
        `${FONT}>${label}</text>`);
      let right = Math.max(scale(bar.value), scale(chart.reference ?? 0));
      if (bar.back !== undefined) {
        const w = scale(bar.back.value);
        right = Math.max(right, w);
        body.push(`<rect class="back" x="${BAR_LEFT}" y="${y}" width="${fmt(w)}" ` +
          `height="${BAR_HEIGHT}" fill="${color}" fill-opacity="0.35"/>`);
      }
      body.push(`<rect class="bar" data-label="${label}" x="${BAR_LEFT}" y="${y}" ` +
        `width="${fmt(scale(bar.value))}" height="${BAR_HEIGHT}" fill="${color}">` +
        `<title>${label}: ${escapeXml(bar.text)}</title></rect>`);
      body.push(`<text x="${fmt(BAR_LEFT + right + 6)}" y="${y + 11}" font-size="11" ${FONT}>` +
        `${escapeXml(bar.text)}</text>`);
      y += ROW;
    }
    if (chart.reference !== undefined && group.bars.length > 0) {
      const x = fmt(BAR_LEFT + scale(chart.reference));
      body.push(`<line class="reference" x1="${x}" y1="${y - ROW * group.bars.length - 2}" ` +
        `x2="${x}" y2="${y}" stroke="#333" stroke-dasharray="3,3"/>`);
    }
    y += GROUP_GAP;
  }
  const height = y + 10;
  const header = head.map((line, i) => i === 0
    ? `<text x="10" y="24" font-size="16" font-weight="bold" ${FONT}>${escapeXml(line)}</text>`
    : `<text x="10" y="${28 + i * 16}" font-size="11" fill="#444" ${FONT}>` +
      `${escapeXml(line)}</text>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...header, ...body, '</svg>', '',
  ].join('\n');
}

/** Same label, same color, across the groups of a chart. */
function colorIndex(groups: readonly BarGroup[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const g of groups) {
    for (const b of g.bars) if (!index.has(b.label)) index.set(b.label, index.size);
  }
  return index;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Results grouped by trial name, in the order the trials first appear. */
function byTrial(results: readonly TrialResult[]): Map<string, TrialResult[]> {
  const groups = new Map<string, TrialResult[]>();
  for (const r of results) {
    const g = groups.get(r.trial);
    if (g === undefined) groups.set(r.trial, [r]);
    else g.push(r);
  }
  return groups;
}

/** Each result that has the metric becomes one bar; trials with none are left out. */
function groupsOf(results: readonly TrialResult[], bar: (r: TrialResult) => Bar | undefined):
  BarGroup[] {
  const groups: BarGroup[] = [];
  for (const [title, rs] of byTrial(results)) {
    const bars = rs.map(bar).filter((b): b is Bar => b !== undefined);
    if (bars.length > 0) groups.push({ title, bars });
  }
  return groups;
}

const SCALED = 'bars scaled within each group; value printed after each bar';

export function throughputChart(results: readonly TrialResult[]): BarChart {
  return {
    title: 'Throughput per workload and store (operations per second, higher is better)',
    notes: [SCALED],
    groups: groupsOf(results, (r) => {
      const v = r.metrics.opsPerSec;
      if (v === undefined) return undefined;
      const cpu = r.metrics.opsPerCpuSec;
      return { label: subjectOf(r), value: v,
        text: `${count(v)} ops/s${cpu === undefined ? '' : ` (${count(cpu)}/cpu-s)`}` };
    }),
  };
}

/** Trials that report bytes per second but no operations per second. */
export function bandwidthChart(results: readonly TrialResult[]): BarChart {
  return {
    title: 'Throughput of byte-oriented trials (MB per second, higher is better)',
    notes: [SCALED],
    groups: groupsOf(results, (r) => {
      const v = r.metrics.mbPerSec;
      if (v === undefined || r.metrics.opsPerSec !== undefined) return undefined;
      return { label: subjectOf(r), value: v, text: `${v.toFixed(v < 10 ? 1 : 0)} MB/s` };
    }),
  };
}

export function latencyChart(results: readonly TrialResult[]): BarChart {
  return {
    title: 'Latency percentiles (microseconds, lower is better)',
    notes: ['dark bar p50, light bar p99; ' + SCALED],
    groups: groupsOf(results, (r) => {
      const { p50Us, p99Us } = r.metrics;
      if (p50Us === undefined && p99Us === undefined) return undefined;
      const parts = [p50Us === undefined ? undefined : `p50 ${micros(p50Us)}`,
        p99Us === undefined ? undefined : `p99 ${micros(p99Us)}`].filter((p) => p !== undefined);
      return {
        label: subjectOf(r), value: p50Us ?? 0, text: parts.join(', '),
        ...(p99Us === undefined ? {} : { back: { value: p99Us } }),
      };
    }),
  };
}

/** The throughput a ratio is taken of: ops/s, else MB/s, else IOPS. */
function throughputOf(r: TrialResult): number | undefined {
  return r.metrics.opsPerSec ?? r.metrics.mbPerSec ?? r.metrics.iops;
}

/**
 * Native over pure-TS throughput of every trial measured on both engines: results of the same
 * trial and store are paired in the order they appear (a trial's k-th native result with its
 * k-th js result).
 */
export function nativeVsJsChart(results: readonly TrialResult[]): BarChart {
  const bars: Bar[] = [];
  for (const [trial, rs] of byTrial(results)) {
    const stores = [...new Set(rs.map((r) => r.store ?? ''))];
    for (const store of stores) {
      const native = rs.filter((r) => (r.store ?? '') === store && r.engine === 'native');
      const js = rs.filter((r) => (r.store ?? '') === store && r.engine === 'js');
      for (let k = 0; k < Math.min(native.length, js.length); k++) {
        const n = throughputOf(native[k]!);
        const j = throughputOf(js[k]!);
        if (n === undefined || j === undefined || j <= 0) continue;
        const many = Math.min(native.length, js.length) > 1 ? ` #${k + 1}` : '';
        const where = store === '' || store === 'fasterkv' ? '' : ` (${store})`;
        bars.push({ label: `${trial}${where}${many}`, value: n / j,
          text: `${(n / j).toFixed(2)}x`, color: n >= j ? COLORS[0] : COLORS[1] });
      }
    }
  }
  return {
    title: 'Native engine vs pure-TS engine (throughput ratio, higher favours native)',
    notes: ['ratio of native to js throughput (ops/s, else MB/s, else IOPS) in the same run; ' +
      'dashed line at 1x; one shared scale; blue: native faster, orange: js faster'],
    groups: bars.length === 0 ? [] : [{ title: 'native / js', bars }],
    reference: 1,
  };
}

/**
 * Writes the charts of `data` into `dir`, named `<base>-<chart>.svg`; returns the paths written
 * (a chart with no rows is not written).
 */
export function writeCharts(data: BenchResultsFile, dir: string, base: string): string[] {
  const charts: [string, BarChart][] = [
    ['throughput', throughputChart(data.results)],
    ['bandwidth', bandwidthChart(data.results)],
    ['latency', latencyChart(data.results)],
    ['native-vs-js', nativeVsJsChart(data.results)],
  ];
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, chart] of charts) {
    if (chart.groups.length === 0) continue;
    const path = join(dir, `${base}-${name}.svg`);
    writeFileSync(path, renderBarChart(chart, data.environment));
    written.push(path);
  }
  return written;
}

/** Reads a results file written by run.ts and writes its charts beside it. */
export function chartsFromFile(resultsPath: string): string[] {
  const data = JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResultsFile;
  if (data.environment === undefined || !Array.isArray(data.results)) {
    throw new Error(`${resultsPath}: not a bench results file (no environment and results)`);
  }
  return writeCharts(data, dirname(resultsPath), basename(resultsPath).replace(/\.json$/, ''));
}

function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(n < 10 ? 2 : 0);
}

function micros(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}
