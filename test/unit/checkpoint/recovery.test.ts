/**
 * Checkpoint and recovery basics on both engines (FASTER's SimpleRecoveryTest and
 * RecoveryChecks, digest §13.1): every kind recovers exactly what it checkpointed, sessions
 * resume at their CPR points, and recovery refuses what it must refuse.
 */
import { describe, expect, it } from 'vitest';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { availableEngines, type EngineName } from '../../../src/native.js';
import type { CheckpointOptions } from '../../../src/checkpoint/checkpoint.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { tempDir } from '../../support/temp-dir.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';

const KINDS: [string, CheckpointOptions][] = [
  ['full fold-over', { type: 'foldover' }],
  ['full snapshot', { type: 'snapshot' }],
  ['log-only fold-over', { type: 'foldover', index: false }],
  ['log-only snapshot', { type: 'snapshot', index: false }],
];

function open(engine: EngineName, dir: string, extra = {}): Promise<FasterKV> {
  return FasterKV.open({ dir, engine, ...TINY, ...extra });
}

describe.each(availableEngines())('checkpoint and recovery (%s)', (engine) => {
  describe.each(KINDS)('a %s checkpoint', (_name, kind) => {
    it('recovers every write up to it and none after it', async () => {
      const dir = tempDir();
      const kv = await open(engine, dir);
      const s = kv.newSession('writer');
      for (let i = 0; i < 600; i++) s.upsert(bytesOf(`k${i}`), bytesOf(`v${i}`));
      for (let i = 0; i < 600; i += 3) s.delete(bytesOf(`k${i}`));
      const info = await kv.checkpoint(kind);
      expect(info.sessions).toEqual({ writer: 800 });
      for (let i = 0; i < 600; i++) s.upsert(bytesOf(`k${i}`), bytesOf('after'));
      await kv.close({ checkpoint: false });

      const back = await open(engine, dir);
      expect(back.recoveredFrom?.token).toBe(info.token);
      const r = back.resumeSession('writer');
      expect(r.recoveredSerial).toBe(800);
      for (let i = 0; i < 600; i++) {
        expect(textOf(r.read(bytesOf(`k${i}`)))).toBe(i % 3 === 0 ? undefined : `v${i}`);
      }
      expect(back.stats().tailAddress).toBe(info.finalAddress);
      await back.close();
    });
  });

  it('continues a resumed session\'s serial numbers after its CPR point', async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    const s = kv.newSession('first');
    for (let i = 1; i <= 10; i++) expect(s.upsert(bytesOf(`k${i}`), bytesOf('x'))).toBe(i);
    await kv.checkpoint({ type: 'snapshot' });
    await kv.close();
    const back = await open(engine, dir);
    const r = back.resumeSession('first');
    expect(r.serial).toBe(10);
    expect(r.upsert(bytesOf('k11'), bytesOf('y'))).toBe(11);
    await back.checkpoint();
    await back.close();
    const again = await open(engine, dir);
    expect(again.resumeSession('first').recoveredSerial).toBe(11);
    await again.close();
  });

  it('gives a new session its own id after recovery and refuses to re-create a recovered one',
    async () => {
      const dir = tempDir();
      const kv = await open(engine, dir);
      kv.newSession('a').upsert(bytesOf('k'), bytesOf('v'));
      await kv.checkpoint();
      await kv.close();
      const back = await open(engine, dir);
      expect(() => back.newSession('a')).toThrow(/resumeSession/);
      expect(back.newSession('b').serial).toBe(0);
      await back.close();
    });

  it('refuses to resume a session the checkpoint does not know', async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    kv.newSession('a');
    await kv.checkpoint();
    await kv.close();
    const back = await open(engine, dir);
    expect(() => back.resumeSession('nobody')).toThrow(expect.objectContaining({
      code: 'ERR_UNKNOWN_SESSION' }));
    back.resumeSession('a');
    expect(() => back.resumeSession('a')).toThrow(expect.objectContaining({
      code: 'ERR_UNKNOWN_SESSION' }));
    await back.close();
  });

  it("refuses recover: 'none' on a directory that holds data", async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    kv.newSession().upsert(bytesOf('k'), bytesOf('v'));
    await kv.close();
    await expect(open(engine, dir, { recover: 'none' })).rejects.toMatchObject({
      code: 'ERR_EXISTS' });
  });

  it('recovers a log that was never checkpointed to the empty store', async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    const s = kv.newSession('a');
    for (let i = 0; i < 300; i++) s.upsert(bytesOf(`k${i}`), bytesOf('v'));
    await kv.close({ checkpoint: false });
    const back = await open(engine, dir);
    expect(back.recoveryReport.discardedLog).toBe(true);
    expect(back.recoveredFrom).toBeUndefined();
    expect(back.newSession('a').read(bytesOf('k1'))).toBeUndefined();
    await back.close();
  });

  it('refuses a recover token that is not a generated one, and an unknown one', async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    await kv.checkpoint();
    await kv.close();
    for (const token of ['../../etc', 'checkpoints/x', 'ABC', '']) {
      await expect(open(engine, dir, { recover: token })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT' });
    }
    await expect(open(engine, dir, { recover: '0f8fad5b-d9cb-469f-a165-70867728950e' }))
      .rejects.toMatchObject({ code: 'ERR_UNKNOWN_CHECKPOINT' });
  });

  it('refuses checkpoint options outside their ranges', async () => {
    const kv = await open(engine, tempDir());
    for (const bad of [{ type: 'delta' }, { index: 1 }, { index: false, log: false },
      { incremental: true }, 5]) {
      expect(() => kv.checkpoint(bad as CheckpointOptions)).toThrow(expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT' }));
    }
    await kv.close();
  });
});

describe('checkpoint files across engines', () => {
  it('are the same bytes from every run and either engine, apart from tokens and times',
    async () => {
      const images: Uint8Array[][] = [];
      for (const engine of [...availableEngines(), ...availableEngines()]) {
        const storage = new MemoryStorage(`bytes-${engine}`);
        const kv = await FasterKV.open({ storage, engine, ...TINY });
        const s = kv.newSession('s');
        for (let i = 0; i < 500; i++) s.upsert(bytesOf(`k${i % 300}`), bytesOf(`v${i}`));
        const { token } = await kv.checkpoint({ type: 'snapshot' });
        await kv.close();
        const snapshot = storage.openDevice(`checkpoints/${token}/snapshot`,
          { segmentBytes: TINY.segmentBytes });
        const pages = new Uint8Array(8 * 4096);
        snapshot.readSync(pages, 4096);
        snapshot.close();
        const log = storage.openDevice('hlog.log', { segmentBytes: TINY.segmentBytes });
        const logBytes = new Uint8Array(TINY.segmentBytes);
        log.readSync(logBytes, 0);
        log.close();
        images.push([storage.readFile(`checkpoints/${token}/index.dat`)!, pages, logBytes]);
      }
      for (const image of images.slice(1)) expect(image).toEqual(images[0]);
    });
});
