/**
 * The pure-TypeScript twin of the native addon: the same `NativeBinding`, the same results and
 * the same on-disk bytes. Used when the addon is absent, or on request (`engine: 'js'`).
 */
import type { NativeBinding } from '../native.js';
import { checkAlignment, checkBytes, checkUint32 } from './args.js';
import { crc32c } from './crc32c.js';
import * as fileIo from './file-io.js';
import {
  indexAttach, indexCasEntryAddress, indexClearIfAddress, indexDetach, indexFindOrCreateTag,
  indexFindTag, indexLayout, indexReadEntry,
} from './hash-index.js';
import { keyHash } from './key-hash.js';
import { pageChecksums } from './page-checksums.js';
import { indexReplayPage } from './page-replay.js';

export const jsBinding: NativeBinding = {
  engine: 'js',
  sourceHash: 'js',
  crc32cHardware: false,
  crc32c(data, crc) {
    checkBytes('data', data);
    checkUint32('crc', crc);
    return crc32c(data, crc);
  },
  keyHash(key) {
    checkBytes('key', key);
    return keyHash(key);
  },
  pageChecksums,
  ...fileIo,
  alignmentOffset(view, alignment) {
    checkBytes('view', view);
    checkAlignment(alignment);
    return 0;
  },
  indexAttach,
  indexDetach,
  indexFindTag,
  indexFindOrCreateTag,
  indexReadEntry,
  indexCasEntryAddress,
  indexClearIfAddress,
  indexLayout,
  indexReplayPage,
};
