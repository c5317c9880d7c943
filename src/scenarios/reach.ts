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
import { buildProgram, type Scenario } from './scenario.js';
import { BUILTIN_REACH } from './reach.generated.js';

/** every combination of the environment choices */
export function allEnvs(): Env[] {
  let out: Record<string, string>[] = [{}];
  for (const [key, c] of Object.entries(ENV_CHOICES)) out = out.flatMap((e) => c.values.map((v) => ({ ...e, [key]: v })));
  return out as unknown as Env[];
}

/** The execution budget of one reach search; a scenario that needs more cannot be sized. */
export const REACH_MAX_EXECUTIONS = 200_000;

/**
 * Explore the faithful scenario exhaustively (DPOR, no preemption bound, no invariants so that
 * nothing stops the search early) in every environment; the union of the functions reached.
 * Throws when a search is not exhaustive: a partial set would let check-patch skip wrongly.
 */
export function computeReach(scenario: Scenario): string[] {
  const names = new Set<string>();
  for (const env of allEnvs()) {
    const program = buildProgram({ ...scenario, invariants: [] }, { env });
    const r = explore(program, findStrategy('dpor').create({ seed: 1, preemptions: Infinity }), { maxExecutions: REACH_MAX_EXECUTIONS });
    if (!r.exhaustive || r.verdict !== 'clean') {
      throw new Error(`cannot size scenario '${scenario.name}' (env ${JSON.stringify(env)}): its faithful search ended ${r.verdict}${r.exhaustive ? '' : ', not exhaustive'} after ${r.executions} executions`);
    }
    for (const n of program.reached) names.add(n);
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
