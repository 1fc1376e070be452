/**
 * `fasterkv verify DIR`: checks every checksum; exit 0 when clean, 1 when damaged (each problem
 * printed with its file and offset). Reads only: it never modifies the directory.
 */
import { selectBinding } from '../../native.js';
import { verifyStore } from '../../tools/store-directory.js';
import { byteProgress, EXIT_FAILED, EXIT_OK, printJson } from '../output.js';
import { requireStoreDirectory } from './directory.js';

export function verifyCommand(dir: string, options: { json?: boolean }): number {
  requireStoreDirectory(dir);
  const bar = byteProgress('verifying log');
  const report = (() => {
    try {
      return verifyStore(dir, selectBinding('auto'), bar.update);
    } finally {
      bar.stop();
    }
  })();
  const clean = report.problems.length === 0;
  if (options.json === true) {
    printJson({ ...report, clean });
  } else {
    for (const p of report.problems) {
      process.stdout.write(`damaged: ${p.file} at offset ${p.offset}: ${p.message}\n`);
    }
    process.stdout.write(`${clean ? 'clean' : `${report.problems.length} problem(s)`}: ` +
      `${report.checkpointsChecked} checkpoint(s), ${report.recordsChecked} log record(s) in ` +
      `${report.logBytesChecked} bytes checked` +
      `${report.logNotChecked === undefined ? '' : `; log not checked: ${report.logNotChecked}`}\n`);
  }
  return clean ? EXIT_OK : EXIT_FAILED;
}
