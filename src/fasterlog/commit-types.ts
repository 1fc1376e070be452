/**
 * The shapes the committer (committer.ts) works with: what a caller asks for, what waits for
 * a commit, a commit in flight, and what the committer needs from the rest of the log.
 */
import type { FasterError } from '../errors.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { CommitRecord } from './commit-metadata.js';
import type { CommitState } from './commit-state.js';
import type { CommitStore, RingWrite } from './commit-store.js';
import type { IteratorRegistry } from './iterator-registry.js';
import type { LogAppender } from './log-appender.js';

export interface CommitRequest {
  /** Bytes recovered with this commit (`recoveryReport.cookie`). */
  cookie?: Uint8Array;
  /** This commit's number: larger than any before it (FASTER's proposed commit number). */
  commitNumber?: number;
}

export interface Caller {
  readonly resolve: (committedUntil: number) => void;
  readonly reject: (error: FasterError) => void;
}

export interface Pending {
  readonly request: CommitRequest | undefined;
  readonly callers: Caller[];
}

export interface Flight {
  readonly record: CommitRecord;
  readonly ring: RingWrite | undefined;
  readonly callers: Caller[];
  /** Durable appends waiting for this commit when it was issued. */
  readonly appends: number;
  done: boolean;
  error: FasterError | undefined;
}

/** The committer's view of the rest of the log. */
export interface CommitterParts {
  readonly log: HybridLog;
  readonly appender: LogAppender;
  readonly store: CommitStore;
  readonly iterators: IteratorRegistry;
  readonly fastCommit: boolean;
  readonly depth: number;
  readonly writerNonce: number;
  /** Runs before a commit is issued (writes the writer's anchor the first time). */
  readonly beforeIssue: () => void;
  /** Runs once a commit's sync is under way (formats the device ahead of the tail). */
  readonly afterIssue: () => void;
  /**
   * Fast-commit mode: whether this commit must also reach the metadata ring before it counts
   * as done (it moves the begin address past a segment, which may then be deleted).
   */
  readonly needsMetadata: (record: CommitRecord) => boolean;
  /** Runs after each durable commit, in order; `inMetadata`: its ring record is durable. */
  readonly onCommitted: (record: CommitRecord, inMetadata: boolean) => void;
  /** Where durable commits are published for other threads. */
  readonly state: CommitState;
}

/** Where the chain stands after recovery (the anchor record). */
export interface ChainStart {
  readonly record: CommitRecord;
  readonly checksum: number;
}
