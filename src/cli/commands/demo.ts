/**
 * The main job (`npm start`). For now: a smoke run of the foundation on the default data
 * directory, for every engine that can run here: write a stream of checksummed pages through a
 * file device, sync, read them back and verify every checksum, then time 4 KiB write + sync
 * round trips and CRC32C throughput. It grows into the store demo as the store lands.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FileDevice } from '../../device/file-device.js';
import { FasterError } from '../../errors.js';
import { availableEngines, selectBinding, type EngineName, type NativeBinding } from '../../native.js';
import { benchEnvironment, formatEnvironment } from '../../bench/environment.js';
import { nowNs, summarizeLatency } from '../../bench/stats.js';

const MiB = 1 << 20;
const PAGE = MiB;
const PAGES = 256;
/** Pages with distinct contents, written round-robin, so a misplaced page is detected. */
const DISTINCT_PAGES = 7;

export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' } } });
  const dir = resolve(values.dir ?? '.fasterkv-data');
  console.log(formatEnvironment(benchEnvironment()));
  console.log(`data     ${dir}\n`);
  for (const engine of availableEngines()) {
    const engineDir = join(dir, `demo-${engine}`);
    mkdirSync(engineDir, { recursive: true });
    await demoEngine(engine, selectBinding(engine), engineDir);
  }
}

async function demoEngine(engine: EngineName, binding: NativeBinding, dir: string): Promise<void> {
  const device = new FileDevice({ binding, dir, baseName: 'demo.log', segmentBytes: 64 * MiB });
  try {
    const page = alignedPage(binding);
    const sources = Array.from({ length: DISTINCT_PAGES }, (_, i) => {
      const src = alignedPage(binding);
      fillPage(src, i);
      return src;
    });
    const crcs = new Uint32Array(PAGES);
    const t0 = nowNs();
    for (let p = 0; p < PAGES; p++) {
      const src = sources[p % DISTINCT_PAGES]!;
      crcs[p] = binding.crc32c(src, 0);
      device.writeSync(src, p * PAGE);
      if (p % 32 === 31) progress(engine, `writing ${p + 1}/${PAGES} MiB`);
    }
    device.syncSync();
    const writeSeconds = (nowNs() - t0) / 1e9;
    const t1 = nowNs();
    for (let p = 0; p < PAGES; p++) {
      await device.read(page, p * PAGE);
      if (binding.crc32c(page, 0) !== crcs[p]) {
        throw new FasterError('ERR_CORRUPTION', `page ${p} read back with a different checksum`);
      }
    }
    const readSeconds = (nowNs() - t1) / 1e9;
    const lat = syncLatency(device, binding, PAGES * PAGE);
    const crcRate = crcThroughput(binding, page);
    const mode = device.stats().direct ? 'O_DIRECT' : 'buffered';
    progress(engine, '');
    console.log(`${engine.padEnd(7)} ${mode.padEnd(9)} write ${mbps(PAGES * PAGE, writeSeconds)} ` +
      `read+verify ${mbps(PAGES * PAGE, readSeconds)}  4K write+sync p50 ${lat.p50Us.toFixed(0)} µs ` +
      `p99 ${lat.p99Us.toFixed(0)} µs  crc32c ${(crcRate / 1e9).toFixed(2)} GB/s  ` +
      `${PAGES} pages verified`);
    device.truncateUntilSegment(device.segmentRange().end);
  } finally {
    device.close();
  }
}

function alignedPage(binding: NativeBinding): Uint8Array {
  const raw = new Uint8Array(PAGE + 4096);
  return raw.subarray(binding.alignmentOffset(raw, 4096)).subarray(0, PAGE);
}

function fillPage(page: Uint8Array, seed: number): void {
  let x = (seed + 1) * 0x9e3779b1;
  for (let i = 0; i < page.length; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    page[i] = x; page[i + 1] = x >>> 8; page[i + 2] = x >>> 16; page[i + 3] = x >>> 24;
  }
}

function syncLatency(device: FileDevice, binding: NativeBinding, base: number) {
  const buf = alignedPage(binding).subarray(0, 4096);
  const samples = new Float64Array(300);
  for (let i = 0; i < samples.length; i++) {
    const t = nowNs();
    device.writeSync(buf, base + i * 4096);
    device.syncSync();
    samples[i] = nowNs() - t;
  }
  return summarizeLatency(samples);
}

function crcThroughput(binding: NativeBinding, page: Uint8Array): number {
  const t = nowNs();
  let crc = 0;
  for (let i = 0; i < 64; i++) crc = binding.crc32c(page, crc);
  return (64 * page.length) / ((nowNs() - t) / 1e9);
}

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / 1e6 / seconds).toFixed(0).padStart(5)} MB/s`;
}

function progress(engine: string, text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r${engine}: ${text}`.padEnd(60) + '\r');
}
