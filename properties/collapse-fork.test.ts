/**
 * Properties of the collapse, page-table-freeing and fork paths beyond "the invariants hold":
 * each exhaustive (DPOR) search below also shows that the outcome it protects really happens in
 * some execution, so a clean verdict is not vacuous (a table that is never freed, a collapse
 * that always backs off, a fork that never copies).
 */
import { describe, expect, test } from 'vitest';
import { runExecution, type ExecResult } from '../src/core/execution.js';
import type { KernelInvariant } from '../src/kernel/invariants.js';
import { DEFAULT_INVARIANTS } from '../src/kernel/invariants.js';
import { SCAN } from '../src/kernel/paths/khugepaged.js';
import { pmd_pgtable, pmd_trans_huge, pmd_pfn } from '../src/kernel/pgtable.js';
import type { BuiltProgram } from '../src/scenarios/scenario.js';
import { findStrategy } from '../src/sched/index.js';
import { describeFailure, program } from './helpers.js';
import { isGhost } from '../src/kernel/ghosts.js';

/** Every execution of an exhaustive DPOR search (sleep-set-blocked ones skipped). */
function forEachExecution(p: BuiltProgram, f: (r: ExecResult) => void, max = 50_000): number {
  const s = findStrategy('dpor').create({ seed: 1, preemptions: Infinity });
  let n = 0;
  while (s.nextExecution()) {
    const r = runExecution(p, s);
    s.endExecution(r);
    if (r.aborted) continue;
    n++;
    f(r);
    if (n >= max) throw new Error(`more than ${max} executions: not exhaustive`);
  }
  expect(s.complete).toBe(true);
  return n;
}

function withInvariants(p: BuiltProgram, invariants: readonly KernelInvariant[]): BuiltProgram {
  return { ...p, invariants };
}

/** An end-of-execution check as an invariant, reading the final machine state. */
function atEnd(name: string, check: (mem: Float64Array, L: BuiltProgram['k']['L']) => string | null): KernelInvariant {
  return {
    name,
    description: name,
    start: (m) => ({ end: () => check(m.mem, m.world.L) }),
  };
}

describe('page tables freed by RCU', () => {
  test('munmap with pt_free=rcu: clean, and in some execution the rcu kthread frees the unlinked table after the walk', () => {
    const p = program('gup-fast-vs-munmap-free-pgtables', { env: { pt_free: 'rcu' } });
    let freedByRcu = 0;
    forEachExecution(p, (r) => {
      expect(r.violation, describeFailure(p, r)).toBeNull();
      expect(r.modelError, describeFailure(p, r)).toBeNull();
      if ((r.threadResults[2] as number) > 0) freedByRcu++;
    });
    expect(freedByRcu).toBeGreaterThan(0);
  });

  test('retract_page_tables (pte_free_defer): clean, and in some execution pte_free_now frees the table', () => {
    const p = program('gup-fast-vs-retract-page-tables');
    let freed = 0;
    forEachExecution(p, (r) => {
      expect(r.violation, describeFailure(p, r)).toBeNull();
      if ((r.threadResults[2] as number) > 0) freed++;
    });
    expect(freed).toBeGreaterThan(0);
  });
});

describe('collapse_huge_page', () => {
  const pmdNeverLeftEmpty = atEnd('pmd-restored-or-collapsed', (mem, L) => {
    const pmd = mem[L.entry(0, 0)]!;
    if (pmd_trans_huge(pmd)) return pmd_pfn(pmd) === 2 ? null : `pmd[0] maps THP page[${pmd_pfn(pmd)}], expected the new folio page[2]`;
    if (pmd === 0) return 'collapse left pmd[0] empty: neither the THP installed nor the old table restored';
    return pmd_pgtable(pmd) === 1 ? null : `pmd[0] points to table ${pmd_pgtable(pmd)}, not the original pt1`;
  });

  test('v6.6: every execution ends with the THP installed or the old table restored; both outcomes occur', () => {
    const base = program('gup-fast-vs-collapse');
    const p = withInvariants(base, [...DEFAULT_INVARIANTS, pmdNeverLeftEmpty]);
    const outcomes = new Set<number>();
    forEachExecution(p, (r) => {
      expect(r.violation, describeFailure(p, r)).toBeNull();
      outcomes.add(r.threadResults[1] as number);
    });
    // SCAN_PAGE_COUNT: the refcount check saw GUP-fast's reference and collapse backed off
    expect([...outcomes].sort()).toEqual([SCAN.SCAN_SUCCEED, SCAN.SCAN_PAGE_COUNT].sort());
  });
});

describe('fork and the COW write fault', () => {
  /** do_wp_page() must never copy away from a page a FOLL_PIN caller still holds (the user-visible bug). */
  const cowNotUnderPin: KernelInvariant = {
    name: 'cow-not-under-pin',
    description: 'the parent\'s write fault never replaces a page a returned FOLL_PIN pin holds',
    start: () => {
      const pinned = new Set<number>();
      const walking = new Set<number>();
      return {
        ghost(_tid, ev) {
          if (isGhost(ev, 'gup_hold')) walking.add(ev.pfn);
          else if (isGhost(ev, 'gup_fast_end')) {
            for (const p of walking) pinned.add(p);
            walking.clear();
          } else if (isGhost(ev, 'gup_release')) {
            pinned.delete(ev.pfn);
            walking.delete(ev.pfn);
          } else if (isGhost(ev, 'cow_copy') && pinned.has(ev.pfn)) {
            return `do_wp_page copied page[${ev.pfn}] to page[${ev.into}] while it is pinned: the parent no longer maps the pinned page`;
          }
          return null;
        },
      };
    },
  };

  test('v6.6: the pin is never COW-copied away; fork both shares (write fault copies) and copies for the child (no fault)', () => {
    const base = program('gup-fast-pin-vs-fork');
    const p = withInvariants(base, [...base.invariants, cowNotUnderPin]);
    const faults = new Set<string>();
    forEachExecution(p, (r) => {
      expect(r.violation, describeFailure(p, r)).toBeNull();
      faults.add(r.threadResults[1] as string);
    });
    // 'none': the child got a copy and the parent PTE stayed writable; 'copy': fork shared the
    // page (no pin at the time), so the parent's write fault broke COW
    expect(faults.has('none')).toBe(true);
    expect(faults.has('copy')).toBe(true);
  });

  test('without the write_protect_seq bracket the parent\'s write fault replaces the pinned page', () => {
    const base = program('gup-fast-pin-vs-fork', { variants: { copy_page_range: 'no-write-protect-seq' } });
    // without pinned-page-not-cow-shared, so the search reaches the consequence
    const p = withInvariants(base, [...DEFAULT_INVARIANTS.filter((i) => i.name !== 'pinned-page-not-cow-shared'), cowNotUnderPin]);
    let found: ExecResult | null = null;
    forEachExecution(p, (r) => {
      if (found === null && r.violation?.invariant === 'cow-not-under-pin') found = r;
    });
    expect(found, 'no execution where do_wp_page copies away from the pinned page').not.toBeNull();
  });

  test('sequential fork of a page pinned before it: the child gets its own copy, the parent PTE stays writable', () => {
    const p = program('gup-fast-pin-vs-fork');
    // cpu0 pins and stops right before unpinning (at its first flags access), cpu1 forks fully
    const order: number[] = [];
    const r = runExecution(p, {
      choose(view) {
        const next0 = view.nextOp(0);
        const pinning = next0 !== null && !(next0.kind === 'load' && next0.label.fn === 'unpin_user_pages_dirty_lock');
        const c = pinning && view.enabled.includes(0) ? 0 : view.enabled.includes(1) ? 1 : view.enabled[0]!;
        order.push(c);
        return c;
      },
    }, true);
    expect(r.violation, describeFailure(p, r)).toBeNull();
    expect(r.threadResults[0]).toBe(1); // the pin was returned
    expect(r.threadResults[1]).toBe('none'); // the parent's PTE was still writable: no COW fault
    const copied = (r.trace ?? []).some((s) => s.notes.some((n) => n.startsWith('[fork_copy pfn=4')));
    expect(copied, 'copy_present_page() gave the child a copy of page[4]').toBe(true);
    const L = p.k.L;
    const parentPte = r.trace!.flatMap((s) => s.changes).filter((c) => c.what === L.nameOf(L.entry(1, 0)));
    expect(parentPte.length, 'fork must not touch the pinned page\'s PTE').toBe(0);
  });
});
