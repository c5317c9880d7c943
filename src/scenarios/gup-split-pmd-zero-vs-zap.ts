/**
 * get_user_pages(FOLL_GET | FOLL_SPLIT_PMD) (as uprobes asks for) on the huge zero page, against
 * MADV_DONTNEED (zap_huge_pmd) of the same PMD. Before v6.5 follow_pmd_mask() gave the huge zero
 * page its own branch: split_huge_pmd(); if (pmd_trans_unstable(pmd)) ret = -EBUSY; -- so a
 * zap between the PMD-lock check and the split makes GUP fail with -EBUSY although a retry
 * would fault the address in. v6.5+ splits, pte_alloc()s and lets follow_page_pte() return NULL
 * (then faultin_page and retry).
 *
 * World: pmd[0] maps the huge zero folio (page[4], page[5]) with page[1] deposited; page[6] is
 * the small zero page.
 */
import { zap_huge_pmd } from '../kernel/paths/huge_memory_walkers.js';
import { tlb_finish_mmu, tlb_gather_mmu } from '../kernel/paths/mmu_gather.js';
import { FOLL_GET } from '../kernel/paths/gup.js';
import { FOLL_SPLIT_PMD, get_user_pages } from '../kernel/paths/gup_slow.js';
import { hugeZeroPmdMapped, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA: Vma = { name: 'anon', vm_start: 0, vm_end: 2, vm_flags: 0, anon: true, deposited: 1, hugeZeroPfn: 4, zeroPfn: 6 };

export const gupSplitPmdZeroVsZap: Scenario = {
  name: 'gup-split-pmd-zero-vs-zap',
  description: 'get_user_pages(FOLL_GET|FOLL_SPLIT_PMD) on the huge zero page against MADV_DONTNEED (zap_huge_pmd): the pre-v6.5 -EBUSY',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => hugeZeroPmdMapped(b, 4, 1, 0, 1, 6),
  threads: (k) => [
    {
      name: 'get_user_pages(0x0, 1, FOLL_GET|FOLL_SPLIT_PMD)',
      *start() {
        return yield* get_user_pages(k, VMA, 0, 1, FOLL_GET | FOLL_SPLIT_PMD);
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
      variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' },
      invariant: 'gup-no-spurious-error',
      fixedBy: '"mm/gup: remove FOLL_SPLIT_PMD use of pmd_trans_unstable()" (Hugh Dickins, v6.5; sha not verified)',
      note: 'pre-v6.5: the zap empties the PMD before the split; pmd_trans_unstable() then fails GUP with -EBUSY',
    },
  ],
  cleanConfigs: [
    { variants: { follow_page_mask: 'no-walk-bracket' }, note: 'vma_pgtable_walk_begin() only locks hugetlb vmas: without it nothing changes here' },
    { variants: { follow_page_pte: 'v6.4-infallible-map' }, note: 'the v6.4 follow_page_pte() alone: the zap holds mmap_lock for read and never frees the table' },{ variants: {}, note: 'v6.6: split, pte_alloc(), follow_page_pte() -> NULL -> faultin_page() and retry' }],
};
