#!/usr/bin/env node
/**
 * The `fasterkv` command line (commander for arguments, cli-progress for progress). Every
 * failure prints one line, `fasterkv: <CODE>: <message>`, and exits non-zero: 1 when the
 * operation failed or damage was found, 2 when the input is unusable (a missing directory, a
 * directory of something else, a bad argument).
 */
import { Command, CommanderError } from 'commander';
import { runBench } from '../bench/run.js';
import { FasterError } from '../errors.js';
import { listCheckpointsCommand, removeCheckpointCommand } from './commands/checkpoints.js';
import { runDemo } from './demo/run-demo.js';
import { inspectCommand } from './commands/inspect.js';
import { logCommand, type LogCommandOptions } from './commands/log.js';
import { verifyCommand } from './commands/verify.js';
import { CliError, errorLine, EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson } from './output.js';

function program(setExit: (code: number) => void): Command {
  const cli = new Command('fasterkv')
    .description('FASTER for Node.js: inspect and verify stores and logs, dump a FasterLog, ' +
      'run the demo and benchmarks')
    .exitOverride()
    .showHelpAfterError();
  cli.command('demo').description('the main job: a short run on a default data directory')
    .option('--dir <dir>', 'data directory', '.fasterkv-data')
    .option('--json', 'print the results as JSON (the report goes to standard error)')
    .action(async (o: { dir: string; json?: boolean }) => {
      await asJson(o.json === true, () => runDemo(o.dir));
    });
  cli.command('bench').description('run the benchmarks (each trial in a fresh process)')
    .option('--filter <regex>', 'run the trials whose names match')
    .option('--full', 'the large configuration')
    .option('--out <file>', 'results file (default bench-results/bench-<date>.json)')
    .option('--charts-from <file>', 'draw the SVG charts of an existing results file, run nothing')
    .option('--json', 'print the results as JSON (the table goes to standard error)')
    .action(async (o: { filter?: string; full?: boolean; out?: string; chartsFrom?: string;
      json?: boolean }) => {
      const args = [...(o.filter === undefined ? [] : ['--filter', o.filter]),
        ...(o.full === true ? ['--full'] : []), ...(o.out === undefined ? [] : ['--out', o.out]),
        ...(o.chartsFrom === undefined ? [] : ['--charts-from', o.chartsFrom])];
      await asJson(o.json === true, () => runBench(args));
    });
  cli.command('inspect')
    .description('what a store or FasterLog directory holds: formats, checkpoints and sessions, ' +
      'commits, iterators, segment files (reads only)')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(inspectCommand(dir, o)));
  cli.command('verify')
    .description('check every checksum of a store or FasterLog; exit 0 clean, 1 damaged (never ' +
      'modifies)')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(verifyCommand(dir, o)));
  const cps = cli.command('checkpoints').description('list or remove checkpoints')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(listCheckpointsCommand(dir, o)));
  cps.command('remove').description('remove one checkpoint (takes the writer lock)')
    .argument('<dir>').argument('<token>').option('--json', 'print JSON')
    .action((dir: string, token: string, o: { json?: boolean }) =>
      setExit(removeCheckpointCommand(dir, token, o)));
  cli.command('log').description('print the entries of a FasterLog (read-only)')
    .argument('<dir>')
    .option('--from <address>', 'start at the first entry at or after this address')
    .option('--to <address>', 'stop before this address')
    .option('--limit <n>', 'print at most n entries')
    .option('--iterator <name>', 'start where this named iterator completed')
    .option('--format <format>', 'auto (UTF-8 when printable, else hex), utf8, hex or base64',
      'auto')
    .option('--uncommitted', 'also print intact entries past the commit point')
    .option('--json', 'one JSON object per line')
    .addHelpText('after', LOG_HELP)
    .action(async (dir: string, o: LogCommandOptions) => setExit(await logCommand(dir, o)));
  return cli;
}

const LOG_HELP = `
Each entry is one line: ADDRESS LENGTH ENCODING DATA. With --json, each is one JSON object:
{"address":64,"nextAddress":88,"length":14,"committed":true,"encoding":"utf8","data":"..."}.
Addresses are decimal or 0x hex. Only committed entries are printed unless --uncommitted.`;

/** A reader that closed the pipe (`fasterkv log DIR | head`) has all it wanted. */
function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    throw err;
  });
}

/**
 * Runs a command that prints a human report with console.log; with `json`, that report goes
 * to standard error instead and standard output gets the command's result as JSON.
 */
async function asJson(json: boolean, run: () => Promise<unknown>): Promise<void> {
  if (!json) {
    await run();
    return;
  }
  const log = console.log;
  console.log = console.error;
  let result: unknown;
  try {
    result = await run();
  } finally {
    console.log = log;
  }
  printJson(result);
}

async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  try {
    await program((code) => {
      exitCode = code;
    }).parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`fasterkv: ${errorLine(err)}\n`);
    if (err instanceof CliError) return err.exitCode;
    if (err instanceof FasterError && err.code === 'ERR_INVALID_ARGUMENT') return EXIT_USAGE;
    return EXIT_FAILED;
  }
}

exitQuietlyOnClosedPipe();
// Standard output to a pipe is asynchronous: exit only once what was written has left.
main(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
