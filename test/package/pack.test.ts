/**
 * The package as users get it: `npm pack`, installed into an empty project, imported from there.
 * Runs the installs for real (npm and the registry's cache), so it takes tens of seconds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
let work: string;
let tarball: string;

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync('npm', args, {
    cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000,
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** An empty ESM project with the tarball installed. */
function installInto(name: string, tgz: string, env: NodeJS.ProcessEnv = {}): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tgz], dir, env);
  return dir;
}

/** Imports fasterkv inside `dir` and returns what engineStatus() says, plus a 'native' probe. */
function probe(dir: string): { available: string[]; auto: string; nativeCode: string } {
  const script = `
    import { engineStatus, FasterError } from 'fasterkv';
    const s = engineStatus();
    let nativeCode = 'ok';
    process.env.FASTERKV_ENGINE = 'native';
    try { engineStatus(); } catch (e) { nativeCode = e instanceof FasterError ? e.code : 'other'; }
    console.log(JSON.stringify({ available: s.available, auto: s.auto, nativeCode }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, FASTERKV_ENGINE: '' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ReturnType<typeof probe>;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fasterkv-pack-'));
  npm(['pack', '--pack-destination', work], root);
  const name = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (name === undefined) throw new Error('npm pack produced no tarball');
  tarball = join(work, name);
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('installs into an empty project and runs on the prebuilt native addon', () => {
    const dir = installInto('with-prebuild', tarball);
    expect(probe(dir)).toEqual({ available: ['native', 'js'], auto: 'native', nativeCode: 'ok' });
  }, 240_000);

  it('falls back to the pure-TypeScript engine when the addon cannot be loaded', () => {
    const dir = installInto('addon-unloadable', tarball);
    rmSync(join(dir, 'node_modules', 'fasterkv', 'prebuilds'), { recursive: true, force: true });
    rmSync(join(dir, 'node_modules', 'fasterkv', 'build'), { recursive: true, force: true });
    expect(probe(dir)).toEqual({
      available: ['js'], auto: 'js', nativeCode: 'ERR_NATIVE_UNAVAILABLE',
    });
  }, 240_000);

  it('still installs when no prebuild matches and the compiler is missing', () => {
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
    const bare = join(work, 'no-prebuild.tgz');
    execFileSync('tar', ['czf', bare, '-C', unpacked, 'package']);
    const dir = installInto('no-compiler', bare, { CC: '/bin/false', CXX: '/bin/false' });
    expect(probe(dir)).toEqual({
      available: ['js'], auto: 'js', nativeCode: 'ERR_NATIVE_UNAVAILABLE',
    });
  }, 240_000);
});
