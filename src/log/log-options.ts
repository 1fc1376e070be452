/**
 * Options of a HybridLog, the handle another thread attaches with, and their validation.
 */
import type { Device } from '../device/device.js';
import type { LightEpoch } from '../epoch/light-epoch.js';
import { FasterError, invalidArgument } from '../errors.js';
import type { NativeBinding } from '../native.js';
import type { PageFramesHandle } from './page-frames.js';

export interface HybridLogOptions {
  device: Device;
  binding: NativeBinding;
  /** This thread's view of the store's epoch; acquired before allocating or shifting. */
  epoch: LightEpoch;
  pageBytes: number;
  /** Bytes of page frames: frameCount = floor(memoryBytes / pageBytes), at least 2. */
  memoryBytes: number;
  /** Share of the in-memory pages that stay mutable; default 0.9 (FasterLog uses 0). */
  mutableFraction?: number;
  /** First epoch action kind of the three this log uses; default 1. */
  actionKindBase?: number;
  /** Memory alignment of frames; default max(4096, device.sectorBytes). */
  frameAlignment?: number;
  /**
   * Write a page as soon as a page turn makes it read-only (default true). False leaves the
   * writes to whoever needs them: a flush up to an address, or an allocation that needs the
   * frame (FasterLog: commits write what they cover, and a full buffer is backpressure).
   */
  eagerFlush?: boolean;
  /**
   * Zero a frame when its page is closed, so every page starts zeroed (default true). False
   * is for a user that writes every byte it allocates and never relies on zeros past the
   * tail (FasterLog pads explicitly and zeroes what it writes past its tail itself).
   */
  zeroClosedFrames?: boolean;
}

/** Everything another thread needs to attach; structured-cloneable. */
export interface HybridLogHandle {
  readonly state: SharedArrayBuffer;
  readonly frames: PageFramesHandle;
  readonly pageBytes: number;
  readonly mutableFraction: number;
  readonly actionKindBase: number;
  readonly eagerFlush?: boolean;
  readonly zeroClosedFrames?: boolean;
}

export interface HybridLogAttachOptions {
  device: Device;
  binding: NativeBinding;
  epoch: LightEpoch;
}

export function checkFraction(value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalidArgument('mutableFraction', 'a number from 0 to 1', value);
  }
  return value;
}

/**
 * Frames for memoryBytes. Also bounds the page size so the tail word's 32-bit offset cannot
 * overflow: each thread adds at most one record past a full page before seeing the overflow.
 */
export function checkFrames(memoryBytes: number, pageBytes: number, maxThreads: number): number {
  const frameCount = Math.floor(memoryBytes / pageBytes);
  if (!Number.isSafeInteger(memoryBytes) || frameCount < 2) {
    throw invalidArgument('memoryBytes', `at least two pages (${2 * pageBytes})`, memoryBytes);
  }
  if ((maxThreads + 2) * pageBytes >= 2 ** 32) {
    throw invalidArgument('pageBytes', `below ${2 ** 32 / (maxThreads + 2)} for an epoch ` +
      `of ${maxThreads} threads`, pageBytes);
  }
  return frameCount;
}

/** The error for an allocation of `size` bytes that is not an integer in [1, pageBytes]. */
export function recordSizeError(size: number, pageBytes: number): FasterError {
  if (typeof size === 'number' && Number.isInteger(size) && size > pageBytes) {
    return new FasterError('ERR_RECORD_TOO_LARGE',
      `a record of ${size} bytes does not fit on a ${pageBytes}-byte page`);
  }
  return invalidArgument('size', `an integer from 1 to ${pageBytes}`, size);
}
