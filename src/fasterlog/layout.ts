/**
 * What a FasterLog directory holds (through a Storage):
 *   LOCK                   the writer lock (storage/directory-lock.ts); followers take none
 *   fasterlog.log.<n>      log segment n: log addresses [n, n + 1) x segmentBytes, entries
 *                          in the format of log-entry.ts, pages back to back
 *   fasterlog.commits.0    the commit-metadata ring (commit-store.ts)
 */
export const LOG_DEVICE_NAME = 'fasterlog.log';
export { COMMIT_DEVICE_NAME } from './commit-store.js';
