/**
 * Where checkpoints live in a store's Storage, every name in one place (FASTER's checkpoint
 * naming scheme, digest §7.6), and what a checkpoint token is.
 *
 *   checkpoints/<token>/info.dat     metadata (checkpoint-metadata.ts), written last
 *   checkpoints/<token>/index.dat    hash-index image (index-dump.ts), full and index-only
 *   checkpoints/<token>/snapshot.N   snapshot device segments (snapshot-file.ts)
 *   checkpoints/<token>/delta.dat    incremental snapshot delta (delta-file.ts)
 *
 * A token is a generated RFC 4122 version-4 UUID in lowercase (FASTER's checkpoint GUID).
 * Tokens given by users are checked against that form before any name is built from them, so
 * a token can never name a file outside its checkpoint's directory.
 */
import { randomUUID } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { Storage } from '../storage/storage.js';

export const CHECKPOINTS_DIR = 'checkpoints';

const TOKEN_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function newToken(): string {
  return randomUUID();
}

export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_FORM.test(value);
}

/** Returns `value` if it is a token; else ERR_INVALID_ARGUMENT naming `argument`. */
export function checkToken(value: unknown, argument: string): string {
  if (!isToken(value)) {
    throw invalidArgument(argument, 'a checkpoint token (a lowercase version-4 UUID, as ' +
      'returned by checkpoint())', value);
  }
  return value;
}

export function checkpointDir(token: string): string {
  return `${CHECKPOINTS_DIR}/${token}`;
}

export function metadataName(token: string): string {
  return `${checkpointDir(token)}/info.dat`;
}

export function indexName(token: string): string {
  return `${checkpointDir(token)}/index.dat`;
}

/** Base name of the snapshot device; its segment files are `snapshot.N`. */
export function snapshotName(token: string): string {
  return `${checkpointDir(token)}/snapshot`;
}

export function deltaName(token: string): string {
  return `${checkpointDir(token)}/delta.dat`;
}

/** Every token with at least one file under `checkpoints/`, complete or not, sorted. */
export function listTokens(storage: Storage): string[] {
  const tokens = new Set<string>();
  for (const name of storage.list(`${CHECKPOINTS_DIR}/`)) {
    const token = name.split('/')[1];
    if (isToken(token)) tokens.add(token);
  }
  return [...tokens].sort();
}

/**
 * Every file of checkpoint `token`, metadata first: removing them in this order never leaves
 * a checkpoint that looks complete (has metadata) but lacks a file.
 */
export function filesOf(storage: Storage, token: string): string[] {
  const meta = metadataName(token);
  const names = storage.list(`${checkpointDir(token)}/`);
  return names.includes(meta) ? [meta, ...names.filter((n) => n !== meta)] : names;
}

/** The 16 bytes of a token. REQUIRES: isToken(token). */
export function tokenBytes(token: string): Uint8Array {
  return Uint8Array.from(Buffer.from(token.replaceAll('-', ''), 'hex'));
}

/** The token spelled by 16 bytes. */
export function tokenFromBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-` +
    hex.slice(20, 32);
}
