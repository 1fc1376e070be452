/**
 * Worker threads cannot import the TypeScript sources that vitest runs directly. A test that
 * starts workers calls `compileForWorkers([...sources])`: each source (a repository path such
 * as 'src/epoch/light-epoch.ts') is transpiled with TypeScript's transpileModule into a
 * temporary directory that mirrors the repository layout, so relative `.js` imports resolve
 * between the compiled files. The worker itself is a small `.mjs` file under test/support that
 * imports the compiled module named in its workerData (`compiledUrl(dir, source)`). List every
 * source the imported module reaches. The directory is removed when the test file finishes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Transpiles `sources` (repository-relative .ts paths); returns the output directory. */
export function compileForWorkers(sources: string[]): string {
  const outDir = mkdtempSync(join(tmpdir(), 'fasterkv-workers-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  for (const source of sources) {
    const text = readFileSync(join(repoRoot, source), 'utf8');
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: source,
    });
    const target = join(outDir, source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  return outDir;
}

/** file: URL of the compiled form of `source` inside `outDir`. */
export function compiledUrl(outDir: string, source: string): string {
  return pathToFileURL(join(outDir, source.replace(/\.ts$/, '.js'))).href;
}

/** file: URL of a worker script under test/support. */
export function supportWorkerUrl(name: string): URL {
  return new URL(`./${name}`, import.meta.url);
}
