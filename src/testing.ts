/**
 * Helpers for property suites written against racewalk (ours in properties/, and users' own):
 * run a scenario under a fast-check schedule, and fail with the schedule string that replays it.
 */
import { runExecution, type ExecResult } from './core/execution.js';
import { UsageError, closest } from './core/errors.js';
import { buildProgram, type BuildOptions, type BuiltProgram, type Scenario } from './scenarios/scenario.js';
import { SCENARIOS, findScenario } from './scenarios/index.js';
import { PreemptionPointsStrategy, type PreemptionPoint } from './sched/points.js';
import { formatSchedule } from './sched/schedule.js';

/** The runnable program of a scenario (by name or object) with variants, env and user variants. */
export function program(scenario: string | Scenario, opts: BuildOptions = {}): BuiltProgram {
  if (typeof scenario !== 'string') return buildProgram(scenario, opts);
  const s = findScenario(scenario);
  if (s === undefined) {
    const c = closest(scenario, SCENARIOS.map((x) => x.name));
    throw new UsageError(`unknown scenario '${scenario}'.${c ? ` Did you mean '${c}'?` : ''} Scenarios: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  }
  return buildProgram(s, opts);
}

/** One execution of `p` under a preemption-point schedule (see `preemptionPoints()`). */
export function runPoints(p: BuiltProgram, points: readonly PreemptionPoint[]): ExecResult {
  return runExecution(p, new PreemptionPointsStrategy(points));
}

/** A failure message that carries the `racewalk replay` command reproducing the execution. */
export function describeFailure(p: BuiltProgram, r: ExecResult): string {
  const what = r.violation !== null ? `${r.violation.invariant}: ${r.violation.message}` : r.modelError !== null ? `model error: ${String((r.modelError.error as Error)?.message ?? r.modelError.error)}` : 'no violation';
  const vs = Object.entries(p.variants).map(([k, v]) => ` --variant ${k}=${v}`).join('');
  const env = Object.entries(p.env).map(([k, v]) => ` --env ${k}=${v}`).join('');
  const file = p.scenario.file !== undefined ? ` --scenario-file ${p.scenario.file}` : '';
  return `${what}\n  replay: racewalk replay${file} --scenario ${p.scenario.name}${vs}${env} --schedule ${formatSchedule(p.scenario.name, r.choices)}`;
}

/** Throws (with the replayable schedule) when an execution violated anything. */
export function assertClean(p: BuiltProgram, r: ExecResult): void {
  if (r.violation !== null || r.modelError !== null) throw new Error(describeFailure(p, r));
}
