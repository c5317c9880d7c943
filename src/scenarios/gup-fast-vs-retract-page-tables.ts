/**
 * GUP-fast inside a file/shmem PTE table that khugepaged retracts (retract_page_tables(): the
 * THP is in the page cache, the small pages already unmapped, the empty table is unlinked by
 * pmdp_collapse_flush() and freed). v6.6 frees it with pte_free_defer() (RCU); v6.1..v6.5 sent
 * tlb_remove_table_sync_one() first; v6.0 and before freed it at once (2ba99c5e0881).
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1, empty. Threads: cpu0 GUP-fast (FOLL_GET, 1 page at
 * 0x0: it maps the table and finds no page); cpu1 khugepaged retract_page_tables(0x0); cpu2 the
 * RCU grace-period kthread that runs pte_free_now().
 */
import { FOLL_GET, get_user_pages_fast } from '../kernel/paths/gup.js';
import { retract_page_tables } from '../kernel/paths/khugepaged.js';
import { rcu_invoke } from '../kernel/paths/mmu_gather.js';
import { rcuThread } from '../kernel/paths/rcu.js';
import type { Scenario } from './scenario.js';

export const gupFastVsRetractPageTables: Scenario = {
  name: 'gup-fast-vs-retract-page-tables',
  description: 'get_user_pages_fast(FOLL_GET) walking an empty file PTE table that khugepaged retract_page_tables() unlinks and frees (pte_free_defer)',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 4, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET);
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
      variants: { retract_page_tables: 'v6.0-pte-free' },
      invariant: 'page-table-not-freed-under-walker',
      fixedBy: '"mm/khugepaged: fix GUP-fast interaction by sending IPI" (v6.1; sha not verified)',
      note: 'v6.0: pte_free() right after pmdp_collapse_flush(), whose flush does not wait for the irqs-off GUP-fast (fixed by 2ba99c5e0881)',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'an empty table: no page to take a reference on' },
    { variants: { gup_pte_range: 'tail-page-ref' }, note: 'v4.4 GUP: an empty table' },
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'v4.5 GUP: an empty table' },
    { variants: { gup_pte_range: 'x86-get_page' }, note: 'v4.12 x86 GUP: an empty table' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP: an empty table' },
    { variants: {}, note: 'v6.6: pte_free_defer(): the grace period waits for the irqs-off walk' },
    { variants: { retract_page_tables: 'v6.1-sync-one' }, note: 'v6.1: tlb_remove_table_sync_one() before pte_free()' },
    { variants: { retract_page_tables: 'v6.0-pte-free' }, env: { tlb: 'ipi' }, note: 'x86 native: the flush IPI waits for the irqs-off walk' },
  ],
};
