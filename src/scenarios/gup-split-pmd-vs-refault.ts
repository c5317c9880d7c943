/**
 * get_user_pages(FOLL_GET | FOLL_SPLIT_PMD) on a PMD-mapped file THP (uprobes on file text):
 * GUP's own split empties the PMD; a racing read fault (filemap_map_pages -> do_set_pmd) maps
 * the THP huge again before GUP's pte_alloc(). v6.6 pte_alloc() then sees a non-empty PMD, and
 * follow_page_pte()'s pte_offset_map_lock() returns NULL (retry); v6.4 follow_page_pte() has
 * `if (unlikely(pmd_bad(*pmd))) return no_page_table();` (x86 pmd_bad() is true for a huge PMD).
 */
import { do_set_pmd_fault } from '../kernel/paths/huge_memory_walkers.js';
import { FOLL_GET } from '../kernel/paths/gup.js';
import { FOLL_SPLIT_PMD, get_user_pages } from '../kernel/paths/gup_slow.js';
import { fileThpPmdMapped, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA: Vma = { name: 'file', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false, fileFolio: 4 };

export const gupSplitPmdVsRefault: Scenario = {
  name: 'gup-split-pmd-vs-refault',
  description: 'get_user_pages(FOLL_GET|FOLL_SPLIT_PMD) on a file THP (its split empties the PMD) against a fault that maps it by PMD again',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => fileThpPmdMapped(b, 4, 1, 0),
  threads: (k) => [
    {
      name: 'get_user_pages(0x0, 1, FOLL_GET|FOLL_SPLIT_PMD)',
      *start() {
        return yield* get_user_pages(k, VMA, 0, 1, FOLL_GET | FOLL_SPLIT_PMD);
      },
    },
    {
      name: 'read fault at 0x0: filemap_map_pages -> do_set_pmd',
      *start() {
        return yield* do_set_pmd_fault(k, VMA, 0);
      },
    },
  ],
  knownRaces: [],
  cleanConfigs: [
    { variants: { follow_page_mask: 'no-walk-bracket' }, note: 'vma_pgtable_walk_begin() only locks hugetlb vmas: without it nothing changes here' },
    { variants: { follow_page_pte: 'v6.4-infallible-map' }, note: 'v6.4 follow_page_pte() under the v6.6 follow_pmd_mask()' },
    { variants: {}, note: 'v6.6: pte_offset_map_lock() returns NULL for the refaulted huge PMD; GUP faults and retries' },
    { variants: { follow_pmd_mask: 'v6.4-foll-split-pmd' }, note: 'v6.4: pmd_bad() (x86: true for a huge PMD) sends GUP back to fault and retry' },
  ],
};
