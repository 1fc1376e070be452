/**
 * Runs one trial in this (fresh) process and prints each of its results as one JSON line
 * prefixed with `RESULT `.
 * Usage: node dist/bench/child.js <trial> <native|js|none> <dataDir> [full]
 */
import { findTrial } from './trials/index.js';
import type { TrialEngine } from './trial.js';

async function main(): Promise<void> {
  const [name, engine, dataDir, full] = process.argv.slice(2);
  const trial = name === undefined ? undefined : findTrial(name);
  if (trial === undefined || dataDir === undefined) {
    throw new Error(`usage: child.js <trial> <native|js|none> <dataDir> [full]; got ${name}`);
  }
  const results = await trial.run({
    engine: engine as TrialEngine, dataDir, full: full === 'full',
  });
  for (const result of Array.isArray(results) ? results : [results]) {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
