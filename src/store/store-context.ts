/**
 * StoreContext: one thread's view of a FasterKV store — the shared hash index, hybrid log and
 * epoch, the record memory over the log's frames, and scratch fields through which the
 * internal operations return results without allocating.
 *
 * Worker threads (store-shared.ts): `lockWord` is the store's shared LOCKING word once the
 * store can be shared, and `locks` this thread's record locks; operations take the locking
 * paths (locked-operations.ts) whenever the word is not 0.
 * Thread rules: one StoreContext per thread; its sessions use it from that thread only.
 */
import type { LightEpoch } from '../epoch/light-epoch.js';
import type { HashIndex } from '../index/hash-index.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { NativeBinding } from '../native.js';
import { DiskRecordReader } from './disk-records.js';
import type { RecordLocks } from './record-locks.js';
import { RecordMemory } from './record-memory.js';

export class StoreContext {
  readonly rec: RecordMemory;
  readonly disk: DiskRecordReader;
  readonly pageMask: number;

  /** Set by traceBackForKey: the matching address, or the first address below the bound. */
  foundAddress = 0;
  /** Physical offset of `foundAddress` when it matched. */
  foundOffset = 0;
  /** The index entry (chain head address) the last operation started from. */
  seenEntry = 0;
  /**
   * Page-level upkeep (index growth: index-growth.ts), run by appendRecord before allocating
   * when `upkeepDue` (set by this thread's last page turn or slow allocation), where the
   * operation finds its index slot again anyway. May refresh the epoch and move index slots.
   */
  maintenance: () => void = () => {};
  upkeepDue = false;
  /** Not 0 while operations must lock records (the shared LOCKING word; see the header). */
  lockWord: Int32Array = new Int32Array(1);
  /** This thread's record locks; set with lockWord. */
  locks: RecordLocks | undefined;
  /** A read that returned DONE under a shared lock: the record to unlock after decoding. */
  sharedLocked = -1;
  /**
   * Set by appendRecord when the exclusively locked source record was evicted during a slow
   * allocation: the caller must not unlock it (`unlockSource`, locked-operations.ts).
   */
  sourceEvicted = false;
  /** The CPR state words, and the word the running attempt acts in: a session sets it at the
   * start of every attempt; a caller without a session (compaction) sets it itself. A record
   * is appended only while the state word still equals it (operations.ts appendRecord), and
   * locked paths re-check it before acting while it is a PREPARE word (locked-operations.ts). */
  cprWords: Int32Array = new Int32Array(1);
  cprWord = 0;
  /** CRC32C of data[start, end) continuing from `seed`, on this store's engine. */
  readonly checksumRange: (data: Uint8Array, start: number, end: number, seed: number) => number;

  constructor(
    readonly binding: NativeBinding,
    readonly index: HashIndex,
    readonly log: HybridLog,
    readonly epoch: LightEpoch,
  ) {
    this.rec = new RecordMemory(log.memory);
    this.disk = new DiskRecordReader(log, binding);
    this.pageMask = log.pageBytes - 1;
    this.checksumRange = (data, start, end, seed) => binding.crc32c(data.subarray(start, end),
      seed);
  }

  /**
   * Walks the hash chain from `address` while it stays at or above `minAddress` (and in
   * memory), looking for `key`. True: foundAddress/foundOffset name the newest record of the
   * key. False: foundAddress is the first chain address below the bound (0 or 1 when the
   * chain ended). REQUIRES: protected.
   */
  traceBackForKey(key: Uint8Array, address: number, minAddress: number): boolean {
    const log = this.log;
    const rec = this.rec;
    const bound = Math.max(minAddress, log.headAddress, FIRST_VALID_ADDRESS);
    while (address >= bound) {
      const off = log.physicalOffset(address);
      if (rec.keyEquals(off, key)) {
        this.foundAddress = address;
        this.foundOffset = off;
        return true;
      }
      address = rec.previousAddress(off);
    }
    this.foundAddress = address;
    return false;
  }

  /** True when `address` may hold a record on the device (at or above BeginAddress). */
  onDevice(address: number): boolean {
    return address >= FIRST_VALID_ADDRESS && address >= this.log.beginAddress;
  }
}
