/**
 * GUP-fast walking a PTE table that munmap() frees: unmap_region() zaps the PTE, then
 * free_pgtables() unlinks the table (pmd_clear) and frees it through the mmu_gather -- by RCU,
 * by IPI, or with the pages after the TLB flush, per --env pt_free. GUP-fast holds irqs off over
 * its walk, which is what every one of those freeing schemes waits for (mm/mmu_gather.c).
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1 maps a small anon page page[4] at 0x0; pmd[1] empty.
 * mm_users is 1: the lockless walker holds only mm_count (a lazy-TLB CPU, kthread_use_mm()),
 * which is what the pre-2018 `mm_users < 2` shortcut of tlb_remove_table() got wrong.
 * Threads: cpu0 GUP-fast (FOLL_GET, 1 page); cpu1 munmap(0x0, 0x2000); with pt_free=rcu, cpu2
 * is the RCU grace-period kthread that runs the queued tlb_remove_table_rcu() callback.
 */
import type { ThreadSpec } from '../core/execution.js';
import { FOLL_GET, get_user_pages_fast } from '../kernel/paths/gup.js';
import { unmap_region } from '../kernel/paths/mmap.js';
import { rcu_invoke } from '../kernel/paths/mmu_gather.js';
import { rcuThread } from '../kernel/paths/rcu.js';
import { MM_USERS } from '../kernel/world.js';
import type { K } from '../kernel/mm.js';
import type { Scenario } from './scenario.js';

/** the RCU kthread, when the configuration frees page tables by RCU */
export function rcuThreads(k: K): ThreadSpec[] {
  return k.env.pt_free === 'rcu' ? [rcuThread(k, (cb, pfn) => rcu_invoke(k, cb, pfn))] : [];
}

export const gupFastVsMunmapFreePgtables: Scenario = {
  name: 'gup-fast-vs-munmap-free-pgtables',
  description: 'get_user_pages_fast(FOLL_GET) inside a PTE table that munmap (zap_pte_range + free_pgtables + tlb_finish_mmu) frees; --env pt_free=rcu|ipi|immediate, tlb=broadcast|ipi',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast', pt_free: 'rcu' },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0).custom((m, L) => m.write(L.mm(MM_USERS), 1)),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET);
      },
    },
    {
      name: 'munmap(0x0, 0x2000): unmap_region',
      *start() {
        yield* unmap_region(k, 0, 2);
      },
    },
    ...rcuThreads(k),
  ],
  knownRaces: [
    {
      variants: { gup_pte_range: 'x86-get_page' },
      invariant: 'no-ref-on-free-page',
      fixedBy: 'e585513b76f7 "x86/mm/gup: Switch GUP to the generic get_user_page_fast() implementation" (v4.13): the generic code takes a speculative reference and re-checks the PTE',
      note: 'the v4.12 x86 get_page() on a page that zap freed while the broadcast flush did not wait for the irqs-off walk',
    },
    {
      variants: {},
      env: { pt_free: 'immediate', tlb: 'broadcast' },
      invariant: 'page-table-not-freed-under-walker',
      fixedBy: '"x86/mm: Enable RCU based page table freeing (CONFIG_HAVE_RCU_TABLE_FREE=y)" (v4.14, Xen PV, whose flush is a hypercall; sha not verified)',
      note: 'tables freed with the pages right after a TLB flush that does not wait for irqs-off CPUs (x86 PV guests before 9e52fc2b50de, v4.14)',
    },
    {
      variants: { tlb_remove_table: 'mm-users-shortcut' },
      invariant: 'page-table-not-freed-under-walker',
      fixedBy: '"mm/tlb: Remove tlb_remove_table() non-concurrent condition" (Peter Zijlstra, August 2018, v4.19, for stable; sha not verified)',
      note: 'pre-2018 tlb_remove_table(): mm_users < 2 frees the table at once, before any flush, IPI or grace period (removed by a6f572084fbe)',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'the page is only freed after the table, and the table after the grace period that waits for the walk' },
    { variants: { gup_pte_range: 'tail-page-ref' }, note: 'v4.4 on an order-0 page: page_cache_get_speculative() on the page itself is right for small pages' },
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'v4.5' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19' },
    { variants: {}, env: { pt_free: 'rcu' }, note: 'v6.6 MMU_GATHER_RCU_TABLE_FREE: call_rcu; the grace period waits for the irqs-off walk' },
    { variants: {}, env: { pt_free: 'ipi' }, note: 'v6.6 tlb_remove_table_one(): tlb_remove_table_sync_one() waits for the irqs-off walk' },
    { variants: {}, env: { pt_free: 'immediate', tlb: 'ipi' }, note: 'x86 native: the TLB-flush IPI waits for the irqs-off walk before the table is freed' },
  ],
};
