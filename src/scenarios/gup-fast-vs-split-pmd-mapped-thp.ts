/**
 * GUP-fast (FOLL_PIN | FOLL_WRITE) on a PMD-mapped anonymous THP against split_huge_page() of
 * it: unmap_folio() -> try_to_migrate_one() -> split_huge_pmd_address(freeze = true), the
 * freeze form of __split_huge_pmd_locked() that shares the anon-exclusive folio
 * (page_try_share_anon_rmap(), "invalidate PMD first") and installs migration entries — or,
 * when the folio may be pinned, splits the PMD only "and let try_to_migrate_one() fail later".
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] maps page[4..5] huge (page[1] deposited);
 * the splitting caller holds one extra reference on page[4].
 * Threads: cpu0 pin_user_pages_fast(0x0, 2, FOLL_WRITE); cpu1 folio_trylock + split_folio +
 * folio_unlock + folio_put.
 */
import { FOLL_PIN, FOLL_WRITE, get_user_pages_fast } from '../kernel/paths/gup.js';
import { split_huge_page_caller } from '../kernel/paths/huge_memory.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

export const gupFastVsSplitPmdMappedThp: Scenario = {
  name: 'gup-fast-vs-split-pmd-mapped-thp',
  description: 'pin_user_pages_fast(FOLL_WRITE) on a PMD-mapped anon THP against split_huge_page() (freeze split of the PMD to migration entries, refcount freeze, split, remap)',
  kernel: 'v6.6',
  drives: {FOLL_PIN: 'pin_user_pages_fast(FOLL_WRITE), unpin_user_page()', 'pte-mapped-thp': 'a failed split remaps the THP by PTEs'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.anonThpPmdMapped(4, 1, 0, 1).extraRef(4, 1),
  threads: (k) => [
    {
      name: 'pin_user_pages_fast(0x0, 2, FOLL_WRITE)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 2, FOLL_PIN | FOLL_WRITE);
      },
    },
    {
      name: 'split_folio(page[4]) with a reference and the folio lock',
      *start() {
        return yield* split_huge_page_caller(k, 4, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { split_huge_page_to_list: 'no-refcount-check' },
      invariant: 'refcount-covers-mapcount-and-pins',
      fixedBy: MUTATION,
      note: 'a split that freezes whatever the refcount is freezes and splits a folio GUP pinned through its huge PMD',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'the split refuses a pinned folio whatever GUP re-checks' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: the freeze split backs off to a plain PMD split on a maybe-pinned folio, try_to_migrate_one() then refuses, and folio_ref_freeze() fails' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with an IPI TLB flush (x86 native)' },
  ],
};
