/**
 * The generic page walker with pte_entry + pte_hole over a PMD-mapped file THP, against
 * MADV_DONTNEED (zap_huge_pmd() under mmap_lock for read) that clears the PMD and leaves it
 * empty. Either the walker's split or the zap empties it; the walker must report the range as
 * a hole exactly once.
 */
import { zap_huge_pmd } from '../kernel/paths/huge_memory_walkers.js';
import { tlb_finish_mmu, tlb_gather_mmu } from '../kernel/paths/mmu_gather.js';
import { PTE_WALK_OPS, walk_page_range_mmap_read_locked } from '../kernel/paths/pagewalk.js';
import { fileThpPmdMapped, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

const VMA: Vma = { name: 'file', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false, fileFolio: 4 };

export const pagewalkVsFileZap: Scenario = {
  name: 'pagewalk-vs-file-zap',
  description: 'walk_page_range() with pte_entry+pte_hole over a file THP against MADV_DONTNEED (zap_huge_pmd) leaving the PMD empty',
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
      name: 'madvise(0x0, 0x2000, MADV_DONTNEED): zap_huge_pmd',
      *start() {
        const tlb = yield* tlb_gather_mmu(k);
        yield* zap_huge_pmd(k, tlb, VMA, k.L.entry(k.pmdTable, 0));
        yield* tlb_finish_mmu(k, tlb);
      },
    },
  ],
  knownRaces: [
    {
      variants: { walk_pmd_range: 'no-unstable-check' },
      invariant: 'pmd-table-use-validated',
      fixedBy: MUTATION,
      note: 'the split of a file THP empties the PMD; without the re-check the walker maps the empty PMD as a table',
    },
    {
      variants: { walk_pte_range: 'no-action-again' },
      invariant: 'walk-visits-once',
      fixedBy: MUTATION,
      note: 'without ACTION_AGAIN the emptied PMD is neither walked nor reported as a hole',
    },
  ],
  cleanConfigs: [
    { variants: {}, note: 'v6.6: NULL from pte_offset_map_lock(), ACTION_AGAIN, then pmd_none() -> pte_hole' },
    { variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, note: 'v5.6-v6.4: pmd_trans_unstable() sees the empty PMD and goes again' },
  ],
};
