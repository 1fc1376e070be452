/**
 * `fasterkv checkpoints DIR` lists a store's checkpoints (newest first);
 * `fasterkv checkpoints remove DIR TOKEN` deletes one. Removal takes the directory's writer
 * lock, so it refuses (ERR_LOCKED) while a store has the directory open.
 */
import { CheckpointManager } from '../../checkpoint/checkpoint-manager.js';
import { checkToken } from '../../checkpoint/naming.js';
import { FasterError } from '../../errors.js';
import { selectBinding } from '../../native.js';
import { DirectoryStorage } from '../../storage/directory-storage.js';
import { inspectStore } from '../../tools/store-directory.js';
import { EXIT_OK, printJson, reportDamage } from '../output.js';
import { requireStoreDirectory } from './directory.js';

/** Lists the valid checkpoints; damaged ones make it exit 1 with one line on stderr. */
export function listCheckpointsCommand(dir: string, options: { json?: boolean }): number {
  requireStoreDirectory(dir);
  const { checkpoints, damagedCheckpoints } = inspectStore(dir, selectBinding('auto'));
  const damaged = (): number => (damagedCheckpoints.length === 0 ? EXIT_OK
    : reportDamage(`${dir}: ${damagedCheckpoints.length} damaged checkpoint(s): ` +
      damagedCheckpoints.map((d) => d.token).join(', ')));
  if (options.json === true) {
    printJson(checkpoints);
    return damaged();
  }
  for (const c of checkpoints) {
    const sessions = Object.entries(c.sessions).map(([id, s]) => `${id}@${s}`).join(' ');
    process.stdout.write(`${c.token}  v${c.version} ${c.type}${c.index ? '+index' : ''}  ` +
      `${c.createdAt}  ${sessions}\n`);
  }
  if (checkpoints.length === 0) process.stdout.write('no checkpoints\n');
  return damaged();
}

export function removeCheckpointCommand(dir: string, token: string,
  options: { json?: boolean }): number {
  requireStoreDirectory(dir);
  checkToken(token, 'TOKEN');
  const binding = selectBinding('auto');
  const storage = new DirectoryStorage(dir, binding, { create: false });
  try {
    const release = storage.lock();
    try {
      const manager = new CheckpointManager(storage, (d, s) => binding.crc32c(d, s), 0);
      const { good, damaged, incomplete } = manager.scan();
      const known = good.some((m) => m.token === token) || incomplete.includes(token) ||
        damaged.some((d) => d.token === token);
      if (!known) {
        throw new FasterError('ERR_UNKNOWN_CHECKPOINT', `${dir} has no checkpoint ${token}`);
      }
      manager.remove(token);
    } finally {
      release();
    }
  } finally {
    storage.close();
  }
  if (options.json === true) printJson({ removed: token });
  else process.stdout.write(`removed checkpoint ${token}\n`);
  return EXIT_OK;
}
