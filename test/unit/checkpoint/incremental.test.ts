/**
 * Incremental snapshots (FASTER's IncrSnapshotRecoveryCheck, digest §13.1): a full snapshot,
 * then rounds of updates each followed by an incremental snapshot; every version of the chain
 * recovers by token to exactly its values, in either engine; damaged delta files are skipped
 * or named; the chain restarts with a full snapshot when it is full or after recovery.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo } from '../../../src/checkpoint/checkpoint-manager.js';
import { MAX_DELTAS } from '../../../src/checkpoint/incremental.js';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { seededPrng } from '../../support/prng.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';

const KEYS = 120;
/** Memory big enough that the updated records stay in memory between snapshots. */
const STORE = { ...TINY, memoryBytes: 16 * 4096, retainCheckpoints: 100 };

describe.each(availableEngines())('incremental snapshots (%s)', (engine) => {
  const other = availableEngines().find((e) => e !== engine) ?? engine;

  it('recover every version of a chain to exactly its values', async () => {
    const prng = seededPrng();
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...STORE });
    const s = kv.newSession('s');
    const values = new Map<string, string>();
    const put = (k: string, v: string): void => {
      s.upsert(bytesOf(k), bytesOf(v));
      values.set(k, v);
    };
    for (let i = 0; i < KEYS; i++) put(`k${i}`, `base-${i}`);
    const versions: [CheckpointInfo, Map<string, string>][] = [];
    versions.push([await kv.checkpoint({ type: 'snapshot' }), new Map(values)]);
    for (let round = 1; round <= 5; round++) {
      for (let u = 0; u < 50; u++) {
        const i = prng.int(KEYS + 20);
        if (prng.int(10) === 0) {
          s.delete(bytesOf(`k${i}`));
          values.delete(`k${i}`);
        } else {
          put(`k${i}`, `r${round}-${u}`.padEnd(prng.int(24), '+'));
        }
      }
      const info = await kv.checkpoint({ type: 'snapshot', incremental: true });
      expect(info.incremental).toBe(true);
      const delta = readFileSync(join(dir, 'checkpoints', info.token, 'delta.dat'));
      expect(delta.length).toBeGreaterThan(56 + 50 * 24);
      versions.push([info, new Map(values)]);
    }
    await kv.close();
    for (const [n, [info, want]] of versions.entries()) {
      const copy = tempDir();
      cpSync(dir, copy, { recursive: true });
      const back = await FasterKV.open({ dir: copy, engine: n % 2 ? other : engine, ...STORE,
        recover: info.token });
      const r = back.newSession('reader');
      for (let i = 0; i < KEYS + 20; i++) {
        expect(textOf(r.read(bytesOf(`k${i}`)))).toBe(want.get(`k${i}`));
      }
      await back.close();
    }
  });

  it('skips a checkpoint whose delta is damaged, or names the delta file', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...STORE });
    const s = kv.newSession('s');
    for (let i = 0; i < KEYS; i++) s.upsert(bytesOf(`k${i}`), bytesOf('v1'));
    const base = await kv.checkpoint({ type: 'snapshot' });
    for (let i = 0; i < KEYS; i += 3) s.upsert(bytesOf(`k${i}`), bytesOf('v2'));
    const first = await kv.checkpoint({ type: 'snapshot', incremental: true });
    for (let i = 1; i < KEYS; i += 3) s.upsert(bytesOf(`k${i}`), bytesOf('v3'));
    const second = await kv.checkpoint({ type: 'snapshot', incremental: true });
    await kv.close();
    const file = join(dir, 'checkpoints', first.token, 'delta.dat');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0x10;
    writeFileSync(file, bytes);
    const back = await FasterKV.open({ dir, engine, ...STORE });
    expect(back.recoveredFrom?.token).toBe(base.token);
    expect(back.recoveryReport.skipped.map((x) => x.token)).toEqual([second.token, first.token]);
    expect(back.recoveryReport.skipped[0]!.error.message).toContain(
      `checkpoints/${first.token}/delta.dat`);
    expect(textOf(back.newSession('r').read(bytesOf('k0')))).toBe('v1');
    await back.close();
  });

  it('takes a full snapshot when the chain is full, and after recovery', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...STORE });
    const s = kv.newSession('s');
    const first = await kv.checkpoint({ type: 'snapshot', incremental: true });
    expect(first.incremental).toBe(false);
    for (let n = 0; n < MAX_DELTAS; n++) {
      s.upsert(bytesOf('k'), bytesOf(String(n)));
      expect((await kv.checkpoint({ type: 'snapshot', incremental: true })).incremental)
        .toBe(true);
    }
    expect((await kv.checkpoint({ type: 'snapshot', incremental: true })).incremental)
      .toBe(false);
    await kv.close();
    const back = await FasterKV.open({ dir, engine, ...STORE });
    expect((await back.checkpoint({ type: 'snapshot', incremental: true })).incremental)
      .toBe(false);
    await back.close();
  });
});
