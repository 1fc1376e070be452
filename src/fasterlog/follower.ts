/**
 * LogFollower: the state of a read-only FasterLog that follows another process's writes
 * (FASTER's RecoverReadOnly). It never writes and takes no lock.
 *
 * `refresh()` looks for commits made since the last look: a newer metadata record (read
 * from the window of the ring where the writer puts its next record), then commit records in
 * the log after the chain's tip, exactly as recovery does. A newer ANCHOR record means the
 * writer reopened; the follower continues from it (even if it lies before the current tip:
 * the writer recovered to an older commit and the log after it is being rewritten).
 * The log device is reopened when the writer created or deleted segment files, since a
 * device learns its segment files when it opens.
 *
 * What a follower sees: commits as the writer makes them. In fast-commit mode it may see a
 * commit a few microseconds before the writer's fdatasync completes; a power failure in that
 * window can make the writer recover without it.
 * Thread rules: the log's JS thread; refresh is synchronous.
 */
import type { Device } from '../device/device.js';
import type { NativeBinding } from '../native.js';
import type { Storage } from '../storage/storage.js';
import type { CommitStore } from './commit-store.js';
import { EntryReads } from './entry-read.js';
import { LOG_DEVICE_NAME } from './layout.js';
import { DeviceSource, type PageImage, type PageSource } from './page-source.js';
import { EntryReader, type ChainTip } from './recovery.js';

export class LogFollower implements PageSource {
  tip: ChainTip;
  reads: EntryReads;
  device: Device;
  private source: DeviceSource;
  private reader: EntryReader;
  private sequence: number;
  private segmentNames: string;

  constructor(
    private readonly storage: Storage,
    private readonly binding: NativeBinding,
    private readonly store: CommitStore,
    private readonly pageBytes: number,
    private readonly segmentBytes: number,
    start: { tip: ChainTip; sequence: number; device: Device },
  ) {
    this.tip = start.tip;
    this.sequence = start.sequence;
    this.device = start.device;
    this.segmentNames = this.listSegments();
    this.source = new DeviceSource(this.device, pageBytes);
    this.reader = new EntryReader({ binding, device: this.device, pageBytes });
    this.reads = new EntryReads(binding, this.device, pageBytes, undefined);
  }

  get beginAddress(): number {
    return this.tip.record.beginAddress;
  }

  get committedUntilAddress(): number {
    return this.tip.record.untilAddress;
  }

  /** Picks up the writer's new commits; returns whether the commit point moved. */
  refresh(): boolean {
    const before = this.tip;
    this.reopenIfSegmentsChanged();
    const newest = this.store.readNewest(this.sequence);
    if (newest !== undefined) {
      this.sequence = newest.sequence;
      if (newest.commit.anchor || newest.commit.untilAddress > this.tip.record.untilAddress) {
        this.tip = { record: newest.commit, checksum: newest.commit.checksum };
      }
    }
    this.reader.forget();
    this.tip = this.reader.followChain(this.tip, undefined).tip;
    return this.tip !== before;
  }

  loadSync(image: PageImage, page: number, from: number, to: number): void {
    this.source.loadSync(image, page, from, to);
  }

  load(image: PageImage, page: number, from: number, to: number): Promise<void> {
    return this.source.load(image, page, from, to);
  }

  close(): void {
    this.device.close();
    this.store.close();
  }

  private listSegments(): string {
    return this.storage.list(`${LOG_DEVICE_NAME}.`).join('\n');
  }

  private reopenIfSegmentsChanged(): void {
    const names = this.listSegments();
    if (names === this.segmentNames) return;
    this.segmentNames = names;
    this.device.close();
    this.device = this.storage.openDevice(LOG_DEVICE_NAME, {
      segmentBytes: this.segmentBytes, readOnly: true,
    });
    this.source = new DeviceSource(this.device, this.pageBytes);
    this.reader = new EntryReader({ binding: this.binding, device: this.device,
      pageBytes: this.pageBytes });
    this.reads = new EntryReads(this.binding, this.device, this.pageBytes, undefined);
  }
}
