/**
 * The FasterLog crash workload shared by the killed child and the checking parent: the log's
 * geometry, the commit policy and mode of each life, and the bytes of each entry.
 */
import type { CommitPolicyOption } from '../../src/fasterlog/commit-policy.js';

/** Small pages and segments, so a life turns pages and creates segments. */
export const CRASH_LOG = { pageBytes: 1 << 14, memoryBytes: 1 << 17, segmentBytes: 1 << 18 };

const POLICIES: CommitPolicyOption[] = ['immediate', { groupMs: 1, groupBytes: 16 << 10 },
  { intervalMs: 2 }, 'manual'];

/** Life n cycles through the policies, and through fast-commit on and off. */
export function crashPolicy(life: number): { commit: CommitPolicyOption; fastCommit: boolean } {
  return { commit: POLICIES[life % POLICIES.length]!, fastCommit: Math.floor(life / 4) % 2 === 0 };
}

/** Entry `seq` of life `life`: 8 bytes to 2 KiB, starting with life and seq (u32 LE). */
export function crashEntry(life: number, seq: number): Uint8Array {
  const bytes = new Uint8Array(8 + ((seq * 7919 + life * 31) % 2048));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, life, true);
  view.setUint32(4, seq, true);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (life * 17 + seq * 131 + i * 7) & 0xff;
  return bytes;
}
