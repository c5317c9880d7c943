/**
 * `racewalk`: the library. Everything a property suite or a tool needs to explore races in
 * Linux mm paths: the modelling vocabulary (re-exported from `racewalk/model`), the world
 * builder, the paths and their variants, the scenarios, the invariants, schedule arbitraries for
 * fast-check that shrink, and `check` / `checkPatch` returning structured results.
 *
 * The package ships compiled JavaScript with declarations (dist/): plain Node, tsc, vitest,
 * bundlers and TypeScript loaders all consume it as they consume any ESM package.
 *
 * ```ts
 * import { check, program, runPoints, assertClean, preemptionPoints } from 'racewalk';
 * const r = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' } });
 * r.explored.verdict; // 'violation'
 * r.report.schedule;  // 'rw1:gup-fast-vs-zap:...' — replays with `racewalk replay`
 * ```
 * @module
 */

// The scenario registry is evaluated first: scenarios/scenario.ts -> reach.ts -> scenarios/index.ts
// is an import cycle, and a scenario file that reads a value of scenario.ts at load time
// (MUTATION) fails with a TDZ error when scenario.ts is reached before the registry (plain Node
// ESM importing 'racewalk'; properties/library.test.ts checks it).
import './scenarios/index.js';

// ---- the modelling vocabulary: primitives, helpers, world, paths, definePatch ----
export * from './model.js';

// ---- running: one call from scenario + choices to a verdict and a report ----
/**
 * `check(opts)` explores a scenario and returns `{ program, explored, counterexample, report }`:
 * `explored.verdict` is `violation`, `clean` (exhaustive), `no-violation-found` (bounded: see
 * `explored.bounds`) or `model-error`; `report` is the minimized, replayable counterexample.
 * `checkAsync` is the same, yielding to the event loop between executions.
 */
export { check, checkAsync, replayRecorded, resolveScenario, DEFAULT_MAX_EXECUTIONS, type CheckOptions, type CheckResult } from './run.js';

// ---- the engine (knows nothing about the kernel) ----
/** Run one execution under any chooser; explore a program with a strategy. */
export {
  runExecution, MAX_STEPS, NO_DEADLOCK, ScheduleError,
  type Program, type ThreadSpec, type ExecResult, type Violation, type TraceStep, type Chooser, type SchedView,
} from './core/execution.js';
export { explore, exploreAsync, type ExploreOptions, type ExploreResult, type Verdict, type Progress } from './core/explore.js';
export { Machine, ModelError, type Layout, type Change, type WorldHandler } from './core/machine.js';
export type { Invariant, Checker, StepInfo } from './core/invariant.js';
export { UsageError } from './core/errors.js';

// ---- scenarios ----
/** A scenario = threads (one per CPU) + initial world + invariants + known races; buildProgram makes it runnable. */
export { buildProgram, resolveEnv, type Scenario, type BuildOptions, type BuiltProgram, type KnownRace, type CleanConfig } from './scenarios/scenario.js';
export { SCENARIOS, DEFAULT_SCENARIO, findScenario } from './scenarios/index.js';

// ---- invariants ----
/** The mm invariants checked after every step (`DEFAULT_INVARIANTS`), each also exported by name. */
export * from './kernel/invariants.js';

// ---- schedules and strategies ----
/**
 * `preemptionPoints()` is a fast-check arbitrary of schedules that shrinks toward fewer, earlier
 * preemptions; run one with `runPoints(program, points)`.
 */
export { preemptionPoints, PreemptionPointsStrategy, type PreemptionPoint } from './sched/points.js';
export { STRATEGIES, DEFAULT_STRATEGY, findStrategy, type StrategyDef, type StrategyOptions } from './sched/index.js';
export type { Strategy } from './sched/strategy.js';
export { ReplayStrategy } from './sched/replay.js';
export { formatSchedule, parseSchedule, SCHEDULE_VERSION, type Schedule } from './sched/schedule.js';

// ---- property-suite helpers ----
export { program, runPoints, describeFailure, assertClean } from './testing.js';

// ---- reports ----
export { buildReport, type Report, type ReportStep } from './report/trace.js';
export { renderText, verdictLine } from './report/text.js';

// ---- user patches ----
/**
 * Load a patch file (`loadPatch`), run it against every scenario it touches (`explorePatch`), or
 * side by side with its baseline (`checkPatch` -> rows of baseline/patched verdicts, and whether
 * the patch introduced a violation).
 */
export { loadPatch, type LoadedPatch, type LoadOptions } from './patch/load.js';
export {
  checkPatch, explorePatch, CHECK_PATCH_DEFAULTS,
  type PatchDiff, type PatchRow, type RowStatus, type PatchRunOptions, type ScenarioRun,
} from './patch/run.js';
export { renderDiff, diffJson } from './patch/render.js';
export { PatchError } from './patch/locate.js';
