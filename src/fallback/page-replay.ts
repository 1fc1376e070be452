/**
 * Twin of native/core/page_replay.cc: recovery's replay of one log page image into the hash
 * index in one call (NativeBinding.indexReplayPage). native/core/page_replay.h has the walk,
 * its checks and the index steps; src/recovery/log-replay.ts is the reference both follow.
 * Same index calls in the same order, same page bytes written, same result encoding.
 */
import { invalidArgument } from '../errors.js';
import {
  NEEDS_MEMORY as INDEX_NEEDS_MEMORY, NEEDS_SPLIT as INDEX_NEEDS_SPLIT,
} from '../index/index-header.js';
import { IndexMemory } from '../index/index-memory.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { ReplayAddresses } from '../native.js';
import {
  HI_IN_NEW_VERSION, HI_SEALED, HI_VALID, previousAddressOf,
} from '../record/record-info.js';
import {
  OFFSET_CRC, OFFSET_KEY_BYTES, OFFSET_VALUE_CAPACITY, RECORD_HEADER_BYTES, readU32,
  recordChecksum, writeU32,
} from '../record/record-layout.js';
import { checkBytes, checkOffset } from './args.js';
import {
  casEntryAddressIn, checkArena, clearIfAddressIn, findOrCreateTagIn,
} from './hash-index.js';
import { keyHashAt } from './key-hash.js';

/** Walk ends, as encoded in the result (offset * 16 + how * 2 + changed). */
const DONE = 0;
const STOPPED = 1;
const NEEDS_SPLIT = 2;
const NEEDS_MEMORY = 3;
const CORRUPT = 4;

/** The arena of the last call: a recovery replays every page into one index. */
let memoryOfLastCall: IndexMemory | undefined;

export function indexReplayPage(memory: Uint8Array, page: Uint8Array, pageStart: number,
  from: number, to: number, addresses: ReplayAddresses): number {
  checkBytes('memory', memory);
  checkBytes('page', page);
  checkOffset('pageStart', pageStart);
  checkOffset('from', from);
  checkOffset('to', to);
  checkAddresses(addresses);
  const buffer = checkArena(memory);
  if (to > page.length) throw invalidArgument('to', "at most the page's length", to);
  if (memoryOfLastCall?.buffer !== buffer) memoryOfLastCall = new IndexMemory(buffer);
  return replay(memoryOfLastCall, page, pageStart, from, to, addresses);
}

function checkAddresses(addresses: ReplayAddresses): void {
  if (addresses === null || typeof addresses !== 'object') {
    throw invalidArgument('addresses', 'an object { recoverFrom, startAddress, beginAddress }',
      addresses);
  }
  checkOffset('recoverFrom', addresses.recoverFrom);
  checkOffset('startAddress', addresses.startAddress);
  checkOffset('beginAddress', addresses.beginAddress);
}

function replay(m: IndexMemory, page: Uint8Array, pageStart: number, from: number, to: number,
  addresses: ReplayAddresses): number {
  const { recoverFrom, startAddress, beginAddress } = addresses;
  let off = Math.max(from, FIRST_VALID_ADDRESS - pageStart);
  let changed = 0;
  while (off < to) {
    if (to - off < 8) return off * 16 + STOPPED * 2 + changed;
    const lo = readU32(page, off);
    const hi = readU32(page, off + 4);
    if (lo === 0 && hi === 0) {
      const padding = to === page.length && allZero(page, off, to);
      return off * 16 + (padding ? DONE : STOPPED) * 2 + changed;
    }
    if (to - off < RECORD_HEADER_BYTES) return off * 16 + STOPPED * 2 + changed;
    const keyBytes = readU32(page, off + OFFSET_KEY_BYTES);
    // align8 without record-layout's 32-bit wrap: a wrapped length is the reference's to judge.
    const size = RECORD_HEADER_BYTES + Math.ceil(keyBytes / 8) * 8 +
      readU32(page, off + OFFSET_VALUE_CAPACITY);
    if (size > to - off || recordChecksum(page, off, size) !== readU32(page, off + OFFSET_CRC)) {
      return off * 16 + STOPPED * 2 + changed;
    }
    if ((hi & HI_VALID) !== 0) {
      const address = pageStart + off;
      const keyAt = off + RECORD_HEADER_BYTES;
      const slot = findOrCreateTagIn(m, keyHashAt(page, keyAt, keyAt + keyBytes), beginAddress);
      if (slot < 0) return off * 16 + indexOutcome(slot) * 2 + changed;
      if ((hi & HI_IN_NEW_VERSION) !== 0 && address >= startAddress) {
        writeU32(page, off + 4, (hi & ~HI_VALID) | HI_SEALED);
        changed = 1;
        const previous = previousAddressOf(lo, hi);
        if (previous < recoverFrom) setEntry(m, slot, previous);
      } else {
        if ((hi & HI_SEALED) !== 0) {
          writeU32(page, off + 4, hi & ~HI_SEALED);
          changed = 1;
        }
        setEntry(m, slot, address);
      }
    }
    off += size;
  }
  return off * 16 + DONE * 2 + changed;
}

function allZero(page: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (page[i] !== 0) return false;
  return true;
}

/** Points `slot` at `address` as log-replay.ts's setEntry does. */
function setEntry(m: IndexMemory, slot: number, address: number): void {
  const current = m.loadEntryAddress(slot);
  if (address < FIRST_VALID_ADDRESS) {
    clearIfAddressIn(m, slot, current);
  } else if (current !== address) {
    casEntryAddressIn(m, slot, current, address);
  }
}

function indexOutcome(result: number): number {
  if (result === INDEX_NEEDS_SPLIT) return NEEDS_SPLIT;
  return result === INDEX_NEEDS_MEMORY ? NEEDS_MEMORY : CORRUPT;
}
