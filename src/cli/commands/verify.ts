/**
 * `fasterkv verify DIR`: checks every checksum of a store or a FasterLog directory; exit 0
 * when clean, 1 when damaged (each problem printed with its file and offset). Reads only: it
 * never modifies the directory and never takes its lock.
 */
import { selectBinding } from '../../native.js';
import { verifyLog, type LogVerifyReport } from '../../tools/log-verify.js';
import { verifyStore, type Problem, type VerifyReport } from '../../tools/store-directory.js';
import { byteProgress, EXIT_FAILED, EXIT_OK, printJson } from '../output.js';
import { directoryKind } from './directory.js';

export function verifyCommand(dir: string, options: { json?: boolean }): number {
  const kind = directoryKind(dir);
  const binding = selectBinding('auto');
  const bar = byteProgress('verifying log');
  const report = (() => {
    try {
      return kind === 'fasterkv' ? verifyStore(dir, binding, bar.update)
        : verifyLog(dir, binding, bar.update);
    } finally {
      bar.stop();
    }
  })();
  const clean = report.problems.length === 0;
  if (options.json === true) {
    printJson({ ...report, clean });
    return clean ? EXIT_OK : EXIT_FAILED;
  }
  printProblems(report.problems);
  if ('warnings' in report) printLogSummary(report, clean);
  else printStoreSummary(report, clean);
  return clean ? EXIT_OK : EXIT_FAILED;
}

function printProblems(problems: readonly Problem[]): void {
  for (const p of problems) {
    process.stdout.write(`damaged: ${p.file} at offset ${p.offset}: ${p.message}\n`);
  }
}

function verdict(clean: boolean, problems: number): string {
  return clean ? 'clean' : `${problems} problem(s)`;
}

function printStoreSummary(report: VerifyReport, clean: boolean): void {
  process.stdout.write(`${verdict(clean, report.problems.length)}: ` +
    `${report.checkpointsChecked} checkpoint(s), ${report.recordsChecked} log record(s) in ` +
    `${report.logBytesChecked} bytes checked` +
    `${report.logNotChecked === undefined ? '' : `; log not checked: ${report.logNotChecked}`}\n`);
}

function printLogSummary(report: LogVerifyReport, clean: boolean): void {
  for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
  process.stdout.write(`${verdict(clean, report.problems.length)}: ` +
    `${report.metadataRecordsChecked} commit-metadata record(s), ${report.entriesChecked} ` +
    `entries (${report.commitRecordsChecked} commit records) in ${report.bytesChecked} bytes ` +
    `checked, from ${report.beginAddress} to commit #${report.commitNumber} at ` +
    `${report.committedUntilAddress}\n`);
}
