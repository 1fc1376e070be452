/**
 * `fasterkv inspect DIR`: what a store directory or a FasterLog directory holds. Reads only;
 * never takes the lock, so it works while a writer has the directory open. Damage it comes
 * across (a damaged checkpoint or commit-metadata record, a damaged committed log tail) is
 * shown in the report and makes it exit 1 with one line on standard error.
 */
import { selectBinding } from '../../native.js';
import { inspectLog, type LogReport } from '../../tools/log-directory.js';
import { inspectStore, type StoreReport } from '../../tools/store-directory.js';
import { EXIT_OK, printJson, reportDamage } from '../output.js';
import { directoryKind } from './directory.js';

/** Commits of the ring history printed in text (JSON has them all). */
const HISTORY_LINES = 10;

export function inspectCommand(dir: string, options: { json?: boolean }): number {
  const kind = directoryKind(dir);
  const binding = selectBinding('auto');
  const report = kind === 'fasterkv' ? inspectStore(dir, binding) : inspectLog(dir, binding);
  if (options.json === true) printJson(report);
  else if (report.kind === 'fasterkv') printReport(report);
  else printLogReport(report);
  const damage = report.kind === 'fasterkv' ? storeDamage(report) : logDamage(report);
  return damage === undefined ? EXIT_OK : reportDamage(`${report.dir}: ${damage}`);
}

function storeDamage(r: StoreReport): string | undefined {
  const n = r.damagedCheckpoints.length;
  return n === 0 ? undefined : `${n} damaged checkpoint(s): ` +
    r.damagedCheckpoints.map((d) => `${d.token} (${d.error})`).join(', ');
}

function logDamage(r: LogReport): string | undefined {
  const parts: string[] = [];
  const n = r.damagedMetadataRecords.length;
  if (n > 0) {
    parts.push(`${n} damaged commit-metadata record(s) at offset(s) ` +
      r.damagedMetadataRecords.map((d) => d.offset).join(', '));
  }
  if (r.damage !== undefined) parts.push(`the committed tail is damaged (${r.damage})`);
  return parts.length === 0 ? undefined : parts.join('; ');
}

function line(s: string): void {
  process.stdout.write(`${s}\n`);
}

function printReport(r: StoreReport): void {
  line(`${r.dir}: FasterKV store`);
  line(`formats: ${Object.entries(r.formats).map(([k, v]) => `${k} v${v}`).join(', ')}`);
  line(`writer lock: ${r.lock ?? 'none'}`);
  const total = r.segments.reduce((n, s) => n + s.bytes, 0);
  line(`log segments: ${r.segments.length} (${total} bytes)`);
  for (const s of r.segments) line(`  ${s.name}  ${s.bytes} bytes`);
  line(`checkpoints: ${r.checkpoints.length} valid, newest first`);
  for (const c of r.checkpoints) {
    line(`  ${c.token}  #${c.sequence} v${c.version} ${c.type}${c.index ? '+index' : ''}` +
      `${c.incremental ? ' incremental' : ''}  ${c.createdAt}`);
    line(`    addresses: begin ${c.beginAddress} start ${c.startAddress} final ${c.finalAddress}` +
      `  pages ${c.pageBytes} B, segments ${c.segmentBytes} B`);
    for (const [id, serial] of Object.entries(c.sessions)) {
      const excluded = c.excludedSerials[id];
      line(`    session ${id}: CPR point ${serial}` +
        `${excluded === undefined ? '' : ` (excluded ${excluded.join(', ')})`}`);
    }
  }
  for (const d of r.damagedCheckpoints) line(`  damaged ${d.token}: ${d.error}`);
  for (const t of r.incompleteCheckpoints) line(`  incomplete ${t} (no metadata)`);
}

function printLogReport(r: LogReport): void {
  line(`${r.dir}: FasterLog`);
  line(`formats: ${Object.entries(r.formats).map(([k, v]) => `${k} v${v}`).join(', ')}`);
  line(r.pageBytes === undefined ? 'geometry: not yet fixed (nothing committed)'
    : `geometry: pages ${r.pageBytes} B, segments ${r.segmentBytes} B`);
  line(`writer lock: ${r.lock ?? 'none'}`);
  line(`commit: #${r.commitNumber} (from ${r.commitSource})` +
    `${r.committedAt === undefined ? '' : ` at ${r.committedAt}`}`);
  line(`addresses: begin ${r.beginAddress}, committed until ${r.committedUntilAddress}, ` +
    `tail ${r.tailAddress}`);
  if (r.uncommittedBytes > 0) {
    line(`  ${r.uncommittedBytes} bytes past the commit point were never committed ` +
      '(a writer\'s next open drops them)');
  }
  if (r.damage !== undefined) {
    line(`  damaged committed tail: ${r.damagedTailBytes} bytes (${r.damage}); a writer\'s ` +
      'open would cut them off');
  }
  line(`cookie: ${r.cookie === undefined ? 'none' : `${r.cookie.bytes} bytes, ` +
    `${r.cookie.utf8 === undefined ? `hex ${r.cookie.hex}` : JSON.stringify(r.cookie.utf8)}`}`);
  line(`named iterators: ${r.iterators.length}`);
  for (const it of r.iterators) line(`  ${it.name}: completed until ${it.completedUntilAddress}`);
  const total = r.segments.reduce((n, s) => n + s.bytes, 0);
  line(`log segments: ${r.segments.length} (${total} bytes)`);
  for (const s of r.segments) line(`  ${s.name}  ${s.bytes} bytes`);
  line(`commit metadata: ${r.metadataFile.name}  ${r.metadataFile.bytes} bytes, ` +
    `${r.commits.length} record(s)` +
    `${r.damagedMetadataRecords.length === 0 ? '' : `, ${r.damagedMetadataRecords.length} damaged`}`);
  for (const c of r.commits.slice(0, HISTORY_LINES)) {
    line(`  #${c.commitNumber}${c.anchor ? ' (writer open)' : ''}  begin ${c.beginAddress} ` +
      `until ${c.untilAddress}  ${c.time}  seq ${c.sequence} at offset ${c.offset}` +
      `${c.iterators === 0 ? '' : `  ${c.iterators} iterator(s)`}` +
      `${c.cookieBytes === null ? '' : `  cookie ${c.cookieBytes} B`}`);
  }
  if (r.commits.length > HISTORY_LINES) {
    line(`  ... ${r.commits.length - HISTORY_LINES} older (all in --json)`);
  }
  for (const d of r.damagedMetadataRecords) line(`  damaged record at offset ${d.offset}: ${d.reason}`);
}
