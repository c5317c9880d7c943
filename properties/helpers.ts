/** What every property suite needs: run a scenario under a schedule, describe failures replayably. */
import { runExecution, type ExecResult } from '../src/core/execution.js';
import { buildProgram, type BuiltProgram, type BuildOptions } from '../src/scenarios/scenario.js';
import { findScenario } from '../src/scenarios/index.js';
import { PreemptionPointsStrategy, type PreemptionPoint } from '../src/sched/points.js';
import { formatSchedule } from '../src/sched/schedule.js';

export function program(scenario: string, opts: BuildOptions = {}): BuiltProgram {
  const s = findScenario(scenario);
  if (s === undefined) throw new Error(`no scenario ${scenario}`);
  return buildProgram(s, opts);
}

export function runPoints(p: BuiltProgram, points: readonly PreemptionPoint[]): ExecResult {
  return runExecution(p, new PreemptionPointsStrategy(points));
}

/** A failure message that carries the schedule string that replays it. */
export function describeFailure(p: BuiltProgram, r: ExecResult): string {
  const what = r.violation !== null ? `${r.violation.invariant}: ${r.violation.message}` : `model error: ${String(r.modelError?.error)}`;
  const vs = Object.entries(p.variants).map(([k, v]) => ` --variant ${k}=${v}`).join('');
  const env = Object.entries(p.env).map(([k, v]) => ` --env ${k}=${v}`).join('');
  return `${what}\n  replay: racewalk replay --scenario ${p.scenario.name}${vs}${env} --schedule ${formatSchedule(p.scenario.name, r.choices)}`;
}

/** Throws (with the replayable schedule) when an execution violates anything. */
export function assertClean(p: BuiltProgram, r: ExecResult): void {
  if (r.violation !== null || r.modelError !== null) throw new Error(describeFailure(p, r));
}
