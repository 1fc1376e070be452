/**
 * Verifying a range of a FasterKV hybrid log on its device: page by page, every record's
 * CRC32C and length fields. A problem names the segment file and the offset in it.
 */
import type { Device } from '../device/device.js';
import { OFFSET_CRC, readU32, recordChecksum } from '../record/record-layout.js';
import { walkPageRecords } from '../record/record-walk.js';

export interface Problem {
  /** The damaged file (a path or a storage-relative name). */
  readonly file: string;
  /** Byte offset in that file. */
  readonly offset: number;
  readonly message: string;
}

export interface LogVerification {
  readonly problems: Problem[];
  readonly records: number;
  readonly bytes: number;
}

/** Stops collecting after this many problems: a wholly damaged log would flood the report. */
const MAX_PROBLEMS = 100;

export function verifyLogRange(device: Device, pageBytes: number, from: number, to: number,
  crc: (d: Uint8Array, s: number) => number,
  progress: (done: number, total: number) => void): LogVerification {
  const problems: Problem[] = [];
  const page = new Uint8Array(pageBytes);
  const crcRange = (d: Uint8Array, s: number, e: number, seed: number): number =>
    crc(d.subarray(s, e), seed);
  let records = 0;
  const firstPage = Math.floor(from / pageBytes);
  for (let p = firstPage; p * pageBytes < to && problems.length < MAX_PROBLEMS; p++) {
    const pageStart = p * pageBytes;
    device.readSync(page, pageStart);
    const start = Math.max(from - pageStart, 0);
    const end = Math.min(to - pageStart, pageBytes);
    const walk = walkPageRecords(page, pageStart, start, end, (off, size) => {
      records++;
      if (recordChecksum(page, off, size, crcRange) !== readU32(page, off + OFFSET_CRC)) {
        problems.push(at(device, pageStart + off, 'record checksum mismatch'));
      }
    });
    if (walk.how === 'bad-length') {
      problems.push(at(device, pageStart + walk.offset, 'record length fields leave the page'));
    }
    progress(Math.min(to, pageStart + pageBytes) - from, to - from);
  }
  return { problems, records, bytes: Math.max(0, to - from) };
}

function at(device: Device, address: number, message: string): Problem {
  const segment = Math.floor(address / device.segmentBytes);
  return { file: `${device.name}.${segment}`, offset: address % device.segmentBytes,
    message: `${message} (log address ${address})` };
}
