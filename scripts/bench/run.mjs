#!/usr/bin/env node
// `npm run bench` launcher: the benchmark code lives in src/bench (compiled to dist/bench) so the
// `fasterkv bench` command runs the same trials.
import { runBench } from '../../dist/bench/run.js';

await runBench(process.argv.slice(2));
