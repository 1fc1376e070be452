/**
 * replayLog (src/recovery/log-replay.ts) with its reads running ahead (page-reads.ts): the
 * engine's page walk gives the index, the log bytes and the errors of the record-by-record
 * reference walk, pages come from the main log and the snapshot in order, and an I/O error of
 * an earlier page is the error even when a later page is damaged.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointMetadata } from '../../../src/checkpoint/checkpoint-metadata.js';
import { FaultDevice } from '../../../src/device/fault-device.js';
import { HashIndex, NOT_FOUND } from '../../../src/index/hash-index.js';
import { availableEngines, selectBinding, type NativeBinding } from '../../../src/native.js';
import { HI_IN_NEW_VERSION, HI_VALID } from '../../../src/record/record-info.js';
import {
  replayLog, replayRange, type PageSource, type ReplayInput,
} from '../../../src/recovery/log-replay.js';
import { PageReads } from '../../../src/recovery/page-reads.js';
import { seededPrng, type Prng } from '../../support/prng.js';
import { pageOf, randomRecords } from '../../support/replay-pages.js';

const PAGE = 8192;
const SEGMENT = 1 << 20;
const PAGES = 12;
const RING = 3;

function metaOf(over: Partial<CheckpointMetadata>): CheckpointMetadata {
  return {
    token: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b', sequence: 1, version: 1, createdAtMs: 0,
    log: true, snapshot: false, index: false, incremental: false, pageBytes: PAGE,
    segmentBytes: SEGMENT, beginAddress: 64, startAddress: 64, finalAddress: PAGES * PAGE,
    snapshotStart: PAGES * PAGE, headAddress: 64, indexStartAddress: 0, indexFinalAddress: 0,
    indexBytes: 0, indexToken: '', baseToken: '', deltaTokens: [], sessions: [], ...over,
  };
}

/** PAGES pages of random records: their images (the log's bytes) and record offsets. */
function randomLog(prng: Prng): { images: Uint8Array[]; offsets: number[][] } {
  const pages = Array.from({ length: PAGES }, (_, p) =>
    pageOf(p * PAGE, randomRecords(prng, 40 + prng.int(60), 150, (p + 1) * PAGE), 0, PAGE));
  return { images: pages.map((p) => p.page), offsets: pages.map((p) => p.offsets) };
}

/** A snapshot source over `images` (by page number) that reads on a later turn. */
function sourceOver(snapshotStart: number, images: Map<number, Uint8Array>): PageSource {
  return {
    snapshotStart,
    readSnapshotPage: async (page, dst) => {
      await new Promise((resolve) => setImmediate(resolve));
      dst.set(images.get(page) ?? new Uint8Array(PAGE));
    },
    overlayDeltas: () => undefined,
  };
}

const noSnapshot = (meta: CheckpointMetadata) => sourceOver(meta.finalAddress, new Map());

/** The reference alone: an engine walk that hands over every page at once. */
const referenceOnly: NativeBinding['indexReplayPage'] = (_m, _p, _s, from) => from * 16 + 2;

interface Run {
  readonly binding: NativeBinding;
  readonly meta: CheckpointMetadata;
  readonly device: FaultDevice;
  readonly source: PageSource;
  readonly recoverFrom: number;
  readonly walk: NativeBinding['indexReplayPage'];
}

async function run(r: Run): Promise<{ index: HashIndex; replayed: number }> {
  const index = HashIndex.create(r.binding, { buckets: 16 });
  const { firstPage, pageCount } = replayRange(r.meta, r.recoverFrom, r.source.snapshotStart);
  const raw = new Uint8Array(RING * PAGE);
  const buffers = Array.from({ length: RING }, (_, i) => raw.subarray(i * PAGE, (i + 1) * PAGE));
  const input: ReplayInput = {
    meta: r.meta, device: r.device, index, recoverFrom: r.recoverFrom, source: r.source,
    crc: (d, start, end, seed) => r.binding.crc32c(d.subarray(start, end), seed),
    pageChecksums: (...a) => r.binding.pageChecksums(...a),
    indexReplayPage: r.walk,
    reads: new PageReads(r.device, r.source, r.source.snapshotStart, firstPage, pageCount,
      buffers),
  };
  return { index, replayed: await replayLog(input) };
}

function deviceWith(images: readonly Uint8Array[]): FaultDevice {
  const device = new FaultDevice({ segmentBytes: SEGMENT, sectorBytes: 4096 });
  images.forEach((image, p) => device.writeSync(image, p * PAGE));
  return device;
}

function deviceBytes(device: FaultDevice): Uint8Array {
  const bytes = new Uint8Array(PAGES * PAGE);
  device.readSync(bytes, 0);
  return bytes;
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
}

describe.each(availableEngines())('replayLog on the %s engine', (engine) => {
  const binding = selectBinding(engine);

  it('leaves the index and the log as the record-by-record walk does, reading ahead', async () => {
    const prng = seededPrng();
    const { images, offsets } = randomLog(prng);
    const meta = metaOf({ startAddress: (4 + prng.int(6)) * PAGE + 64 });
    const p = 1 + prng.int(3);
    const recoverFrom = prng.int(2) ? meta.beginAddress
      : p * PAGE + offsets[p]![prng.int(offsets[p]!.length)]!;
    const results = [];
    for (const walk of [binding.indexReplayPage, referenceOnly]) {
      const device = deviceWith(images);
      const { index, replayed } = await run({
        binding, meta, device, source: noSnapshot(meta), recoverFrom, walk,
      });
      results.push({ replayed, log: deviceBytes(device), arena: new Uint8Array(index.memory) });
    }
    const [engineWalk, reference] = results as [typeof results[0], typeof results[0]];
    expect(engineWalk.replayed).toBe(meta.finalAddress - recoverFrom);
    expect(Buffer.compare(engineWalk.log, reference.log)).toBe(0);
    expect(Buffer.compare(engineWalk.arena, reference.arena)).toBe(0);
    expect(Buffer.compare(engineWalk.log, Buffer.concat(images))).not.toBe(0);
  });

  it('reports the record-by-record walk\'s ERR_CORRUPTION for a damaged page', async () => {
    const prng = seededPrng();
    for (const damage of ['checksum', 'zero header', 'length']) {
      const { images, offsets } = randomLog(prng);
      const p = 2 + prng.int(PAGES - 3);
      const page = images[p]!;
      const at = offsets[p]![1 + prng.int(offsets[p]!.length - 1)]!;
      if (damage === 'checksum') page[at + 24]! ^= 0x40;
      if (damage === 'zero header') page.fill(0, at, at + 8);
      if (damage === 'length') page.fill(0xff, at + 12, at + 16);
      const meta = metaOf({});
      const outcomes = [];
      for (const walk of [binding.indexReplayPage, referenceOnly]) {
        const device = deviceWith(images);
        outcomes.push(await outcome(run({
          binding, meta, device, source: noSnapshot(meta), recoverFrom: 64, walk,
        })));
      }
      expect(outcomes[0]).toMatch(/^ERR_CORRUPTION/);
      expect({ damage, outcome: outcomes[0] }).toEqual({ damage, outcome: outcomes[1] });
    }
  });

  it('takes pages from the snapshot from snapshotStart on and writes them into the main log',
    async () => {
      const prng = seededPrng();
      const { images } = randomLog(prng);
      const snapshotStart = 7 * PAGE;
      const snapshot = new Map<number, Uint8Array>();
      let final = 0;
      for (let p = 7; p < PAGES; p++) {
        const { page, end } = pageOf(p * PAGE, [{ key: `snap${p}` }], 0, PAGE);
        snapshot.set(p, page);
        final = p * PAGE + end;
      }
      const meta = metaOf({ snapshot: true, snapshotStart, finalAddress: final });
      const device = deviceWith(images);
      const { index } = await run({
        binding, meta, device, source: sourceOver(snapshotStart, snapshot), recoverFrom: 64,
        walk: binding.indexReplayPage,
      });
      const log = deviceBytes(device);
      for (let p = 7; p < PAGES; p++) {
        expect(Buffer.compare(log.subarray(p * PAGE, p * PAGE + 4096),
          snapshot.get(p)!.subarray(0, 4096))).toBe(0);
        const slot = index.findTag(binding.keyHash(Buffer.from(`snap${p}`)));
        expect(slot).not.toBe(NOT_FOUND);
        expect(index.readEntry(slot)).toBe(p * PAGE);
      }
      expect(device.stats().syncs).toBeGreaterThan(0);
    });

  it('fails with an earlier page\'s write error, not a later page\'s damage', async () => {
    const images = Array.from({ length: PAGES }, (_, p) => pageOf(p * PAGE, [
      { key: `a${p}` }, { key: `b${p}`, flags: HI_VALID | HI_IN_NEW_VERSION, previous: 64 },
    ], 0, PAGE).page);
    images[5]![200] = 1;
    const meta = metaOf({ startAddress: 64 });
    const device = deviceWith(images);
    device.failWhen((t) => (t.op === 'write' && t.offset === 4 * PAGE ? 'EIO' : undefined));
    const result = await outcome(run({
      binding, meta, device, source: noSnapshot(meta), recoverFrom: 64,
      walk: binding.indexReplayPage,
    }));
    expect(result).toMatch(/^ERR_IO: pwrite .* at offset 32768 failed: EIO/);
    await device.idle();
  });
});
