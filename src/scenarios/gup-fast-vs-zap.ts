/**
 * GUP-fast (FOLL_GET) over a PTE-mapped THP against munmap of the same range: zap_pte_range()
 * clears the PTEs, tlb_finish_mmu() flushes and frees the folio, and the next fault on the same
 * CPU reuses the freed page. The classic race of lockless GUP: the speculative reference must
 * be validated by re-reading the PTE.
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1 maps an order-1 anon THP (page[4] head, page[5]
 * tail) at 0x0 and 0x1000; pmd[1] -> pt2 is empty (the later fault lands at 0x2000).
 * Environment default: tlb=broadcast (arm64-style: the TLB flush does not wait for CPUs with
 * irqs off, so zap can free the page while GUP-fast is between its PTE read and its reference).
 */
import { at } from '../kernel/primitives.js';
import { do_anonymous_page, zap_page_range_single } from '../kernel/paths/memory.js';
import { FOLL_GET, get_user_pages_fast } from '../kernel/paths/gup.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';
import { ghost } from '../kernel/primitives.js';

export const gupFastVsZap: Scenario = {
  name: 'gup-fast-vs-zap',
  description: 'get_user_pages_fast(FOLL_GET) on a PTE-mapped THP against munmap (zap_pte_range + tlb_finish_mmu) and a fault that reuses the freed page',
  kernel: 'v6.6',
  drives: {'pte-mapped-thp': 'the THP page[4..5] mapped by two PTEs'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1).pageTable(1, 2).anonFolioPteMapped(4, 1, 1, 0),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 2, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 2, FOLL_GET);
      },
    },
    {
      name: 'munmap(0x0, 0x2000); fault at 0x2000',
      *start() {
        yield* zap_page_range_single(k, 0, 2);
        yield* ghost({ type: 'munmap_done' }, at('munmap', 'return'));
        return yield* do_anonymous_page(k, 2);
      },
    },
  ],
  knownRaces: [
    {
      variants: { gup_pte_range: 'no-pte-recheck' },
      invariant: 'gup-returns-mapped-page',
      fixedBy: MUTATION,
      note: 'without the PTE re-check GUP keeps a reference on a page zap freed and the fault reused',
    },
    {
      variants: { gup_pte_range: 'x86-get_page' },
      invariant: 'gup-returns-mapped-page',
      fixedBy: 'e585513b76f7 "x86/mm/gup: Switch GUP to the generic get_user_page_fast() implementation" (v4.13): the generic code takes a speculative reference and re-checks the PTE',
      note: 'pre-v4.13 x86 get_page() without re-check, once the TLB flush no longer waits for irqs-off CPUs',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19: the PTE re-check alone catches the zap (it clears the PTE)' },
    { variants: {}, note: 'v6.6: speculative reference on the folio, then PMD and PTE re-check' },
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'the v4.5 fix: reference on compound_head(page), PTE re-check' },
    { variants: { gup_pte_range: 'x86-get_page' }, env: { tlb: 'ipi' }, note: 'pre-v4.13 x86 was safe while the TLB-flush IPI had to wait for its irqs-off walk' },
  ],
};
