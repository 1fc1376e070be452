import { describe, expect, it } from 'vitest';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { TINY } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';

describe.each(availableEngines())('FasterKV.close (%s engine)', (engine) => {
  it('makes every operation recoverable without an explicit checkpoint', async () => {
    const dir = tempDir();
    let kv = await FasterKV.open({ dir, engine, ...TINY });
    const s = kv.newSession('w');
    for (let i = 0; i < 3000; i++) s.upsert(Buffer.from(`k${i}`), Buffer.from(`v${i}`));
    s.upsert(Buffer.from('k7'), Buffer.from('again'));
    s.delete(Buffer.from('k8'));
    await kv.close();
    kv = await FasterKV.open({ dir, engine, ...TINY });
    expect(kv.recoveredFrom?.sessions).toEqual({ w: 3002 });
    const r = kv.resumeSession('w');
    expect(r.recoveredSerial).toBe(3002);
    expect(Buffer.from(r.read(Buffer.from('k2999'))!).toString()).toBe('v2999');
    expect(Buffer.from(r.read(Buffer.from('k7'))!).toString()).toBe('again');
    expect(r.read(Buffer.from('k8'))).toBeUndefined();
    await kv.close();
  });

  it('takes no checkpoint on close when nothing was done', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    kv.newSession('idle');
    await kv.close();
    const again = await FasterKV.open({ dir, engine, ...TINY });
    expect(again.recoveredFrom).toBeUndefined();
    expect(await again.listCheckpoints()).toEqual([]);
    await again.close();
  });
});
