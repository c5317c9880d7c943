/**
 * The cross-check at full size, for `npm run bench` (bench/run.ts calls it): every scenario, its
 * faithful, clean and known-race configurations and the generated sync-dropping and move-a-store
 * mutants of its faithful paths, DPOR against full DFS (where it finishes), DFS bounded to one preemption, PCT,
 * random walk and DPOR merged over 2 and 3 shards (src/sched/cross-check.ts). Prints the counts
 * and every disagreement (there must be none) and returns them for results.json.
 */
import { crossCheckScenarios, formatKinds } from '../src/run.js';
import type { KindCounts, Mutation } from '../src/sched/cross-check.js';

export interface CrossCheckBench {
  readonly cases: number;
  readonly compared: number;
  readonly tooBig: number;
  readonly mutants: number;
  readonly mutantsViolating: number;
  /** per mutation kind (sync-dropping and move-a-store): generated, compared, violating */
  readonly byKind: Readonly<Record<Mutation['kind'], KindCounts>>;
  readonly disagreements: readonly string[];
  readonly secs: number;
}

export function benchCrossCheck(quick: boolean): CrossCheckBench {
  const t0 = performance.now();
  const caps = quick ? { dporCap: 500, dfsCap: 500, boundedCap: 500, samples: 50, shards: [2] } : { dporCap: 5_000, dfsCap: 5_000, boundedCap: 5_000, samples: 300, shards: [2, 3] };
  const r = crossCheckScenarios(caps);
  const secs = (performance.now() - t0) / 1000;
  console.log(`\ncross-check (${quick ? 'quick' : 'full'}): ${r.cases.length} cases (${r.mutants} generated mutants, ${r.mutantsViolating} violating), ${r.compared} compared, ${r.tooBig} too big for DPOR's budget of ${caps.dporCap}, ${r.disagreements.length} disagreements, ${secs.toFixed(1)} s`);
  console.log(`  mutants by kind (generated/compared/violating): ${formatKinds(r)}`);
  for (const d of r.disagreements) console.log(`  DISAGREEMENT ${d}`);
  return { cases: r.cases.length, compared: r.compared, tooBig: r.tooBig, mutants: r.mutants, mutantsViolating: r.mutantsViolating, byKind: r.byKind, disagreements: r.disagreements, secs };
}
