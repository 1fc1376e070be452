/** Recognizing what a directory given to the command line is. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { CliError, EXIT_USAGE } from '../output.js';

/** Throws a one-line CliError unless `dir` is a FasterKV store directory. */
export function requireStoreDirectory(dir: string): void {
  if (!existsSync(dir)) throw new CliError(`${dir}: no such directory`, EXIT_USAGE);
  if (!statSync(dir).isDirectory()) throw new CliError(`${dir}: not a directory`, EXIT_USAGE);
  const names = readdirSync(dir);
  const isStore = names.includes('checkpoints') || names.some((n) => /^hlog\.log\.\d+$/.test(n));
  if (!isStore) {
    throw new CliError(`${dir}: not a fasterkv directory (no hlog.log.N segments, no ` +
      'checkpoints/)', EXIT_USAGE);
  }
}
