/**
 * The `fasterkv` command on FasterLog directories: `log` (dumping entries), and `inspect` and
 * `verify` of a log, run as users run them (the compiled bin in a child process) on logs
 * written here with seeded entries: printable text, binary bytes and empty entries, across
 * several pages and segments.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../src/fallback/crc32c.js';
import { FasterLog } from '../../src/fasterlog/faster-log.js';
import { seededPrng, type Prng } from '../support/prng.js';
import { tempDir } from '../support/temp-dir.js';
import { buildCli, directoryDigest, fasterkv } from './run-cli.js';

beforeAll(buildCli, 120_000);

const GEOMETRY = { pageBytes: 4096, segmentBytes: 16384, memoryBytes: 16384 };
const RING_FILE = 'fasterlog.commits.0';

interface Written {
  readonly address: number;
  readonly bytes: Uint8Array;
}

/** Entry `i`: mostly printable text; every fifth binary (a control byte first); some empty. */
function entryOf(prng: Prng, i: number): Uint8Array {
  if (i % 37 === 5) return new Uint8Array(0);
  if (i % 5 === 0) {
    const bytes = new Uint8Array(1 + prng.int(40));
    for (let j = 0; j < bytes.length; j++) bytes[j] = prng.int(256);
    bytes[0] = prng.int(32);
    return bytes;
  }
  const letters = Array.from({ length: prng.int(30) }, () => 'abcdefgh é'[prng.int(10)]);
  return new TextEncoder().encode(`entry ${i} ${letters.join('')}`);
}

/**
 * A closed log of 600 entries in 6 commits (fast commit: commit records in the log), with a
 * named iterator that completed the first 100 entries and a cookie on the last commit.
 */
async function closedLog(prng: Prng, options: { fastCommit?: boolean } = {}):
  Promise<{ dir: string; entries: Written[]; log: { pageBytes: number; segmentBytes: number } }> {
  const dir = tempDir();
  const log = await FasterLog.open({ dir, ...GEOMETRY, commit: 'manual', ...options });
  const entries: Written[] = [];
  for (let i = 0; i < 600; i++) {
    const bytes = entryOf(prng, i);
    entries.push({ address: log.enqueue(bytes), bytes });
    if (i % 100 === 99) await log.commit();
  }
  const reader = log.scan({ name: 'reader-a' });
  reader.completeUntil(entries[100]!.address);
  reader.close();
  await log.commit({ cookie: new TextEncoder().encode('cookie-1') });
  await log.close();
  return { dir, entries, log: GEOMETRY };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function parseJsonLines(text: string): Record<string, unknown>[] {
  return lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Where log `address` lies: its segment file and the offset in it. */
function placeOf(dir: string, address: number): { file: string; offset: number } {
  const segment = Math.floor(address / GEOMETRY.segmentBytes);
  return { file: join(dir, `fasterlog.log.${segment}`), offset: address % GEOMETRY.segmentBytes };
}

function flipByte(file: string, offset: number): void {
  const bytes = readFileSync(file);
  bytes[offset]! ^= 0x40;
  writeFileSync(file, bytes);
}

/** Offsets of the commit-metadata records in the ring, newest first, as inspect reports. */
function ringRecords(dir: string): number[] {
  return (JSON.parse(fasterkv('inspect', dir, '--json').stdout) as {
    commits: { offset: number }[] }).commits.map((c) => c.offset);
}

function newestRingRecord(dir: string): number {
  return ringRecords(dir)[0]!;
}

function expectOneErrorLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(pattern);
}

describe('fasterkv log', () => {
  it('prints every committed entry in order, as UTF-8 when printable and as hex otherwise',
    async () => {
      const { dir, entries } = await closedLog(seededPrng());
      const r = fasterkv('log', dir);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const printed = r.stdout.split('\n').slice(0, -1);
      expect(printed).toHaveLength(entries.length);
      entries.forEach((e, i) => {
        const [address, length, encoding] = printed[i]!.trim().split(/ +/);
        expect(Number(address)).toBe(e.address);
        expect(Number(length)).toBe(e.bytes.length);
        const text = new TextDecoder().decode(e.bytes);
        const binary = i % 5 === 0 && e.bytes.length > 0;
        expect(encoding).toBe(binary ? 'hex' : 'utf8');
        expect(printed[i]!.endsWith(binary ? Buffer.from(e.bytes).toString('hex') : text))
          .toBe(true);
      });
    });

  it('prints one JSON object per entry whose data round-trip to the bytes in every format',
    async () => {
      const { dir, entries } = await closedLog(seededPrng());
      for (const format of ['base64', 'hex', 'auto'] as const) {
        const r = fasterkv('log', dir, '--json', '--format', format);
        expect(r.code).toBe(0);
        const objects = parseJsonLines(r.stdout);
        expect(objects).toHaveLength(entries.length);
        objects.forEach((o, i) => {
          const e = entries[i]!;
          expect(o).toMatchObject({ address: e.address, length: e.bytes.length, committed: true });
          // Padding and commit records may lie between one entry and the next.
          expect(o.nextAddress).toBeGreaterThan(e.address);
          expect(o.nextAddress).toBeLessThanOrEqual(entries[i + 1]?.address ?? Infinity);
          const encoding = o.encoding as BufferEncoding;
          expect(Buffer.from(o.data as string, encoding)).toEqual(Buffer.from(e.bytes));
        });
      }
    });

  it('dumps the range --from, --to and --limit select, --from at any address', async () => {
    const { dir, entries } = await closedLog(seededPrng());
    const from = entries[150]!.address + 3;
    const to = entries[420]!.address;
    const r = fasterkv('log', dir, '--json', '--from', String(from), '--to', `0x${to.toString(16)}`);
    expect(r.code).toBe(0);
    expect(parseJsonLines(r.stdout).map((o) => o.address))
      .toEqual(entries.slice(151, 420).map((e) => e.address));
    const limited = fasterkv('log', dir, '--json', '--from', String(from), '--limit', '7');
    expect(parseJsonLines(limited.stdout).map((o) => o.address))
      .toEqual(entries.slice(151, 158).map((e) => e.address));
    expect(fasterkv('log', dir, '--from', '999999999').stdout).toBe('');
  });

  it("starts at a named iterator's committed position and names the iterators it has when " +
    'asked for another', async () => {
    const { dir, entries } = await closedLog(seededPrng());
    const r = fasterkv('log', dir, '--json', '--iterator', 'reader-a', '--limit', '2');
    expect(parseJsonLines(r.stdout).map((o) => o.address))
      .toEqual([entries[100]!.address, entries[101]!.address]);
    const unknown = fasterkv('log', dir, '--iterator', 'reader-b');
    expect(unknown.code).toBe(2);
    expectOneErrorLine(unknown, /no named iterator "reader-b" in this log \(it has "reader-a"\)/);
    expectOneErrorLine(fasterkv('log', dir, '--iterator', 'reader-a', '--from', '64'),
      /--from and --iterator/);
  });

  it('shows the entries past the commit point only with --uncommitted, marked as never ' +
    'committed', async () => {
    // A log whose last commits never reached their metadata: as if the writer died between
    // writing the last 100 entries and their commit-metadata record (fastCommit off, so the
    // ring is the only place commits are recorded). The newest record is the cookie commit,
    // the one before it the commit of the last entries.
    const { dir, entries } = await closedLog(seededPrng(), { fastCommit: false });
    const ring = join(dir, RING_FILE);
    const bytes = readFileSync(ring);
    for (const offset of ringRecords(dir).slice(0, 2)) bytes.fill(0, offset, offset + 4096);
    writeFileSync(ring, bytes);
    const committed = parseJsonLines(fasterkv('log', dir, '--json').stdout);
    expect(committed.length).toBeLessThan(entries.length);
    expect(committed.map((o) => o.address))
      .toEqual(entries.slice(0, committed.length).map((e) => e.address));
    const all = parseJsonLines(fasterkv('log', dir, '--json', '--uncommitted').stdout);
    expect(all.map((o) => o.address)).toEqual(entries.map((e) => e.address));
    expect(all.map((o) => o.committed))
      .toEqual(entries.map((_, i) => i < committed.length));
    const text = fasterkv('log', dir, '--uncommitted').stdout;
    expect(lines(text)[committed.length]).toMatch(/^# past the commit point: never committed/);
    expect(fasterkv('inspect', dir, '--json').stdout).toContain('"uncommittedBytes"');
  });

  it('prints the entries before a damaged one, then exits 1 with one line naming the segment ' +
    'file and offset', async () => {
    const { dir, entries } = await closedLog(seededPrng());
    const k = entries.findIndex((e, i) => i > 200 && e.bytes.length > 0);
    const { file, offset } = placeOf(dir, entries[k]!.address);
    flipByte(file, offset + 8);
    const r = fasterkv('log', dir, '--json');
    expect(r.code).toBe(1);
    expect(parseJsonLines(r.stdout)).toHaveLength(k);
    expectOneErrorLine(r, new RegExp(`^fasterkv: ERR_CORRUPTION: ${file} is damaged at offset ` +
      `${offset}: `));
    const before = fasterkv('log', dir, '--to', String(entries[k]!.address));
    expect(before.code).toBe(0);
  });

  it('refuses bad options with one line and exit 2', async () => {
    const { dir } = await closedLog(seededPrng());
    expectOneErrorLine(fasterkv('log', dir, '--format', 'octal'), /--format must be one of auto/);
    expectOneErrorLine(fasterkv('log', dir, '--from', '-5'), /--from must be a non-negative/);
    expectOneErrorLine(fasterkv('log', dir, '--limit', 'ten'), /--limit must be a non-negative/);
    expect(fasterkv('log', dir, '--limit', 'ten').code).toBe(2);
  });
});

describe('fasterkv inspect and verify of a FasterLog', () => {
  it('describes the log: formats, addresses, commit, iterators, cookie, history and segments',
    async () => {
      const { dir, entries } = await closedLog(seededPrng());
      const r = fasterkv('inspect', dir, '--json');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      const last = entries[entries.length - 1]!;
      expect(report).toMatchObject({
        kind: 'fasterlog', formats: { entry: 1, commitRecord: 1, commitMetadata: 1 },
        pageBytes: GEOMETRY.pageBytes, segmentBytes: GEOMETRY.segmentBytes, lock: null,
        commitNumber: 7, beginAddress: 64, uncommittedBytes: 0, damage: null,
        iterators: [{ name: 'reader-a', completedUntilAddress: entries[100]!.address }],
        cookie: { bytes: 8, utf8: 'cookie-1' }, damagedMetadataRecords: [],
        metadataFile: { name: RING_FILE, bytes: 1 << 20 },
      });
      expect(report.committedUntilAddress).toBeGreaterThan(last.address);
      expect(report.tailAddress).toBe(report.committedUntilAddress);
      expect(report.commits[0]).toMatchObject({ commitNumber: 7, anchor: false, cookieBytes: 8,
        untilAddress: report.committedUntilAddress });
      expect(report.segments.map((s: { name: string }) => s.name))
        .toEqual(['fasterlog.log.0', 'fasterlog.log.1']);
      for (const s of report.segments as { name: string; bytes: number }[]) {
        expect(readFileSync(join(dir, s.name)).length).toBe(s.bytes);
      }
      const text = fasterkv('inspect', dir).stdout;
      expect(text).toContain(`${dir}: FasterLog`);
      expect(text).toMatch(/commit: #7 \(from metadata\)/);
      expect(text).toContain(`reader-a: completed until ${entries[100]!.address}`);
      expect(text).toContain('cookie: 8 bytes, "cookie-1"');
    });

  it('verifies a clean log with exit 0, checking every entry, and changes nothing', async () => {
    const { dir, entries } = await closedLog(seededPrng());
    const digest = directoryDigest(dir);
    const r = fasterkv('verify', dir, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ clean: true, problems: [], warnings: [], commitNumber: 7 });
    // Data entries, plus the commit records of commits 1 to 7 (padding entries vary).
    expect(report.entriesChecked).toBeGreaterThanOrEqual(entries.length + 7);
    expect(report.commitRecordsChecked).toBe(7);
    expect(fasterkv('verify', dir).stdout).toMatch(/^clean: /);
    fasterkv('inspect', dir);
    fasterkv('log', dir, '--uncommitted');
    expect(directoryDigest(dir)).toBe(digest);
  });

  it('finds a flipped byte in a segment with exit 1, naming the file and offset, and leaves ' +
    'the file as it was', async () => {
    const prng = seededPrng();
    const { dir, entries } = await closedLog(prng);
    const candidates = entries.filter((e) => e.bytes.length > 0);
    const victim = candidates[prng.int(candidates.length)]!;
    const { file, offset } = placeOf(dir, victim.address);
    flipByte(file, offset + 8 + prng.int(victim.bytes.length));
    const digest = directoryDigest(dir);
    const r = fasterkv('verify', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`damaged: ${file} at offset ${offset}: a committed entry fails ` +
      'its checksum');
    expect(JSON.parse(fasterkv('verify', dir, '--json').stdout).problems).toHaveLength(1);
    expect(directoryDigest(dir)).toBe(digest);
  });

  it('finds a flipped byte in entries that only commit records in the log vouch for, which ' +
    'recovery would take for a torn tail', async () => {
    // As after a crash in fast-commit mode: the metadata holds only the writer's open, and
    // every commit is a commit record in the log.
    const prng = seededPrng();
    const { dir, entries } = await closedLog(prng);
    const ring = join(dir, RING_FILE);
    const report = JSON.parse(fasterkv('inspect', dir, '--json').stdout) as {
      commits: { offset: number; anchor: boolean }[] };
    const bytes = readFileSync(ring);
    for (const c of report.commits.filter((c) => !c.anchor)) {
      bytes.fill(0, c.offset, c.offset + 4096);
    }
    writeFileSync(ring, bytes);
    expect(fasterkv('verify', dir).code).toBe(0);
    const victim = entries.filter((e, i) => i > 250 && i < 350 && e.bytes.length > 0)[0]!;
    const { file, offset } = placeOf(dir, victim.address);
    flipByte(file, offset + 8);
    const r = fasterkv('verify', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`damaged: ${file} at offset ${offset}: an entry fails its ` +
      'checksum or length check below commit #7 of the same writer');
  });

  it('finds a flipped byte in the commit metadata with exit 1, naming the file and offset',
    async () => {
      const { dir } = await closedLog(seededPrng());
      const offset = newestRingRecord(dir);
      flipByte(join(dir, RING_FILE), offset + 24 + 30);
      const digest = directoryDigest(dir);
      const r = fasterkv('verify', dir, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({
        file: join(dir, RING_FILE), offset })]);
      expect(fasterkv('verify', dir).stdout).toContain(`damaged: ${join(dir, RING_FILE)} at ` +
        `offset ${offset}: commit-metadata record: checksum mismatch`);
      // Recovery falls back to the previous record and the commit records in the log.
      const inspected = fasterkv('inspect', dir);
      expect(inspected.stdout).toMatch(/commit: #7 \(from log\)/);
      expectOneErrorLine(inspected, /^fasterkv: ERR_CORRUPTION: .*1 damaged commit-metadata/);
      expect(fasterkv('log', dir).code).toBe(0);
      expect(directoryDigest(dir)).toBe(digest);
    });

  it('refuses a newer commit-metadata format version with one line, in every command',
    async () => {
      const { dir } = await closedLog(seededPrng());
      const offset = newestRingRecord(dir);
      const ring = join(dir, RING_FILE);
      const bytes = readFileSync(ring);
      bytes.writeUInt16LE(2, offset + 4);
      // A newer writer would have checksummed what it wrote: [0, 12), then [16, length).
      const length = bytes.readUInt32LE(offset + 8);
      bytes.writeUInt32LE(crc32c(bytes, crc32c(bytes, 0, offset, offset + 12), offset + 16,
        offset + length), offset + 12);
      writeFileSync(ring, bytes);
      for (const command of ['inspect', 'verify', 'log']) {
        expectOneErrorLine(fasterkv(command, dir), new RegExp(`^fasterkv: ERR_FORMAT_VERSION: ` +
          `.*${RING_FILE} at offset ${offset} .*format version 2`));
      }
    });

  it('exits non-zero with one line for a log whose segments have no commit metadata',
    async () => {
      const { dir } = await closedLog(seededPrng());
      writeFileSync(join(dir, RING_FILE), new Uint8Array(1 << 20));
      expectOneErrorLine(fasterkv('inspect', dir), /ERR_CORRUPTION: .*no valid commit metadata/);
      expectOneErrorLine(fasterkv('log', dir), /ERR_CORRUPTION: .*no valid commit metadata/);
      const r = fasterkv('verify', dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('no valid commit-metadata record');
    });

  it('describes, verifies and dumps a log nothing was ever committed to', async () => {
    const dir = tempDir();
    await (await FasterLog.open({ dir })).close();
    expect(JSON.parse(fasterkv('inspect', dir, '--json').stdout)).toMatchObject({
      commitNumber: 0, commitSource: 'none', beginAddress: 64, committedUntilAddress: 64,
      segments: [], commits: [],
    });
    expect(fasterkv('verify', dir)).toMatchObject({ code: 0 });
    expect(fasterkv('log', dir)).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('tells a FasterLog directory from a store in the commands that take only one kind',
    async () => {
      const { dir } = await closedLog(seededPrng());
      expectOneErrorLine(fasterkv('checkpoints', dir), /a FasterLog directory, not a FasterKV/);
      const store = tempDir();
      mkdirSync(join(store, 'checkpoints'));
      expectOneErrorLine(fasterkv('log', store), /a FasterKV store, not a FasterLog directory/);
      expect(fasterkv('log', store).code).toBe(2);
    });
});
