/**
 * Commit policies: when FasterLog starts a commit on its own.
 *
 *  - 'immediate' (default): every enqueue asks for a commit as soon as possible. The request
 *    runs in a microtask, so every entry enqueued in the same synchronous run (for example by
 *    many appenders woken by one commit) shares one commit; requests made while commits are
 *    in flight fold into the next one (group commit).
 *  - 'manual': only `commit()` commits (and `enqueueAndWaitForCommit`, which asks for one, so
 *    a durable append can never wait forever).
 *  - { groupMs, groupBytes }: a commit starts once `groupBytes` have been enqueued since the
 *    last commit started, or `groupMs` after the first entry it will cover, whichever comes
 *    first (groupMs defaults to 2, groupBytes to unbounded).
 *  - { intervalMs }: a commit every `intervalMs` while anything is uncommitted.
 * The scheduler only says "commit now"; the committer decides whether there is anything to
 * commit. Timers hold the process open only while something waits to be committed.
 * Thread rules: the log's JS thread.
 */
import { invalidArgument } from '../errors.js';

export type CommitPolicyOption =
  | 'immediate'
  | 'manual'
  | { groupMs?: number; groupBytes?: number }
  | { intervalMs: number };

export type CommitPolicy =
  | { readonly kind: 'immediate' }
  | { readonly kind: 'manual' }
  | { readonly kind: 'group'; readonly groupMs: number; readonly groupBytes: number }
  | { readonly kind: 'interval'; readonly intervalMs: number };

const DEFAULT_GROUP_MS = 2;
const ALLOWED = "'immediate', 'manual', { groupMs?, groupBytes? } or { intervalMs }";

export function parseCommitPolicy(value: CommitPolicyOption | undefined): CommitPolicy {
  if (value === undefined || value === 'immediate') return { kind: 'immediate' };
  if (value === 'manual') return { kind: 'manual' };
  if (value === null || typeof value !== 'object') throw invalidArgument('commit', ALLOWED, value);
  if ('intervalMs' in value) {
    return { kind: 'interval', intervalMs: positive('commit.intervalMs', value.intervalMs) };
  }
  const group = value as { groupMs?: number; groupBytes?: number };
  if (group.groupMs === undefined && group.groupBytes === undefined) {
    throw invalidArgument('commit', ALLOWED, value);
  }
  return {
    kind: 'group',
    groupMs: group.groupMs === undefined ? DEFAULT_GROUP_MS : positive('commit.groupMs',
      group.groupMs),
    groupBytes: group.groupBytes === undefined ? Infinity : positive('commit.groupBytes',
      group.groupBytes),
  };
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw invalidArgument(name, 'a finite number > 0', value);
  }
  return value;
}

/** What the scheduler drives. */
export interface CommitTarget {
  /** Starts a commit of everything enqueued, or folds the request into the next one. */
  commitNow(): void;
}

export class CommitScheduler {
  private microtaskQueued = false;
  private groupBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly runMicrotask = (): void => {
    this.microtaskQueued = false;
    this.target.commitNow();
  };
  private readonly runTimer = (): void => {
    if (this.policy.kind === 'group') this.timer = undefined;
    this.target.commitNow();
  };

  constructor(readonly policy: CommitPolicy, private readonly target: CommitTarget) {
    if (policy.kind === 'interval') {
      this.timer = setInterval(this.runTimer, policy.intervalMs);
      this.timer.unref();
    }
  }

  /** An entry of `bytes` was enqueued. Hot path: no allocation. */
  onEnqueue(bytes: number): void {
    const policy = this.policy;
    switch (policy.kind) {
      case 'immediate':
        this.soon();
        return;
      case 'group':
        this.groupBytes += bytes;
        if (this.groupBytes >= policy.groupBytes) this.soon();
        else this.timer ??= setTimeout(this.runTimer, policy.groupMs);
        return;
      case 'interval':
        this.timer?.ref();
        return;
      default:
    }
  }

  /** Someone waits for a commit that the policy would never start ('manual'). */
  onDurableWait(): void {
    if (this.policy.kind === 'manual') this.soon();
  }

  /** A commit started: it covers everything counted so far. */
  onCommitStarted(): void {
    if (this.policy.kind !== 'group') return;
    this.groupBytes = 0;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Everything enqueued is committed: nothing needs the process kept alive. */
  onIdle(): void {
    if (this.policy.kind === 'interval') this.timer?.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    if (this.policy.kind === 'interval') clearInterval(this.timer);
    else clearTimeout(this.timer);
    this.timer = undefined;
  }

  private soon(): void {
    if (this.microtaskQueued) return;
    this.microtaskQueued = true;
    queueMicrotask(this.runMicrotask);
  }
}
