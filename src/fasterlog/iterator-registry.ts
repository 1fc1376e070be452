/**
 * Named (persisted) iterators: FASTER's named scans. Each name has a completed-until address
 * that `iterator.completeUntil(address)` raises; every commit snapshots all of them into its
 * commit record, so after a restart `scan({ name })` resumes at the last committed position.
 * Only completeUntil positions persist (as in FASTER): an iterator's read position does not.
 *
 * `version` changes whenever a position or the set of names changes, so the committer knows a
 * commit is needed even when no entry was enqueued. At most one open iterator per name.
 * Thread rules: the log's JS thread.
 */
import { invalidArgument } from '../errors.js';
import { commitRecordLength, MAX_ITERATOR_NAME_BYTES, MAX_ITERATORS } from './commit-metadata.js';

export interface NamedIteratorInfo {
  readonly name: string;
  /** Position to resume from: everything below was consumed (completeUntil). */
  readonly completedUntilAddress: number;
  /** The position the last durable commit holds. */
  readonly committedAddress: number | undefined;
  /** Whether an iterator with this name is open now. */
  readonly open: boolean;
}

const encoder = new TextEncoder();

export class IteratorRegistry {
  version = 0;
  private readonly positions = new Map<string, number>();
  private committed: ReadonlyMap<string, number> = new Map();
  private readonly openNames = new Set<string>();
  private lastSnapshot: ReadonlyMap<string, number> = new Map();
  private snapshotVersion = -1;

  /**
   * Starts from the positions a recovered commit holds. `recordRoom`: bytes a commit record
   * may take (it must fit in a page), which bounds the names.
   */
  constructor(recovered: ReadonlyMap<string, number>, private readonly recordRoom: number) {
    for (const [name, address] of recovered) this.positions.set(name, address);
    this.committed = new Map(recovered);
  }

  /** Validates a name given by a user. */
  static checkName(name: unknown): string {
    if (typeof name !== 'string' || name === '' ||
        encoder.encode(name).length > MAX_ITERATOR_NAME_BYTES) {
      throw invalidArgument('name', `a non-empty string of at most ${MAX_ITERATOR_NAME_BYTES} ` +
        'UTF-8 bytes', name);
    }
    return name;
  }

  /** Opens `name`: returns where it resumes (undefined for a new name). */
  open(name: string): number | undefined {
    if (this.openNames.has(name)) {
      throw invalidArgument('name', 'the name of no other open iterator', name);
    }
    if (!this.positions.has(name)) {
      const grown = new Map(this.positions).set(name, 0);
      if (this.positions.size >= MAX_ITERATORS ||
          commitRecordLength(grown, undefined) > this.recordRoom) {
        throw invalidArgument('name', `one of at most ${MAX_ITERATORS} named iterators whose ` +
          'names fit in a commit record within a page (remove one with removeIterator)', name);
      }
    }
    this.openNames.add(name);
    return this.positions.get(name);
  }

  close(name: string): void {
    this.openNames.delete(name);
  }

  /** Raises the position of `name` (creating it); lower addresses are ignored. */
  complete(name: string, address: number): void {
    const current = this.positions.get(name);
    if (current !== undefined && current >= address) return;
    this.positions.set(name, address);
    this.version++;
  }

  /** Forgets `name`; the next commit drops it. Returns whether it existed. */
  remove(name: string): boolean {
    if (this.openNames.has(name)) {
      throw invalidArgument('name', 'the name of an iterator that is not open', name);
    }
    if (!this.positions.delete(name)) return false;
    this.version++;
    return true;
  }

  /** Raises every position below `beginAddress` to it (the entries below are gone). */
  clampTo(beginAddress: number): void {
    for (const [name, address] of this.positions) {
      if (address >= beginAddress) continue;
      this.positions.set(name, beginAddress);
      this.version++;
    }
  }

  /** The lowest position, or undefined without named iterators. */
  lowest(): number | undefined {
    let low: number | undefined;
    for (const address of this.positions.values()) {
      if (low === undefined || address < low) low = address;
    }
    return low;
  }

  /** The positions now; the same map until something changes (commits snapshot it often). */
  snapshot(): ReadonlyMap<string, number> {
    if (this.snapshotVersion !== this.version) {
      this.lastSnapshot = new Map(this.positions);
      this.snapshotVersion = this.version;
    }
    return this.lastSnapshot;
  }

  /**
   * A commit holding `positions` is durable. Kept by reference: commits hold snapshots, which
   * are never changed once taken (a change makes a new one).
   */
  committedAs(positions: ReadonlyMap<string, number>): void {
    this.committed = positions;
  }

  list(): NamedIteratorInfo[] {
    return [...this.positions].map(([name, address]) => ({
      name, completedUntilAddress: address, committedAddress: this.committed.get(name),
      open: this.openNames.has(name),
    })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
