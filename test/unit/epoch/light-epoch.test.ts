import { describe, expect, it } from 'vitest';
import { EpochMarker, LightEpoch } from '../../../src/epoch/light-epoch.js';
import { FasterError } from '../../../src/errors.js';
import { seededPrng } from '../../support/prng.js';
import { startTsWorker } from '../../support/ts-worker.js';

/** Two (or more) views of one epoch, as separate threads would hold them. */
function views(count: number, options = {}): LightEpoch[] {
  const first = new LightEpoch(options);
  const all = [first];
  for (let i = 1; i < count; i++) all.push(LightEpoch.attach(first.handle()));
  return all;
}

/** Registers kind 1 on every view, counting runs per argument. */
function countRuns(epochs: LightEpoch[]): Map<number, number> {
  const runs = new Map<number, number>();
  for (const epoch of epochs) {
    epoch.registerAction(1, (a) => runs.set(a, (runs.get(a) ?? 0) + 1));
  }
  return runs;
}

describe('LightEpoch', () => {
  it('runs a deferred action only after every protected entry has moved past its epoch', () => {
    const [a, b] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a, b]);
    a.acquire();
    b.acquire();
    b.protect();
    a.protect();
    a.bumpCurrentEpoch(1, 7, 0);
    expect(runs.get(7)).toBeUndefined();
    a.refresh();
    a.unprotect();
    expect(runs.get(7)).toBeUndefined();
    expect(a.pendingActions).toBe(1);
    b.refresh();
    expect(runs.get(7)).toBe(1);
    b.refresh();
    b.unprotect();
    a.protect();
    a.unprotect();
    expect(runs.get(7)).toBe(1);
    expect(a.pendingActions).toBe(0);
  });

  it('leaves an action to the threads that have its handler when a thread has none yet', () => {
    const [a, b] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a]);
    a.acquire();
    b.acquire();
    b.protect();
    a.bumpCurrentEpoch(1, 9, 0);
    expect(runs.get(9)).toBeUndefined();
    b.refresh();
    b.unprotect();
    expect(runs.get(9)).toBeUndefined();
    expect(b.pendingActions).toBe(1);
    a.protect();
    a.unprotect();
    expect(runs.get(9)).toBe(1);
    expect(a.pendingActions).toBe(0);
  });

  it('runs each action exactly once however many threads drain', () => {
    const epochs = views(3);
    const runs = countRuns(epochs);
    for (const epoch of epochs) epoch.acquire();
    const prng = seededPrng();
    for (let i = 0; i < 500; i++) {
      const actor = epochs[prng.int(epochs.length)]!;
      const move = prng.int(4);
      if (move === 0) actor.bumpCurrentEpoch(1, i, 0);
      else if (move === 1 && !actor.isProtected) actor.protect();
      else if (move === 2 && actor.isProtected) actor.unprotect();
      else if (actor.isProtected) actor.refresh();
    }
    for (const epoch of epochs) if (epoch.isProtected) epoch.unprotect();
    for (const epoch of epochs) epoch.release();
    expect(epochs[0]!.pendingActions).toBe(0);
    for (const count of runs.values()) expect(count).toBe(1);
  });

  it('lets an idle thread run ready actions when it unprotects', () => {
    const [a, b] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a, b]);
    a.acquire();
    b.acquire();
    b.protect();
    a.bumpCurrentEpoch(1, 1, 0);
    expect(runs.get(1)).toBeUndefined();
    b.unprotect();
    expect(runs.get(1)).toBe(1);
  });

  it('runs pending actions on release once nothing blocks them', () => {
    const [a, dead] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a, dead]);
    a.acquire();
    const deadEntry = dead.acquire();
    dead.protect();
    a.bumpCurrentEpoch(1, 3, 0);
    expect(runs.get(3)).toBeUndefined();
    const { ownerId } = a.entryOwner(deadEntry);
    expect(a.reclaimEntry(deadEntry, ownerId)).toBe(true);
    expect(runs.get(3)).toBeUndefined();
    a.release();
    expect(runs.get(3)).toBe(1);
  });

  it('nests protect calls and publishes only the outermost', () => {
    const [a, b] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a, b]);
    a.acquire();
    b.acquire();
    a.protect();
    a.protect();
    a.unprotect();
    expect(a.isProtected).toBe(true);
    b.bumpCurrentEpoch(1, 1, 0);
    expect(runs.get(1)).toBeUndefined();
    a.unprotect();
    expect(a.isProtected).toBe(false);
    expect(runs.get(1)).toBe(1);
  });

  it('completes a phase marker only when every protected entry marked it', () => {
    const [a, b, idle] = views(3) as [LightEpoch, LightEpoch, LightEpoch];
    a.acquire();
    b.acquire();
    idle.acquire();
    a.protect();
    b.protect();
    a.mark(EpochMarker.Prepare, 5);
    expect(a.checkIsComplete(EpochMarker.Prepare, 5)).toBe(false);
    b.mark(EpochMarker.Prepare, 4);
    expect(a.checkIsComplete(EpochMarker.Prepare, 5)).toBe(false);
    b.mark(EpochMarker.Prepare, 5);
    expect(a.checkIsComplete(EpochMarker.Prepare, 5)).toBe(true);
    expect(a.checkIsComplete(EpochMarker.InProgress, 5)).toBe(false);
    b.unprotect();
    a.mark(EpochMarker.InProgress, 5);
    expect(idle.checkIsComplete(EpochMarker.InProgress, 5)).toBe(true);
  });

  it('keeps ordering epochs across the 32-bit wrap and never publishes epoch 0', () => {
    const [a, b] = views(2) as [LightEpoch, LightEpoch];
    const runs = countRuns([a, b]);
    new Int32Array(a.handle().buffer)[0] = -3;
    a.acquire();
    b.acquire();
    for (let i = 0; i < 8; i++) {
      b.protect();
      a.bumpCurrentEpoch(1, i, 0);
      expect(a.currentEpoch).not.toBe(0);
      expect(runs.get(i)).toBeUndefined();
      b.unprotect();
      expect(runs.get(i)).toBe(1);
    }
  });

  it('keeps working when more actions are deferred than the drain list holds', () => {
    const [a] = views(1, { drainListSize: 4 }) as [LightEpoch];
    const runs = countRuns([a]);
    a.acquire();
    a.protect();
    for (let i = 0; i < 100; i++) a.bumpCurrentEpoch(1, i, 0);
    a.unprotect();
    expect(runs.size).toBe(100);
    expect(a.pendingActions).toBe(0);
  });

  it('refuses a thread beyond maxThreads with ERR_INVALID_ARGUMENT', () => {
    const [a, b] = views(2, { maxThreads: 1 }) as [LightEpoch, LightEpoch];
    a.acquire();
    expect(() => b.acquire()).toThrow(FasterError);
    a.release();
    expect(b.acquire()).toBe(1);
  });

  it('asserts on protect before acquire and on unbalanced unprotect', () => {
    const [a] = views(1) as [LightEpoch];
    expect(() => a.protect()).toThrow(/before acquire/);
    a.acquire();
    expect(() => a.unprotect()).toThrow(/without protect/);
  });

  it('never runs an action early between two worker threads, and runs every one', async () => {
    const epoch = new LightEpoch({ drainListSize: 16 });
    const rounds = 3000;
    const shared = new SharedArrayBuffer(4 * (4 + rounds));
    const start = (role: string): Promise<number> => new Promise((done, fail) => {
      const worker = startTsWorker(new URL('./light-epoch.worker.ts', import.meta.url), {
        handle: epoch.handle(), shared, role, rounds,
      });
      worker.on('error', fail);
      worker.on('exit', done);
    });
    const codes = await Promise.all([start('reader'), start('bumper')]);
    expect(codes).toEqual([0, 0]);
    const words = new Int32Array(shared);
    expect(words[1], 'actions that ran while a reader was protected').toBe(0);
    const freed = Array.from(words.subarray(3, 3 + rounds));
    expect(freed.every((count) => count === 1)).toBe(true);
    expect(epoch.pendingActions).toBe(0);
  });
});
