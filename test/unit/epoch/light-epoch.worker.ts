/**
 * Worker for light-epoch.test.ts: plays one side of a reclamation race on a shared LightEpoch.
 * workerData: { handle, shared, role: 'bumper' | 'reader', rounds }.
 * shared Int32 words: [0] current generation, [1] violations, [2] readers started, then one
 * counter per generation 0..rounds: how many times its "free" action ran. The bumper retires
 * generation g (publishes g + 1) and defers free(g) with an epoch bump. The reader, protected,
 * reads the current generation and checks it is never freed while it is still protected; it
 * refreshes between checks.
 */
import { workerData } from 'node:worker_threads';
import { LightEpoch, type LightEpochHandle } from '../../../src/epoch/light-epoch.js';

const { handle, shared, role, rounds } = workerData as {
  handle: LightEpochHandle; shared: SharedArrayBuffer; role: string; rounds: number;
};
const words = new Int32Array(shared);
const FREED = 3;
const epoch = LightEpoch.attach(handle);
epoch.registerAction(1, (generation) => {
  Atomics.add(words, FREED + generation, 1);
});
epoch.acquire();
if (role === 'bumper') {
  while (Atomics.load(words, 2) === 0) Atomics.wait(words, 2, 0, 10);
  for (let g = 0; g < rounds; g++) {
    Atomics.store(words, 0, g + 1);
    epoch.bumpCurrentEpoch(1, g, 0);
  }
} else {
  Atomics.store(words, 2, 1);
  Atomics.notify(words, 2);
  while (Atomics.load(words, 0) < rounds) {
    epoch.protect();
    for (let k = 0; k < 8; k++) {
      const g = Atomics.load(words, 0);
      for (let spin = 0; spin < 20; spin++) {
        if (Atomics.load(words, FREED + g) !== 0) Atomics.add(words, 1, 1);
      }
      epoch.refresh();
    }
    epoch.unprotect();
  }
}
epoch.release();
