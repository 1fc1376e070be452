/**
 * FaultInjector: decides which operations of a FaultDevice or FaultStorage fail, and builds the
 * ERR_IO they fail with — the same shape a FileDevice or DirectoryStorage raises for a real
 * OS refusal (errno, syscall, path, offset), so code under test cannot tell them apart.
 *
 * Two forms: `failNext({ op, errno, count })` fails the next `count` operations of a kind
 * (optionally only on paths that start with `pathPrefix`); `failWhen(predicate)` asks a
 * function on every operation (for example to make a whole directory read-only with EROFS).
 * Rules are checked when an operation is issued, in issue order, so a test is deterministic.
 * Thread rules: one thread.
 */
import { FasterError, invalidArgument } from '../errors.js';

/** Kinds of operations that can fail. Device: read/write/sync/truncate. Storage: the rest. */
export type FaultOp = 'read' | 'write' | 'sync' | 'truncate' | 'readFile' | 'writeFile' | 'remove';

const SYSCALLS: Record<FaultOp, string> = {
  read: 'pread', write: 'pwrite', sync: 'fdatasync', truncate: 'unlink',
  readFile: 'read', writeFile: 'open', remove: 'unlink',
};

/** What a predicate is told about an operation about to run. */
export interface FaultTarget {
  readonly op: FaultOp;
  /** Segment file (`${deviceName}.${segment}`) or storage file name. */
  readonly path: string;
  /** Offset in that file, for reads and writes. */
  readonly offset: number | undefined;
}

export interface FailNextRule {
  op: FaultOp;
  /** Symbolic errno to raise, e.g. 'EIO', 'ENOSPC', 'EROFS', 'EACCES'. */
  errno: string;
  /** How many operations fail; default 1; `Infinity` until cleared. */
  count?: number;
  /** Only operations whose path starts with this. */
  pathPrefix?: string;
}

/** Returns the errno to fail `target` with, or undefined to let it run. */
export type FaultPredicate = (target: FaultTarget) => string | undefined;

interface ArmedRule {
  readonly op: FaultOp;
  readonly errno: string;
  readonly pathPrefix: string | undefined;
  remaining: number;
}

export class FaultInjector {
  private rules: ArmedRule[] = [];
  private predicates: FaultPredicate[] = [];

  failNext(rule: FailNextRule): void {
    if (!(rule.op in SYSCALLS)) {
      throw invalidArgument('op', Object.keys(SYSCALLS).map((k) => `'${k}'`).join(', '), rule.op);
    }
    if (typeof rule.errno !== 'string' || !/^E[A-Z0-9]+$/.test(rule.errno)) {
      throw invalidArgument('errno', "a symbolic errno such as 'EIO'", rule.errno);
    }
    const count = rule.count ?? 1;
    if (!(count === Infinity || (Number.isInteger(count) && count > 0))) {
      throw invalidArgument('count', 'a positive integer or Infinity', count);
    }
    this.rules.push({ op: rule.op, errno: rule.errno, pathPrefix: rule.pathPrefix,
      remaining: count });
  }

  /** Adds a predicate; returns a function that removes it. */
  failWhen(predicate: FaultPredicate): () => void {
    this.predicates.push(predicate);
    return () => {
      this.predicates = this.predicates.filter((p) => p !== predicate);
    };
  }

  /** Disarms every rule and predicate. */
  clear(): void {
    this.rules = [];
    this.predicates = [];
  }

  /** The error `op` on `path` must fail with, consuming one count of a matching rule. */
  check(op: FaultOp, path: string, offset?: number): FasterError | undefined {
    if (this.rules.length === 0 && this.predicates.length === 0) return undefined;
    for (const rule of this.rules) {
      if (rule.op !== op || rule.remaining <= 0) continue;
      if (rule.pathPrefix !== undefined && !path.startsWith(rule.pathPrefix)) continue;
      rule.remaining--;
      if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
      return injectedError(op, rule.errno, path, offset);
    }
    for (const predicate of this.predicates) {
      const errno = predicate({ op, path, offset });
      if (errno !== undefined) return injectedError(op, errno, path, offset);
    }
    return undefined;
  }
}

function injectedError(
  op: FaultOp, errno: string, path: string, offset: number | undefined,
): FasterError {
  const syscall = SYSCALLS[op];
  const at = offset === undefined ? '' : ` at offset ${offset}`;
  return new FasterError('ERR_IO', `${syscall} ${path}${at} failed: ${errno} (injected fault)`,
    { errno, syscall, path, ...(offset === undefined ? {} : { offset }) });
}
