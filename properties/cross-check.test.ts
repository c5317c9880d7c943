/**
 * The cross-check in CI (src/sched/cross-check.ts): on every small scenario, in its faithful,
 * clean and known-race configurations and on the generated sync-dropping mutants of its faithful
 * paths, DPOR (unsharded and merged over shards) must agree with full DFS, DFS bounded to one
 * preemption, PCT and random walk. Every disagreement fails the test with the schedule that
 * shows it. Bounded to a few minutes; `npm run bench` runs it on every scenario at full size
 * (bench/cross-check.ts), and `racewalk explore --cross-check` on demand.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { crossCheckScenarios } from '../src/run.js';
import type { CrossCheckSummary } from '../src/sched/cross-check.js';

const SMALL = [
  'hugetlb-walk-vs-unshare',
  'gup-hugetlb-vs-unshare',
  'pagewalk-vs-file-zap',
  'pagewalk-vs-split',
  'smaps-walk-vs-split',
  'pagewalk-vs-file-refault',
  'gup-split-pmd-zero-vs-zap',
  'pagewalk-vs-retract',
  'gup-fast-vs-retract-page-tables',
];
const OPTS = { dporCap: 800, dfsCap: 800, boundedCap: 800, samples: 60, shards: [2, 3] } as const;

const totals = { cases: 0, compared: 0, tooBig: 0, mutants: 0, mutantsViolating: 0, shardRuns: 0, dporExecutions: 0, shardExecutions: 0 };
/** the move-a-store mutants (delay-store and hoist-store): generated, compared, violating */
const moved = { generated: 0, compared: 0, violating: 0, delay: 0, delayViolating: 0, hoist: 0, hoistViolating: 0 };
const add = (r: CrossCheckSummary) => {
  totals.cases += r.cases.length;
  totals.compared += r.compared;
  totals.tooBig += r.tooBig;
  totals.mutants += r.mutants;
  totals.mutantsViolating += r.mutantsViolating;
  for (const k of ['delay-store', 'hoist-store'] as const) {
    const c = r.byKind[k];
    moved.generated += c.generated;
    moved.compared += c.compared;
    moved.violating += c.violating;
  }
  moved.delay += r.byKind['delay-store'].generated;
  moved.delayViolating += r.byKind['delay-store'].violating;
  moved.hoist += r.byKind['hoist-store'].generated;
  moved.hoistViolating += r.byKind['hoist-store'].violating;
  for (const c of r.cases) {
    if (c.tooBig) continue;
    totals.dporExecutions += c.dpor.executions;
    for (const s of c.shards) {
      totals.shardRuns++;
      totals.shardExecutions += s.executions;
    }
  }
};

describe('cross-check: DPOR against DFS, bounded DFS, PCT, random and shards', () => {
  for (const scenario of SMALL) {
    test(`${scenario}: configurations and generated mutants agree`, () => {
      const r = crossCheckScenarios({ scenarios: [scenario], ...OPTS });
      add(r);
      expect(r.disagreements).toEqual([]);
    });
  }
  afterAll(() => {
    console.log(`cross-check: ${JSON.stringify(totals)} move-a-store: ${JSON.stringify(moved)}`);
  });
  test('the suite compared enough cases, and the mutations mattered', () => {
    // runs after the scenario tests (vitest runs a file's tests in order)
    expect(totals.compared).toBeGreaterThanOrEqual(40);
    expect(totals.mutants).toBeGreaterThanOrEqual(30);
    // a mutant that no search can tell from the original checks nothing: most must violate
    expect(totals.mutantsViolating).toBeGreaterThanOrEqual(10);
  });
});
