/**
 * In-process crashes of a FasterLog on a FaultStorage: each "process" opens the log through
 * its own ProcessStorage handle; a crash kills the handle (the dead log can never touch the
 * disk again) and either cuts power (unsynced writes lost, the last one maybe torn) or keeps
 * what the OS already had (a process crash: every completed write survives).
 */
import { RING_BYTES } from '../../src/fasterlog/commit-store.js';
import { FasterLog, type FasterLogOptions } from '../../src/index.js';
import type { FaultStorage } from '../../src/storage/fault-storage.js';
import { ProcessStorage } from './process-storage.js';

export class LogProcess {
  readonly handle: ProcessStorage;
  log!: FasterLog;

  private constructor(readonly storage: FaultStorage) {
    this.handle = new ProcessStorage(storage);
  }

  static async open(storage: FaultStorage, options: FasterLogOptions): Promise<LogProcess> {
    const process = new LogProcess(storage);
    process.log = await FasterLog.open({ ...options, storage: process.handle });
    return process;
  }

  /** Power failure: what no completed sync covered is lost (the last write maybe torn). */
  powerCut(seed: number, tear = true): void {
    this.storage.powerCut({ tear, seed });
    this.handle.kill();
  }

  /** The process dies; the machine keeps every completed write (and releases the lock). */
  kill(): void {
    this.handle.kill();
    const sizes: Array<[string, number]> = [
      ['fasterlog.log', this.log.segmentBytes], ['fasterlog.commits', RING_BYTES]];
    for (const [name, segmentBytes] of sizes) {
      const device = this.storage.openDevice(name, { segmentBytes });
      device.syncSync();
      device.close();
    }
    this.storage.powerCut({ tear: false });
  }
}
