/**
 * The demo's crash phase: start a writer process (crash-writer.ts), let it write and
 * checkpoint, kill it with SIGKILL mid-load, recover the store, and show each session's CPR
 * point: every key up to it is read back, and none after it exists.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineName } from '../../native.js';
import { FasterKV } from '../../store/faster-kv.js';
import { CRASH_STORE, crashKey, SESSIONS } from './crash-workload.js';

export interface CrashResult {
  readonly engine: EngineName;
  readonly ranMs: number;
  readonly recoverMs: number;
  readonly checkpoint: string;
  readonly sessions: { id: string; cprPoint: number; verified: number; afterMissing: boolean }[];
}

const WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

/** Runs the writer until it is ready, lets it go on for `runMs`, then kills it. */
async function runAndKill(dir: string, engine: EngineName, runMs: number): Promise<number> {
  const child = spawn(process.execPath, [WRITER, dir, engine], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited (${code}) before the kill: ` +
      stderr.trim())));
  });
  await new Promise((r) => setTimeout(r, runMs));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return Date.now() - started;
}

export async function crashPhase(dir: string, engine: EngineName, runMs: number,
  progress: (text: string) => void): Promise<CrashResult> {
  progress('writer running');
  const ranMs = await runAndKill(dir, engine, runMs);
  progress('recovering');
  const t0 = performance.now();
  const kv = await FasterKV.open({ dir, engine, ...CRASH_STORE });
  const recoverMs = performance.now() - t0;
  try {
    const info = kv.recoveredFrom;
    if (info === undefined) throw new Error('no checkpoint was recovered');
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) {
      const session = kv.resumeSession(`writer-${i}`);
      const point = session.recoveredSerial;
      progress(`verifying session ${session.id} up to ${point}`);
      for (let n = 1; n <= point; n++) {
        const v = session.read(crashKey(session.id, n));
        if (v === undefined || Buffer.from(v).readDoubleLE(0) !== n) {
          throw new Error(`session ${session.id}: operation ${n} <= CPR point ${point} is lost`);
        }
      }
      const afterMissing = session.read(crashKey(session.id, point + 1)) === undefined;
      sessions.push({ id: session.id, cprPoint: point, verified: point, afterMissing });
    }
    return { engine, ranMs, recoverMs, checkpoint: info.token, sessions };
  } finally {
    await kv.close();
  }
}
