/**
 * Device trials: sequential write bandwidth (native O_DIRECT vs pure-TS buffered, both through
 * the same FileDevice, the sync included in the time) and the latency of a 4 KiB write followed
 * by a sync, appending (the file grows) and overwriting (the blocks exist).
 */
import { FileDevice } from '../../device/file-device.js';
import type { Device } from '../../device/device.js';
import { nowNs, summarizeLatency } from '../stats.js';
import { bindingOf, type Trial, type TrialContext, type TrialResult } from '../trial.js';

const MiB = 1 << 20;

function openDevice(ctx: TrialContext): Device {
  return new FileDevice({
    binding: bindingOf(ctx), dir: ctx.dataDir, baseName: 'bench.log',
    segmentBytes: 1 << 30,
  });
}

/** One buffer of `bytes` filled with non-zero pseudo-random data, 4096-aligned when native. */
function alignedBuffer(ctx: TrialContext, bytes: number): Uint8Array {
  const binding = bindingOf(ctx);
  const raw = new Uint8Array(bytes + 4096);
  const buf = raw.subarray(binding.alignmentOffset(raw, 4096)).subarray(0, bytes);
  for (let i = 0; i < buf.length; i++) buf[i] = ((i * 2654435761) >>> 24) | 1;
  return buf;
}

const seqWrite: Trial = {
  name: 'device-seq-write',
  description: 'sequential 1 MiB writes, then one sync',
  engines: ['native', 'js'],
  async run(ctx) {
    const device = openDevice(ctx);
    const total = ctx.full ? 4096 * MiB : 1024 * MiB;
    const buf = alignedBuffer(ctx, MiB);
    const t0 = nowNs();
    for (let a = 0; a < total; a += MiB) device.writeSync(buf, a);
    device.syncSync();
    const seconds = (nowNs() - t0) / 1e9;
    const mode = device.stats().direct ? 'O_DIRECT' : 'buffered';
    device.close();
    return result(ctx, 'device-seq-write', { mbPerSec: total / 1e6 / seconds },
      `${total / MiB} MiB in 1 MiB writes + sync, ${mode}`);
  },
};

function syncLatencyTrial(name: string, overwrite: boolean): Trial {
  return {
    name,
    description: `4 KiB write + sync, ${overwrite ? 'overwriting' : 'appending'}`,
    engines: ['native', 'js'],
    async run(ctx) {
      const device = openDevice(ctx);
      const n = ctx.full ? 10_000 : 2_000;
      const buf = alignedBuffer(ctx, 4096);
      if (overwrite) {
        const fill = alignedBuffer(ctx, MiB);
        for (let a = 0; a < n * 4096; a += MiB) device.writeSync(fill, a);
        device.syncSync();
      }
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t0 = nowNs();
        device.writeSync(buf, i * 4096);
        device.syncSync();
        samples[i] = nowNs() - t0;
      }
      const mode = device.stats().direct ? 'O_DIRECT' : 'buffered';
      device.close();
      const lat = summarizeLatency(samples);
      return result(ctx, name, { opsPerSec: 1e6 / lat.meanUs, p50Us: lat.p50Us, p99Us: lat.p99Us },
        `${n} x (4 KiB write + fdatasync), ${mode}`);
    },
  };
}

function result(ctx: TrialContext, trial: string, metrics: TrialResult['metrics'],
  detail: string): TrialResult {
  return { trial, engine: ctx.engine, metrics, detail };
}

export const deviceTrials: readonly Trial[] = [
  seqWrite,
  syncLatencyTrial('device-sync-append', false),
  syncLatencyTrial('device-sync-overwrite', true),
];
