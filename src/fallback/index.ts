/**
 * The pure-TypeScript twin of the native addon: the same `NativeBinding`, the same results and
 * the same on-disk bytes. Used when the addon is absent, or on request (`engine: 'js'`).
 */
import type { NativeBinding } from '../native.js';
import { crc32c } from './crc32c.js';
import * as fileIo from './file-io.js';
import * as hashIndex from './hash-index.js';
import { keyHash } from './key-hash.js';

export const jsBinding: NativeBinding = {
  engine: 'js',
  sourceHash: 'js',
  crc32cHardware: false,
  crc32c: (data, crc) => crc32c(data, crc),
  keyHash,
  ...fileIo,
  alignmentOffset: () => 0,
  ...hashIndex,
};
