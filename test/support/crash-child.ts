/**
 * Child processes that run TypeScript test modules (through ts-child-entry.mjs) and are killed
 * with SIGKILL, as a crash test needs: `runUntilKilled` starts one, waits until it prints
 * READY, lets it run `runMs` more milliseconds and kills it, and resolves with everything the
 * child printed (a child reports what it did on stdout). A child that exits on its own is a
 * test failure carrying its stderr.
 */
import { spawn } from 'node:child_process';

const entry = new URL('./ts-child-entry.mjs', import.meta.url);
const READY_TIMEOUT_MS = 30_000;

export async function runUntilKilled(module: URL, args: string[], runMs: number):
  Promise<string> {
  const child = spawn(process.execPath, [entry.pathname, module.href, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY\n')) resolve();
    });
    const timer = setTimeout(() => reject(new Error(`child never became ready within ` +
      `${READY_TIMEOUT_MS} ms; stdout:\n` +
      `${out.slice(-2000)}\nstderr:\n${stderr.slice(-4000)}`)), READY_TIMEOUT_MS);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`child exited early (code ${code}, signal ${signal}):\n${stderr}`));
    });
    child.stdout.once('data', () => undefined);
  });
  try {
    await ready;
    await new Promise((resolve) => setTimeout(resolve, runMs));
  } finally {
    child.kill('SIGKILL');
  }
  const { signal } = await exited;
  if (signal !== 'SIGKILL') throw new Error(`child was not killed but exited:\n${stderr}`);
  return out;
}
