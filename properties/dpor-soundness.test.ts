/**
 * Wrong CLEANs that DPOR gave before invariant reads were part of the footprint (issue 11):
 * each case is a known race (or a patched path that breaks one) that DFS, random walk and PCT
 * find, but that DPOR, sharded or on worker threads, reported CLEAN because the invariant that
 * tells the orders apart read state (a page table's `use`, a PMD a walker validated) that the
 * racing step's footprint did not name. Now what an invariant reads is footprint of the step it
 * checks, so every way of splitting the run must find the violation.
 */
import { describe, expect, test } from 'vitest';
import { check, type CheckOptions } from '../src/run.js';
import { checkParallel } from '../src/sched/parallel.js';
import { mergeSummaries, summarize } from '../src/sched/shard.js';
import { RETRACT_NO_PTL } from './fixtures/retract-no-ptl.js';

const quiet = { minimize: false, determinismEvery: 0 } as const;

function sharded(opts: CheckOptions, n: number) {
  const parts = Array.from({ length: n }, (_, i) => summarize(check({ ...opts, ...quiet, shard: { index: i + 1, count: n } }).explored));
  return mergeSummaries(parts, n);
}

describe('hugetlb-walk-vs-unshare, walk_hugetlb_range=v6.1-no-vma-lock (no-page-table-use-after-free)', () => {
  const opts: CheckOptions = { scenario: 'hugetlb-walk-vs-unshare', variants: { walk_hugetlb_range: 'v6.1-no-vma-lock' } };
  test('unsharded DPOR', () => {
    expect(check({ ...opts, ...quiet }).explored.verdict).toBe('violation');
  });
  test('--shard 1/2 + 2/2, merged', () => {
    expect(sharded(opts, 2).verdict).toBe('violation');
  });
  test('--shard 1/1', () => {
    expect(sharded(opts, 1).verdict).toBe('violation');
  });
  test('--shard i/3 and i/5, merged', () => {
    expect(sharded(opts, 3).verdict).toBe('violation');
    expect(sharded(opts, 5).verdict).toBe('violation');
  });
  test('--jobs 2 and --jobs 4', async () => {
    expect((await checkParallel({ ...opts, minimize: false }, 2)).explored.verdict).toBe('violation');
    expect((await checkParallel({ ...opts, minimize: false }, 4)).explored.verdict).toBe('violation');
  });
  test('--strategy iterative-dpor --jobs 2', async () => {
    expect((await checkParallel({ ...opts, strategy: 'iterative-dpor', minimize: false }, 2)).explored.verdict).toBe('violation');
  });
});

describe('gup-hugetlb-vs-unshare, follow_page_mask=no-walk-bracket', () => {
  const opts: CheckOptions = { scenario: 'gup-hugetlb-vs-unshare', variants: { follow_page_mask: 'no-walk-bracket' } };
  test('--jobs 2', async () => {
    expect((await checkParallel({ ...opts, minimize: false }, 2)).explored.verdict).toBe('violation');
  });
  test('--shard 1/2 + 2/2 and 1/1', () => {
    expect(sharded(opts, 2).verdict).toBe('violation');
    expect(sharded(opts, 1).verdict).toBe('violation');
  });
});

describe('a patch: v6.6 retract_page_tables() without spin_lock(ptl) (pmd-table-use-validated)', () => {
  for (const scenario of ['pagewalk-vs-retract', 'gup-slow-vs-retract']) {
    const opts: CheckOptions = { scenario, variants: { retract_page_tables: 'no-ptl' }, extraVariants: RETRACT_NO_PTL };
    test(`${scenario}: DPOR and iterative-dpor find it, unsharded and sharded`, () => {
      const r = check({ ...opts, ...quiet });
      expect(r.explored.verdict).toBe('violation');
      expect(r.explored.failing?.violation?.invariant).toBe('pmd-table-use-validated');
      expect(check({ ...opts, ...quiet, strategy: 'iterative-dpor' }).explored.verdict).toBe('violation');
      expect(sharded(opts, 2).verdict).toBe('violation');
    });
    test(`${scenario}: the faithful retract_page_tables() stays clean (exhaustive)`, () => {
      const r = check({ scenario, ...quiet });
      expect(r.explored.verdict).toBe('clean');
    });
  }
});
