/**
 * Worker for hybrid-log-threads.test.ts: appends records to a HybridLog shared with other
 * threads. workerData: { epochHandle, logHandle, deviceBuffer, sectorBytes, segmentBytes,
 * worker, workers, count, seed, addresses, start }. Workers start appending together: each
 * bumps start[0] and waits until all have. Record i of worker w: [u32 size][u32 (w << 24) | i]
 * [payload derived from that tag], sizes multiples of 8 in [16, 200]. Its address goes to
 * addresses[w * count + i] (Float64Array).
 */
import { workerData } from 'node:worker_threads';
import { LightEpoch, type LightEpochHandle } from '../../../src/epoch/light-epoch.js';
import { HybridLog, type HybridLogHandle } from '../../../src/log/hybrid-log.js';
import type { NativeBinding } from '../../../src/native.js';
import { SharedMemoryDevice } from '../../support/shared-memory-device.js';

const { epochHandle, logHandle, deviceBuffer, sectorBytes, segmentBytes, worker, count,
  workers, seed, addresses, start } = workerData as {
  epochHandle: LightEpochHandle; logHandle: HybridLogHandle; deviceBuffer: SharedArrayBuffer;
  sectorBytes: number; segmentBytes: number; worker: number; count: number; workers: number;
  seed: number; addresses: SharedArrayBuffer; start: SharedArrayBuffer;
};

const epoch = LightEpoch.attach(epochHandle);
epoch.acquire();
const device = new SharedMemoryDevice(deviceBuffer, sectorBytes, segmentBytes);
const binding = { alignmentOffset: () => 0 } as unknown as NativeBinding;
const log = HybridLog.attach(logHandle, { device, binding, epoch });
const out = new Float64Array(addresses);
const gate = new Int32Array(start);
Atomics.add(gate, 0, 1);
while (Atomics.load(gate, 0) < workers) Atomics.wait(gate, 0, Atomics.load(gate, 0), 5);
let state = seed >>> 0;
const random = (): number => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state;
};
for (let i = 0; i < count; i++) {
  const size = 16 + 8 * (random() % 24);
  const tag = ((worker << 24) | i) >>> 0;
  epoch.protect();
  const address = log.allocate(size);
  const at = log.physicalOffset(address);
  const view = new DataView(log.memory.buffer, log.memory.byteOffset);
  for (let b = 8; b < size; b++) log.memory[at + b] = (tag * 7 + b) & 0xff;
  view.setUint32(at + 4, tag, true);
  view.setUint32(at, size, true);
  epoch.unprotect();
  out[worker * count + i] = address;
}
epoch.release();
