/**
 * The generic page walker with pte_entry + pte_hole over a PMD-mapped file THP. Its own
 * split_huge_pmd() of a file THP leaves the PMD empty ("We are going to unmap this huge page. So
 * just go ahead and zap it"), and a racing read fault (filemap_map_pages -> do_set_pmd) can map
 * the THP by PMD again before the walker looks. The walker must neither use the empty/huge PMD
 * as a page table nor skip the range: v6.6 redoes the PMD (ACTION_AGAIN), v5.6-v6.4 re-checks
 * pmd_trans_unstable() and goes `again`.
 *
 * World: pmd[0] maps an order-1 file THP (page[4], page[5]; the page cache holds 2 references).
 */
import { do_set_pmd_fault } from '../kernel/paths/huge_memory_walkers.js';
import { PTE_WALK_OPS, walk_page_range_mmap_read_locked } from '../kernel/paths/pagewalk.js';
import { fileThpPmdMapped, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

const VMA: Vma = { name: 'file', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false, fileFolio: 4 };

export const pagewalkVsFileRefault: Scenario = {
  name: 'pagewalk-vs-file-refault',
  description: 'walk_page_range() with pte_entry+pte_hole over a file THP (its split empties the PMD) against a fault that maps the THP by PMD again',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => fileThpPmdMapped(b, 4, 1, 0),
  threads: (k) => [
    {
      name: 'walk_page_range(0x0, 0x2000, pte_walk_ops)',
      *start() {
        return yield* walk_page_range_mmap_read_locked(k, [VMA], 0, 2, PTE_WALK_OPS);
      },
    },
    {
      name: 'read fault at 0x0: filemap_map_pages -> do_set_pmd',
      *start() {
        return yield* do_set_pmd_fault(k, VMA, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { walk_pmd_range: 'no-unstable-check' },
      invariant: 'pmd-table-use-validated',
      fixedBy: MUTATION,
      note: 'without the pmd_trans_unstable() re-check the v6.4 walker dereferences the empty (or refaulted huge) PMD as a page table',
    },
    {
      variants: { walk_pte_range: 'no-action-again' },
      invariant: 'walk-visits-once',
      fixedBy: MUTATION,
      note: 'when pte_offset_map_lock() finds no table, not setting ACTION_AGAIN skips the range: pte_hole is never called for it',
    },
  ],
  cleanConfigs: [
    { variants: {}, note: 'v6.6: pte_offset_map_lock() returns NULL for an empty or huge PMD, ACTION_AGAIN redoes it' },
    { variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, note: 'v5.6-v6.4: pmd_trans_unstable() after the split; under mmap_lock a table stays a table' },
  ],
};
