/**
 * GUP-fast (FOLL_PIN | FOLL_WRITE) on a PTE-mapped anonymous THP against split_huge_page() of
 * that folio by a caller holding a reference and the folio lock (deferred_split_scan()):
 * unmap_folio() replaces the PTEs by migration entries (or backs off on a pinned
 * anon-exclusive page), folio_ref_freeze() at the expected count fails while GUP holds the
 * folio, and only an unpinned folio is split and remapped.
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] -> pt1 maps page[4] (head) at 0x0 and
 * page[5] (tail) at 0x1000; the splitting caller holds one extra reference on page[4].
 * Threads: cpu0 pin_user_pages_fast(0x0, 2, FOLL_WRITE); cpu1 folio_trylock + split_folio +
 * folio_unlock + folio_put.
 */
import { FOLL_PIN, FOLL_WRITE, get_user_pages_fast } from '../kernel/paths/gup.js';
import { split_huge_page_caller } from '../kernel/paths/huge_memory.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

export const gupFastVsSplitHugePage: Scenario = {
  name: 'gup-fast-vs-split-huge-page',
  description: 'pin_user_pages_fast(FOLL_WRITE) on a PTE-mapped anon THP against split_huge_page() (unmap to migration entries, refcount freeze, split, remap)',
  kernel: 'v6.6',
  drives: {FOLL_PIN: 'pin_user_pages_fast(FOLL_WRITE), unpin_user_page()', 'pte-mapped-thp': 'the THP page[4..5] mapped by two PTEs'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 1, 1, 0).extraRef(4, 1),
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
      variants: { gup_pte_range: 'no-pte-recheck' },
      invariant: 'pinned-page-not-cow-shared',
      fixedBy: MUTATION,
      note: 'without the PTE re-check GUP keeps a pin taken after try_to_migrate_one() cleared the PTE and PageAnonExclusive (page_try_share_anon_rmap saw no pin yet): the pinned page is shared',
    },
    {
      variants: { split_huge_page_to_list: 'no-refcount-check' },
      invariant: 'refcount-covers-mapcount-and-pins',
      fixedBy: MUTATION,
      note: 'a split that freezes whatever the refcount is freezes and splits a folio GUP has pinned',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: try_to_migrate_one() backs off on the pinned anon-exclusive page and folio_ref_freeze(1 + extra_pins) fails (-EAGAIN)' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with an IPI TLB flush (x86 native)' },
  ],
};
