/**
 * The demo's FasterLog phase: APPENDERS concurrent appenders each await
 * `enqueueAndWaitForCommit` of 1 KiB entries for a fixed time under the default 'immediate'
 * policy (group commit: every acknowledged entry is durable), then the log is reopened and
 * every acknowledged entry is read back byte for byte.
 */
import { join } from 'node:path';
import type { EngineName } from '../../native.js';
import { FasterLog } from '../../fasterlog/faster-log.js';
import { summarizeLatency } from '../../bench/stats.js';

export interface LogResult {
  readonly engine: EngineName;
  readonly appenders: number;
  readonly appends: number;
  readonly appendsPerSec: number;
  readonly ackP50Us: number;
  readonly ackP99Us: number;
  readonly verified: number;
}

const APPENDERS = 64;
const ENTRY_BYTES = 1024;

function entryFor(appender: number, n: number): Buffer {
  const e = Buffer.alloc(ENTRY_BYTES, (appender * 31 + n) & 0xff);
  e.writeUInt32LE(appender, 0);
  e.writeUInt32LE(n, 4);
  return e;
}

export async function logPhase(dir: string, engine: EngineName, runMs: number,
  progress: (text: string) => void): Promise<LogResult> {
  const options = { dir: join(dir, `log-${engine}`), engine };
  const log = await FasterLog.open(options);
  const acked = new Map<number, Buffer>();
  const latencies: number[] = [];
  const until = performance.now() + runMs;
  progress(`${APPENDERS} appenders, durable 1 KiB appends`);
  await Promise.all(Array.from({ length: APPENDERS }, async (_, a) => {
    for (let n = 0; performance.now() < until; n++) {
      const entry = entryFor(a, n);
      const t = performance.now();
      const address = await log.enqueueAndWaitForCommit(entry);
      latencies.push((performance.now() - t) * 1e6);
      acked.set(address, entry);
    }
  }));
  const seconds = runMs / 1000;
  await log.close();
  progress('reopening and reading back every acknowledged entry');
  const reopened = await FasterLog.open(options);
  let verified = 0;
  try {
    for (const { address, entry } of reopened.scan()) {
      const want = acked.get(address);
      if (want !== undefined && Buffer.from(entry).equals(want)) verified++;
    }
  } finally {
    await reopened.close();
  }
  if (verified !== acked.size) {
    throw new Error(`${acked.size - verified} acknowledged entries did not come back`);
  }
  const lat = summarizeLatency(Float64Array.from(latencies));
  return { engine, appenders: APPENDERS, appends: acked.size, appendsPerSec: acked.size / seconds,
    ackP50Us: lat.p50Us, ackP99Us: lat.p99Us, verified };
}
