/**
 * FasterLog under process kills: a child appends with enqueueAndWaitForCommit under each
 * commit policy and mode (fasterlog-workload.ts) and prints every acknowledged address; the
 * test SIGKILLs it at a random moment and reopens the log. Every acknowledged entry must be
 * there, at its address, byte for byte, in order, after all the earlier lives' entries, and
 * nothing else but a prefix of that life's appends (no garbage after them). 30 cycles per
 * engine by default; FASTERKV_CRASH_CYCLES sets the count (`npm run test:crash`: 1,000).
 */
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../src/index.js';
import { availableEngines, type EngineName } from '../../src/native.js';
import { byteDifference } from '../support/bytes.js';
import { runUntilKilled } from '../support/crash-child.js';
import { seededPrng } from '../support/prng.js';
import { tempDir } from '../support/temp-dir.js';
import { CRASH_LOG, crashEntry } from './fasterlog-workload.js';

const CYCLES = Number(process.env.FASTERKV_CRASH_CYCLES ?? 30);
const child = new URL('./fasterlog-child.ts', import.meta.url);

interface Kept {
  readonly life: number;
  readonly seq: number;
  readonly address: number;
}

/** Parses the child's "<seq> <address>" lines (a last partial line is ignored). */
function acknowledged(out: string): Map<number, number> {
  const acks = new Map<number, number>();
  for (const line of out.split('\n').slice(0, -1)) {
    const match = /^(\d+) (\d+)$/.exec(line);
    if (match !== null) acks.set(Number(match[1]), Number(match[2]));
  }
  return acks;
}

/** Reopens the log and checks it against `kept` and the life's acknowledgements. */
async function recoverAndCheck(dir: string, engine: EngineName, kept: Kept[], life: number,
  acks: Map<number, number>): Promise<void> {
  const log = await FasterLog.open({ dir, engine, ...CRASH_LOG });
  try {
    expect(log.recoveryReport.truncatedBytes, `life ${life}`).toBe(0);
    const entries = [...log.scan()];
    expect(entries.length, `life ${life}: earlier lives`).toBeGreaterThanOrEqual(kept.length);
    for (const [i, k] of kept.entries()) {
      expect(entries[i]!.address, `life ${k.life} seq ${k.seq}`).toBe(k.address);
      const difference = byteDifference(entries[i]!.entry, crashEntry(k.life, k.seq));
      if (difference !== undefined) expect.fail(`life ${k.life} seq ${k.seq}: ${difference}`);
    }
    const fresh = entries.slice(kept.length);
    for (const [seq, entry] of fresh.entries()) {
      const difference = byteDifference(entry.entry, crashEntry(life, seq));
      if (difference !== undefined) expect.fail(`life ${life} seq ${seq}: ${difference}`);
      kept.push({ life, seq, address: entry.address });
    }
    for (const [seq, address] of acks) {
      expect(seq, `life ${life}: acknowledged seq ${seq} lost`).toBeLessThan(fresh.length);
      expect(fresh[seq]!.address, `life ${life} seq ${seq}`).toBe(address);
    }
  } finally {
    await log.close({ commit: false });
  }
}

describe.each(availableEngines())('FasterLog under SIGKILL (%s)', (engine) => {
  it(`keeps every acknowledged entry, exact and in order, across ${CYCLES} kills`, async () => {
    const prng = seededPrng();
    const dir = tempDir();
    const kept: Kept[] = [];
    let acknowledgedTotal = 0;
    for (let life = 1; life <= CYCLES; life++) {
      const out = await runUntilKilled(child, [dir, engine, String(life), String(prng.nextU32())],
        5 + prng.int(60));
      const acks = acknowledged(out);
      acknowledgedTotal += acks.size;
      await recoverAndCheck(dir, engine, kept, life, acks);
    }
    expect(acknowledgedTotal).toBeGreaterThan(0);
  }, 60_000 + CYCLES * 2_000);
});
