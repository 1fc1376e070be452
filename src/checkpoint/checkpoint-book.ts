/**
 * CheckpointBook: what a checkpoint cycle carries over to the next one — the next sequence
 * number, the index checkpoint a log-only checkpoint pairs with, and the snapshot chain an
 * incremental snapshot extends — in one SharedArrayBuffer, so a checkpoint driven from any
 * thread of a store continues where the last one (on whatever thread) left off.
 *
 * Layout: Float64 [0] nextSequence [1] paired start [2] paired final [3] paired bytes
 * [4] chain length (0: no chain; else 1 + deltas); then token strings of TOKEN_BYTES ASCII
 * each: the paired index token (empty: none), the chain's base, its deltas.
 * Thread rules: written only by the thread holding the state machine's active flag.
 */
import { assert } from '../errors.js';
import { MAX_DELTAS, type SnapshotChain } from './incremental.js';

/** The index checkpoint a log-only checkpoint pairs with. */
export interface PairedIndex {
  readonly token: string;
  readonly start: number;
  readonly final: number;
  readonly bytes: number;
}

const TOKEN_BYTES = 40;
const F_SEQUENCE = 0;
const F_START = 1;
const F_FINAL = 2;
const F_BYTES = 3;
const F_CHAIN = 4;
const HEADER_BYTES = 40;
const PAIRED_TOKEN = 0;
const CHAIN_TOKENS = 1;
const BYTES = HEADER_BYTES + (2 + MAX_DELTAS) * TOKEN_BYTES;

export class CheckpointBook {
  readonly buffer: SharedArrayBuffer;
  private readonly f64: Float64Array;
  private readonly text: Uint8Array;

  /** A fresh book, or (with `buffer`) a view over another thread's. */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    assert(this.buffer.byteLength === BYTES, 'CheckpointBook: wrong buffer size');
    this.f64 = new Float64Array(this.buffer, 0, HEADER_BYTES / 8);
    this.text = new Uint8Array(this.buffer, HEADER_BYTES);
  }

  get nextSequence(): number {
    return this.f64[F_SEQUENCE]!;
  }

  set nextSequence(n: number) {
    this.f64[F_SEQUENCE] = n;
  }

  get pairedIndex(): PairedIndex | undefined {
    const token = this.token(PAIRED_TOKEN);
    if (token === '') return undefined;
    const f = this.f64;
    return { token, start: f[F_START]!, final: f[F_FINAL]!, bytes: f[F_BYTES]! };
  }

  set pairedIndex(p: PairedIndex | undefined) {
    this.setToken(PAIRED_TOKEN, p?.token ?? '');
    this.f64[F_START] = p?.start ?? 0;
    this.f64[F_FINAL] = p?.final ?? 0;
    this.f64[F_BYTES] = p?.bytes ?? 0;
  }

  get snapshotChain(): SnapshotChain | undefined {
    const n = this.f64[F_CHAIN]!;
    if (n === 0) return undefined;
    const deltaTokens: string[] = [];
    for (let i = 1; i < n; i++) deltaTokens.push(this.token(CHAIN_TOKENS + i));
    return { baseToken: this.token(CHAIN_TOKENS), deltaTokens };
  }

  set snapshotChain(chain: SnapshotChain | undefined) {
    if (chain === undefined) {
      this.f64[F_CHAIN] = 0;
      return;
    }
    assert(chain.deltaTokens.length <= MAX_DELTAS, 'snapshot chain too long');
    this.setToken(CHAIN_TOKENS, chain.baseToken);
    chain.deltaTokens.forEach((t, i) => this.setToken(CHAIN_TOKENS + 1 + i, t));
    this.f64[F_CHAIN] = 1 + chain.deltaTokens.length;
  }

  private token(at: number): string {
    const start = at * TOKEN_BYTES;
    const n = this.text[start]!;
    return String.fromCharCode(...this.text.subarray(start + 1, start + 1 + n));
  }

  private setToken(at: number, token: string): void {
    assert(token.length < TOKEN_BYTES, 'checkpoint token too long');
    const start = at * TOKEN_BYTES;
    this.text[start] = token.length;
    for (let i = 0; i < token.length; i++) this.text[start + 1 + i] = token.charCodeAt(i);
  }
}
