/**
 * One call from scenario name and choices to a verdict and a report: what the CLI, the property
 * suites and the benchmark all use.
 */
import { runExecution, type ExecResult } from './core/execution.js';
import { explore, type ExploreResult, type Progress } from './core/explore.js';
import { UsageError, closest } from './core/errors.js';
import type { Env } from './kernel/mm.js';
import type { VariantDef } from './kernel/paths/registry.js';
import { buildProgram, type BuiltProgram, type Scenario } from './scenarios/scenario.js';
import { SCENARIOS, findScenario } from './scenarios/index.js';
import { findStrategy, type StrategyOptions } from './sched/index.js';
import { ReplayStrategy } from './sched/replay.js';
import { buildReport, type Report } from './report/trace.js';
import { minimizeSchedule, type Minimized } from './report/minimize.js';

export interface CheckOptions {
  readonly scenario: string | Scenario;
  readonly variants?: Readonly<Record<string, string>>;
  readonly env?: Partial<Env>;
  readonly strategy?: string;
  readonly seed?: number;
  readonly preemptions?: number;
  readonly maxExecutions?: number;
  readonly maxSteps?: number;
  readonly extraVariants?: Readonly<Record<string, readonly VariantDef[]>>;
  readonly onProgress?: (p: Progress) => void;
  readonly shouldStop?: () => boolean;
  /** minimize a violating schedule before reporting (default true): fewest preemptions, then steps */
  readonly minimize?: boolean;
}

export interface CheckResult {
  readonly program: BuiltProgram;
  readonly explored: ExploreResult;
  /** the counterexample re-run with its trace recorded */
  readonly counterexample: ExecResult | null;
  readonly report: Report;
  /** original vs minimized schedule size (null: nothing to minimize, or minimize: false) */
  readonly minimization: Minimized | null;
}

export const DEFAULT_MAX_EXECUTIONS = 200_000;

export function resolveScenario(s: string | Scenario): Scenario {
  if (typeof s !== 'string') return s;
  const found = findScenario(s);
  if (found === undefined) {
    const c = closest(s, SCENARIOS.map((x) => x.name));
    throw new UsageError(`unknown scenario '${s}'.${c ? ` Did you mean '${c}'?` : ''} Scenarios: ${SCENARIOS.map((x) => x.name).join(', ')} (see 'racewalk list')`);
  }
  return found;
}

export function check(opts: CheckOptions): CheckResult {
  const scenario = resolveScenario(opts.scenario);
  const program = buildProgram(scenario, {
    variants: opts.variants,
    env: opts.env,
    maxSteps: opts.maxSteps,
    extraVariants: opts.extraVariants,
  });
  const def = findStrategy(opts.strategy ?? 'iterative');
  const sopts: StrategyOptions = { seed: opts.seed ?? 1, preemptions: opts.preemptions ?? Infinity };
  const explored = explore(program, def.create(sopts), {
    maxExecutions: opts.maxExecutions ?? DEFAULT_MAX_EXECUTIONS,
    onProgress: opts.onProgress,
    shouldStop: opts.shouldStop,
  });
  const minimization = explored.failing !== null && opts.minimize !== false ? minimizeSchedule(program, explored.failing) : null;
  const counterexample = explored.failing === null ? null : replayRecorded(program, minimization?.choices ?? explored.failing.choices);
  const report = buildReport(program, explored, counterexample, def.name === 'random' ? sopts.seed : null, minimization);
  return { program, explored, counterexample, report, minimization };
}

/** Re-run a schedule with its trace recorded. */
export function replayRecorded(program: BuiltProgram, choices: readonly number[]): ExecResult {
  return runExecution(program, new ReplayStrategy(choices), true);
}
