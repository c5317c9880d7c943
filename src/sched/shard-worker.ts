/**
 * One worker thread of `racewalk explore --jobs N`: explores its part of the run (a shard of it,
 * see shard.ts) and hands back a plain-data summary. Workers share the cut-off (the lowest part
 * with a violation so far: a worker stops at parts above it, never below), and the main thread
 * stops them all through the shared flag on Ctrl-C.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { check, type CheckOptions } from '../run.js';
import { summarize, type ShardRun } from './shard.js';

interface Job {
  readonly opts: CheckOptions;
  readonly shard: ShardRun;
  /** [0]: Ctrl-C; [1]: the lowest segment key with a violation so far (Cutoff) */
  readonly stop: SharedArrayBuffer;
}

const { opts, shard, stop } = workerData as Job;
const flag = new Int32Array(stop);
const r = check({
  ...opts,
  shard,
  cutoff: {
    best: () => Atomics.load(flag, 1),
    found: (key) => {
      // Atomics.min is not in the standard: a compare-exchange loop
      for (;;) {
        const cur = Atomics.load(flag, 1);
        if (key >= cur || Atomics.compareExchange(flag, 1, cur, key) === cur) return;
      }
    },
  },
  minimize: false, // the main thread minimizes the one counterexample it reports
  shouldStop: () => Atomics.load(flag, 0) === 1,
  onProgress: (p) => parentPort!.postMessage({ type: 'progress', progress: p }),
});
parentPort!.postMessage({ type: 'done', summary: summarize(r.explored) });
