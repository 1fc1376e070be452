/**
 * The facts printed and stored next to every benchmark result, so that a number can be traced to
 * the machine, Node.js version, package version, commit and date that produced it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchEnvironment {
  readonly machine: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly packageVersion: string;
  readonly commit: string;
  readonly date: string;
}

export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function benchEnvironment(): BenchEnvironment {
  const cpus = os.cpus();
  return {
    machine: `${os.hostname()} ${os.platform()}-${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    packageVersion: readPackageVersion(),
    commit: gitCommit(),
    date: new Date().toISOString(),
  };
}

function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function gitCommit(): string {
  try {
    const run = (args: string[]): string =>
      execFileSync('git', args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString().trim();
    const commit = run(['rev-parse', '--short', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

export function formatEnvironment(env: BenchEnvironment): string {
  return [
    `machine  ${env.machine}, ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ` +
      `kernel ${env.kernel}`,
    `node     ${env.node}   fasterkv ${env.packageVersion}   commit ${env.commit}`,
    `date     ${env.date}`,
  ].join('\n');
}
