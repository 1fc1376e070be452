/** Every benchmark trial, in the order the default run executes them. */
import type { Trial } from '../trial.js';
import { checkpointTrials } from './checkpoint.js';
import { crc32cTrial, keyHashTrial } from './checksum.js';
import { deviceTrials } from './device.js';
import { fasterLogTrials } from './fasterlog.js';
import { ycsbDiskTrial } from './ycsb-disk.js';
import { threadsTrial } from './threads.js';
import { ycsbTrials } from './ycsb.js';

export const trials: readonly Trial[] = [
  crc32cTrial, keyHashTrial, ...deviceTrials, ...ycsbTrials, threadsTrial, ycsbDiskTrial,
  ...fasterLogTrials, ...checkpointTrials,
];

export function findTrial(name: string): Trial | undefined {
  return trials.find((t) => t.name === name);
}
