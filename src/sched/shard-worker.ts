/**
 * One worker thread of `racewalk explore --jobs N`: explores its part of the run (a shard of it,
 * see shard.ts) and hands back a plain-data summary. Workers share the cut-off (the lowest part
 * with a violation so far: a worker stops at parts above it, never below), and the main thread
 * stops them all through the shared flag on Ctrl-C.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { check, type CheckOptions } from '../run.js';
import { loadScenarioFile } from '../scenarios/load.js';
import { loadPatch } from '../patch/load.js';
import type { Scenario } from '../scenarios/scenario.js';
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
  ...(await fromSources(opts)),
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
parentPort!.postMessage({ type: 'done', summary: summarize(r.explored), ablationMatched: r.program.ablation?.matched ?? 0 });

/**
 * The scenario and variants of a user's file, loaded again here (the main thread loaded the same
 * file; a function cannot cross to a worker): the patch file's own scenarios and variants, the
 * scenario file's scenarios.
 */
async function fromSources(o: CheckOptions): Promise<Partial<CheckOptions>> {
  const name = o.scenario as string;
  const fromFile = o.sources?.scenarioFile === undefined ? [] : (await loadScenarioFile(o.sources.scenarioFile)).scenarios;
  let scenario: Scenario | undefined = fromFile.find((s) => s.name === name);
  let extraVariants: CheckOptions['extraVariants'];
  if (o.sources?.variantFile !== undefined) {
    const patch = await loadPatch(o.sources.variantFile, { extraScenarios: fromFile });
    extraVariants = patch.extraVariants;
    scenario ??= patch.scenarios.find((s) => s.name === name);
  }
  return { ...(scenario !== undefined ? { scenario } : {}), ...(extraVariants !== undefined ? { extraVariants } : {}) };
}
