/**
 * Issue 12 item 2: every modelled kernel function is declared once, and which of them a scenario
 * reaches is recorded by the calls themselves. This suite recomputes, by exhaustive search, the
 * reach table check-patch uses (src/scenarios/reach.generated.ts) and checks check-patch's choice
 * of scenarios against it.
 */
import { describe, expect, test } from 'vitest';
import { SCENARIOS } from '../src/scenarios/index.js';
import { BUILTIN_REACH } from '../src/scenarios/reach.generated.js';
import { computeReach, reachOf } from '../src/scenarios/reach.js';
import { PATHS, findPath } from '../src/kernel/paths/registry.js';
import { declOf, faithfulOf } from '../src/kernel/replaceable.js';
import { gup_pte_range } from '../src/kernel/paths/gup.js';
import { huge_pmd_unshare, unmap_hugepage_range } from '../src/kernel/paths/hugetlb.js';
import { __split_huge_pmd } from '../src/kernel/paths/huge_memory.js';
import { gup_pmd_range } from '../src/kernel/paths/gup.js';
import { check } from '../src/run.js';
import { defineScenario } from '../src/scenarios/define.js';
import { at, VM_BUG_ON } from '../src/kernel/primitives.js';
import { zap_page_range_single } from '../src/kernel/paths/memory.js';
import { ipiDeadlock, runaway } from './reliability-scenarios.js';

describe('reach', () => {
  // one exhaustive faithful search per scenario and environment: the table must be what the code does
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: the recorded reach is the table check-patch uses', (_name, s) => {
    expect(computeReach(s)).toEqual(BUILTIN_REACH[s.name]);
    expect(reachOf(s)).toEqual(BUILTIN_REACH[s.name]);
  }, 120_000);

  test('the table names every built-in scenario and only declared functions', () => {
    expect(Object.keys(BUILTIN_REACH).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
    for (const names of Object.values(BUILTIN_REACH)) for (const n of names) expect(findPath(n), n).toBeDefined();
  });

  test('the drifted cases of issue 12: the fork scenario reaches page_remove_rmap, the file-zap walker tlb_flush_mmu', () => {
    expect(BUILTIN_REACH['gup-fast-pin-vs-fork']).toContain('page_remove_rmap');
    expect(BUILTIN_REACH['pagewalk-vs-file-zap']).toContain('tlb_flush_mmu');
  });

  test('a run records what it reaches in the program', () => {
    const r = check({ scenario: 'gup-fast-vs-zap', minimize: false });
    expect([...r.program.reached]).toContain('zap_pte_range');
    expect([...r.program.reached]).toContain('gup_pte_range');
    // only the faithful program is built, so nothing from another interaction is recorded
    expect([...r.program.reached]).not.toContain('split_huge_page_to_list');
  });
});

describe('declared once', () => {
  test('every path is declared with its name, source and kernel; names are unique', () => {
    expect(new Set(PATHS.map((p) => p.name)).size).toBe(PATHS.length);
    for (const p of PATHS) {
      expect(p.source, p.name).toMatch(/\.(c|h)\b/);
      expect(p.kernel, p.name).toMatch(/^v\d/);
      expect(p.variants[0]!.name).toBe('faithful');
      expect(declOf(p.decl.call)).toBe(p.decl);
    }
  });

  test('the once hard-wired callees are replaceable', () => {
    for (const f of [huge_pmd_unshare, unmap_hugepage_range, __split_huge_pmd, gup_pmd_range]) expect(findPath(f.name), f.name).toBeDefined();
  });

  test('a replaced callee is what its callers run: a variant of gup_pmd_range that returns at once leaves GUP-fast with nothing', () => {
    // eslint-disable-next-line require-yield
    const none: typeof gup_pmd_range = function* () {
      return 0;
    };
    const r = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pmd_range: 'none' }, extraVariants: { gup_pmd_range: [{ name: 'none', description: '', kernel: 'test', range: { from: 'v6.6', to: 'v6.6' }, fn: none }] }, minimize: false });
    // the walk below gup_pmd_range never runs, whatever the schedule
    expect(r.program.reached.has('lockless_pages_from_mm')).toBe(true);
    expect(r.program.reached.has('gup_pte_range')).toBe(false);
    expect(faithfulOf(gup_pte_range)).not.toBe(gup_pte_range);
  });
});

describe('reach of a scenario whose faithful code fails a check, deadlocks or runs away', () => {
  // cpu0 fails a VM_BUG_ON at its first step; cpu1 zaps. The exploration that stopped at the
  // first failure (or DPOR told that an execution ended there) never ran cpu1, whose steps it
  // then saw no race with: zap_pte_range would be missing and a patch to it would skip this
  // scenario. Checks pass while sizing (CONFIG_DEBUG_VM=n), so every schedule runs to its end.
  const base = {
    description: 'test only',
    kernel: 'test',
    geometry: { nrPages: 4, ptrsPerPte: 2, ptrsPerPmd: 2 },
    knownRaces: [],
    cleanConfigs: [],
  };
  test('a failed check: what the other CPU runs after it is reached', () => {
    const s = defineScenario({
      ...base,
      name: 'test-reach-after-bug',
      world: (b) => b.pageTable(0, 1).anonFolioPteMapped(2, 0, 1, 0),
      threads: (k) => [
        { name: 'VM_BUG_ON(1)', *start() { yield* VM_BUG_ON(true, 'always', at('bug', 'VM_BUG_ON(1)')); } },
        { name: 'zap', *start() { yield* zap_page_range_single(k, 0, 1); } },
      ],
    });
    expect(computeReach(s)).toEqual(expect.arrayContaining(['zap_page_range_single', 'zap_pte_range', 'tlb_finish_mmu']));
    // and exploring it still reports the failed check
    expect(check({ scenario: s }).report.invariant).toBe('VM_BUG_ON');
  });

  test('a deadlock is explored past; a runaway is refused with the schedule that runs away', () => {
    expect(() => computeReach(ipiDeadlock)).not.toThrow();
    expect(() => computeReach(runaway)).toThrow(/cannot tell which functions scenario 'test-runaway' reaches \(env tlb=\w+ pt_free=\w+ secretmem=\w+\).*under schedule rw1:test-runaway:\S+ an execution runs past the step bound \(60\)/);
  });
});
