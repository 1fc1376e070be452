/**
 * Geometry and argument checks shared by every Device: option validation at the edge, the
 * per-call address/length checks, and the errors every implementation raises the same way.
 * The checks allocate only when they fail, so the I/O paths stay allocation-free.
 */
import { FasterError, invalidArgument } from '../errors.js';
import type { DeviceStats } from './device.js';

/** Device addresses are logical log addresses: 48 bits. Reads and writes end at or below it. */
export const DEVICE_ADDRESS_LIMIT = 2 ** 48;
export const DEFAULT_SECTOR_BYTES = 4096;
export const MIN_SECTOR_BYTES = 512;
export const MAX_SECTOR_BYTES = 65536;
/** Largest segment: 1 TiB (FASTER's default is 1 GiB). */
export const MAX_SEGMENT_BYTES = 2 ** 40;

/** What the checks need to know about a device. */
export interface DeviceGeometry {
  readonly name: string;
  readonly sectorBytes: number;
  readonly segmentBytes: number;
}

/** Validates `sectorBytes` (default 4096): a power of two in [512, 65536]. */
export function validateSectorBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_SECTOR_BYTES;
  if (!isPowerOfTwo(value) || value < MIN_SECTOR_BYTES || value > MAX_SECTOR_BYTES) {
    throw invalidArgument('sectorBytes', 'a power of two from 512 to 65536', value);
  }
  return value;
}

/** Validates `segmentBytes`: a power of two from `sectorBytes` to 2^40. */
export function validateSegmentBytes(value: unknown, sectorBytes: number): number {
  if (!isPowerOfTwo(value) || value < sectorBytes || value > MAX_SEGMENT_BYTES) {
    throw invalidArgument('segmentBytes',
      `a power of two from sectorBytes (${sectorBytes}) to 2^40`, value);
  }
  return value;
}

/** Validates a boolean option, `fallback` when absent. */
export function validateFlag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(name, 'a boolean', value);
  return value;
}

/**
 * Checks a read or write of `length` bytes at `address`: both sector multiples, the address a
 * non-negative integer, the end within the 48-bit address space. ERR_INVALID_ARGUMENT names
 * the device and the address.
 */
export function checkAccess(
  device: DeviceGeometry, op: 'read' | 'write', address: number, length: number,
): void {
  const sector = device.sectorBytes;
  if (Number.isInteger(address) && address >= 0 && address % sector === 0 &&
      length % sector === 0 && address + length <= DEVICE_ADDRESS_LIMIT) {
    return;
  }
  if (!Number.isInteger(address) || address < 0 || address % sector !== 0) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `device ${device.name}: ${op} address must ` +
      `be a non-negative integer multiple of sectorBytes (${sector}); got ${address}`);
  }
  if (length % sector !== 0) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `device ${device.name}: ${op} length at ` +
      `address ${address} must be a multiple of sectorBytes (${sector}); got ${length}`);
  }
  throw new FasterError('ERR_INVALID_ARGUMENT', `device ${device.name}: ${op} of ${length} ` +
    `bytes at address ${address} ends past the address space limit 2^48`);
}

/** Checks the argument of `truncateUntilSegment`. */
export function checkSegment(device: DeviceGeometry, segment: number): void {
  if (!Number.isInteger(segment) || segment < 0 ||
      segment > DEVICE_ADDRESS_LIMIT / device.segmentBytes) {
    throw new FasterError('ERR_INVALID_ARGUMENT', `device ${device.name}: segment must be an ` +
      `integer from 0 to ${DEVICE_ADDRESS_LIMIT / device.segmentBytes}; got ${segment}`);
  }
}

export function closedError(device: DeviceGeometry): FasterError {
  return new FasterError('ERR_CLOSED', `device ${device.name} is closed`);
}

/**
 * The refusal of a change to a read-only device: ERR_IO EROFS, as the OS reports a write to a
 * read-only file system, so callers handle both the same way.
 */
export function readOnlyError(
  device: DeviceGeometry, syscall: string, address: number | undefined,
): FasterError {
  const at = address === undefined ? '' : ` at address ${address}`;
  return new FasterError('ERR_IO',
    `${syscall} ${device.name}${at} refused: EROFS (the device was opened readOnly)`,
    { errno: 'EROFS', syscall, path: device.name, ...(address === undefined ? {} : {
      offset: address }) });
}

/** The segment-file name of `segment`: `${name}.${segment}`. */
export function segmentFileName(baseName: string, segment: number): string {
  return `${baseName}.${segment}`;
}

/**
 * The segment number when `fileName` is `${baseName}.${n}` (n decimal, no leading zeros),
 * else undefined.
 */
export function parseSegmentFileName(baseName: string, fileName: string): number | undefined {
  if (fileName.length <= baseName.length + 1 || !fileName.startsWith(baseName) ||
      fileName.charCodeAt(baseName.length) !== 0x2e) {
    return undefined;
  }
  const digits = fileName.slice(baseName.length + 1);
  if (!/^(0|[1-9][0-9]{0,14})$/.test(digits)) return undefined;
  return Number(digits);
}

function isPowerOfTwo(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 &&
    value === 2 ** Math.round(Math.log2(value));
}

/** The I/O counters every device reports in `stats()`: plain increments, off any record path. */
export class DeviceCounters {
  reads = 0;
  writes = 0;
  syncs = 0;
  bytesRead = 0;
  bytesWritten = 0;

  /** Counts one completed read, write or sync of `bytes`. */
  count(kind: 'read' | 'write' | 'sync', bytes: number): void {
    if (kind === 'read') {
      this.reads++;
      this.bytesRead += bytes;
    } else if (kind === 'write') {
      this.writes++;
      this.bytesWritten += bytes;
    } else {
      this.syncs++;
    }
  }

  snapshot(): Pick<DeviceStats, 'reads' | 'writes' | 'syncs' | 'bytesRead' | 'bytesWritten'> {
    const { reads, writes, syncs, bytesRead, bytesWritten } = this;
    return { reads, writes, syncs, bytesRead, bytesWritten };
  }
}
