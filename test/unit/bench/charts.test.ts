import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chartsFromFile, escapeXml, latencyChart, nativeVsJsChart, renderBarChart, throughputChart,
  writeCharts,
} from '../../../src/bench/charts.js';
import type { BenchEnvironment } from '../../../src/bench/environment.js';
import type { TrialResult } from '../../../src/bench/trial.js';

const env: BenchEnvironment = {
  machine: 'bench-host linux-x64', cpu: 'Test CPU @ 2.0GHz', cores: 2, memoryGiB: 8,
  kernel: '6.1.0', node: 'v20.20.2', packageVersion: '0.1.0', commit: 'abc1234',
  date: '2026-11-22T06:00:00.000Z',
};

const results: TrialResult[] = [
  { trial: 'ycsb-8b A-uniform', engine: 'native', store: 'fasterkv',
    metrics: { opsPerSec: 2_000_000, p50Us: 0.4, p99Us: 2.5 }, detail: '' },
  { trial: 'ycsb-8b A-uniform', engine: 'js', store: 'fasterkv',
    metrics: { opsPerSec: 800_000, p50Us: 1.1, p99Us: 6 }, detail: '' },
  { trial: 'ycsb-8b A-uniform', engine: 'none', store: 'lmdb',
    metrics: { opsPerSec: 600_000, p50Us: 1.5, p99Us: 9 }, detail: '' },
  { trial: 'ycsb-8b A-uniform', engine: 'none', store: 'better-sqlite3',
    metrics: {}, detail: 'not installed' },
  { trial: 'crc32c', engine: 'native', metrics: { mbPerSec: 4000 }, detail: '' },
  { trial: 'crc32c', engine: 'js', metrics: { mbPerSec: 500 }, detail: '' },
  { trial: 'log-append <1> & "x"', engine: 'native', metrics: { opsPerSec: 1500 }, detail: '' },
];

/**
 * Checks that `xml` is well-formed: one root element, every tag closed in order, attribute
 * values quoted, and every `&` the start of one of the five XML entities (or a numeric one).
 */
function expectWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = String.raw`<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>`;
  const stray = String.raw`<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)`;
  const token = new RegExp(`${tag}|${stray}`, 'g');
  let last = 0;
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    expect(m[2], `stray "${m[0]}" at ${m.index}: ${body.slice(m.index, m.index + 40)}`)
      .toBeDefined();
    if (stack.length === 0) {
      expect(body.slice(last, m.index).trim(), 'text outside the root').toBe('');
    }
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing === '/') {
      expect(stack.pop(), `</${name}>`).toBe(name);
    } else if (selfClosing === '/') {
      if (stack.length === 0) roots++;
    } else {
      if (stack.length === 0) roots++;
      stack.push(name!);
    }
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  expect(body.slice(last).trim()).toBe('');
}

function count(svg: string, pattern: RegExp): number {
  return svg.match(new RegExp(pattern, 'g'))?.length ?? 0;
}

describe('bench SVG charts', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('escapes the five XML special characters', () => {
    expect(escapeXml('a<b>&"c"\'d\'')).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
  });

  it('writes a well-formed SVG document for every chart', () => {
    for (const chart of [throughputChart(results), latencyChart(results),
      nativeVsJsChart(results)]) {
      const svg = renderBarChart(chart, env);
      expect(svg.startsWith('<?xml')).toBe(true);
      expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
      expectWellFormed(svg);
    }
  });

  it('draws one throughput bar per result that has ops/s, grouped by trial', () => {
    const chart = throughputChart(results);
    expect(chart.groups.map((g) => g.title)).toEqual(['ycsb-8b A-uniform',
      'log-append <1> & "x"']);
    expect(chart.groups[0]!.bars.map((b) => b.label)).toEqual(['fasterkv/native',
      'fasterkv/js', 'lmdb']);
    const svg = renderBarChart(chart, env);
    expect(count(svg, /<rect class="bar"/)).toBe(4);
    expect(svg).toContain('2.00M ops/s');
    expect(svg).toContain('1.5k ops/s');
  });

  it('escapes trial and store names in the SVG', () => {
    const svg = renderBarChart(throughputChart(results), env);
    expect(svg).toContain('log-append &lt;1&gt; &amp; &quot;x&quot;');
    expect(svg).not.toContain('<1>');
  });

  it('states machine, CPU, Node.js version, commit and date on every chart', () => {
    for (const chart of [throughputChart(results), latencyChart(results),
      nativeVsJsChart(results)]) {
      const svg = renderBarChart(chart, env);
      for (const fact of ['bench-host linux-x64', 'Test CPU @ 2.0GHz', 'v20.20.2', 'abc1234',
        '2026-11-22T06:00:00.000Z']) expect(svg).toContain(fact);
    }
  });

  it('draws p50 over p99 for each result that has latency percentiles', () => {
    const chart = latencyChart(results);
    expect(chart.groups).toHaveLength(1);
    const svg = renderBarChart(chart, env);
    expect(count(svg, /<rect class="bar"/)).toBe(3);
    expect(count(svg, /<rect class="back"/)).toBe(3);
    expect(svg).toContain('p50 0.4 µs, p99 2.5 µs');
  });

  it('gives the ratio of native to js throughput for each trial run on both engines', () => {
    const chart = nativeVsJsChart(results);
    expect(chart.groups[0]!.bars.map((b) => [b.label, b.text])).toEqual([
      ['ycsb-8b A-uniform', '2.50x'], ['crc32c', '8.00x'],
    ]);
    const svg = renderBarChart(chart, env);
    expect(count(svg, /<rect class="bar"/)).toBe(2);
    expect(count(svg, /<line class="reference"/)).toBe(1);
  });

  it('writes the charts beside a results file and skips a chart with nothing to draw', () => {
    dir = mkdtempSync(join(tmpdir(), 'fasterkv-charts-'));
    const path = join(dir, 'bench-x.json');
    writeFileSync(path, JSON.stringify({ environment: env, results }));
    const written = chartsFromFile(path);
    expect(written.map((p) => p.slice(dir!.length + 1))).toEqual([
      'bench-x-throughput.svg', 'bench-x-bandwidth.svg', 'bench-x-latency.svg',
      'bench-x-native-vs-js.svg',
    ]);
    for (const p of written) expectWellFormed(readFileSync(p, 'utf8'));
    const onlyThroughput = writeCharts({ environment: env, results: [results[6]!] }, dir, 'y');
    expect(onlyThroughput.map((p) => p.slice(dir!.length + 1))).toEqual(['y-throughput.svg']);
  });

  it('rejects a file that is not a bench results file', () => {
    dir = mkdtempSync(join(tmpdir(), 'fasterkv-charts-'));
    const path = join(dir, 'other.json');
    writeFileSync(path, '{"a": 1}');
    expect(() => chartsFromFile(path)).toThrow(/not a bench results file/);
  });
});
