/**
 * The worker thread of a searching command in the real process (see cli/process.ts): the command
 * itself, with Ctrl-C read from the flag the main thread sets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { main } from './main.js';
import type { CliWorkerData } from './process.js';
import { useSharedInterrupt } from './signals.js';

const data = workerData as CliWorkerData;
useSharedInterrupt(data.interrupt);
const exitCode = await main([...data.argv], {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: data.isTTY,
  progressTTY: data.progressTTY,
  columns: data.columns,
});
parentPort!.postMessage({ exitCode });
