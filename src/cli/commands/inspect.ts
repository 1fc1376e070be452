/** `fasterkv inspect DIR`: what a store directory holds. */
import { selectBinding } from '../../native.js';
import { inspectStore, type StoreReport } from '../../tools/store-directory.js';
import { EXIT_OK, printJson } from '../output.js';
import { requireStoreDirectory } from './directory.js';

export function inspectCommand(dir: string, options: { json?: boolean }): number {
  requireStoreDirectory(dir);
  const report = inspectStore(dir, selectBinding('auto'));
  if (options.json === true) printJson(report);
  else printReport(report);
  return EXIT_OK;
}

function printReport(r: StoreReport): void {
  const line = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
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
