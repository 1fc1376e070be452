/**
 * Recovery: power cuts at random moments under every commit policy and mode (every
 * acknowledged entry comes back, nothing else but a prefix of what was enqueued), process
 * crashes, and stale commit records left past the tail by an earlier life.
 */
import { describe, expect, it } from 'vitest';
import type { CommitPolicyOption } from '../../../src/fasterlog/commit-policy.js';
import { availableEngines } from '../../../src/native.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { byteDifference } from '../../support/bytes.js';
import { LogProcess } from '../../support/fasterlog-crash.js';
import { entryBytes, scanAll } from '../../support/fasterlog.js';
import { seededPrng, type Prng } from '../../support/prng.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: 8 * PAGE };
const policies: CommitPolicyOption[] = ['immediate', 'manual', { groupMs: 1, groupBytes: 2000 },
  { intervalMs: 1 }];
const CYCLES = 6;

interface Written {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/** Appends from `appenders` concurrent loops until `stop`; records acknowledged positions. */
function runAppenders(process: LogProcess, prng: Prng, enqueued: Written[],
  acked: { count: number }, state: { stop: boolean }, firstSeq: number): void {
  let seq = firstSeq;
  const one = async (): Promise<void> => {
    while (!state.stop) {
      const bytes = entryBytes(seq, prng.int(400));
      const written = { seq: seq++, bytes };
      const index = enqueued.push(written) - 1;
      try {
        await process.log.enqueueAndWaitForCommit(bytes);
      } catch {
        return;
      }
      if (state.stop) return;
      acked.count = Math.max(acked.count, index + 1);
    }
  };
  for (let i = 0; i < 1 + prng.int(6); i++) void one();
}

/** Expects the log to hold `kept` then a prefix of `enqueued` at least `acked` long. */
function checkRecovered(entries: { entry: Uint8Array }[], kept: Written[], enqueued: Written[],
  acked: number): number {
  expect(entries.length, 'entries recovered').toBeGreaterThanOrEqual(kept.length + acked);
  expect(entries.length).toBeLessThanOrEqual(kept.length + enqueued.length);
  const expected = [...kept, ...enqueued];
  for (let i = 0; i < entries.length; i++) {
    const difference = byteDifference(entries[i]!.entry, expected[i]!.bytes);
    if (difference !== undefined) {
      expect.fail(`entry ${i} (seq ${expected[i]!.seq}): ${difference}`);
    }
  }
  return entries.length - kept.length;
}

describe.each(availableEngines())('FasterLog recovery (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    it.each(policies)('keeps every acknowledged entry across power cuts (commit %j)',
      async (commit) => {
        const prng = seededPrng();
        const storage = new FaultStorage({ latencyMs: prng.int(2) });
        const options = { ...small, engine, fastCommit, commit };
        let kept: Written[] = [];
        let enqueued: Written[] = [];
        let acked = { count: 0 };
        let seq = 0;
        for (let cycle = 0; cycle <= CYCLES; cycle++) {
          const process = await LogProcess.open(storage, options);
          const report = process.log.recoveryReport;
          expect(report.truncatedBytes, `cycle ${cycle}`).toBe(0);
          const survived = checkRecovered(scanAll(process.log), kept, enqueued, acked.count);
          kept = [...kept, ...enqueued.slice(0, survived)];
          if (cycle === CYCLES) {
            await process.log.close();
            break;
          }
          enqueued = [];
          acked = { count: 0 };
          const state = { stop: false };
          runAppenders(process, prng, enqueued, acked, state, seq);
          const minAcked = cycle % 2 === 1 ? 0 : 1 + prng.int(30);
          for (let turn = prng.int(60); turn >= 0 || acked.count < minAcked; turn--) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          state.stop = true;
          process.powerCut(prng.nextU32());
          seq += enqueued.length;
        }
        expect(kept.length).toBeGreaterThan(0);
      });
  });

  it('drops entries that were written but never committed when the process dies', async () => {
    const storage = new FaultStorage();
    const options = { ...small, engine, commit: 'manual' as const };
    const first = await LogProcess.open(storage, options);
    for (let i = 0; i < 10; i++) first.log.enqueue(entryBytes(i, 100));
    const until = await first.log.commit();
    for (let i = 10; i < 200; i++) first.log.enqueue(entryBytes(i, 100));
    first.kill();
    const second = await LogProcess.open(storage, options);
    expect(second.log.committedUntilAddress).toBe(until);
    expect(scanAll(second.log).length).toBe(10);
    expect(second.log.recoveryReport.discardedBytes).toBeGreaterThan(PAGE);
    await second.log.close();
  });

  it('never takes a stale commit record left past the tail by an earlier life', async () => {
    const storage = new FaultStorage();
    const options = { ...small, memoryBytes: 2 * PAGE, engine, commit: 'manual' as const };
    const life1 = await LogProcess.open(storage, options);
    for (let i = 0; i < 10; i++) life1.log.enqueue(entryBytes(i, 100));
    const c1 = await life1.log.commit();
    const damaged = life1.log.enqueue(entryBytes(10, 100));
    while (life1.log.tailAddress < 2 * PAGE + 1000) life1.log.enqueue(entryBytes(11, 100));
    await life1.log.commit();
    life1.kill();
    const device = storage.openDevice('fasterlog.log', { segmentBytes: small.segmentBytes });
    const sector = new Uint8Array(device.sectorBytes);
    const at = damaged - (damaged % device.sectorBytes);
    device.readSync(sector, at);
    sector[damaged - at + 20]! ^= 0xff;
    device.writeSync(sector, at);
    device.syncSync();

    const life2 = await LogProcess.open(storage, options);
    expect(life2.log.committedUntilAddress).toBe(c1);
    expect(life2.log.recoveryReport.discardedBytes).toBe(0);
    while (life2.log.tailAddress < 2 * PAGE + 8) life2.log.enqueue(entryBytes(99, 100));
    life2.kill();

    const life3 = await LogProcess.open(storage, options);
    expect(life3.log.committedUntilAddress).toBe(c1);
    expect(scanAll(life3.log).length).toBe(10);
    await life3.log.close();
  });
});
