/**
 * A worker_thread that races another one on a shared hash index (hash-index-workers.test.ts).
 * workerData: { memory, engine, task, hashes | slots, start, rounds }. Both workers wait on
 * the `start` barrier so their operations overlap, then post their results.
 *  - task 'create': findOrCreateTag for every hash, in order; posts the slots.
 *  - task 'cas': `rounds` times per slot, read the address and CAS it one higher, retrying on
 *    failure; posts { successes, failures }.
 *  - task 'find': during an index resize, findTag + readEntry for every hash (splitting chunks
 *    as it goes, with a RecordLookup over the shared `log`: record r at address 64 (r + 1) is
 *    log[2r] = hash, log[2r + 1] = previous address); posts the addresses.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HashIndex, type RecordLookup } from '../../../src/index/hash-index.js';
import { type EngineName, selectBinding } from '../../../src/native.js';

interface Job {
  memory: SharedArrayBuffer;
  engine: EngineName;
  task: 'create' | 'cas' | 'find';
  hashes: Float64Array;
  log: Float64Array;
  slots: Int32Array;
  start: SharedArrayBuffer;
  rounds: number;
}

const job = workerData as Job;
const lookup: RecordLookup = {
  hashAt: (address) => job.log[2 * (address / 64 - 1)],
  previousAddressAt: (address) => job.log[2 * (address / 64 - 1) + 1]!,
};
const index = HashIndex.attach(selectBinding(job.engine), job.memory, lookup);
const start = new Int32Array(job.start);
Atomics.add(start, 1, 1);
while (Atomics.load(start, 0) === 0) Atomics.wait(start, 0, 0, 5);

if (job.task === 'create') {
  const slots = new Int32Array(job.hashes.length);
  for (let i = 0; i < job.hashes.length; i++) slots[i] = index.findOrCreateTag(job.hashes[i]!, 0);
  parentPort!.postMessage({ slots });
} else if (job.task === 'find') {
  const addresses = new Float64Array(job.hashes.length);
  for (let i = 0; i < job.hashes.length; i++) {
    addresses[i] = index.readEntry(index.findTag(job.hashes[i]!));
  }
  parentPort!.postMessage({ addresses });
} else {
  let successes = 0;
  let failures = 0;
  for (let r = 0; r < job.rounds; r++) {
    for (const slot of job.slots) {
      for (;;) {
        const address = index.readEntry(slot);
        if (index.casEntryAddress(slot, address, address + 1)) break;
        failures++;
      }
      successes++;
    }
  }
  parentPort!.postMessage({ successes, failures });
}
index.detach();
