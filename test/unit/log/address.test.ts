import { describe, expect, it } from 'vitest';
import { FIRST_VALID_ADDRESS, LogGeometry, MAX_ADDRESS } from '../../../src/log/address.js';

describe('LogGeometry', () => {
  it('splits addresses above 2^32 into page and offset exactly', () => {
    const geometry = new LogGeometry(1 << 22, 4096);
    const address = 5 * 2 ** 40 + 3 * (1 << 22) + 12345;
    expect(geometry.offsetOf(address)).toBe(12345);
    expect(geometry.pageOf(address)).toBe(5 * 2 ** 18 + 3);
    expect(geometry.pageStartOf(address)).toBe(address - 12345);
    expect(geometry.pageCeil(address)).toBe(address - 12345 + (1 << 22));
    expect(geometry.pageCeil(geometry.pageStart(7))).toBe(geometry.pageStart(7));
  });

  it('rounds to sectors in both directions', () => {
    const geometry = new LogGeometry(4096, 512);
    expect(geometry.sectorFloor(1000)).toBe(512);
    expect(geometry.sectorCeil(1000)).toBe(1024);
    expect(geometry.sectorCeil(1024)).toBe(1024);
  });

  it('keeps the first valid address at 64 and addresses within 48 bits', () => {
    expect(FIRST_VALID_ADDRESS).toBe(64);
    expect(new LogGeometry(1 << 22, 512).maxAddress).toBe(MAX_ADDRESS);
    expect(new LogGeometry(512, 512).maxAddress).toBe(2 ** 40);
  });

  it('refuses page sizes that are not powers of two in range, or below the sector size', () => {
    for (const pageBytes of [256, 1000, 2 ** 26]) {
      expect(() => new LogGeometry(pageBytes, 512)).toThrow(expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(() => new LogGeometry(1024, 4096)).toThrow(/sector/);
  });
});
