/**
 * The exploration loop: ask the strategy for executions until it has none left, a violation is
 * found, or the execution budget runs out. The verdict says exactly what was covered:
 * `clean` only when the strategy exhausted its whole space with no bound cutting it.
 */
import { runExecution, type ExecResult, type Program } from './execution.js';
import type { SegmentStats, Strategy } from '../sched/strategy.js';

export type Verdict = 'violation' | 'clean' | 'no-violation-found' | 'model-error';

export interface ExploreOptions {
  readonly maxExecutions: number;
  /** called every `progressEvery` executions */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEvery?: number;
  /**
   * polled between executions and every few thousand steps within one; true stops the search
   * (Ctrl-C), ending a long execution at once as interrupted
   */
  readonly shouldStop?: () => boolean;
  /** exploreAsync: executions between turns of the event loop (default 64) */
  readonly yieldEvery?: number;
  /**
   * Called with each violating execution (not model errors): 'continue' explores on (the first
   * one stays `failing`, and the search can still be exhaustive), 'stop' (the default) ends the
   * search there. Sizing what a scenario reaches continues past a deadlock, as the other
   * schedules still run the code after it.
   */
  readonly onViolation?: (r: ExecResult) => 'stop' | 'continue';
}

export interface Progress {
  readonly executions: number;
  readonly steps: number;
  readonly maxDepth: number;
  readonly violations: number;
}

export interface ExploreResult {
  readonly verdict: Verdict;
  readonly strategy: string;
  readonly executions: number;
  readonly steps: number;
  readonly maxDepth: number;
  /** the whole space was covered within the model's bounds */
  readonly exhaustive: boolean;
  /** what limited the search when it is not exhaustive */
  readonly bounds: readonly string[];
  readonly sleepBlocked: number;
  /** the violating (or model-error) execution, not yet minimized */
  readonly failing: ExecResult | null;
  /** the execution number (1-based) that found it */
  readonly foundAt: number;
  readonly interrupted: boolean;
  /** for one shard or worker of a split run: what each of its parts explored (sched/shard.ts) */
  readonly segments?: readonly SegmentStats[];
}

export function explore<W>(program: Program<W>, strategy: Strategy, opts: ExploreOptions): ExploreResult {
  const run = exploring(program, strategy, opts);
  for (;;) {
    const r = run.next();
    if (r.done === true) return r.value;
  }
}

/**
 * explore(), giving the event loop a turn every `yieldEvery` executions (default 64) so that
 * signal handlers (Ctrl-C, SIGTERM) run during a long search and `shouldStop` sees them.
 */
export async function exploreAsync<W>(program: Program<W>, strategy: Strategy, opts: ExploreOptions): Promise<ExploreResult> {
  const run = exploring(program, strategy, opts);
  for (;;) {
    const r = run.next();
    if (r.done === true) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The loop itself; yields between executions where the caller may let other work run. */
function* exploring<W>(program: Program<W>, strategy: Strategy, opts: ExploreOptions): Generator<void, ExploreResult, void> {
  const yieldEvery = opts.yieldEvery ?? 64;
  let executions = 0;
  let steps = 0;
  let maxDepth = 0;
  let failing: ExecResult | null = null;
  let interrupted = false;
  let stoppedAtFailure = false;
  let failingAt = 0;
  const every = opts.progressEvery ?? 1000;
  while (executions < opts.maxExecutions) {
    if (opts.shouldStop?.() === true) {
      interrupted = true;
      break;
    }
    if (!strategy.nextExecution()) break;
    const r = runExecution(program, strategy, false, { shouldStop: opts.shouldStop });
    if (r.interrupted === true) {
      // cut short: neither explored nor counted
      interrupted = true;
      break;
    }
    strategy.endExecution(r);
    executions++;
    steps += r.steps;
    if (r.steps > maxDepth) maxDepth = r.steps;
    if (r.violation !== null || r.modelError !== null) {
      if (failing === null) {
        failing = r;
        failingAt = executions;
      }
      if (r.modelError !== null || opts.onViolation?.(r) !== 'continue') {
        stoppedAtFailure = true;
        break;
      }
    }
    if (opts.onProgress !== undefined && executions % every === 0) {
      opts.onProgress({ executions, steps, maxDepth, violations: 0 });
    }
    if (executions % yieldEvery === 0) yield;
  }
  const exhausted = !stoppedAtFailure && !interrupted && strategy.complete;
  const exhaustive = exhausted && strategy.bounds.length === 0;
  const bounds = [...strategy.bounds];
  if (!stoppedAtFailure && !strategy.complete && !interrupted) bounds.push(`stopped after ${executions} executions (--max-executions)`);
  if (interrupted) bounds.push('interrupted');
  let verdict: Verdict;
  if (failing?.modelError) verdict = 'model-error';
  else if (failing !== null) verdict = 'violation';
  else verdict = exhaustive ? 'clean' : 'no-violation-found';
  return {
    verdict,
    strategy: strategy.name,
    executions,
    steps,
    maxDepth,
    exhaustive,
    bounds,
    sleepBlocked: strategy.sleepBlocked ?? 0,
    failing,
    foundAt: failing === null ? 0 : failingAt,
    interrupted,
    ...(strategy.segments !== undefined ? { segments: strategy.segments.map((x) => ({ ...x })) } : {}),
  };
}
