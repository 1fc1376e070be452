/**
 * Module hooks that let a worker_thread import the project's TypeScript sources directly:
 * a relative `./x.js` import from a .ts file resolves to `./x.ts` when that exists (the
 * sources use NodeNext `.js` suffixes), and .ts files are transpiled on load with the
 * project's own `typescript` (types are erased, not checked; `tsc --noEmit` checks them).
 * Registered by ts-worker-entry.mjs; see ts-worker.ts for why.
 *
 * Output is cached under node_modules/.cache/fasterkv-ts-worker/, keyed by a hash of the
 * source text, so `typescript` (slow to load) is imported only when a file has changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/fasterkv-ts-worker/',
  import.meta.url));
let typescript;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.endsWith('.ts') && specifier.startsWith('.') &&
      specifier.endsWith('.js')) {
    const candidate = new URL(specifier.slice(0, -3) + '.ts', parent);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const key = createHash('sha256').update(path).update('\0').update(source).digest('hex');
  const cached = `${cacheDir}${key}.mjs`;
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    const output = await transpile(path, source);
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(temp, output);
    await rename(temp, cached);
    return { format: 'module', source: output, shortCircuit: true };
  }
}

async function transpile(path, source) {
  typescript ??= (await import('typescript')).default;
  const ts = typescript;
  return ts.transpileModule(source, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
    },
  }).outputText;
}
