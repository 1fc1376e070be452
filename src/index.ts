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
export { FasterKV } from './store/faster-kv.js';
export type { FasterKVOptions } from './store/options.js';
export { Session } from './store/session.js';
export type { FasterKVStats, IndexStats } from './store/stats.js';
export type {
  LogRecord, RecordIterable, ScanRange, ScanRecord,
} from './store/iteration.js';
export type { CompactOptions, CompactionResult } from './store/compaction.js';
export { codecs } from './codec/codecs.js';
export type { Codec } from './codec/codecs.js';
export { rmwFunctions } from './store/rmw-functions.js';
export type { RmwFunctions } from './store/rmw-functions.js';
export { FasterLog } from './fasterlog/faster-log.js';
export type { CloseOptions, FasterLogStats } from './fasterlog/faster-log.js';
export type { FasterLogOptions, RetentionOptions } from './fasterlog/options.js';
export type { CommitPolicyOption } from './fasterlog/commit-policy.js';
export type { CommitRequest } from './fasterlog/commit-types.js';
export type { FasterLogIterator, LogEntry, ScanOptions } from './fasterlog/log-iterator.js';
export type { NamedIteratorInfo } from './fasterlog/iterator-registry.js';
export type { FasterLogRecoveryReport } from './fasterlog/recovery.js';
