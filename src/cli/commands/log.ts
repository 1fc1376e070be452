/**
 * `fasterkv log DIR`: prints a FasterLog's entries, one per line, or one JSON object per line
 * with `--json` (newline-delimited JSON, so a dump of any size streams).
 *
 * The log is opened with the public API as a read-only follower (`readOnly: true`): no lock,
 * no writes, so it works beside a running writer and leaves the directory as it was. The
 * range: `--from` (any address: the dump starts at the first entry at or after it; default
 * the begin address) or `--iterator NAME` (where that named iterator's last commit says it
 * completed), `--to` (exclusive), `--limit`. Committed entries only, unless `--uncommitted`
 * also asks for the intact entries written past the commit point (a crashed writer's tail,
 * which its next open drops; read from the segment files, since a follower scans commits
 * only).
 *
 * Encodings (`--format`): `auto` (the default) prints an entry as UTF-8 when it is valid UTF-8
 * without control characters and as hex otherwise; `utf8` always decodes (invalid bytes become
 * U+FFFD; in text lines control characters are escaped as in JSON); `hex`; `base64`. A text
 * line is `ADDRESS LENGTH ENCODING DATA`; a JSON line is
 * `{"address","nextAddress","length","committed","encoding","data"}`.
 */
import { join, resolve } from 'node:path';
import { FasterError } from '../../errors.js';
import { FasterLog } from '../../fasterlog/faster-log.js';
import { LOG_DEVICE_NAME } from '../../fasterlog/layout.js';
import { selectBinding } from '../../native.js';
import { printableUtf8 } from '../../tools/log-directory.js';
import { entriesPastCommit } from '../../tools/log-pages.js';
import { byteProgress, CliError, EXIT_OK, EXIT_USAGE } from '../output.js';
import { requireLogDirectory } from './directory.js';

export const LOG_FORMATS = ['auto', 'utf8', 'hex', 'base64'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogCommandOptions {
  from?: string;
  to?: string;
  limit?: string;
  format?: string;
  uncommitted?: boolean;
  iterator?: string;
  json?: boolean;
}

interface Range {
  readonly start: number;
  readonly end: number;
  readonly limit: number;
}

export async function logCommand(dir: string, options: LogCommandOptions): Promise<number> {
  requireLogDirectory(dir);
  const format = parseFormat(options.format);
  const from = parseInteger('--from', options.from);
  const to = parseInteger('--to', options.to);
  const limit = parseInteger('--limit', options.limit) ?? Infinity;
  if (from !== undefined && options.iterator !== undefined) {
    throw new CliError('--from and --iterator both say where to start; give one', EXIT_USAGE);
  }
  const log = await FasterLog.open({ dir, readOnly: true });
  try {
    const start = from ?? iteratorStart(log, options.iterator) ?? log.beginAddress;
    const range: Range = { start, end: to ?? Infinity, limit };
    const print = printer(format, options.json === true);
    const shown = await dumpCommitted(log, range, print);
    if (shown.reachedEnd) failOnDamagedTail(dir, log, range);
    if (options.uncommitted === true && shown.count < limit) {
      await dumpPastCommit(dir, log.committedUntilAddress, range, limit - shown.count, print);
    }
  } finally {
    await log.close();
  }
  return EXIT_OK;
}

/** Where the named iterator's last commit says it completed. */
function iteratorStart(log: FasterLog, name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const positions = log.iteratorPositions();
  const found = positions.find((p) => p.name === name);
  if (found === undefined) {
    const known = positions.map((p) => JSON.stringify(p.name)).join(', ');
    throw new CliError(`no named iterator ${JSON.stringify(name)} in this log ` +
      `(${known === '' ? 'it has none' : `it has ${known}`})`, EXIT_USAGE);
  }
  return found.completedUntilAddress;
}

/**
 * Committed entries in the range. The scan starts at the first entry of the page holding
 * `start` (every page starts with an entry), so `--from` may be any address.
 */
async function dumpCommitted(log: FasterLog, range: Range, print: Printer):
  Promise<{ count: number; reachedEnd: boolean }> {
  const scanFrom = Math.max(log.beginAddress, range.start - (range.start % log.pageBytes));
  const until = Math.min(range.end, log.committedUntilAddress);
  const progress = dumpProgress();
  let count = 0;
  try {
    if (range.limit === 0) return { count, reachedEnd: false };
    const iterator = log.scan({ from: scanFrom,
      ...(Number.isFinite(range.end) ? { to: range.end } : {}) });
    for (const { address, entry, nextAddress } of iterator) {
      if (address < range.start) continue;
      await print(address, entry, nextAddress, true);
      progress.update(nextAddress - scanFrom, until - scanFrom);
      if (++count >= range.limit) {
        iterator.close();
        return { count, reachedEnd: false };
      }
    }
    return { count, reachedEnd: true };
  } finally {
    progress.stop();
  }
}

/** Intact entries past the commit point, in the range. */
async function dumpPastCommit(dir: string, committed: number, range: Range, limit: number,
  print: Printer): Promise<void> {
  let count = 0;
  for (const { address, entry, nextAddress } of
    entriesPastCommit(dir, selectBinding('auto'), committed, range.end)) {
    if (address < range.start) continue;
    await print(address, entry, nextAddress, false);
    if (++count >= limit) break;
  }
}

/**
 * A damaged committed tail makes the follower's open stop the log before it (as a writer's
 * would); a dump that reached that point fails as a dump of a damaged entry would.
 */
function failOnDamagedTail(dir: string, log: FasterLog, range: Range): void {
  const report = log.recoveryReport;
  const at = report.truncatedFromAddress;
  if (report.corruption === undefined || at === undefined || range.end <= at) return;
  const segment = Math.floor(at / log.segmentBytes);
  const file = join(resolve(dir), `${LOG_DEVICE_NAME}.${segment}`);
  const offset = at - segment * log.segmentBytes;
  throw new FasterError('ERR_CORRUPTION', `${file} is damaged at offset ${offset}: ` +
    `${report.corruption} (log address ${at}); the ${report.truncatedBytes} committed bytes ` +
    'from there on cannot be read', { path: file, offset });
}

/** Progress on standard error, only while standard output is not the same terminal. */
function dumpProgress(): ReturnType<typeof byteProgress> {
  if (process.stdout.isTTY) return { update: () => {}, stop: () => {} };
  return byteProgress('reading log');
}

/** Prints one entry; resolves once standard output can take more (pipes are asynchronous). */
type Printer = (address: number, entry: Uint8Array, next: number,
  committed: boolean) => Promise<void> | undefined;

function printer(format: LogFormat, json: boolean): Printer {
  let markedPastCommit = false;
  const write = (text: string): Promise<void> | undefined =>
    (process.stdout.write(text) ? undefined
      : new Promise((resolve) => process.stdout.once('drain', resolve)));
  return (address, entry, next, committed) => {
    const { encoding, data } = encode(entry, format, json);
    if (json) {
      return write(`${JSON.stringify({ address, nextAddress: next, length: entry.length,
        committed, encoding, data })}\n`);
    }
    const mark = !committed && !markedPastCommit
      ? '# past the commit point: never committed, dropped at the writer\'s next open\n' : '';
    markedPastCommit ||= !committed;
    return write(`${mark}${String(address).padStart(10)} ${String(entry.length).padStart(7)} ` +
      `${encoding.padEnd(6)} ${data}\n`);
  };
}

function encode(entry: Uint8Array, format: LogFormat, json: boolean):
  { encoding: Exclude<LogFormat, 'auto'>; data: string } {
  const bytes = Buffer.from(entry.buffer, entry.byteOffset, entry.length);
  if (format === 'hex') return { encoding: 'hex', data: bytes.toString('hex') };
  if (format === 'base64') return { encoding: 'base64', data: bytes.toString('base64') };
  if (format === 'utf8') {
    const text = bytes.toString('utf8');
    return { encoding: 'utf8', data: json ? text : escapeControls(text) };
  }
  const text = printableUtf8(entry);
  return text === undefined ? { encoding: 'hex', data: bytes.toString('hex') }
    : { encoding: 'utf8', data: text };
}

function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function parseFormat(value: string | undefined): LogFormat {
  if (value === undefined) return 'auto';
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new CliError(`--format must be one of ${LOG_FORMATS.join(', ')}; got ` +
      `${JSON.stringify(value)}`, EXIT_USAGE);
  }
  return value as LogFormat;
}

/** A non-negative integer option (decimal or 0x hex); undefined when not given. */
function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^(\d+|0x[0-9a-f]+)$/i.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new CliError(`${name} must be a non-negative integer (decimal or 0x hex); got ` +
      `${JSON.stringify(value)}`, EXIT_USAGE);
  }
  return n;
}
