/**
 * GUP-fast (FOLL_PIN | FOLL_WRITE) on a PMD-mapped anonymous THP against __split_huge_pmd() of
 * the same PMD (mprotect/munmap/madvise of part of the THP): pmdp_invalidate() + flush, the
 * deposited table filled with PTEs, smp_wmb(), pmd_populate(). GUP-fast either pins through the
 * huge PMD before the invalidation (its pmd re-check still sees the huge PMD), backs off on the
 * invalidated PMD (pmd_access_permitted() fails), or walks the new PTE table.
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] maps page[4..5] huge, page[1] is the
 * deposited PTE table.
 * Threads: cpu0 pin_user_pages_fast(0x0, 2, FOLL_WRITE); cpu1 split_huge_pmd(vma, pmd, 0x0).
 */
import { FOLL_PIN, FOLL_WRITE, get_user_pages_fast } from '../kernel/paths/gup.js';
import { ANON_VMA, split_huge_pmd } from '../kernel/paths/huge_memory.js';
import type { Scenario } from './scenario.js';
import { pmd_offset } from '../kernel/mm.js';

export const gupFastVsSplitHugePmd: Scenario = {
  name: 'gup-fast-vs-split-huge-pmd',
  description: 'pin_user_pages_fast(FOLL_WRITE) on a PMD-mapped anon THP against split_huge_pmd() of its PMD',
  kernel: 'v6.6',
  drives: {FOLL_PIN: 'pin_user_pages_fast(FOLL_WRITE), unpin_user_page()', 'pte-mapped-thp': 'the split leaves the THP mapped by PTEs'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.anonThpPmdMapped(4, 1, 0, 1),
  threads: (k) => [
    {
      name: 'pin_user_pages_fast(0x0, 2, FOLL_WRITE)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 2, FOLL_PIN | FOLL_WRITE);
      },
    },
    {
      name: 'split_huge_pmd(vma, pmd, 0x0)',
      *start() {
        yield* split_huge_pmd(k, ANON_VMA, pmd_offset(k, 0), 0);
      },
    },
  ],
  knownRaces: [],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'the split moves mappings, it frees nothing' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: the split keeps the PMD huge-but-invalid until the PTE table is published; GUP-fast re-checks the PMD' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with an IPI TLB flush (x86 native)' },
  ],
};
