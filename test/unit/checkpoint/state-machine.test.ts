/**
 * The CPR state machine as sessions see it (FASTER's StateMachineTests, digest §13.1): the
 * phase sequence, the version switch of a session that operates mid-cycle and of one that
 * stays idle, a session closed mid-cycle, and operations pending across the version switch
 * becoming excluded serials.
 */
import { describe, expect, it } from 'vitest';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import type { Device } from '../../../src/device/device.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import type { StorageDeviceOptions } from '../../../src/storage/storage.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import { Phase } from '../../../src/checkpoint/system-state.js';
import { keyHash } from '../../../src/fallback/key-hash.js';
import { HI_IN_NEW_VERSION, HI_VALID } from '../../../src/record/record-info.js';
import { TINY, bytesOf, openTiny, textOf } from '../../support/store.js';

/** A MemoryStorage whose devices hold every async read until `release()`. */
class GatedStorage extends MemoryStorage {
  release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  override openDevice(baseName: string, options: StorageDeviceOptions): Device {
    const device = super.openDevice(baseName, options);
    const read = device.read.bind(device);
    device.read = async (dst, address) => {
      await this.gate;
      return read(dst, address);
    };
    return device;
  }
}

describe.each(availableEngines())('the CPR state machine (%s)', (engine) => {
  it('walks a full checkpoint through every phase; an operating session follows each one',
    async () => {
      const kv = await openTiny(engine);
      const busy = kv.newSession('busy');
      const idle = kv.newSession('idle');
      idle.upsert(bytesOf('i'), bytesOf('0'));
      const seen: string[] = [];
      kv.machine.onTransition((phase, version) => {
        const serial = busy.upsert(bytesOf(phase), bytesOf(String(version)));
        const { phase: p, version: v } = busy.cprState;
        seen.push(`${phase} ${version}: busy #${serial} in ${p} ${v}`);
      });
      const info = await kv.checkpoint({ type: 'foldover' });
      expect(seen).toEqual([
        'PREP_INDEX_CHECKPOINT 1: busy #1 in PREP_INDEX_CHECKPOINT 1',
        'INDEX_CHECKPOINT 1: busy #2 in INDEX_CHECKPOINT 1',
        'PREPARE 1: busy #3 in PREPARE 1',
        'IN_PROGRESS 2: busy #4 in IN_PROGRESS 2',
        'WAIT_FLUSH 2: busy #5 in WAIT_FLUSH 2',
        'PERSISTENCE_CALLBACK 2: busy #6 in PERSISTENCE_CALLBACK 2',
        'REST 2: busy #7 in REST 2',
      ]);
      expect(info.version).toBe(1);
      expect(info.sessions).toEqual({ busy: 3, idle: 1 });
      // The idle session follows its thread: the busy session's operations moved them both.
      expect(idle.cprState).toEqual({ phase: 'REST', version: 2 });
      idle.upsert(bytesOf('i'), bytesOf('1'));
      expect(idle.cprState).toEqual({ phase: 'REST', version: 2 });
      await kv.close({ checkpoint: false });
    });

  it('keeps a log-only cycle to PREPARE, IN_PROGRESS, WAIT_FLUSH, PERSISTENCE_CALLBACK, REST',
    async () => {
      const kv = await openTiny(engine);
      const phases: string[] = [];
      kv.machine.onTransition((phase, version) => phases.push(`${phase} ${version}`));
      await kv.checkpoint({ type: 'snapshot', index: false });
      await kv.checkpoint({ log: false });
      expect(phases).toEqual(['PREPARE 1', 'IN_PROGRESS 2', 'WAIT_FLUSH 2',
        'PERSISTENCE_CALLBACK 2', 'REST 2', 'PREP_INDEX_CHECKPOINT 2', 'INDEX_CHECKPOINT 2',
        'REST 2']);
      await kv.close({ checkpoint: false });
    });

  it('writes InNewVersion records and never updates in place during the version switch',
    async () => {
      const kv = await openTiny(engine);
      const s = kv.newSession('s');
      s.upsert(bytesOf('k'), bytesOf('aaaa'));
      const tails: number[] = [];
      kv.machine.onTransition((phase) => {
        if (phase !== 'WAIT_FLUSH' && phase !== 'REST') return;
        const before = kv.stats().tailAddress;
        s.upsert(bytesOf('k'), bytesOf('bbbb'));
        tails.push(kv.stats().tailAddress - before);
      });
      await kv.checkpoint({ type: 'snapshot' });
      expect(tails[0]).toBeGreaterThan(0);
      expect(tails[1]).toBe(0);
      await kv.close({ checkpoint: false });
    });

  it('publishes no record in a state word that changed during an epoch refresh inside the ' +
    'operation; the operation retries in the new word', async () => {
    const kv = await openTiny(engine);
    const s = kv.newSession('s');
    const key = bytesOf('k');
    const headFlags = (): number => {
      const ctx = kv.ctx;
      ctx.epoch.protect();
      try {
        const address = ctx.index.readEntry(ctx.index.findTag(keyHash(key)));
        return ctx.rec.hi(ctx.log.physicalOffset(address));
      } finally {
        ctx.epoch.unprotect();
      }
    };
    let flags = 0;
    kv.machine.onTransition((phase, version) => {
      if (phase !== 'PERSISTENCE_CALLBACK') return;
      s.upsert(key, bytesOf('during the switch'));
      expect(headFlags() & HI_IN_NEW_VERSION).not.toBe(0);
      // The next upsert starts in PERSISTENCE_CALLBACK; the upkeep before its allocation
      // refreshes the epoch, and meanwhile (as a driver on another thread may) the state moves
      // to REST and on to the next cycle's PREPARE, whose startAddress comes after that drain.
      kv.ctx.upkeepDue = true;
      kv.ctx.maintenance = () => {
        kv.ctx.maintenance = () => {};
        kv.systemState.set(Phase.PREPARE, version);
      };
      s.upsert(key, bytesOf('after the refresh, too long to fit in place'));
      flags = headFlags();
      kv.systemState.set(Phase.PERSISTENCE_CALLBACK, version);
    });
    await kv.checkpoint({ type: 'snapshot' });
    expect(flags & HI_VALID).not.toBe(0);
    expect(flags & HI_IN_NEW_VERSION).toBe(0);
    expect(s.cprState).toEqual({ phase: 'PREPARE', version: 2 });
    expect(textOf(s.read(key))).toBe('after the refresh, too long to fit in place');
    await kv.close({ checkpoint: false });
  });

  it('gives a session closed mid-cycle its CPR point, then forgets it', async () => {
    const kv = await openTiny(engine);
    const s = kv.newSession('leaving');
    s.upsert(bytesOf('k'), bytesOf('v'));
    kv.machine.onTransition((phase) => {
      if (phase === 'WAIT_FLUSH') s.close();
    });
    const first = await kv.checkpoint();
    expect(first.sessions).toEqual({ leaving: 1 });
    const second = await kv.checkpoint();
    expect(second.sessions).toEqual({});
    await kv.close({ checkpoint: false });
  });

  it('never waits for a pending read: the pending RMW becomes an excluded serial', async () => {
    const storage = new GatedStorage('gated');
    const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
      storage, engine, ...TINY, rmw: rmwFunctions.counter,
    });
    const s = kv.newSession('s');
    s.rmw(bytesOf('counter'), 5);
    for (let i = 0; i < 400; i++) s.upsert(bytesOf(`filler${i}`), bytesOf('x'.repeat(40)));
    const pending = s.rmwAsync(bytesOf('counter'), 7);
    expect(s.pendingWrites).toBe(1);
    s.upsert(bytesOf('after'), bytesOf('1'));
    const info = await kv.checkpoint({ type: 'snapshot' });
    expect(s.pendingWrites).toBe(1);
    expect(info.sessions.s).toBe(403);
    expect(info.excludedSerials).toEqual({ s: [402] });
    storage.release();
    expect(await pending).toBe(402);
    expect(Buffer.from(s.read(bytesOf('counter'))!).readBigUInt64LE()).toBe(12n);
    await kv.close({ checkpoint: false });

    const back = await FasterKV.open<Uint8Array, Uint8Array, number>({
      storage, engine, ...TINY, rmw: rmwFunctions.counter,
    });
    const r = back.resumeSession('s');
    expect(r.recoveredExcluded).toEqual([402]);
    expect(Buffer.from(r.read(bytesOf('counter'))!).readBigUInt64LE()).toBe(5n);
    expect(textOf(r.read(bytesOf('after')))).toBe('1');
    await back.close({ checkpoint: false });
  });

  it('returns to REST after a failed checkpoint, removes its files, and checkpoints again',
    async () => {
      const storage = new FaultStorage();
      const kv = await FasterKV.open({ storage, engine, ...TINY });
      const s = kv.newSession('s');
      s.upsert(bytesOf('k'), bytesOf('v1'));
      storage.failNext({ op: 'write', errno: 'ENOSPC', pathPrefix: 'checkpoints/' });
      await expect(kv.checkpoint({ type: 'snapshot' })).rejects.toMatchObject({
        code: 'ERR_IO', errno: 'ENOSPC' });
      expect(kv.systemState.phase).toBe(0);
      expect(storage.list('checkpoints/')).toEqual([]);
      s.upsert(bytesOf('k'), bytesOf('v2'));
      expect(s.cprState).toEqual({ phase: 'REST', version: 2 });
      storage.failNext({ op: 'writeFile', errno: 'EIO', pathPrefix: 'checkpoints/' });
      await expect(kv.checkpoint({ log: false })).rejects.toMatchObject({ code: 'ERR_IO' });
      expect(kv.systemState.version).toBe(2);
      const info = await kv.checkpoint({ type: 'snapshot', incremental: true });
      expect(info).toMatchObject({ version: 2, incremental: false, sessions: { s: 2 } });
      await kv.close({ checkpoint: false });
    });

  it('runs checkpoints asked for at once one after another', async () => {
    const kv = await openTiny(engine);
    kv.newSession('s').upsert(bytesOf('k'), bytesOf('v'));
    const infos = await Promise.all([kv.checkpoint(), kv.checkpoint({ type: 'snapshot' }),
      kv.checkpoint({ index: false })]);
    expect(infos.map((i) => i.version)).toEqual([1, 2, 3]);
    await kv.close({ checkpoint: false });
  });
});
