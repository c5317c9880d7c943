/**
 * Which declared kernel functions a scenario reaches: the names every call through the
 * replaceable-function mechanism records (src/kernel/replaceable.ts, BuiltProgram.reached)
 * over an exhaustive search of the scenario's faithful code, in every environment.
 *
 * check-patch runs a patch in a built-in scenario exactly when the scenario reaches a function
 * the patch (or its baseline) replaces: a scenario that never calls any of them runs the same
 * code on both sides, so its verdict cannot change. For the built-in scenarios the sets are
 * precomputed in reach.generated.ts (`npm run reach` rewrites it); properties/scenario-files-reach
 * .test.ts recomputes every one and fails if the file is stale. A scenario from a file is
 * explored on demand.
 */
import { explore } from '../core/explore.js';
import { ENV_CHOICES, type Env } from '../kernel/mm.js';
import { findStrategy } from '../sched/index.js';
import { buildProgram, EnvRefusedError, type Scenario } from './scenario.js';
import { BUILTIN_REACH } from './reach.generated.js';
import { UsageError } from '../core/errors.js';
import { formatSchedule } from '../sched/schedule.js';

/** every combination of the environment choices */
export function allEnvs(): Env[] {
  let out: Record<string, string>[] = [{}];
  for (const [key, c] of Object.entries(ENV_CHOICES)) out = out.flatMap((e) => c.values.map((v) => ({ ...e, [key]: v })));
  return out as unknown as Env[];
}

/** The execution budget of one reach search; a scenario that needs more cannot be sized. */
export const REACH_MAX_EXECUTIONS = 200_000;

/**
 * Explore the faithful scenario exhaustively (DPOR, no preemption bound) in every environment;
 * the union of the functions reached. Nothing may end an execution early, which would hide the
 * code other CPUs run after that point (DPOR sees no race with steps that never ran): no
 * invariants, failed checks pass (CONFIG_DEBUG_VM=n), and a deadlock, which ends an execution
 * only once no CPU can move, is explored past. A runaway (max-steps) execution cannot be
 * explored past, and a search that is not exhaustive gives a partial set: both are refused, as
 * a partial set would let check-patch skip the scenario wrongly.
 */
export function computeReach(scenario: Scenario): string[] {
  const names = new Set<string>();
  // Environments already explored, with the choices their exhaustive search read. The program
  // sees the environment only through k.env, so under an environment that agrees with an
  // explored one on every choice that search read, every execution runs the same code: its
  // reach is the same and it need not be explored again.
  const explored: { env: Env; read: Set<string> }[] = [];
  for (const env of allEnvs()) {
    if (explored.some((x) => [...x.read].every((key) => x.env[key as keyof Env] === env[key as keyof Env]))) continue;
    const read = new Set<string>();
    let built;
    try {
      built = buildProgram({ ...scenario, invariants: [] }, { env, envReads: read });
    } catch (e) {
      if (e instanceof EnvRefusedError) continue; // an environment the scenario cannot run in reaches nothing
      throw e;
    }
    const program = { ...built, failedChecks: 'pass' as const };
    const r = explore(program, findStrategy('dpor').create({ seed: 1, preemptions: Infinity }), {
      maxExecutions: REACH_MAX_EXECUTIONS,
      onViolation: (x) => (x.violation?.invariant === 'no-deadlock' ? 'continue' : 'stop'),
    });
    if (!r.exhaustive) {
      const why = r.failing?.violation?.invariant === 'max-steps'
        ? `under schedule ${formatSchedule(scenario.name, r.failing.choices)} an execution runs past the step bound (${program.maxSteps}), so what it calls after that cannot be known; make its loops terminate (or raise the scenario's maxSteps)`
        : r.failing !== null
          ? `its faithful search ended ${r.failing.modelError !== null ? `in a model error at step ${r.failing.modelError.step}: ${(r.failing.modelError.error as Error)?.message ?? String(r.failing.modelError.error)}` : `${r.failing.violation?.invariant}: ${r.failing.violation?.message}`}`
          : `its faithful search is not exhaustive within ${r.executions} executions (${r.bounds.join('; ')})`;
      throw new UsageError(`cannot tell which functions scenario '${scenario.name}' reaches (env ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}), which 'list' shows and a patch's or variant's checks need: ${why}`);
    }
    for (const n of program.reached) names.add(n);
    explored.push({ env, read });
  }
  return [...names].sort();
}

const memo = new WeakMap<Scenario, readonly string[]>();

/**
 * The built-in scenarios, registered by scenarios/index.ts (which imports every scenario file:
 * importing it from here would make a cycle through scenario.ts).
 */
let builtins: readonly Scenario[] = [];
export function registerBuiltinScenarios(list: readonly Scenario[]): void {
  builtins = list;
}

/** The functions a scenario reaches: precomputed for a built-in one, explored once for any other. */
export function reachOf(scenario: Scenario): readonly string[] {
  // a built-in scenario, or a copy of one with other invariants (the same world and threads reach the same functions)
  const b = builtins.find((x) => x === scenario || (x.name === scenario.name && x.world === scenario.world && x.threads === scenario.threads));
  if (b !== undefined) {
    const r = BUILTIN_REACH[b.name];
    if (r !== undefined) return r;
  }
  let r = memo.get(scenario);
  if (r === undefined) {
    r = computeReach(scenario);
    memo.set(scenario, r);
  }
  return r;
}
