#!/usr/bin/env node
// Micro-benchmarks of the epoch and the hybrid-log allocator hot paths:
//   node scripts/bench/epoch-log-micro.mjs [millions of ops, default 10]
// It transpiles src/ into a temporary directory first (so no build is needed), then times,
// in one process, side by side: an Int32 Atomics.add baseline, protect()+unprotect(),
// protect()+refresh()+unprotect(), and HybridLog.allocate() of 24-88 byte records through
// page turns (4 MiB pages, 64 MiB of frames, a device that discards writes, mutableFraction
// 0.9), alone (inside one outer protect) and as a whole operation (protect, allocate, write a
// header, unprotect). Each figure is the median of 5 rounds, in ns per operation.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const millions = Number(process.argv[2] ?? 10);
const ops = Math.round(millions * 1e6);

function transpileTree(outDir) {
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        const target = join(outDir, relative(root, path).replace(/\.ts$/, '.js'));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, outputText);
      }
    }
  };
  walk(join(root, 'src'));
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(name, fn, count) {
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    fn(count);
    rounds.push(Number(process.hrtime.bigint() - start) / count);
  }
  console.log(`${name.padEnd(44)} ${median(rounds).toFixed(2).padStart(7)} ns/op`);
}

const outDir = mkdtempSync(join(tmpdir(), 'fasterkv-bench-'));
try {
  transpileTree(outDir);
  const load = (path) => import(pathToFileURL(join(outDir, path)).href);
  const { LightEpoch } = await load('src/epoch/light-epoch.js');
  const { HybridLog } = await load('src/log/hybrid-log.js');
  const { jsBinding } = await load('src/fallback/index.js');

  console.log(`node ${process.version}, ${ops} ops per round, ${new Date().toISOString()}`);
  const words = new Int32Array(new SharedArrayBuffer(64));
  time('Atomics.add on Int32 (baseline)', (n) => {
    for (let i = 0; i < n; i++) Atomics.add(words, 0, 1);
  }, ops);

  const epoch = new LightEpoch();
  epoch.acquire();
  time('protect() + unprotect()', (n) => {
    for (let i = 0; i < n; i++) {
      epoch.protect();
      epoch.unprotect();
    }
  }, ops);
  time('protect() + refresh() + unprotect()', (n) => {
    for (let i = 0; i < n; i++) {
      epoch.protect();
      epoch.refresh();
      epoch.unprotect();
    }
  }, ops);

  // Discards writes, so the figures are the allocator's own (flush I/O costs ~1.7 ms per
  // 4 MiB page on this machine's disk; add it per page turn for a real device).
  const nullDevice = () => ({
    name: 'null', sectorBytes: 512, segmentBytes: 1 << 30,
    writeSync() {}, write: async () => {}, readSync() {}, read: async () => {},
    syncSync() {}, sync: async () => {}, truncateUntilSegment() {},
    segmentRange: () => ({ start: 0, end: 0 }), sizeBytes: () => 0, stats: () => ({}),
    close() {},
  });
  const makeLog = () => {
    const logEpoch = new LightEpoch();
    logEpoch.acquire();
    const device = nullDevice();
    const log = new HybridLog({
      device, binding: jsBinding, epoch: logEpoch, pageBytes: 1 << 22, memoryBytes: 1 << 26,
    });
    return { log, logEpoch, device };
  };
  {
    const { log, logEpoch, device } = makeLog();
    logEpoch.protect();
    time('allocate(24..88), page turns included', (n) => {
      for (let i = 0; i < n; i++) log.allocate(24 + (i & 7) * 8);
    }, ops);
    logEpoch.unprotect();
    const s = log.stats();
    console.log(`  (${s.pageTurns} page turns, ${s.flushWrites} flush writes)`);
    device.close();
  }
  {
    const { log, logEpoch, device } = makeLog();
    const memory = new DataView(log.memory.buffer);
    time('protect + allocate + write 8 bytes + unprotect', (n) => {
      for (let i = 0; i < n; i++) {
        logEpoch.protect();
        const size = 24 + (i & 7) * 8;
        const address = log.allocate(size);
        memory.setUint32(log.physicalOffset(address), size, true);
        logEpoch.unprotect();
      }
    }, ops);
    device.close();
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
