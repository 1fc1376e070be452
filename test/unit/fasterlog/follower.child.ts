/**
 * A read-only follower in its own process (follower.test.ts): follows the log in argv[3]
 * until it has seen argv[5] entries, then prints their sequence numbers as JSON.
 */
import { FasterLog } from '../../../src/index.js';

const [dir, engine, count] = process.argv.slice(3);
const log = await FasterLog.open({ dir: dir!, engine: engine as 'js', readOnly: true,
  followPollMs: 2 });
const seen: number[] = [];
for await (const { entry } of log.scan({ follow: true })) {
  seen.push(new DataView(entry.buffer, entry.byteOffset).getUint32(0, true));
  if (seen.length === Number(count)) break;
}
await log.close();
process.stdout.write(JSON.stringify(seen));
