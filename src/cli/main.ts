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
import { verifyCommand } from './commands/verify.js';
import { CliError, errorLine, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './output.js';

function program(setExit: (code: number) => void): Command {
  const cli = new Command('fasterkv')
    .description('FASTER for Node.js: inspect and verify stores, run the demo and benchmarks')
    .exitOverride()
    .showHelpAfterError();
  cli.command('demo').description('the main job: a short run on a default data directory')
    .option('--dir <dir>', 'data directory', '.fasterkv-data')
    .action(async (o: { dir: string }) => runDemo(o.dir));
  cli.command('bench').description('run the benchmarks (each trial in a fresh process)')
    .allowUnknownOption().helpOption(false).argument('[args...]')
    .action(async (args: string[]) => {
      await runBench(args);
    });
  cli.command('inspect').description('formats, markers, checkpoints, sessions and segment files')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(inspectCommand(dir, o)));
  cli.command('verify').description('check every checksum; exit 1 on damage (never modifies)')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(verifyCommand(dir, o)));
  const cps = cli.command('checkpoints').description('list or remove checkpoints')
    .argument('<dir>').option('--json', 'print JSON')
    .action((dir: string, o: { json?: boolean }) => setExit(listCheckpointsCommand(dir, o)));
  cps.command('remove').description('remove one checkpoint (takes the writer lock)')
    .argument('<dir>').argument('<token>').option('--json', 'print JSON')
    .action((dir: string, token: string, o: { json?: boolean }) =>
      setExit(removeCheckpointCommand(dir, token, o)));
  return cli;
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

main(process.argv.slice(2)).then((code) => process.exit(code));
