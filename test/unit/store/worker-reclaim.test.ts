/**
 * Reclaiming a dead worker, resource by resource: a worker takes one shared resource as an
 * operation would (a record lock, a page turn, a flush or closer token, log space it has not
 * filled yet, an epoch action it was running, an index chunk it was splitting), stays inside
 * its operation (protected) and is terminated; the owner's
 * operations, which need that resource, then complete, a checkpoint completes, and the
 * records written after it read back from the device.
 */
import { describe, expect, it } from 'vitest';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';
import { startTsWorker } from '../../support/ts-worker.js';

const reclaimWorker = new URL('./reclaim.worker.ts', import.meta.url);

describe.each(availableEngines())('a worker terminated while it holds (%s)', (engine) => {
  it.each(['lock', 'read-lock', 'turn', 'flush', 'closer', 'hole', 'action', 'split'])('%s: gives it back', async (hold) => {
    const kv = await FasterKV.open({ dir: tempDir(), engine, ...TINY });
    const s = kv.newSession('owner');
    s.upsert(bytesOf('key'), bytesOf('old'));
    const worker = startTsWorker(reclaimWorker, { handle: kv.shareHandle(), hold, key: 'key' });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    expect(await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    })).toBe('holding');
    await worker.terminate();
    await exited;
    await new Promise((resolve) => setImmediate(resolve));
    s.upsert(bytesOf('key'), bytesOf('new'));
    expect(textOf(s.read(bytesOf('key')))).toBe('new');
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`fill${i}`), bytesOf('x'.repeat(40)));
    expect(kv.stats().headAddress).toBeGreaterThan(8 * 4096);
    const info = await kv.checkpoint();
    expect(info.sessions).toEqual({ owner: 2003 });
    for (let i = 0; i < 100; i++) {
      expect(textOf(s.read(bytesOf(`fill${i}`)))).toBe('x'.repeat(40));
    }
    await kv.close({ checkpoint: false });
  });
});
