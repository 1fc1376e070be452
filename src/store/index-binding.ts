/**
 * The binding a store hands its hash index: the engine's own, except that the index calls run
 * in TypeScript on both engines. A store operation makes one to three index calls, each a
 * single probe of one bucket chain; an N-API call costs more than the probe (native findTag
 * measured ~117 ns per call against ~65 ns in TypeScript, readEntry ~70 ns against ~15 ns,
 * scripts/bench/store-op-micro.mjs), so the native index does not pay one probe per call.
 * Both engines implement the same protocol on the same shared arena (src/index), so this
 * changes no format and no result; the native engine keeps its file I/O and CRC32C, where one
 * call does a lot of work. The same reasoning keeps the key hash in TypeScript.
 */
import * as jsIndex from '../fallback/hash-index.js';
import type { NativeBinding } from '../native.js';

export function storeIndexBinding(binding: NativeBinding): NativeBinding {
  if (binding.engine === 'js') return binding;
  return {
    ...binding,
    indexAttach: jsIndex.indexAttach,
    indexDetach: jsIndex.indexDetach,
    indexFindTag: jsIndex.indexFindTag,
    indexFindOrCreateTag: jsIndex.indexFindOrCreateTag,
    indexReadEntry: jsIndex.indexReadEntry,
    indexCasEntryAddress: jsIndex.indexCasEntryAddress,
    indexClearIfAddress: jsIndex.indexClearIfAddress,
  };
}
