/** CRC32C throughput and key-hash rate per engine: where one native call does a lot, and where not. */
import { nowNs } from '../stats.js';
import { bindingOf, type Trial, type TrialContext, type TrialResult } from '../trial.js';

const MiB = 1 << 20;

export const crc32cTrial: Trial = {
  name: 'crc32c',
  description: 'CRC32C over a 4 MiB buffer, repeated',
  engines: ['native', 'js'],
  async run(ctx: TrialContext): Promise<TrialResult> {
    const binding = bindingOf(ctx);
    const buf = new Uint8Array(4 * MiB);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    let crc = 0;
    for (let i = 0; i < 3; i++) crc = binding.crc32c(buf, crc);
    const rounds = ctx.full ? 1000 : 200;
    const t0 = nowNs();
    for (let i = 0; i < rounds; i++) crc = binding.crc32c(buf, crc);
    const seconds = (nowNs() - t0) / 1e9;
    return {
      trial: 'crc32c', engine: ctx.engine,
      metrics: { mbPerSec: (rounds * buf.length) / 1e6 / seconds },
      detail: `${rounds} x 4 MiB, ${binding.crc32cHardware ? 'SSE4.2' : 'slicing-by-8'} (crc ${crc})`,
    };
  },
};

export const keyHashTrial: Trial = {
  name: 'keyhash',
  description: 'key hash of 8-byte keys, one call per key',
  engines: ['native', 'js'],
  async run(ctx: TrialContext): Promise<TrialResult> {
    const binding = bindingOf(ctx);
    const keys = new Uint8Array(8 * 4096);
    for (let i = 0; i < keys.length; i++) keys[i] = (i * 40503) & 0xff;
    const views = Array.from({ length: 4096 }, (_, i) => keys.subarray(8 * i, 8 * i + 8));
    const n = ctx.full ? 20_000_000 : 4_000_000;
    let acc = 0;
    const t0 = nowNs();
    for (let i = 0; i < n; i++) acc += binding.keyHash(views[i & 4095]!) % 7;
    const seconds = (nowNs() - t0) / 1e9;
    return {
      trial: 'keyhash', engine: ctx.engine,
      metrics: { opsPerSec: n / seconds },
      detail: `${n} hashes of 8-byte keys (checksum ${acc})`,
    };
  },
};
