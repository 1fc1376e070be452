/**
 * Runs one trial in this (fresh) process and prints its result as one JSON line prefixed with
 * `RESULT `. Usage: node dist/bench/child.js <trial> <engine> <dataDir> [full]
 */
import { findTrial } from './trials/index.js';
import type { EngineName } from '../native.js';

async function main(): Promise<void> {
  const [name, engine, dataDir, full] = process.argv.slice(2);
  const trial = name === undefined ? undefined : findTrial(name);
  if (trial === undefined || dataDir === undefined) {
    throw new Error(`usage: child.js <trial> <native|js> <dataDir> [full]; got ${name}`);
  }
  const result = await trial.run({
    engine: engine as EngineName, dataDir, full: full === 'full',
  });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
