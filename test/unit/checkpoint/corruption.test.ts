/**
 * Damaged checkpoint files (FASTER's theme: recovery must not trust a damaged checkpoint):
 * flipping a byte anywhere in, truncating, or removing a file of the newest checkpoint —
 * metadata, index image, snapshot — makes recovery either use that checkpoint correctly (the
 * bytes were unused), or skip it for the older one and report it, or fail with ERR_CORRUPTION
 * naming the file. Never a crash, a hang, or a wrong value.
 */
import { cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from
  'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointOptions } from '../../../src/checkpoint/checkpoint.js';
import { FasterError } from '../../../src/errors.js';
import { availableEngines, type EngineName } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { seededPrng, type Prng } from '../../support/prng.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';

type Damage = { what: string; apply(path: string): void };

function damages(prng: Prng, size: number): Damage[] {
  const list: Damage[] = [{ what: 'removed', apply: (p) => rmSync(p) }];
  for (let i = 0; i < 2; i++) {
    const at = prng.int(size);
    const bit = 1 << prng.int(8);
    list.push({
      what: `bit ${bit} flipped at ${at}`,
      apply: (p) => {
        const bytes = readFileSync(p);
        bytes[at] = bytes[at]! ^ bit;
        writeFileSync(p, bytes);
      },
    });
  }
  for (const length of [0, prng.int(size)]) {
    list.push({ what: `truncated to ${length}`, apply: (p) => truncateSync(p, length) });
  }
  return list;
}

/** Writes generation `gen` of 300 keys. */
function write(kv: FasterKV, gen: string): void {
  const s = kv.newSession(`writer-${gen}`);
  for (let i = 0; i < 300; i++) s.upsert(bytesOf(`k${i}`), bytesOf(`${gen}-${i}`));
}

function expectGeneration(kv: FasterKV, gen: string): void {
  const s = kv.newSession('reader');
  for (let i = 0; i < 300; i++) expect(textOf(s.read(bytesOf(`k${i}`)))).toBe(`${gen}-${i}`);
}

/** Two checkpoints: `older` holds generation A, `newer` generation B. Returns their tokens. */
async function twoCheckpoints(engine: EngineName, dir: string, older: CheckpointOptions,
  newer: CheckpointOptions): Promise<[string, string]> {
  const kv = await FasterKV.open({ dir, engine, ...TINY });
  write(kv, 'A');
  const a = await kv.checkpoint(older);
  write(kv, 'B');
  const b = await kv.checkpoint(newer);
  write(kv, 'C');
  await kv.close({ checkpoint: false });
  return [a.token, b.token];
}

/** Opens a damaged copy: the outcome must be one of the three allowed ones. */
async function openDamaged(engine: EngineName, dir: string, file: string, tokens: string[]):
  Promise<string> {
  let kv: FasterKV;
  try {
    kv = await FasterKV.open({ dir, engine, ...TINY });
  } catch (err) {
    expect(err).toBeInstanceOf(FasterError);
    expect((err as FasterError).code).toBe('ERR_CORRUPTION');
    expect((err as FasterError).message).toContain(file);
    return 'refused';
  }
  try {
    const token = kv.recoveredFrom?.token;
    if (token === tokens[1]) {
      expectGeneration(kv, 'B');
      return 'newer';
    }
    expect(token).toBe(tokens[0]);
    expectGeneration(kv, 'A');
    const skipped = kv.recoveryReport.skipped.find((s) => s.token === tokens[1]);
    if (skipped === undefined && file.endsWith('info.dat')) {
      // Without its metadata a checkpoint never happened: it is incomplete, and removed.
      expect(kv.recoveryReport.removed).toContain(tokens[1]);
      return 'incomplete';
    }
    expect(skipped?.error.code).toBe('ERR_CORRUPTION');
    expect(skipped?.error.message).toContain(file);
    return 'older';
  } finally {
    await kv.close({ checkpoint: false });
  }
}

const PAIRS: [string, CheckpointOptions, CheckpointOptions][] = [
  ['a full snapshot after a full fold-over', { type: 'foldover' }, { type: 'snapshot' }],
  ['a full fold-over after a full snapshot', { type: 'snapshot' }, { type: 'foldover' }],
  ['a log-only snapshot after a full fold-over', { type: 'foldover' },
    { type: 'snapshot', index: false }],
];

describe.each(availableEngines())('damaged checkpoint files (%s)', (engine) => {
  it.each(PAIRS)('never make recovery use bad bytes: %s', async (_name, older, newer) => {
    const prng = seededPrng();
    const pristine = tempDir();
    const tokens = await twoCheckpoints(engine, pristine, older, newer);
    const outcomes = new Set<string>();
    const dirOf = join(pristine, 'checkpoints', tokens[1]);
    for (const name of readdirSync(dirOf)) {
      const file = `checkpoints/${tokens[1]}/${name}`;
      for (const damage of damages(prng, statSync(join(dirOf, name)).size)) {
        const dir = tempDir();
        cpSync(pristine, dir, { recursive: true });
        damage.apply(join(dir, file));
        outcomes.add(`${name}: ${await openDamaged(engine, dir, file, tokens)}`);
      }
    }
    expect([...outcomes].filter((o) => o.endsWith('older')).length).toBeGreaterThan(0);
  });

  it('refuses to open when the only checkpoint is damaged, naming the file', async () => {
    const dir = tempDir();
    const kv = await FasterKV.open({ dir, engine, ...TINY });
    write(kv, 'A');
    const { token } = await kv.checkpoint({ type: 'snapshot' });
    await kv.close({ checkpoint: false });
    const file = `checkpoints/${token}/index.dat`;
    const bytes = readFileSync(join(dir, file));
    bytes[bytes.length - 1]! ^= 0x40;
    writeFileSync(join(dir, file), bytes);
    await expect(FasterKV.open({ dir, engine, ...TINY })).rejects.toThrow(file);
  });

  it('skips a log-only checkpoint whose paired index image is damaged', async () => {
    const dir = tempDir();
    const tokens = await twoCheckpoints(engine, dir, { type: 'foldover' },
      { type: 'foldover', index: false });
    const file = `checkpoints/${tokens[0]}/index.dat`;
    truncateSync(join(dir, file), 100);
    await expect(FasterKV.open({ dir, engine, ...TINY })).rejects.toThrow(file);
  });
});
