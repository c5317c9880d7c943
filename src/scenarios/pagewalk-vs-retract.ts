/**
 * The generic page walker (pte_entry + pte_hole) over an empty file PTE table that khugepaged's
 * retract_page_tables() unlinks (pmdp_collapse_flush under the PMD lock and the PTL) and frees
 * with pte_free_defer() -- since v6.5 without mmap_lock for write, so a walker holding only
 * mmap_lock for read can meet it. This is why v6.5 removed pmd_trans_unstable() from the walker:
 * the v6.4 walker's "a table stays a table under mmap_lock" no longer holds.
 *
 * Threads: cpu0 the walker, cpu1 khugepaged retract_page_tables(0x0), cpu2 the RCU kthread that
 * runs pte_free_now() after a grace period.
 */
import { retract_page_tables } from '../kernel/paths/khugepaged.js';
import { rcu_invoke } from '../kernel/paths/mmu_gather.js';
import { rcuThread } from '../kernel/paths/rcu.js';
import { PTE_WALK_OPS, walk_page_range_mmap_read_locked } from '../kernel/paths/pagewalk.js';
import type { Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

const VMA: Vma = { name: 'file', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false };

export const pagewalkVsRetract: Scenario = {
  name: 'pagewalk-vs-retract',
  description: 'walk_page_range() with pte_entry+pte_hole over an empty file PTE table that khugepaged retract_page_tables() unlinks and frees (pte_free_defer), without mmap_lock for write (v6.5+)',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 4, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b.pageTable(0, 1),
  threads: (k) => [
    {
      name: 'walk_page_range(0x0, 0x2000, pte_walk_ops)',
      *start() {
        return yield* walk_page_range_mmap_read_locked(k, [VMA], 0, 2, PTE_WALK_OPS);
      },
    },
    {
      name: 'khugepaged: retract_page_tables(0x0)',
      *start() {
        return yield* retract_page_tables(k, 0);
      },
    },
    rcuThread(k, (cb, pfn) => rcu_invoke(k, cb, pfn)),
  ],
  knownRaces: [
    {
      variants: { walk_pte_range: 'no-action-again' },
      invariant: 'walk-visits-once',
      fixedBy: MUTATION,
      note: 'pte_offset_map_lock() finds the table gone; without ACTION_AGAIN the range is skipped instead of reported as a hole',
    },
  ],
  cleanConfigs: [
    { variants: { retract_page_tables: 'v6.1-sync-one' }, note: 'v6.1..v6.4 retract under mmap_write_lock: the mmap_read_lock the walker holds excludes it' },
    { variants: { retract_page_tables: 'v6.0-pte-free' }, note: 'v6.0 retract under mmap_write_lock: the mmap_read_lock the walker holds excludes it' },
    { variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable', retract_page_tables: 'v6.1-sync-one' }, note: 'v6.1..v6.4 as shipped: walker and retract exclude each other by mmap_lock' },{ variants: {}, note: 'v6.6: pte_offset_map_lock() in an RCU section re-checks pmd_same() under the PTL; NULL -> ACTION_AGAIN -> pte_hole' }],
};
