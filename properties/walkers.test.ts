/**
 * Page-table walkers (issue 4): every walker scenario explored exhaustively with DPOR, the
 * verdict of each (walker, variant) pair checked, and the FOLL_SPLIT_PMD comparison between the
 * v6.4 and v6.6 forms stated as properties: which form can fail spuriously, which can use an
 * unstable PMD. Failure messages carry the replayable schedule.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { check, replayRecorded } from '../src/run.js';
import { assertClean, program, runPoints } from './helpers.js';
import { preemptionPoints } from '../src/sched/points.js';
import type { Scenario } from '../src/scenarios/scenario.js';
import { PTE_WALK_OPS, SMAPS_WALK_OPS, walk_page_range, type MmWalkOps } from '../src/kernel/paths/pagewalk.js';
import { VM_HUGETLB, VM_PFNMAP, type Vma } from '../src/kernel/walkers_world.js';
import { at, ghost } from '../src/kernel/primitives.js';

interface Row {
  readonly scenario: string;
  readonly variants: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  /** null: exhaustively clean; otherwise the invariant the minimal counterexample violates */
  readonly expect: string | null;
}

const ROWS: readonly Row[] = [
  { scenario: 'pagewalk-vs-split', variants: {}, expect: null },
  { scenario: 'pagewalk-vs-split', variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, expect: null },
  { scenario: 'smaps-walk-vs-split', variants: {}, expect: null },
  { scenario: 'pagewalk-vs-file-refault', variants: {}, expect: null },
  { scenario: 'pagewalk-vs-file-refault', variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, expect: null },
  { scenario: 'pagewalk-vs-file-refault', variants: { walk_pmd_range: 'no-unstable-check' }, expect: 'pmd-table-use-validated' },
  { scenario: 'pagewalk-vs-file-refault', variants: { walk_pte_range: 'no-action-again' }, expect: 'walk-visits-once' },
  { scenario: 'pagewalk-vs-file-zap', variants: {}, expect: null },
  { scenario: 'pagewalk-vs-file-zap', variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, expect: null },
  { scenario: 'pagewalk-vs-file-zap', variants: { walk_pte_range: 'no-action-again' }, expect: 'walk-visits-once' },
  { scenario: 'pagewalk-vs-retract', variants: {}, expect: null },
  // the v6.4 walker against the v6.5+ lockless retract never ran (refused by the era contracts,
  // properties/matrix.test.ts); as shipped, v6.1..v6.4, mmap_lock keeps them apart
  { scenario: 'pagewalk-vs-retract', variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable', retract_page_tables: 'v6.1-sync-one' }, expect: null },
  { scenario: 'pagewalk-vs-retract', variants: { walk_pte_range: 'no-action-again' }, expect: 'walk-visits-once' },
  { scenario: 'gup-split-pmd-zero-vs-zap', variants: {}, expect: null },
  { scenario: 'gup-split-pmd-zero-vs-zap', variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' }, expect: 'gup-no-spurious-error' },
  { scenario: 'gup-split-pmd-vs-refault', variants: {}, expect: null },
  { scenario: 'gup-split-pmd-vs-refault', variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' }, expect: null },
  { scenario: 'gup-slow-vs-retract', variants: {}, expect: null },
  { scenario: 'gup-slow-vs-retract', variants: { follow_page_pte: 'v6.4-infallible-map', retract_page_tables: 'v6.1-sync-one' }, expect: null },
  { scenario: 'hugetlb-walk-vs-unshare', variants: {}, expect: null },
  { scenario: 'hugetlb-walk-vs-unshare', variants: { walk_hugetlb_range: 'v6.1-no-vma-lock' }, expect: 'no-page-table-use-after-free' },
  { scenario: 'gup-hugetlb-vs-unshare', variants: {}, expect: null },
  { scenario: 'gup-hugetlb-vs-unshare', variants: { follow_page_mask: 'no-walk-bracket' }, expect: 'no-page-table-use-after-free' },
];

const label = (r: Row): string => `${r.scenario} ${Object.entries(r.variants).map(([p, v]) => `${p}=${v}`).join(' ') || 'faithful'}`;

describe('walker verdicts (DPOR, exhaustive within the model)', () => {
  for (const row of ROWS) {
    test(`${label(row)} -> ${row.expect ?? 'clean'}`, () => {
      const r = check({ scenario: row.scenario, variants: row.variants, env: row.env, strategy: 'dpor', maxExecutions: 20_000 });
      if (row.expect === null) {
        expect(r.explored.verdict, `unexpected ${r.report.invariant}: replay with ${r.report.schedule}`).toBe('clean');
        expect(r.explored.exhaustive, `not exhaustive: ${r.explored.bounds.join(', ')}`).toBe(true);
      } else {
        expect(r.explored.verdict).toBe('violation');
        expect(r.report.invariant, `schedule ${r.report.schedule}`).toBe(row.expect);
      }
    });
  }
});

describe('FOLL_SPLIT_PMD: v6.4 versus v6.6 follow_pmd_mask/follow_page_pte', () => {
  test('only the v6.4 form fails spuriously (-EBUSY on the huge zero page)', () => {
    const old = check({ scenario: 'gup-split-pmd-zero-vs-zap', variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' }, strategy: 'dpor' });
    const now = check({ scenario: 'gup-split-pmd-zero-vs-zap', strategy: 'dpor' });
    expect(old.report.invariant).toBe('gup-no-spurious-error');
    expect(now.explored.verdict, `v6.6 failed: ${now.report.schedule}`).toBe('clean');
  });
  test('the v6.4 form trusts mmap_lock: it never ran against the v6.5+ lockless retract (refused), and is clean against the v6.1..v6.4 retract that mmap_lock excludes', () => {
    expect(() => check({ scenario: 'gup-slow-vs-retract', variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' }, strategy: 'dpor' })).toThrow(/lockless|mmap_lock for write.*since v6\.5/);
    const shipped = check({ scenario: 'gup-slow-vs-retract', variants: { follow_pmd_mask: 'v6.4-foll-split-pmd', retract_page_tables: 'v6.1-sync-one' }, strategy: 'dpor' });
    expect(shipped.explored.verdict, `v6.4 as shipped failed: ${shipped.report.schedule}`).toBe('clean');
    const now = check({ scenario: 'gup-slow-vs-retract', strategy: 'dpor' });
    expect(now.explored.verdict, `v6.6 failed: ${now.report.schedule}`).toBe('clean');
    expect(now.explored.exhaustive).toBe(true);
  });
});

describe('walkers hold every invariant under random preemption schedules (fast-check)', () => {
  for (const scenario of ['pagewalk-vs-file-refault', 'pagewalk-vs-retract', 'gup-slow-vs-retract', 'hugetlb-walk-vs-unshare']) {
    test(`${scenario} faithful`, () => {
      const p = program(scenario);
      fc.assert(fc.property(preemptionPoints({ maxPreemptions: 4 }), (points) => assertClean(p, runPoints(p, points))), { numRuns: 200 });
    });
  }
});

describe('walk_page_range vma handling', () => {
  // [0x0, 0x2000) VM_PFNMAP (no struct pages: handed to pte_hole), [0x2000, 0x4000) anon with a PTE
  // table mapping page[4] at 0x2000, [0x4000, 0x6000) hugetlb without a hugetlb_entry, then a gap.
  const vmas: Vma[] = [
    { name: 'pfnmap', vm_start: 0, vm_end: 2, vm_flags: VM_PFNMAP, anon: false },
    { name: 'anon', vm_start: 2, vm_end: 4, vm_flags: 0, anon: true },
    { name: 'hugetlb', vm_start: 4, vm_end: 6, vm_flags: VM_HUGETLB, anon: false },
  ];
  const scenario = (ops: MmWalkOps): Scenario => ({
    name: 'walk-vma-handling',
    description: 'one walker over VM_PFNMAP, anon and hugetlb vmas and a hole',
    kernel: 'v6.6',
    geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 4 },
    world: (b) => b.pageTable(1, 1).anonFolioPteMapped(4, 0, 1, 0),
    threads: (k) => [{ name: 'walk_page_range(0x0, 0x8000)', *start() { return yield* walk_page_range(k, vmas, 0, 8, ops); } }],
    knownRaces: [],
    cleanConfigs: [],
  });
  test('every address is handed to a callback or skipped by rule exactly once', () => {
    for (const ops of [PTE_WALK_OPS, SMAPS_WALK_OPS, { name: 'pte_only', pte_entry: PTE_WALK_OPS.pte_entry }]) {
      const r = check({ scenario: scenario(ops), strategy: 'dpor' });
      expect(r.explored.verdict, `${ops.name}: ${r.report.invariant}`).toBe('clean');
    }
  });
  test('test_walk returning 1 skips the vma; an error stops the walk and is returned', () => {
    const skipAll: MmWalkOps = { ...PTE_WALK_OPS, name: 'skip', *test_walk(_k, start, end) { yield* ghost({ type: 'walk_visit', start, end, by: 'test_walk skip' }, at('test_walk', 'return 1')); return 1; } };
    expect(check({ scenario: scenario(skipAll), strategy: 'dpor' }).explored.verdict).toBe('clean');
    const fail: MmWalkOps = { ...PTE_WALK_OPS, name: 'fail', *test_walk() { return -14; } };
    const r = check({ scenario: scenario(fail), strategy: 'dpor' });
    expect(r.explored.verdict).toBe('clean');
    expect(replayRecorded(r.program, []).threadResults[0]).toBe(-14);
  });
});
