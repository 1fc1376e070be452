/**
 * Listing and retention (FASTER's CheckpointManagerTests, digest §13.1): checkpoints are listed
 * newest first; retention keeps the newest N that hold a log plus what they need, and removes
 * the rest with their files and the log segments no kept checkpoint needs; after removing
 * checkpoints one by one, recovery works from whatever remains.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointOptions } from '../../../src/checkpoint/checkpoint.js';
import type { CheckpointInfo } from '../../../src/checkpoint/checkpoint-manager.js';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { seededPrng } from '../../support/prng.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';

const KINDS: CheckpointOptions[] = [{ type: 'foldover' }, { type: 'snapshot' },
  { type: 'foldover', index: false }, { type: 'snapshot', index: false }, { log: false }];

function files(kv: FasterKV, token: string): string[] {
  return kv.storage.list(`checkpoints/${token}/`);
}

describe.each(availableEngines())('checkpoint listing and retention (%s)', (engine) => {
  it('lists complete checkpoints newest first and keeps the newest two by default', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    const s = kv.newSession('s');
    const taken: CheckpointInfo[] = [];
    for (let i = 0; i < 4; i++) {
      s.upsert(bytesOf(`k${i}`), bytesOf('v'));
      taken.push(await kv.checkpoint({ type: i % 2 === 0 ? 'snapshot' : 'foldover' }));
    }
    const listed = await kv.listCheckpoints();
    expect(listed.map((c) => c.token)).toEqual([taken[3]!.token, taken[2]!.token]);
    expect(listed[0]).toMatchObject({ type: 'foldover', index: true, log: true, version: 4,
      sessions: { s: 4 } });
    expect(files(kv, taken[0]!.token)).toEqual([]);
    // Removed checkpoints leave no (empty) directory behind.
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(
      [taken[2]!.token, taken[3]!.token].sort());
    expect(files(kv, taken[2]!.token).sort()).toEqual([
      `checkpoints/${taken[2]!.token}/index.dat`, `checkpoints/${taken[2]!.token}/info.dat`,
      `checkpoints/${taken[2]!.token}/snapshot.0`]);
    await kv.close();
  });

  it('keeps the index checkpoint a kept log-only checkpoint pairs with, and newer index-only ones',
    async () => {
      const kv = await FasterKV.open({ dir: tempDir(), engine, ...TINY, retainCheckpoints: 1 });
      const s = kv.newSession('s');
      const full = await kv.checkpoint();
      s.upsert(bytesOf('a'), bytesOf('1'));
      await kv.checkpoint({ index: false });
      s.upsert(bytesOf('b'), bytesOf('2'));
      const logOnly = await kv.checkpoint({ index: false });
      const indexOnly = await kv.checkpoint({ log: false });
      expect((await kv.listCheckpoints()).map((c) => c.token)).toEqual([indexOnly.token,
        logOnly.token, full.token]);
      await kv.close();
    });

  it('deletes log segments below the begin address of every kept log checkpoint', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    const s = kv.newSession('s');
    const value = bytesOf('x'.repeat(200));
    while (kv.stats().tailAddress < 4 * TINY.segmentBytes) {
      for (let i = 0; i < 100; i++) s.upsert(bytesOf(`k${i}`), value);
    }
    const full = await kv.checkpoint();
    kv.ctx.log.shiftBeginAddress(3 * TINY.segmentBytes);
    for (let i = 0; i < 100; i++) s.upsert(bytesOf(`k${i}`), value);
    await kv.checkpoint({ index: false });
    expect(kv.storage.list('hlog.log.')).toContain('hlog.log.0');
    await kv.checkpoint({ index: false });
    expect(kv.storage.list('hlog.log.')).not.toContain('hlog.log.2');
    expect(kv.storage.list('hlog.log.')).toContain('hlog.log.3');
    await kv.close();
    // The full checkpoint stays for its index image only: its log range is gone.
    await expect(FasterKV.open({ dir, engine, ...TINY, recover: full.token })).rejects
      .toMatchObject({ code: 'ERR_UNKNOWN_CHECKPOINT' });
    const back = await FasterKV.open({ dir, engine, ...TINY });
    expect(textOf(back.resumeSession('s').read(bytesOf('k99')))).toBe('x'.repeat(200));
    await back.close();
  });

  it('recovers from what remains as checkpoints are removed one by one', async () => {
    const prng = seededPrng();
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY, retainCheckpoints: 50 });
    const s = kv.newSession('s');
    const taken: CheckpointInfo[] = [];
    for (let n = 1; n <= 1200; n++) {
      s.upsert(bytesOf(`k${prng.int(100)}`), bytesOf(String(n)));
      if (n % 100 === 0) taken.push(await kv.checkpoint(KINDS[prng.int(KINDS.length)]));
    }
    // No final checkpoint at close: recovery must come from the ones taken above.
    await kv.close({ checkpoint: false });
    const logs = taken.filter((c) => c.log).reverse();
    for (const [i, info] of logs.entries()) {
      const back = await FasterKV.open({ dir, engine, ...TINY, retainCheckpoints: 50 });
      expect(back.recoveredFrom?.token).toBe(info.token);
      expect(back.resumeSession('s').recoveredSerial).toBe(info.sessions.s);
      await back.close({ checkpoint: false });
      if (i + 1 < logs.length) rmSync(join(dir, 'checkpoints', info.token), { recursive: true });
    }
  });
});
