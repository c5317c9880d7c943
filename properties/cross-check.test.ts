/**
 * The cross-check in CI (src/sched/cross-check.ts): on every small scenario, in its faithful,
 * clean and known-race configurations and on the generated sync-dropping and move-a-store
 * mutants of its faithful paths, DPOR (unsharded and merged over shards) must agree with full DFS, DFS bounded to one
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
// DFS and bounded DFS run to their caps on every clean case (DPOR takes a handful of executions):
// they are most of the run time, so 500 each keeps the suite near its old time with the
// move-a-store mutants added (the full-size bench runs 5,000)
const OPTS = { dporCap: 800, dfsCap: 500, boundedCap: 500, samples: 60, shards: [2, 3] } as const;

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
    // runs after the scenario tests (vitest runs a file's tests in order). Measured: 121 cases,
    // all compared, 84 mutants, 26 violating; 242 shard runs
    expect(totals.compared).toBeGreaterThanOrEqual(100);
    expect(totals.mutants).toBeGreaterThanOrEqual(70);
    // a mutant that no search can tell from the original checks nothing: most must violate
    expect(totals.mutantsViolating).toBeGreaterThanOrEqual(18);
  });
  test('the move-a-store mutants were compared, and some of the moves are races', () => {
    // Measured: 38 move-a-store mutants (32 delay-store, 6 hoist-store), all 38 compared, 6
    // violating: pmd_populate() sunk past spin_unlock(ptl) in __split_huge_pmd (pagewalk-vs-split,
    // k = 1 and 2: VM_BUG_ON) and free_pmd_range()'s pud_clear() sunk past tlb_flush() (and
    // release_pages()) in hugetlb-walk-vs-unshare and gup-hugetlb-vs-unshare, k = 1 and 2:
    // tlb-flush-before-free. No hoist-store mutant violates: the 6 stores they hoist (pte
    // stores of a new, unpublished page table; pud_clear() above huge_pmd_unshare()'s
    // page_count() check) are not observable early in these worlds.
    expect(moved.generated).toBeGreaterThanOrEqual(30);
    expect(moved.hoist).toBeGreaterThanOrEqual(4);
    expect(moved.compared).toBe(moved.generated);
    expect(moved.violating).toBeGreaterThanOrEqual(5);
    expect(moved.delayViolating).toBeGreaterThanOrEqual(5);
  });
});
