/**
 * One call from scenario name and choices to a verdict and a report: what the CLI, the property
 * suites and the benchmark all use.
 */
import { MAX_STEPS, runExecution, type ExecResult, type Program } from './core/execution.js';
import { crossCheck, type CaseResult, type CrossCheckCase, type CrossCheckOptions, type CrossCheckSummary } from './sched/cross-check.js';
import { explore, exploreAsync, type ExploreOptions, type ExploreResult, type Progress } from './core/explore.js';
import { DEFAULT_DETERMINISM_EVERY, DeterminismGuard } from './core/determinism.js';
import { formatSchedule } from './sched/schedule.js';
import { UsageError, closest } from './core/errors.js';
import type { Env } from './kernel/mm.js';
import type { VariantDef } from './kernel/paths/registry.js';
import { buildProgram, type BuildOptions, type BuiltProgram, type Scenario } from './scenarios/scenario.js';
import { SCENARIOS, findScenario } from './scenarios/index.js';
import { fallbacks, kernelProfile, parseRelease } from './scenarios/profile.js';
import { DEFAULT_STRATEGY, findStrategy, type StrategyOptions } from './sched/index.js';
import type { Cutoff } from './sched/strategy.js';
import { ReplayStrategy } from './sched/replay.js';
import { createShardStrategy, type ShardRun } from './sched/shard.js';
import { buildReport, type Report } from './report/trace.js';
import { minimizeSchedule, type Minimized } from './report/minimize.js';
import { ablate, parsePointKey, pointKey, type AblationCounter } from './sched/ablation.js';

export interface CheckOptions {
  readonly scenario: string | Scenario;
  readonly variants?: Readonly<Record<string, string>>;
  readonly env?: Partial<Env>;
  readonly strategy?: string;
  /**
   * DPOR lets blind adds of one tag commute (default true; sched/footprint.ts `commuting`).
   * false measures the search without that reduction.
   */
  readonly commute?: boolean;
  readonly seed?: number;
  readonly preemptions?: number;
  readonly maxExecutions?: number;
  readonly maxSteps?: number;
  readonly extraVariants?: Readonly<Record<string, readonly VariantDef[]>>;
  /** --kernel vX.Y: pick every reached function's variant for that release (explicit variants win) */
  readonly kernel?: string;
  /** see BuildOptions.contractRanges */
  readonly contractRanges?: BuildOptions['contractRanges'];
  readonly onProgress?: (p: Progress) => void;
  /** executions between onProgress calls (default 1000) */
  readonly progressEvery?: number;
  readonly shouldStop?: () => boolean;
  /** minimize a violating schedule before reporting (default true): fewest preemptions, then steps */
  readonly minimize?: boolean;
  /** replay every N-th execution to catch a nondeterministic model (default 1000; 0: only the counterexample) */
  readonly determinismEvery?: number;
  /** PCT bug depth (--pct-depth) */
  readonly pctDepth?: number;
  /** explore one shard of the run (--shard i/n, and a worker's part of it with --jobs): see sched/shard.ts */
  readonly shard?: ShardRun;
  /** with `shard`: the cut-off shared by the workers of one run (sched/strategy.ts Cutoff) */
  readonly cutoff?: Cutoff;
  /**
   * Where a scenario or variants not in the registry came from (absolute paths): worker threads
   * (--jobs) load them again from there, as they cannot receive functions.
   */
  readonly sources?: CheckSources;
  /**
   * Remove one synchronization point (`kind@fn: stmt`, src/sched/ablation.ts) on every CPU:
   * `racewalk ablate`, `explore --ablate`. A point no execution meets is a UsageError.
   */
  readonly ablate?: string;
  /** in-process only (not sent to workers): wrap the built program, e.g. to survey its sync points */
  readonly transform?: (p: BuiltProgram) => BuiltProgram;
}

/** The files a check's scenario (--scenario-file) and extra variants (--variant-file) were loaded from. */
export interface CheckSources {
  readonly scenarioFile?: string;
  readonly variantFile?: string;
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
    throw new UsageError(`unknown scenario '${s}'.${c ? ` Did you mean '${c}'?` : ''} Scenarios: ${SCENARIOS.map((x) => x.name).join(', ')} (see 'racewalk list'). A scenario of your own is found through the file that declares it: --scenario-file FILE (docs/scenarios.md)`);
  }
  return found;
}

export function check(opts: CheckOptions): CheckResult {
  const c = startCheck(opts);
  return finishCheck(opts, c, explore(c.program, c.guard, c.exploreOptions));
}

/**
 * check(), yielding to the event loop between executions so that SIGINT/SIGTERM handlers run
 * and `shouldStop` can end the search cleanly (the CLI uses this).
 */
export async function checkAsync(opts: CheckOptions): Promise<CheckResult> {
  const c = startCheck(opts);
  return finishCheck(opts, c, await exploreAsync(c.program, c.guard, c.exploreOptions));
}

function startCheck(opts: CheckOptions) {
  const scenario = resolveScenario(opts.scenario);
  const profile = opts.kernel === undefined ? null : kernelProfile(scenario, parseRelease(opts.kernel));
  const built = buildProgram(scenario, {
    variants: profile === null ? opts.variants : { ...profile.variants, ...opts.variants },
    env: opts.env,
    maxSteps: opts.maxSteps,
    extraVariants: opts.extraVariants,
    contractRanges: opts.contractRanges,
  });
  const ablated = opts.ablate === undefined ? built : ablateProgram(built, opts.ablate);
  const program = opts.transform === undefined ? ablated : opts.transform(ablated);
  const def = findStrategy(opts.strategy ?? DEFAULT_STRATEGY);
  const sopts: StrategyOptions = { seed: opts.seed ?? 1, preemptions: opts.preemptions ?? Infinity, pctDepth: opts.pctDepth, commute: opts.commute };
  // every execution's ops are recorded so that a schedule that does not replay is caught
  const guard = new DeterminismGuard(opts.shard !== undefined ? createShardStrategy(program, def, sopts, opts.shard, opts.cutoff) : def.create(sopts), program, opts.determinismEvery ?? DEFAULT_DETERMINISM_EVERY, (ch) => formatSchedule(program.scenario.name, ch));
  const exploreOptions: ExploreOptions = {
    maxExecutions: opts.maxExecutions ?? DEFAULT_MAX_EXECUTIONS,
    onProgress: opts.onProgress,
    progressEvery: opts.progressEvery,
    shouldStop: opts.shouldStop,
  };
  return { program, def, sopts, guard, exploreOptions, profile };
}

function finishCheck(opts: CheckOptions, c: ReturnType<typeof startCheck>, found: ExploreResult): CheckResult {
  const { program, def, sopts, guard } = c;
  // a nondeterministic model is reported with the replay that differed, never minimized
  const explored = guard.verify(found);
  // a shard's part may not reach the point; the run that merges the parts judges (parallel.ts)
  if (opts.shard === undefined) unmatchedAblation(program, explored.executions);
  const nondeterministic = guard.mismatch !== null;
  // a runaway (max-steps) is not minimized: every attempt would replay up to the step bound
  const runaway = explored.failing?.violation?.invariant === MAX_STEPS;
  const minimization = explored.failing !== null && !nondeterministic && !runaway && opts.minimize !== false ? minimizeSchedule(program, explored.failing) : null;
  const counterexample = explored.failing === null ? null : nondeterministic ? explored.failing : replayRecorded(program, minimization?.choices ?? explored.failing.choices);
  const built = buildReport(program, explored, counterexample, def.name === 'random' ? sopts.seed : null, minimization);
  const report = c.profile === null ? built : { ...built, kernelProfile: { release: c.profile.release, fallback: fallbacks(c.profile, program.reached, program.variants) } };
  return { program, explored, counterexample, report, minimization };
}

/**
 * The program with one synchronization point removed (src/sched/ablation.ts); the report names
 * it (Report.ablated) and its replay command passes it on.
 */
export function ablateProgram(program: BuiltProgram, key: string): BuiltProgram {
  const point = parsePointKey(key);
  const counter: AblationCounter = { matched: 0 };
  return { ...program, threads: ablate(program, point, counter).threads, ablated: pointKey(point), ablation: counter };
}

export class UnmetAblation extends UsageError {}

/** An ablation that removed nothing is a point the scenario does not have: say so, never report "clean". */
export function unmatchedAblation(program: BuiltProgram, executions: number, matched = program.ablation?.matched): void {
  if (program.ablated === undefined || (matched ?? 0) > 0) return;
  throw new UnmetAblation(`--ablate '${program.ablated}': no CPU of scenario '${program.scenario.name}' ran that point in ${executions} execution${executions === 1 ? '' : 's'}, so removing it removed nothing. The points it has: racewalk ablate --scenario ${program.scenario.name}`);
}

/** Re-run a schedule with its trace recorded. */
export function replayRecorded(program: BuiltProgram, choices: readonly number[]): ExecResult {
  return runExecution(program, new ReplayStrategy(choices), true);
}

/**
 * The cross-check (sched/cross-check.ts) over scenarios: each scenario's faithful configuration
 * (with its generated sync-dropping and move-a-store mutants), its clean configurations and its known races.
 * `racewalk explore --cross-check`, the property suite and the benchmark run this.
 */
export function crossCheckScenarios(opts: { scenarios?: readonly string[]; mutants?: boolean; onCase?: (r: CaseResult) => void } & CrossCheckOptions = {}): CrossCheckSummary {
  const cases: CrossCheckCase<unknown>[] = [];
  const names = opts.scenarios ?? SCENARIOS.map((s) => s.name);
  for (const name of names) {
    const s = resolveScenario(name);
    const configs: { label: string; variants?: Readonly<Record<string, string>>; env?: Partial<Env>; mutants: boolean }[] = [{ label: 'faithful', mutants: opts.mutants !== false }];
    for (const c of s.cleanConfigs) {
      const label = Object.entries({ ...c.variants, ...c.env }).map(([p, v]) => `${p}=${v}`).join(' ');
      if (label !== '') configs.push({ label, variants: c.variants, env: c.env, mutants: false });
    }
    for (const r of s.knownRaces) configs.push({ label: Object.entries({ ...r.variants, ...r.env }).map(([p, v]) => `${p}=${v}`).join(' '), variants: r.variants, env: r.env, mutants: false });
    for (const c of configs) {
      const program = buildProgram(s, { variants: c.variants, env: c.env });
      cases.push({ label: `${s.name} ${c.label}`, scenario: s.name, program: program as Program<unknown>, mutants: c.mutants, nameOf: (loc) => program.newMachine().layout.nameOf(loc) });
    }
  }
  return crossCheck(cases, opts, opts.onCase);
}

/** `drop-lock 17/17/7, ..., delay-store 32/32/4, hoist-store 6/6/0` */
export function formatKinds(r: CrossCheckSummary): string {
  return Object.entries(r.byKind)
    .map(([k, c]) => `${k} ${c.generated}/${c.compared}/${c.violating}`)
    .join(', ');
}

/** One paragraph per disagreement, then the counts: what `--cross-check` prints. */
export function formatCrossCheck(r: CrossCheckSummary): string {
  const lines = r.disagreements.map((d) => `  DISAGREEMENT ${d}`);
  lines.push(`  cross-check: ${r.cases.length} cases (${r.mutants} generated mutants, ${r.mutantsViolating} of them violating), ${r.compared} compared, ${r.tooBig} too big for DPOR's budget, ${r.disagreements.length} disagreements`);
  lines.push(`  mutants by kind (generated/compared/violating): ${formatKinds(r)}`);
  return lines.join('\n') + '\n';
}
