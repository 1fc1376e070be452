/**
 * Tagged entries for fasterlog-threads tests: entry i of worker w starts with u32 w, u32 i,
 * then bytes derived from both, so any copy says whose it is and can be checked byte for byte.
 */
export function tagged(worker: number, index: number, length: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(8, length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, worker, true);
  view.setUint32(4, index, true);
  for (let b = 8; b < bytes.length; b++) bytes[b] = (worker * 31 + index * 7 + b) & 0xff;
  return bytes;
}

/** Whose entry `bytes` is, or a description of the damage. */
export function untag(bytes: Uint8Array): { worker: number; index: number } | string {
  if (bytes.length < 8) return `an entry of ${bytes.length} bytes`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const worker = view.getUint32(0, true);
  const index = view.getUint32(4, true);
  for (let b = 8; b < bytes.length; b++) {
    if (bytes[b] !== ((worker * 31 + index * 7 + b) & 0xff)) {
      return `entry ${index} of worker ${worker} is damaged at byte ${b}`;
    }
  }
  return { worker, index };
}
