/**
 * GUP-fast against khugepaged collapsing the PTE table it walks (collapse_huge_page, anon):
 * pmdp_collapse_flush() unlinks the table but leaves its PTEs, __collapse_huge_page_isolate()
 * checks each page's refcount for GUP references, then the pages are copied into a new THP and
 * freed. A GUP-fast that takes its reference after that check and still trusts the table keeps a
 * page whose contents now live elsewhere (the race of 70cbc3cc78a9 and 2ba99c5e0881, 2022).
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] -> pt1 maps small anon pages page[4] at 0x0
 * and page[5] at 0x1000; pages 2..3 are free for the new THP.
 * Threads: cpu0 GUP-fast (FOLL_GET, 1 page at 0x0); cpu1 khugepaged collapse_huge_page(0x0).
 * Environment default: tlb=broadcast (arm64: pmdp_collapse_flush() does not wait for GUP-fast).
 */
import { FOLL_GET, get_user_pages_fast } from '../kernel/paths/gup.js';
import { collapse_huge_page } from '../kernel/paths/khugepaged.js';
import type { Scenario } from './scenario.js';

export const gupFastVsCollapse: Scenario = {
  name: 'gup-fast-vs-collapse',
  description: 'get_user_pages_fast(FOLL_GET) on a small anon page against khugepaged collapse_huge_page() of its PTE table',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0).anonFolioPteMapped(5, 0, 1, 1),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET);
      },
    },
    {
      name: 'khugepaged: collapse_huge_page(0x0)',
      *start() {
        return yield* collapse_huge_page(k, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { gup_pte_range: 'no-pmd-recheck', collapse_huge_page: 'no-sync-one' },
      invariant: 'gup-page-not-collapsed',
      fixedBy: '"mm: gup: fix the fast GUP race against THP collapse" (Yang Shi, v6.0) and "mm/khugepaged: fix GUP-fast interaction by sending IPI" (v6.1); shas not verified',
      note: 'v5.19 GUP-fast (no PMD re-check) against v6.0 collapse (no tlb_remove_table_sync_one) where the flush does not wait for irqs-off CPUs: GUP keeps a page khugepaged copied and freed',
    },
  ],
  cleanConfigs: [
    { variants: { gup_huge_pmd: 'x86-get_page' }, note: 'v4.12 x86 GUP-fast of the huge PMD the collapse installs: the new THP is live, references on it are fine' },
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'tlb_remove_table_sync_one() waits out the walk before the refcount check' },
    { variants: { gup_pte_range: 'tail-page-ref' }, note: 'v4.4 on order-0 pages' },
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'v4.5 GUP against the v6.6 collapse' },
    { variants: { gup_pte_range: 'x86-get_page' }, note: 'v4.12 x86 GUP against the v6.6 collapse' },
    { variants: {}, note: 'v6.6: PMD re-check in GUP-fast and tlb_remove_table_sync_one() in collapse' },
    { variants: { collapse_huge_page: 'no-sync-one' }, note: 'v6.0: the PMD re-check alone (70cbc3cc78a9) closes the refcount race' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'tlb_remove_table_sync_one() alone waits out the GUP-fast walk before the refcount check' },
    { variants: { gup_pte_range: 'no-pmd-recheck', collapse_huge_page: 'no-sync-one' }, env: { tlb: 'ipi' }, note: 'x86 native before 2022: the flush IPI in pmdp_collapse_flush() waited for the irqs-off walk' },
  ],
};
