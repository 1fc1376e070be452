/**
 * A fresh temporary directory per test, removed when the test finishes (pass or fail).
 * Call `tempDir()` inside a test; `parent` picks the file system (default os.tmpdir(); e.g.
 * '/dev/shm' for tmpfs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export function tempDir(parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'fasterkv-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
