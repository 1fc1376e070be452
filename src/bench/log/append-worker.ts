/**
 * Worker of the log-append-threads trial (trials/fasterlog.ts): attaches to a shared
 * FasterLog and keeps `appenders` durable appends of `entryBytes` in flight (closed loop: each
 * appender waits for its acknowledgement, then appends again) from the moment the trial opens
 * the gate until `stopAt` (a Date.now() deadline); posts 'ready' once attached and warmed up,
 * then { appends } at the end, and closes its log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterLog, type FasterLogHandle } from '../../fasterlog/faster-log.js';

export interface AppendWorkerData {
  readonly handle: FasterLogHandle;
  readonly appenders: number;
  readonly entryBytes: number;
  /** Int32 [0]: 0 until the trial opens the gate. */
  readonly gate: SharedArrayBuffer;
  /** How long to append once the gate opens. */
  readonly seconds: number;
}

async function main(data: AppendWorkerData): Promise<void> {
  const log = FasterLog.attach(data.handle);
  const entry = new Uint8Array(data.entryBytes).fill(0x5a);
  for (let i = 0; i < 200; i++) await log.enqueueAndWaitForCommit(entry);
  parentPort!.postMessage('ready');
  const gate = new Int32Array(data.gate);
  while (Atomics.load(gate, 0) === 0) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const stopAt = performance.now() + data.seconds * 1000;
  let appends = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await log.enqueueAndWaitForCommit(entry);
      appends++;
    }
  };
  await Promise.all(Array.from({ length: data.appenders }, loop));
  parentPort!.postMessage({ appends });
  await log.close();
}

if (parentPort !== null && (workerData as { handle?: unknown } | null)?.handle !== undefined) {
  await main(workerData as AppendWorkerData);
}
