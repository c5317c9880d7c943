/**
 * Three CPUs: GUP-fast (FOLL_GET | FOLL_WRITE) of a PMD-mapped anonymous THP against two
 * MADV_DONTNEEDs of one page each — the first splits the huge PMD (zap_pmd_range(): a partial
 * range calls __split_huge_pmd()) and each zaps its PTE, the second one freeing the folio — and
 * a fault on a third CPU that reuses a freed page. GUP-fast that trusts the huge PMD it read
 * without re-checking it takes a reference on a freed page, or on whatever it has become.
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] maps page[4..5] huge (page[1] deposited),
 * pmd[1] -> pt2 is empty (the fault at 0x2000 lands there).
 * Threads: cpu0 get_user_pages_fast(0x0, 2, FOLL_GET | FOLL_WRITE); cpu1 MADV_DONTNEED(0x1000,
 * 0x1000) then MADV_DONTNEED(0x0, 0x1000); cpu2 a fault at 0x2000.
 */
import type { Path } from '../core/op.js';
import { at, READ_ONCE } from '../kernel/primitives.js';
import { do_anonymous_page, zap_pte_range } from '../kernel/paths/memory.js';
import { tlb_finish_mmu, tlb_gather_mmu } from '../kernel/paths/mmu_gather.js';
import { FOLL_GET, FOLL_WRITE, get_user_pages_fast } from '../kernel/paths/gup.js';
import { __split_huge_pmd, ANON_VMA } from '../kernel/paths/huge_memory.js';
import { pmd_offset, type K } from '../kernel/mm.js';
import { is_pmd_migration_entry, pmd_trans_huge } from '../kernel/pgtable.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

/**
 * zap_page_range_single() of less than a PMD, v6.6: zap_pmd_range() splits a huge PMD it only
 * partly covers ("if (next - addr != HPAGE_PMD_SIZE) __split_huge_pmd(vma, pmd, addr, false,
 * NULL)"), then zaps the PTEs.
 */
function* madvise_dontneed_partial(k: K, start: number, nr: number): Path<void> {
  const fn = 'zap_pmd_range';
  const tlb = yield* tlb_gather_mmu(k);
  const pmdp = pmd_offset(k, start);
  const pmd = yield* READ_ONCE(pmdp, at(fn, 'if (is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd))'));
  if (is_pmd_migration_entry(pmd) || pmd_trans_huge(pmd)) yield* __split_huge_pmd(k, ANON_VMA, pmdp, start, false, -1);
  if ((yield* READ_ONCE(pmdp, at(fn, 'if (pmd_none(*pmd))'))) !== 0) yield* zap_pte_range(k, tlb, start, start + nr);
  yield* tlb_finish_mmu(k, tlb);
}

export const gupFastVsSplitAndZap: Scenario = {
  name: 'gup-fast-vs-split-and-zap',
  description: 'get_user_pages_fast(FOLL_GET | FOLL_WRITE) on a PMD-mapped anon THP against two partial MADV_DONTNEEDs (split + zap) that free it and a fault that reuses the page',
  kernel: 'v6.6',
  drives: {'pte-mapped-thp': 'MADV_DONTNEED of half the THP splits its PMD into PTEs'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.anonThpPmdMapped(4, 1, 0, 1).pageTable(1, 2),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 2, FOLL_GET | FOLL_WRITE)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 2, FOLL_GET | FOLL_WRITE);
      },
    },
    {
      name: 'madvise(0x1000, 0x1000, MADV_DONTNEED); madvise(0x0, 0x1000, MADV_DONTNEED)',
      *start() {
        yield* madvise_dontneed_partial(k, 1, 1);
        yield* madvise_dontneed_partial(k, 0, 1);
      },
    },
    {
      name: 'fault at 0x2000',
      *start() {
        return yield* do_anonymous_page(k, 2);
      },
    },
  ],
  knownRaces: [
    {
      variants: { gup_pte_range: 'no-pte-recheck' },
      invariant: 'gup-returns-mapped-page',
      fixedBy: MUTATION,
      note: 'without the re-check GUP keeps a reference on a page zapped, freed and reused by the fault',
      beyondSampling: 'two preemptions at exact points of a 99-step, three-CPU schedule: 20000 fast-check runs miss it',
    },
    {
      variants: { gup_pte_range: 'x86-get_page' },
      invariant: 'no-ref-on-free-page',
      fixedBy: 'e585513b76f7 "x86/mm/gup: Switch GUP to the generic get_user_page_fast() implementation" (v4.13): the generic code takes a speculative reference and re-checks the PTE',
      note: 'the v4.12 x86 get_page() on a page zap freed while the broadcast flush did not wait for the irqs-off walk',
      beyondSampling: 'two preemptions at exact points of a three-CPU schedule: 20000 fast-check runs miss it',
    },
    {
      variants: { gup_huge_pmd: 'x86-get_page' },
      invariant: 'no-ref-on-free-page',
      fixedBy: 'e585513b76f7 "x86/mm/gup: Switch GUP to the generic get_user_page_fast() implementation" (v4.13): the generic code takes a speculative reference and re-checks the PTE',
      note: 'pre-v4.13 x86 gup_huge_pmd() (get_page, no PMD re-check) once the split\'s TLB flush no longer waits for the irqs-off walk: page_ref_inc() on the freed THP (or VM_BUG_ON_PAGE(page_ref_count(page) <= 0) in get_page(); with the fault in between, a reference on the reused page)',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'v4.5 GUP' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: try_grab_folio() then the PMD re-check in gup_huge_pmd()' },
    { variants: { gup_huge_pmd: 'x86-get_page' }, env: { tlb: 'ipi' }, note: 'pre-v4.13 x86 was safe while pmdp_invalidate()\'s flush IPI had to wait for its irqs-off walk' },
  ],
};
