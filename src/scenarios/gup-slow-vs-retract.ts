/**
 * get_user_pages(FOLL_GET | FOLL_SPLIT_PMD) (uprobes) of a file page whose (empty) PTE table khugepaged's
 * retract_page_tables() unlinks and frees (pte_free_defer) without mmap_lock for write (v6.5+).
 * v6.6 follow_page_pte() maps the table with pte_offset_map_lock() (RCU section + pmd_same under
 * the PTL) and returns NULL if it is gone; the v6.4 follow_page_pte() dereferences *pmd twice
 * (pte_lockptr, pte_offset_map) trusting mmap_lock to keep it a table.
 *
 * World: pmd[0] -> pt1 (empty); the file THP page[4..5] is in the page cache (the fault that GUP
 * retries maps it). Threads: cpu0 GUP, cpu1 khugepaged, cpu2 the RCU kthread.
 */
import { retract_page_tables } from '../kernel/paths/khugepaged.js';
import { rcu_invoke } from '../kernel/paths/mmu_gather.js';
import { rcuThread } from '../kernel/paths/rcu.js';
import { FOLL_GET } from '../kernel/paths/gup.js';
import { FOLL_SPLIT_PMD, get_user_pages } from '../kernel/paths/gup_slow.js';
import type { Vma } from '../kernel/walkers_world.js';
import { fileThpInPageCache } from '../kernel/walkers_world.js';
import { at, spin_unlock } from '../kernel/primitives.js';
import type { Scenario } from './scenario.js';

const VMA: Vma = { name: 'file', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false, fileFolio: 4 };

export const gupSlowVsRetract: Scenario = {
  name: 'gup-slow-vs-retract',
  description: 'get_user_pages(FOLL_GET|FOLL_SPLIT_PMD, as uprobes) in an empty file PTE table that khugepaged retract_page_tables() unlinks and frees (v6.5+: without mmap_lock for write)',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  // collapse_file() holds the new THP locked until after retract_page_tables(): a fault on it
  // waits in __do_fault()'s folio_lock(). The folio lock is page[4]'s spare ptl cell, held by cpu1.
  world: (b) => fileThpInPageCache(b.pageTable(0, 1), 4, 1).custom((m, L) => {
    L.aliases.set(L.ptl(4), 'page[4].flags:PG_locked');
    m.write(L.ptl(4), 2);
  }),
  threads: (k) => [
    {
      name: 'get_user_pages(0x0, 1, FOLL_GET|FOLL_SPLIT_PMD)',
      *start() {
        return yield* get_user_pages(k, VMA, 0, 1, FOLL_GET | FOLL_SPLIT_PMD);
      },
    },
    {
      name: 'khugepaged: collapse_file(): retract_page_tables(0x0); folio_unlock(folio)',
      *start() {
        const r = yield* retract_page_tables(k, 0);
        yield* spin_unlock(k.L.ptl(4), at('collapse_file', 'folio_unlock(folio)'));
        return r;
      },
    },
    rcuThread(k, (cb, pfn) => rcu_invoke(k, cb, pfn)),
  ],
  knownRaces: [],
  cleanConfigs: [
    { variants: { retract_page_tables: 'v6.1-sync-one' }, note: 'v6.1..v6.4 retract under mmap_write_lock: the mmap_read_lock GUP holds excludes it' },
    { variants: { retract_page_tables: 'v6.0-pte-free' }, note: 'v6.0 retract under mmap_write_lock: the mmap_read_lock GUP holds excludes it' },
    { variants: { follow_pmd_mask: 'v6.4-foll-split-pmd', retract_page_tables: 'v6.1-sync-one' }, note: 'v6.1..v6.4 as shipped: slow GUP and retract exclude each other by mmap_lock' },
    { variants: {}, note: 'v6.6: pte_offset_map_lock() re-validates under the PTL inside an RCU section; NULL -> fault -> retry' },
  ],
};
