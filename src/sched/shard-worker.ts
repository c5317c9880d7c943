/**
 * One worker thread of `racewalk explore --jobs N`: explores its part of the run (a shard of it,
 * see shard.ts) and hands back a plain-data summary. The main thread stops every worker through
 * the shared flag once one of them has found a violation, or on Ctrl-C.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { check, type CheckOptions } from '../run.js';
import { summarize, type ShardRun } from './shard.js';

interface Job {
  readonly opts: CheckOptions;
  readonly shard: ShardRun;
  readonly stop: SharedArrayBuffer;
}

const { opts, shard, stop } = workerData as Job;
const flag = new Int32Array(stop);
const r = check({
  ...opts,
  shard,
  minimize: false, // the main thread minimizes the one counterexample it reports
  shouldStop: () => Atomics.load(flag, 0) === 1,
  onProgress: (p) => parentPort!.postMessage({ type: 'progress', progress: p }),
});
parentPort!.postMessage({ type: 'done', summary: summarize(r.explored) });
