/**
 * FASTER's recovery scenarios (digest §13.1, RecoveryTests / RecoveryChecks /
 * RecoverContinueTests): recover every token and check it against its serials, from either
 * engine; roll back to an older token; recover repeatedly after rounds of writes with index
 * checkpoints only some rounds; grow the index, then checkpoint.
 */
import { cpSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckpointOptions } from '../../../src/checkpoint/checkpoint.js';
import type { CheckpointInfo } from '../../../src/checkpoint/checkpoint-manager.js';
import { availableEngines, type EngineName } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import { seededPrng } from '../../support/prng.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';

type Counters = FasterKV<Uint8Array, Uint8Array, number>;
const KEYS = 64;
const KINDS: CheckpointOptions[] = [{ type: 'foldover' }, { type: 'snapshot' },
  { type: 'foldover', index: false }, { type: 'snapshot', index: false }];

function openCounters(engine: EngineName, dir: string, extra = {}): Promise<Counters> {
  return FasterKV.open({ dir, engine, ...TINY, rmw: rmwFunctions.counter,
    retainCheckpoints: 100, ...extra });
}

function counter(kv: Counters, key: number): bigint {
  const bytes = kv.newSession().read(bytesOf(`c${key}`));
  return bytes === undefined ? 0n : Buffer.from(bytes).readBigUInt64LE();
}

describe.each(availableEngines())('recovery scenarios (%s)', (engine) => {
  const other = availableEngines().find((e) => e !== engine) ?? engine;

  it(`recovers every token to the sum of the RMWs up to its serial, in ${engine} and ${other}`,
    async () => {
      const prng = seededPrng();
      const dir = tempDir();
      const kv = await openCounters(engine, dir);
      const s = kv.newSession('clicks');
      const keyOf: number[] = [0];
      const taken: CheckpointInfo[] = [];
      for (let n = 1; n <= 1600; n++) {
        keyOf.push(prng.int(KEYS));
        s.rmw(bytesOf(`c${keyOf[n]}`), n);
        if (n % 200 === 0) taken.push(await kv.checkpoint(KINDS[taken.length % KINDS.length]));
      }
      await kv.close({ checkpoint: false });
      for (const [i, info] of taken.entries()) {
        const copy = tempDir();
        cpSync(dir, copy, { recursive: true });
        const back = await openCounters(i % 2 === 0 ? engine : other, copy,
          { recover: info.token });
        const point = back.resumeSession('clicks').recoveredSerial;
        expect(point).toBe(info.sessions.clicks);
        const want = new Array<bigint>(KEYS).fill(0n);
        for (let n = 1; n <= point; n++) want[keyOf[n]!]! += BigInt(n);
        for (let k = 0; k < KEYS; k++) expect(counter(back, k)).toBe(want[k]);
        await back.close({ checkpoint: false });
      }
    });

  it('rolls back to an older token, removing the newer checkpoints', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    const s = kv.newSession('s');
    for (let i = 0; i < 200; i++) s.upsert(bytesOf(`k${i}`), bytesOf('first'));
    const first = await kv.checkpoint({ type: 'snapshot' });
    for (let i = 0; i < 200; i++) s.upsert(bytesOf(`k${i}`), bytesOf('second'));
    const second = await kv.checkpoint();
    await kv.close({ checkpoint: false });
    const back = await FasterKV.open({ dir, engine, ...TINY, recover: first.token });
    expect(back.recoveryReport.removed).toEqual([second.token]);
    const r = back.resumeSession('s');
    for (let i = 0; i < 200; i++) expect(textOf(r.read(bytesOf(`k${i}`)))).toBe('first');
    r.upsert(bytesOf('k0'), bytesOf('third'));
    const third = await back.checkpoint({ index: false });
    expect((await back.listCheckpoints()).map((c) => c.token)).toEqual([third.token,
      first.token]);
    await back.close({ checkpoint: false });
    const again = await FasterKV.open({ dir, engine, ...TINY });
    expect(textOf(again.resumeSession('s').read(bytesOf('k0')))).toBe('third');
    await again.close({ checkpoint: false });
  });

  it('recovers after each round of writes, with an index checkpoint only every other round',
    async () => {
      const dir = tempDir();
      for (let round = 0; round < 5; round++) {
        const kv = await FasterKV.open({ dir, engine, ...TINY });
        const s = round === 0 ? kv.newSession('w') : kv.resumeSession('w');
        expect(s.recoveredSerial).toBe(round * 300);
        for (let i = 0; i < 300; i++) s.upsert(bytesOf(`r${round}k${i}`), bytesOf(`v${round}`));
        if (round % 2 === 0) await kv.checkpoint({ log: false });
        await kv.checkpoint({ type: round % 4 < 2 ? 'foldover' : 'snapshot', index: false });
        await kv.close({ checkpoint: false });
        const back = await FasterKV.open({ dir, engine, ...TINY });
        const reader = back.newSession('reader');
        for (let r = 0; r <= round; r++) {
          for (let i = 0; i < 300; i += 7) {
            expect(textOf(reader.read(bytesOf(`r${r}k${i}`)))).toBe(`v${r}`);
          }
        }
        await back.close({ checkpoint: false });
      }
    });

  it('grows the index, then checkpoints and recovers it', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    const s = kv.newSession('s');
    for (let i = 0; i < 1000; i++) s.upsert(bytesOf(`k${i}`), bytesOf(`v${i}`));
    const buckets = kv.ctx.index.tableBuckets;
    expect(kv.ctx.index.grow()).toBe(true);
    await kv.checkpoint({ type: 'snapshot' });
    await kv.close({ checkpoint: false });
    const back = await FasterKV.open({ dir, engine, ...TINY });
    expect(back.ctx.index.tableBuckets).toBe(2 * buckets);
    const r = back.resumeSession('s');
    for (let i = 0; i < 1000; i++) expect(textOf(r.read(bytesOf(`k${i}`)))).toBe(`v${i}`);
    await back.close({ checkpoint: false });
  });

  it('re-records a recovered session that is not resumed in every later checkpoint',
    async () => {
      const dir = tempDir();
      const kv = await FasterKV.open({ dir, engine, ...TINY });
      kv.newSession('gone').upsert(bytesOf('k'), bytesOf('v'));
      await kv.checkpoint();
      await kv.close({ checkpoint: false });
      for (let cycle = 1; cycle <= 3; cycle++) {
        const back = await FasterKV.open({ dir, engine, ...TINY });
        expect(Object.keys(back.recoveredFrom!.sessions).length).toBe(cycle);
        back.newSession(`new${cycle}`);
        const info = await back.checkpoint({ index: false });
        expect(info.sessions.gone).toBe(1);
        await back.close({ checkpoint: false });
      }
    });
});
