/** Public entry point: re-exports only. */
export { FasterError } from './errors.js';
export type { FasterErrorCode, FasterErrorDetails } from './errors.js';
export { engineStatus } from './native.js';
export type { EngineName, EngineOption, EngineStatus } from './native.js';
export type { Device, DeviceStats } from './device/device.js';
export { FileDevice } from './device/file-device.js';
export type { FileDeviceOptions } from './device/file-device.js';
export { MemoryDevice } from './device/memory-device.js';
export type { MemoryDeviceOptions } from './device/memory-device.js';
export type { Storage, StorageDeviceOptions } from './storage/storage.js';
export { DirectoryStorage } from './storage/directory-storage.js';
export type { DirectoryStorageOptions } from './storage/directory-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
