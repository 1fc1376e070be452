/**
 * Commits: grouping, folding, policies, strong commits (cookies, commit numbers) and
 * recovery to a commit number, in both commit modes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FasterLog, type FasterLogOptions } from '../../../src/index.js';
import { availableEngines } from '../../../src/native.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { EntryModel, entryBytes, expectEntries, scanAll } from '../../support/fasterlog.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 8 * PAGE, segmentBytes: 16 * PAGE };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each(availableEngines())('FasterLog commits (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const base = { ...small, engine, fastCommit };
    const open = (options: FasterLogOptions): Promise<FasterLog> =>
      FasterLog.open({ ...base, ...options });

    it('groups many concurrent durable appends into few commits', async () => {
      const log = await open({ storage: new FaultStorage({ latencyMs: 2 }) });
      const before = log.commitNumber;
      const addresses = await Promise.all(Array.from({ length: 200 },
        (_, i) => log.enqueueAndWaitForCommit(entryBytes(i, 50))));
      const commits = log.commitNumber - before;
      expect(commits).toBeGreaterThan(0);
      expect(commits).toBeLessThan(20);
      expect(log.committedUntilAddress).toBeGreaterThan(Math.max(...addresses));
      expect(scanAll(log).map((e) => e.address)).toEqual(addresses);
      await log.close();
    });

    it('folds commits requested while one is in flight into the next one', async () => {
      const log = await open({ storage: new FaultStorage({ latencyMs: 5 }), commit: 'manual' });
      const before = log.commitNumber;
      const commits: Promise<number>[] = [];
      for (let i = 0; i < 30; i++) {
        log.enqueue(entryBytes(i, 20));
        commits.push(log.commit());
      }
      const results = await Promise.all(commits);
      expect(log.commitNumber - before).toBeLessThanOrEqual(3);
      expect(results[results.length - 1]).toBe(log.tailAddress);
      await log.close();
    });

    it("commits only when asked under 'manual', except for durable appends", async () => {
      const log = await open({ storage: new MemoryStorage(), commit: 'manual' });
      const a = log.enqueue(entryBytes(1, 10));
      await sleep(5);
      expect(log.committedUntilAddress).toBeLessThanOrEqual(a);
      const waiting = log.waitForCommit(a);
      await log.commit();
      expect(await waiting).toBe(log.committedUntilAddress);
      const b = await log.enqueueAndWaitForCommit(entryBytes(2, 10));
      expect(log.committedUntilAddress).toBeGreaterThan(b);
      await log.close();
    });

    it('resolves commit() at once when nothing changed, with the committed-until address',
      async () => {
        const log = await open({ storage: new MemoryStorage(), commit: 'manual' });
        log.enqueue(entryBytes(1, 10));
        const until = await log.commit();
        const number = log.commitNumber;
        expect(await log.commit()).toBe(until);
        expect(log.commitNumber).toBe(number);
        await log.close();
      });

    it('starts a group commit at groupBytes, or at groupMs, whichever comes first', async () => {
      const log = await open({ storage: new MemoryStorage(),
        commit: { groupMs: 60_000, groupBytes: 1000 } });
      const a = log.enqueue(entryBytes(1, 500));
      await sleep(5);
      expect(log.committedUntilAddress).toBeLessThanOrEqual(a);
      const b = log.enqueue(entryBytes(2, 600));
      await log.waitForCommit(b);
      await log.close();
      const timed = await open({ storage: new MemoryStorage(), commit: { groupMs: 2 } });
      await timed.waitForCommit(timed.enqueue(entryBytes(3, 10)));
      await timed.close();
    });

    it('commits on the interval under { intervalMs }', async () => {
      const log = await open({ storage: new MemoryStorage(), commit: { intervalMs: 3 } });
      const address = log.enqueue(entryBytes(1, 10));
      expect(await log.waitForCommit(address)).toBeGreaterThan(address);
      await log.close();
      const slow = await open({ storage: new MemoryStorage(), commit: { intervalMs: 60_000 } });
      const pending = slow.enqueue(entryBytes(2, 10));
      await sleep(5);
      expect(slow.committedUntilAddress).toBeLessThanOrEqual(pending);
      await slow.close();
    });

    it('moves the committed begin address only when a commit persists a truncation',
      async () => {
        const log = await open({ storage: new MemoryStorage(), commit: 'manual' });
        log.enqueue(entryBytes(1, 10));
        const second = log.enqueue(entryBytes(2, 10));
        await log.commit();
        log.truncateUntil(second);
        expect(log.beginAddress).toBe(second);
        expect(log.committedBeginAddress).toBe(64);
        await log.commit();
        expect(log.committedBeginAddress).toBe(second);
        await log.close();
      });

    it('recovers each numbered strong commit with its cookie and tail', async () => {
      const storage = new MemoryStorage();
      const log = await open({ storage, commit: 'manual' });
      const model = new EntryModel(seededPrng());
      const tails = new Map<number, number>();
      for (const number of [1, 2, 6]) {
        model.enqueue(log, 20);
        const cookie = text(`cookie ${number}`);
        tails.set(number, await log.commit({ cookie, commitNumber: number }));
        expect(log.commitNumber).toBe(number);
      }
      model.enqueue(log, 5);
      await log.commit();
      await log.close({ commit: false });
      for (const [asked, number] of [[1, 1], [2, 2], [5, 2], [6, 6]] as const) {
        const back = await open({ storage, recoverTo: asked });
        expect(back.recoveryReport.commitNumber, `recoverTo ${asked}`).toBe(number);
        expect(new TextDecoder().decode(back.recoveryReport.cookie)).toBe(`cookie ${number}`);
        expect(back.committedUntilAddress).toBe(tails.get(number));
        expectEntries(back, model.below(tails.get(number)!), `recoverTo ${asked}`);
        await back.close({ commit: false });
      }
      const empty = await open({ storage, recoverTo: 0 });
      expect(empty.committedUntilAddress).toBe(64);
      expect(scanAll(empty)).toEqual([]);
      await empty.close({ commit: false });
    });

    it('makes a recovery to an older commit the new history', async () => {
      const storage = new MemoryStorage();
      const log = await open({ storage, commit: 'manual' });
      const model = new EntryModel(seededPrng());
      model.enqueue(log, 10);
      const first = await log.commit({ commitNumber: 10 });
      model.enqueue(log, 10);
      await log.commit({ commitNumber: 20 });
      await log.close({ commit: false });

      const back = await open({ storage, recoverTo: 15 });
      expect(back.committedUntilAddress).toBe(first);
      const kept = model.below(first);
      const fresh = new EntryModel(seededPrng(), 50);
      const appended = fresh.enqueue(back, 3);
      await back.commit();
      await back.close({ commit: false });
      const latest = await open({ storage });
      expect(latest.commitNumber).toBe(11);
      expectEntries(latest, [...kept, ...appended], 'after the new branch');
      await latest.close();
    });
  });
});

describe('FasterLog commit state in shared memory', () => {
  it('publishes each durable commit where another thread can read and wait for it',
    async () => {
      const { CommitState } = await import('../../../src/fasterlog/commit-state.js');
      const log = await FasterLog.open({ storage: new MemoryStorage(), ...small });
      const state = (log as unknown as { writer: { state: InstanceType<typeof CommitState> } })
        .writer.state;
      const view = new CommitState(state.buffer);
      const before = view.sequence;
      const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number,
        v: number): { value: Promise<string> } }).waitAsync;
      const waiting = waitAsync(new Int32Array(state.buffer), 6, before);
      await log.enqueueAndWaitForCommit(entryBytes(1, 10));
      expect(await waiting.value).toBe('ok');
      expect(view.committedUntilAddress).toBe(log.committedUntilAddress);
      expect(view.commitNumber).toBe(log.commitNumber);
      expect(view.committedBeginAddress).toBe(64);
      await log.close();
    });
});
