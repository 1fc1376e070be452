/**
 * Little-endian byte writing and reading for the checkpoint formats. Integers that may exceed
 * 32 bits (addresses, serials, versions) are 8-byte fields holding an integer below 2^53.
 * The reader never reads past its bytes: a short or inconsistent file is ERR_CORRUPTION
 * naming the file and the offset where the read failed.
 */
import { corruption } from '../errors.js';

export class ByteWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** An integer in [0, 2^53) as 8 bytes. */
  u64(value: number): this {
    this.reserve(8);
    this.view.setUint32(this.length, value % 4294967296, true);
    this.view.setUint32(this.length + 4, Math.floor(value / 4294967296), true);
    this.length += 8;
    return this;
  }

  raw(data: Uint8Array): this {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** A UTF-8 string of at most 65535 bytes, after its u32 byte length. */
  string(text: string): this {
    const data = Buffer.from(text, 'utf8');
    return this.u32(data.length).raw(data);
  }

  /** Overwrites the u32 at `offset` (a field reserved earlier). */
  patchU32(offset: number, value: number): void {
    this.view.setUint32(offset, value, true);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly path: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.offset, true);
    const hi = this.view.getUint32(this.offset + 4, true);
    if (hi >= 2 ** 21) throw corruption(this.path, this.offset, 'integer field above 2^53');
    this.offset += 8;
    return hi * 4294967296 + lo;
  }

  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  string(maxBytes: number): string {
    const at = this.offset;
    const n = this.u32();
    if (n > maxBytes) throw corruption(this.path, at, `string of ${n} bytes (at most ${maxBytes})`);
    return Buffer.from(this.raw(n)).toString('utf8');
  }

  /** A count of items of at least `itemBytes` each, checked against the bytes left. */
  count(itemBytes: number): number {
    const at = this.offset;
    const n = this.u32();
    if (n * itemBytes > this.remaining) {
      throw corruption(this.path, at, `count ${n} larger than the rest of the file`);
    }
    return n;
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw corruption(this.path, this.offset, `file ends ${this.offset + n - this.bytes.length}` +
        ' bytes early');
    }
  }
}
