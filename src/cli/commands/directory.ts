/**
 * Recognizing what a directory given to the command line is: a FasterKV store (hlog.log.N
 * segments or checkpoints/), a FasterLog (fasterlog.commits.0 or fasterlog.log.N), or
 * neither. Anything else is a one-line CliError with exit code 2.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isLogDirectory } from '../../tools/log-directory.js';
import { CliError, EXIT_USAGE } from '../output.js';

export type DirectoryKind = 'fasterkv' | 'fasterlog';

function isStoreDirectory(names: readonly string[]): boolean {
  return names.includes('checkpoints') || names.some((n) => /^hlog\.log\.\d+$/.test(n));
}

/** What `dir` holds; a store wins when a directory somehow holds both. */
export function directoryKind(dir: string): DirectoryKind {
  if (!existsSync(dir)) throw new CliError(`${dir}: no such directory`, EXIT_USAGE);
  if (!statSync(dir).isDirectory()) throw new CliError(`${dir}: not a directory`, EXIT_USAGE);
  const names = readdirSync(dir);
  if (isStoreDirectory(names)) return 'fasterkv';
  if (isLogDirectory(names)) return 'fasterlog';
  throw new CliError(`${dir}: not a fasterkv directory (no hlog.log.N segments or ` +
    'checkpoints/ of a store, no fasterlog.commits.0 or fasterlog.log.N of a FasterLog)',
  EXIT_USAGE);
}

/** Throws a one-line CliError unless `dir` is a FasterKV store directory. */
export function requireStoreDirectory(dir: string): void {
  if (directoryKind(dir) !== 'fasterkv') {
    throw new CliError(`${dir}: a FasterLog directory, not a FasterKV store (checkpoints ` +
      'belong to stores; try inspect or log)', EXIT_USAGE);
  }
}

/** Throws a one-line CliError unless `dir` is a FasterLog directory. */
export function requireLogDirectory(dir: string): void {
  if (directoryKind(dir) !== 'fasterlog') {
    throw new CliError(`${dir}: a FasterKV store, not a FasterLog directory (log dumps ` +
      'FasterLog entries; try inspect)', EXIT_USAGE);
  }
}
