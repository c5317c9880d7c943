/**
 * `--jobs N`: one run explored by N worker threads, each a shard of it (shard.ts), merged here.
 * Workers load the TypeScript sources through tsx, as the CLI does (no build step).
 *
 * The run's --max-executions is split evenly among the workers. The result does not depend on
 * timing: each worker explores its parts (shard prefixes) in a fixed order, a violation in part
 * k stops the parts above k in every worker but never a part below it, and the merge reports the
 * violation of the lowest part with the counts of the parts up to it (shard.ts mergeSummaries).
 * The merged verdict is clean only if every worker exhausted its part.
 */
import { Worker } from 'node:worker_threads';
import { UsageError } from '../core/errors.js';
import type { Progress } from '../core/explore.js';
import { ablateProgram, checkAsync, DEFAULT_MAX_EXECUTIONS, replayRecorded, resolveScenario, unmatchedAblation, type CheckOptions, type CheckResult } from '../run.js';
import { findScenario } from '../scenarios/index.js';
import { buildProgram } from '../scenarios/scenario.js';
import { buildReport } from '../report/trace.js';
import { minimizeSchedule } from '../report/minimize.js';
import { DEFAULT_STRATEGY, findStrategy } from './index.js';
import { mergeSummaries, toExploreResult, type ShardRun, type ShardSummary } from './shard.js';

// a .mjs entry that registers tsx, then loads shard-worker.ts
const WORKER = new URL('./shard-worker.mjs', import.meta.url);

/** check() on `jobs` worker threads (jobs 1: in this thread). */
export function checkJobs(jobs: number, opts: CheckOptions): Promise<CheckResult> {
  return jobs > 1 ? checkParallel(opts, jobs) : checkAsync(opts);
}

export async function checkParallel(opts: CheckOptions, jobs: number): Promise<CheckResult> {
  const scenario = resolveScenario(opts.scenario);
  // a worker cannot receive functions: it loads a file's scenario and variants from the file
  if (findScenario(scenario.name) !== scenario && opts.sources?.scenarioFile === undefined && opts.sources?.variantFile === undefined) {
    throw new UsageError(`--jobs needs a registered scenario or the file that declares it (CheckOptions.sources); '${scenario.name}' is neither`);
  }
  if (opts.extraVariants !== undefined && Object.keys(opts.extraVariants).length > 0 && opts.sources?.variantFile === undefined) {
    throw new UsageError('--jobs with variants of your own needs the patch file they come from (CheckOptions.sources.variantFile): worker threads load it again');
  }
  // bad names and values are reported here, once, before any worker starts
  const built = buildProgram(scenario, { variants: opts.variants, env: opts.env, maxSteps: opts.maxSteps, extraVariants: opts.extraVariants, contractRanges: opts.contractRanges });
  const program = opts.ablate === undefined ? built : ablateProgram(built, opts.ablate);
  const def = findStrategy(opts.strategy ?? DEFAULT_STRATEGY);
  const base: ShardRun = opts.shard ?? { index: 1, count: 1, prefixesPerShard: 8 * jobs };
  const perWorker = Math.ceil((opts.maxExecutions ?? DEFAULT_MAX_EXECUTIONS) / jobs);
  const plain: CheckOptions = {
    scenario: scenario.name,
    variants: opts.variants,
    env: opts.env,
    strategy: def.name,
    seed: opts.seed,
    preemptions: opts.preemptions,
    pctDepth: opts.pctDepth,
    commute: opts.commute,
    maxExecutions: perWorker,
    maxSteps: opts.maxSteps,
    determinismEvery: opts.determinismEvery,
    ...(opts.ablate !== undefined ? { ablate: opts.ablate } : {}),
    ...(opts.sources !== undefined ? { sources: opts.sources } : {}),
    ...(opts.contractRanges !== undefined ? { contractRanges: opts.contractRanges } : {}),
  };
  const stop = new SharedArrayBuffer(8);
  const flag = new Int32Array(stop);
  flag[1] = 0x7fffffff; // no violation yet
  const progress: Progress[] = [];
  const poll = setInterval(() => {
    if (opts.shouldStop?.() === true) Atomics.store(flag, 0, 1);
  }, 50);
  let summaries: ShardSummary[];
  let ablationMatched = 0;
  try {
    summaries = await Promise.all(
      Array.from({ length: jobs }, (_, w) => {
        const shard: ShardRun = { ...base, worker: { index: w, count: jobs } };
        return new Promise<ShardSummary>((resolve, reject) => {
          const worker = new Worker(WORKER, { workerData: { opts: plain, shard, stop }, execArgv: [] });
          let result: ShardSummary | null = null;
          worker.on('message', (m: { type: string; progress?: Progress; summary?: ShardSummary; ablationMatched?: number }) => {
            if (m.type === 'progress') {
              progress[w] = m.progress!;
              if (opts.onProgress !== undefined) {
                const ps = progress.filter((p) => p !== undefined);
                opts.onProgress({
                  executions: ps.reduce((a, p) => a + p.executions, 0),
                  steps: ps.reduce((a, p) => a + p.steps, 0),
                  maxDepth: ps.reduce((a, p) => Math.max(a, p.maxDepth), 0),
                  violations: ps.reduce((a, p) => a + p.violations, 0),
                });
              }
            } else if (m.type === 'done') {
              result = m.summary!;
              ablationMatched += m.ablationMatched ?? 0;
            }
          });
          worker.on('error', (e) => {
            Atomics.store(flag, 0, 1);
            reject(e);
          });
          worker.on('exit', (code) => {
            if (result !== null) resolve(result);
            else reject(new Error(`worker ${w} of ${jobs} exited with code ${code} before reporting`));
          });
        });
      }),
    );
  } finally {
    clearInterval(poll);
  }
  const merged = mergeSummaries(summaries, jobs);
  unmatchedAblation(program, merged.executions, ablationMatched);
  // the workers' "interrupted" is this thread stopping them after a violation, not Ctrl-C
  const explored = toExploreResult(program, merged.failingChoices !== null ? { ...merged, interrupted: false } : merged);
  if (merged.failingChoices !== null && explored.failing?.violation === null && explored.failing?.modelError === null) {
    throw new Error(`worker's counterexample did not reproduce in the main thread (nondeterministic model?)`);
  }
  const minimization = explored.failing !== null && opts.minimize !== false && explored.failing.violation !== null && explored.failing.violation.invariant !== 'max-steps' ? minimizeSchedule(program, explored.failing) : null;
  const counterexample = explored.failing === null ? null : replayRecorded(program, minimization?.choices ?? explored.failing.choices);
  const report = buildReport(program, explored, counterexample, def.exhaustive ? null : (opts.seed ?? 1), minimization);
  return { program, explored, counterexample, report, minimization };
}


