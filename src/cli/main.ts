#!/usr/bin/env node
/**
 * The `fasterkv` command line. Subcommands:
 *   demo  [--dir DIR]   the main job: a short run of the store on a default data directory
 *   bench [--filter RE] [--full] [--out FILE]   the benchmark suite (each trial in a child process)
 * Every failure prints one line and exits non-zero.
 */
import { runBench } from '../bench/run.js';
import { runDemo } from './demo.js';

const USAGE = `usage: fasterkv <command> [options]

commands:
  demo  [--dir DIR]                           run the main job on DIR (default ./.fasterkv-data)
  bench [--filter REGEX] [--full] [--out FILE] run the benchmarks
  help                                        show this text`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      await runDemo(rest);
      return 0;
    case 'bench':
      await runBench(rest);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`fasterkv: unknown command '${command}' (try 'fasterkv help')`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    console.error(`fasterkv: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
    process.exit(1);
  },
);
