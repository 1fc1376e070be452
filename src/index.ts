/** Public entry point: re-exports only. */
export { FasterError } from './errors.js';
export type { FasterErrorCode, FasterErrorDetails } from './errors.js';
export type { EngineName, EngineOption } from './native.js';
