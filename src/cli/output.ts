/**
 * Output helpers for the command line: one clear line per failure, JSON when asked, and a
 * progress bar on standard error for long work (only on a terminal, so pipes and logs stay
 * clean).
 */
import cliProgress from 'cli-progress';
import { FasterError } from '../errors.js';

/** Exit codes: 0 success, 1 damage found or the operation failed, 2 unusable input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An error that ends the command with `code` after printing its one-line message. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** The one line printed for an error; FasterErrors lead with their code. */
export function errorLine(err: unknown): string {
  if (err instanceof FasterError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * For commands that print a report and found damage in it: the one line on standard error
 * (the report itself went to standard output); the caller then exits EXIT_FAILED.
 */
export function reportDamage(message: string): number {
  process.stderr.write(`fasterkv: ERR_CORRUPTION: ${message}; run fasterkv verify for every ` +
    'file and offset\n');
  return EXIT_FAILED;
}

/** Pretty JSON; absent (undefined) fields print as null, so every report has every key. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_key, v: unknown) => v ?? null, 2)}\n`);
}

/** A byte-progress reporter; a no-op unless standard error is a terminal. */
export function byteProgress(label: string): {
  update: (done: number, total: number) => void; stop: () => void;
} {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, format: `${label} [{bar}] {percentage}% {value}/{total} MB`,
    hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      const mb = (n: number): number => Math.round(n / 1e6);
      if (!started) {
        bar.start(mb(total), 0);
        started = true;
      }
      bar.update(mb(done));
    },
    stop: () => bar.stop(),
  };
}
