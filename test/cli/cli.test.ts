/**
 * The `fasterkv` command as users run it: the compiled bin, in a child process, on real store
 * directories. The build runs once before the suite (npm test builds too).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../src/fallback/crc32c.js';
import { FasterKV } from '../../src/store/faster-kv.js';
import { tempDir } from '../support/temp-dir.js';
import { TINY } from '../support/store.js';
import { buildCli, fasterkv } from './run-cli.js';

beforeAll(buildCli, 120_000);

/** A closed store with 2,000 records on disk and one checkpoint; returns its dir and token. */
async function storeWithCheckpoint(): Promise<{ dir: string; token: string }> {
  const dir = tempDir();
  const kv = await FasterKV.open({ dir, ...TINY });
  const s = kv.newSession('writer-1');
  for (let i = 0; i < 2000; i++) s.upsert(Buffer.from(`key-${i}`), Buffer.from(`value-${i}`));
  const info = await kv.checkpoint();
  await kv.close();
  return { dir, token: info.token };
}

describe('fasterkv inspect, verify and checkpoints', () => {
  it('describes a store: segments, checkpoints with their sessions and CPR points', async () => {
    const { dir, token } = await storeWithCheckpoint();
    const r = fasterkv('inspect', dir, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.kind).toBe('fasterkv');
    expect(report.segments.length).toBeGreaterThan(0);
    expect(report.checkpoints).toHaveLength(1);
    expect(report.checkpoints[0]).toMatchObject({ token, sessions: { 'writer-1': 2000 } });
    expect(fasterkv('inspect', dir).stdout).toMatch(/session writer-1: CPR point 2000/);
    expect(fasterkv('checkpoints', dir).stdout).toContain(token);
  });

  it('verifies a clean store with exit 0 and finds a flipped byte with exit 1, file and offset',
    async () => {
      const { dir } = await storeWithCheckpoint();
      expect(fasterkv('verify', dir)).toMatchObject({ code: 0 });
      const segment = join(dir, 'hlog.log.0');
      const bytes = readFileSync(segment);
      bytes[64 + 30]! ^= 0xff;
      writeFileSync(segment, bytes);
      const r = fasterkv('verify', dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`damaged: ${segment} at offset 64: record checksum mismatch`);
      expect(readFileSync(segment)).toEqual(bytes);
    });

  it('reports damaged checkpoint metadata in verify, naming the file', async () => {
    const { dir, token } = await storeWithCheckpoint();
    const info = join(dir, 'checkpoints', token, 'info.dat');
    const bytes = readFileSync(info);
    bytes[40]! ^= 1;
    writeFileSync(info, bytes);
    const r = fasterkv('verify', dir, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems[0].file).toContain(`${token}/info.dat`);
    for (const command of ['inspect', 'checkpoints']) {
      const shown = fasterkv(command, dir);
      expect(shown.code).toBe(1);
      expect(shown.stderr.trim().split('\n')).toHaveLength(1);
      expect(shown.stderr).toMatch(new RegExp(`^fasterkv: ERR_CORRUPTION: .*${token}`));
    }
  });

  it('refuses a newer checkpoint format version with one line and a non-zero exit', async () => {
    const { dir, token } = await storeWithCheckpoint();
    const info = join(dir, 'checkpoints', token, 'info.dat');
    const bytes = readFileSync(info);
    bytes.writeUInt32LE(99, 4);
    // A newer writer would have checksummed what it wrote: bytes [0, 12), then [16, end).
    bytes.writeUInt32LE(crc32c(bytes, crc32c(bytes, 0, 0, 12), 16, bytes.length), 12);
    writeFileSync(info, bytes);
    for (const command of ['inspect', 'verify', 'checkpoints']) {
      const r = fasterkv(command, dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/ERR_FORMAT_VERSION/);
    }
  });

  it('removes a checkpoint by token, and refuses tokens that are not of the generated form',
    async () => {
      const { dir, token } = await storeWithCheckpoint();
      const bad = fasterkv('checkpoints', 'remove', dir, '../../etc');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/ERR_INVALID_ARGUMENT/);
      expect(fasterkv('checkpoints', 'remove', dir, token).code).toBe(0);
      expect(fasterkv('checkpoints', dir, '--json').stdout.trim()).toBe('[]');
    });

  it.each([['inspect'], ['verify'], ['checkpoints'], ['log']])(
    'exits 2 with one clear line for %s of a missing directory or a directory of something else',
    (command) => {
      const missing = fasterkv(command, join(tempDir(), 'nope'));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no such directory/);
      const other = tempDir();
      mkdirSync(join(other, 'photos'));
      const r = fasterkv(command, other);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(/^fasterkv: .*not a fasterkv directory/);
    });

  it('draws the charts of an existing bench results file without running a trial', () => {
    const dir = tempDir();
    const results = join(dir, 'bench-x.json');
    const environment = { machine: 'vm linux-x64', cpu: 'test cpu', cores: 2, memoryGiB: 24,
      kernel: 'k', node: 'v20', packageVersion: '0.0.0', commit: 'abc1234',
      date: '2026-01-01T00:00:00.000Z' };
    const row = (engine: string, opsPerSec: number) => ({ trial: 'ycsb-8b C zipf', engine,
      store: 'fasterkv', metrics: { opsPerSec, p50Us: 1, p99Us: 5 }, detail: 'fixture' });
    writeFileSync(results, JSON.stringify({ environment,
      results: [row('native', 500_000), row('js', 400_000)] }));
    const r = fasterkv('bench', '--charts-from', results);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`chart written to ${join(dir, 'bench-x-throughput.svg')}`);
    const svg = readFileSync(join(dir, 'bench-x-throughput.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('abc1234');
  });

  it.each([['inspect'], ['verify'], ['checkpoints'], ['log'], ['demo'], ['bench']])(
    '%s --help describes the command and offers --json', (command) => {
      const r = fasterkv(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: fasterkv ${command} `));
      expect(r.stdout).toContain('--json');
    });
});
