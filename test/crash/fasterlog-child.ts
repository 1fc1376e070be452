/**
 * The writer of fasterlog-kill.test.ts, killed with SIGKILL at a random moment: opens the log
 * with the life's commit policy and mode, prints READY, then runs several appenders that each
 * append with enqueueAndWaitForCommit and print "<seq> <address>" once an append is
 * acknowledged. Entry `seq` of a life holds crashEntry(life, seq).
 * Arguments: dir engine life seed.
 */
import { FasterLog } from '../../src/fasterlog/faster-log.js';
import { Prng } from '../../src/util/prng.js';
import { CRASH_LOG, crashEntry, crashPolicy } from './fasterlog-workload.js';

const [dir, engine, lifeText, seedText] = process.argv.slice(3);
const life = Number(lifeText);
const prng = new Prng(Number(seedText));
const { commit, fastCommit } = crashPolicy(life);
const log = await FasterLog.open({ dir: dir!, engine: engine as 'js', ...CRASH_LOG, commit,
  fastCommit });
process.stdout.write('READY\n');

let seq = 0;
async function appender(): Promise<void> {
  for (;;) {
    const mine = seq++;
    const address = await log.enqueueAndWaitForCommit(crashEntry(life, mine));
    process.stdout.write(`${mine} ${address}\n`);
    if (prng.int(8) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
for (let i = 0; i < 1 + prng.int(12); i++) void appender();
