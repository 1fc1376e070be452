/**
 * The demo's writer process (started by crash-phase.ts, then killed with SIGKILL): opens the
 * store in `dir`, and has SESSIONS sessions write keys `<session>/<serial>` = serial in turn,
 * while a checkpoint (alternating fold-over and snapshot) is taken every CHECKPOINT_MS. Prints
 * READY after its first checkpoint. Memory is small, so most records live on disk.
 * Usage: node crash-writer.js <dir> <engine>
 */
import { FasterKV } from '../../store/faster-kv.js';
import type { EngineName } from '../../native.js';
import { CRASH_STORE, crashKey, SESSIONS } from './crash-workload.js';

const CHECKPOINT_MS = 150;

async function main(): Promise<void> {
  const [dir, engine] = process.argv.slice(2) as [string, EngineName];
  const kv = await FasterKV.open({ dir, engine, ...CRASH_STORE });
  const sessions = Array.from({ length: SESSIONS }, (_, i) => kv.newSession(`writer-${i}`));
  const value = Buffer.alloc(8);
  let snapshot = false;
  let ready = false;
  for (;;) {
    const until = Date.now() + CHECKPOINT_MS;
    while (Date.now() < until) {
      for (const s of sessions) {
        value.writeDoubleLE(s.serial + 1);
        s.upsert(crashKey(s.id, s.serial + 1), value);
      }
    }
    await kv.checkpoint({ type: snapshot ? 'snapshot' : 'foldover' });
    snapshot = !snapshot;
    if (!ready) {
      process.stdout.write('READY\n');
      ready = true;
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
