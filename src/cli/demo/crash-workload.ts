/**
 * What the demo's writer process and the parent that recovers after killing it agree on:
 * the sessions, the store's geometry, and the keys (`<session>/<serial>` holds serial).
 */
export const SESSIONS = 3;
export const CRASH_STORE = { pageBytes: 64 << 10, memoryBytes: 1 << 20, indexBuckets: 1 << 14 };

export function crashKey(session: string, serial: number): Buffer {
  return Buffer.from(`${session}/${serial}`);
}
