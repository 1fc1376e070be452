import { describe, expect, it } from 'vitest';
import { DeltaWriter, decodeDelta } from '../../../src/checkpoint/delta-file.js';
import { newToken } from '../../../src/checkpoint/naming.js';
import { crc32c } from '../../../src/fallback/crc32c.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 4096;

function recrc(bytes: Uint8Array): void {
  const crc = crc32c(bytes.subarray(20), crc32c(bytes.subarray(0, 16), 0)) >>> 0;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(16, crc, true);
}

describe('delta file', () => {
  it('decodes every entry the writer took, in order, by address and record bytes', () => {
    const prng = seededPrng();
    const token = newToken();
    const writer = new DeltaWriter(token, 2 * PAGE, 40 * PAGE);
    const written: { address: number; record: Uint8Array }[] = [];
    for (let page = 2; page < 40; page++) {
      for (let off = 0; off + 64 <= PAGE; off += 8 * (4 + prng.int(40))) {
        const record = prng.fill(new Uint8Array(8 * (1 + prng.int(8))));
        if (off + record.length > PAGE) break;
        const address = page * PAGE + off;
        if (prng.int(2)) writer.add(address, record);
        else writer.reserve(address, record.length).set(record);
        written.push({ address, record });
      }
    }
    const bytes = writer.finish((d, s) => crc32c(d, s)).slice();
    const delta = decodeDelta(bytes, 'delta.dat', token, PAGE, (d, s) => crc32c(d, s));
    expect(delta.count).toBe(written.length);
    written.forEach((w, i) => {
      expect(delta.addresses[i]).toBe(w.address);
      const at = delta.recordAt[i]!;
      expect(Buffer.from(bytes.subarray(at, at + delta.lengths[i]!))
        .equals(Buffer.from(w.record))).toBe(true);
    });
  });

  it('reports ERR_CORRUPTION, without a huge allocation, for a count beyond its bytes', () => {
    const token = newToken();
    const writer = new DeltaWriter(token, 0, PAGE);
    writer.add(64, new Uint8Array(24).fill(1));
    const bytes = writer.finish((d, s) => crc32c(d, s)).slice();
    new DataView(bytes.buffer).setUint32(20, 0xffffffff, true);
    recrc(bytes);
    expect(() => decodeDelta(bytes, 'delta.dat', token, PAGE, (d, s) => crc32c(d, s)))
      .toThrow(expect.objectContaining({ code: 'ERR_CORRUPTION' }));
  });
});
