/**
 * LogFormatter: writes zeros to the log device just ahead of the tail, so that commits
 * overwrite blocks the file system has already allocated.
 *
 * Why: an fdatasync after a write that allocates blocks (a file that grows, or fallocate's
 * unwritten extents) must also commit the file system's journal; after an overwrite of
 * written blocks it only flushes data. On ext4 that halves the sync of a small commit on a
 * quiet disk, and under metadata load from other processes it is the difference between
 * tens of microseconds and milliseconds (journal commits queue behind everyone else's).
 *
 * How: after a commit is issued (its fdatasync running on the I/O pool), if less than
 * `aheadBytes / 2` is formatted past the tail, one chunk of zeros (1 MiB, or less for small
 * segments: many small commits' worth) is written synchronously at the formatted frontier,
 * which then advances. Synchronous on the JS thread, so a zero write can never race with a
 * data write: it completes before any later write is issued, and it only covers sectors at
 * or past the tail's sector end, where no entry has been written.
 *
 * Chunks are large because each allocates blocks: until the journal commit of that
 * allocation completes, any fdatasync of the same file waits for it, so one commit per chunk
 * pays a journal commit (measured: 1-4 MiB chunks keep that out of p90). A sync is started
 * right after each chunk, so that journal commit starts at once rather than inside some later
 * commit's fdatasync. Large commits simply overtake the frontier (it then restarts at the
 * tail): formatting only pays for small ones. The log's files grow up to `aheadBytes` past
 * the tail (at most 1/16 of a segment).
 * Thread rules: the log's JS thread.
 */
import type { Device } from '../device/device.js';
import type { NativeBinding } from '../native.js';

const MAX_CHUNK_BYTES = 1024 * 1024;
const ALIGNMENT = 4096;

export class LogFormatter {
  /** Device bytes below this (and at or past the tail's sector end) hold written zeros. */
  private formattedUntil = 0;
  /** How far ahead to keep formatted: the option, at most 1/16 of a segment; 0: off. */
  private readonly aheadBytes: number;
  private readonly zeros: Uint8Array;

  constructor(binding: NativeBinding, private readonly device: Device, aheadOption: number) {
    const sector = device.sectorBytes;
    const ahead = Math.min(aheadOption, device.segmentBytes / 16);
    this.aheadBytes = ahead >= 2 * sector ? ahead - (ahead % sector) : 0;
    const chunk = Math.max(sector, Math.min(MAX_CHUNK_BYTES, this.aheadBytes / 2));
    const raw = new Uint8Array(chunk - (chunk % sector) + ALIGNMENT);
    const skip = binding.alignmentOffset(raw, ALIGNMENT);
    this.zeros = raw.subarray(skip, skip + chunk - (chunk % sector));
  }

  /** Formats one more chunk ahead of `tailAddress` if the frontier is getting close. */
  afterCommitIssued(tailAddress: number): void {
    if (this.aheadBytes === 0) return;
    const sector = this.device.sectorBytes;
    const start = Math.ceil(tailAddress / sector) * sector;
    if (this.formattedUntil < start) this.formattedUntil = start;
    if (this.formattedUntil - start >= this.aheadBytes / 2) return;
    try {
      this.device.writeSync(this.zeros, this.formattedUntil);
      this.formattedUntil += this.zeros.length;
    } catch {
      // Formatting only saves time; a full or failing disk shows up in the next commit.
      this.formattedUntil = Infinity;
      return;
    }
    this.device.sync().catch(() => undefined);
  }
}
