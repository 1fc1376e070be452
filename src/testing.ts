/**
 * `fasterkv/testing`: tools for testing code built on fasterkv — a device and a storage that
 * model durability, power cuts (with torn writes) and injected I/O errors. Re-exports only.
 */
export { FaultDevice } from './device/fault-device.js';
export type { FaultDeviceOptions } from './device/fault-device.js';
export type {
  FailNextRule, FaultOp, FaultPredicate, FaultTarget,
} from './device/fault-injector.js';
export type { PowerCutOptions, PowerCutReport, TornWrite } from './device/fault-medium.js';
export { FaultStorage } from './storage/fault-storage.js';
export type { FaultStorageOptions, StoragePowerCutReport } from './storage/fault-storage.js';
