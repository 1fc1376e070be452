/** Public entry point: re-exports only. */
export { FasterError } from './errors.js';
export type { FasterErrorCode, FasterErrorDetails } from './errors.js';
export { engineStatus } from './native.js';
export type { EngineName, EngineOption, EngineStatus } from './native.js';
