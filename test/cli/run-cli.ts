/**
 * Running the `fasterkv` command as users do: the compiled bin in a child process. Each test
 * file calls `buildCli()` in its beforeAll (npm test builds too).
 *
 * tsc exits 2 when it found type errors but still wrote its output: the CLI tests then run
 * on that output (with a warning), since type errors are the typecheck's to report and
 * another module's unfinished types should not hide what the command line does.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');
const TSC_ERRORS_OUTPUT_WRITTEN = 2;

export function buildCli(): void {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p', join(root, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status === 0) return;
  if (r.status === TSC_ERRORS_OUTPUT_WRITTEN) {
    console.warn(`tsc reported type errors (output written; the CLI tests go on):\n${r.stdout}`);
    return;
  }
  throw new Error(`tsc failed with status ${r.status}:\n${r.stdout}${r.stderr}`);
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function fasterkv(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8',
    maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A digest of every file under `dir`: names, sizes, modification times and contents. */
export function directoryDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const stat = statSync(path);
      hash.update(`${relative(dir, path)}\0${stat.size}\0${stat.mtimeMs}\0`);
      if (stat.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}
