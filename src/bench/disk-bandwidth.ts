/**
 * The reference the checkpoint and FasterLog trials compare against: sequential write
 * bandwidth of the disk under test, measured in the same run (1 MiB writes through a
 * FileDevice, O_DIRECT where the engine and filesystem allow it, then one fdatasync).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../device/file-device.js';
import { selectBinding } from '../native.js';
import { nowNs } from './stats.js';
import type { TrialContext } from './trial.js';

const MiB = 1 << 20;

export interface DiskBandwidth {
  readonly mbPerSec: number;
  /** Whether the writes bypassed the page cache (O_DIRECT). */
  readonly direct: boolean;
}

/** Writes `totalBytes` sequentially into a scratch file of ctx.dataDir, then removes it. */
export function directBandwidth(ctx: TrialContext, totalBytes: number): DiskBandwidth {
  const binding = selectBinding(ctx.engine === 'js' ? 'js' : 'native');
  const device = new FileDevice({ binding, dir: ctx.dataDir, baseName: 'bandwidth',
    segmentBytes: 1 << 30 });
  const raw = new Uint8Array(MiB + 4096);
  const buffer = raw.subarray(binding.alignmentOffset(raw, 4096)).subarray(0, MiB).fill(7);
  const start = nowNs();
  for (let at = 0; at < totalBytes; at += MiB) device.writeSync(buffer, at);
  device.syncSync();
  const seconds = (nowNs() - start) / 1e9;
  const direct = device.stats().direct;
  device.close();
  rmSync(join(ctx.dataDir, 'bandwidth.0'), { force: true });
  return { mbPerSec: totalBytes / 1e6 / seconds, direct };
}
