/**
 * Restoring a hybrid log over a device that already holds [beginAddress, tailAddress): what
 * recovery (FasterKV checkpoints, FasterLog commits) does before appending again, as in
 * FASTER's recovery: BeginAddress = begin; everything below the tail counts as flushed and
 * read-only; HeadAddress is the start of the tail page (or begin, if higher), and that page's
 * bytes below the tail are read back into its frame so appends continue in place.
 *
 * Bytes at and after the tail in the tail page's last sector are zeroed in the frame: on the
 * device they may be left over from a longer log or a torn write, and scanners rely on zero
 * padding. REQUIRES: a fresh log (nothing allocated) and no other thread attached yet.
 */
import { assert, invalidArgument } from '../errors.js';
import { FIRST_VALID_ADDRESS } from './address.js';
import type { HybridLog } from './hybrid-log.js';
import {
  W_BEGIN, W_CLOSED_UNTIL, W_FLUSHED_UNTIL, W_HEAD, W_PERSISTED_BEGIN, W_READ_ONLY,
  W_SAFE_HEAD, W_SAFE_READ_ONLY,
} from './log-state.js';

export function restoreLog(log: HybridLog, beginAddress: number, tailAddress: number): void {
  if (!(Number.isSafeInteger(beginAddress) && beginAddress >= FIRST_VALID_ADDRESS)) {
    throw invalidArgument('beginAddress', `an integer >= ${FIRST_VALID_ADDRESS}`, beginAddress);
  }
  if (!(Number.isSafeInteger(tailAddress) && tailAddress >= beginAddress &&
      tailAddress <= log.geometry.maxAddress)) {
    throw invalidArgument('tailAddress', `an integer from beginAddress (${beginAddress}) ` +
      `to ${log.geometry.maxAddress}`, tailAddress);
  }
  assert(log.tailAddress === FIRST_VALID_ADDRESS, 'restoreLog on a log that was appended to');
  const { state, geometry, frames } = log;
  const page = geometry.pageOf(tailAddress);
  const offset = geometry.offsetOf(tailAddress);
  const head = Math.max(beginAddress, geometry.pageStart(page));
  const slot = page % log.frameCount;
  state.slotPage.fill(-1);
  if (offset > 0) {
    const end = geometry.sectorCeil(offset);
    log.device.readSync(frames.view(slot, 0, end), geometry.pageStart(page));
    frames.bytes.fill(0, frames.slotOffset(slot) + offset, frames.slotOffset(slot) + end);
  }
  Atomics.store(state.slotPage, slot, page);
  Atomics.store(state.flushedOffset, slot, offset);
  Atomics.store(state.requestedOffset, slot, offset);
  for (const word of [W_READ_ONLY, W_SAFE_READ_ONLY, W_FLUSHED_UNTIL]) {
    state.store(word, tailAddress);
  }
  for (const word of [W_HEAD, W_SAFE_HEAD, W_CLOSED_UNTIL]) state.store(word, head);
  state.store(W_BEGIN, beginAddress);
  state.store(W_PERSISTED_BEGIN, beginAddress);
  state.storeTail(page, offset);
}
