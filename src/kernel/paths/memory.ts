/**
 * mm/memory.c, following Linux v6.6: zap_pte_range() (munmap, MADV_DONTNEED) and
 * do_anonymous_page() (the next fault, which reuses a freed page).
 *
 * Invariants zap keeps (mm/memory.c, mm/mmu_gather.c): the PTE is cleared before the page's
 * reference is dropped, and the TLB is flushed before the page is freed.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, atomic_add_negative, atomic_set, load, smp_wmb, store } from '../primitives.js';
import {
  alloc_pages, fmtAddr, folio_test_large, page_folio, pmd_offset, pte_offset, pte_offset_map_lock,
  pte_unmap_unlock, ptep_get, ptep_get_and_clear, set_pte_at, type K,
} from '../mm.js';
import { pfn_pte, pte_none, pte_pfn, pte_present } from '../pgtable.js';
import { PAGE_MAPPING_ANON, PG_anon_exclusive, PG_lru, PG_swapbacked, PG_uptodate } from '../world.js';
import { tlb_gather_mmu, tlb_finish_mmu, type MmuGather } from './mmu_gather.js';

/**
 * page_remove_rmap(page, vma, false), v6.6 mm/rmap.c: the PTE mapping's share of the mapcount.
 * (Deferred-split queueing and NR_ANON_MAPPED statistics are not modelled.)
 */
export function* page_remove_rmap(k: K, page: number): Path<void> {
  const fn = 'page_remove_rmap';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  // "Is page being unmapped by PTE? Is this its last map to be removed?"
  const last = yield* atomic_add_negative(k.L.mapcount(page), -1, at(fn, 'last = atomic_add_negative(-1, &page->_mapcount)'));
  if (last && (yield* folio_test_large(k, folio, at(fn, 'if (last && folio_test_large(folio))')))) {
    yield* atomic_add(k.L.nr_pages_mapped(folio), -1, at(fn, 'nr = atomic_dec_return_relaxed(mapped)'));
  }
}

/** zap_pte_range(), v6.6, for present anon/file PTEs of [addr, end) under one PMD */
export function* zap_pte_range(k: K, tlb: MmuGather, addr: number, end: number): Path<number> {
  const fn = 'zap_pte_range';
  const pmdp = pmd_offset(k, addr);
  const start_pte = yield* pte_offset_map_lock(k, pmdp, at(fn, 'start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl)'));
  if (start_pte < 0) return addr;
  do {
    const pte = pte_offset(k, start_pte, addr);
    const ptent = yield* ptep_get(k, pte, at(fn, 'pte_t ptent = ptep_get(pte)'));
    if (pte_none(ptent)) continue;
    if (!pte_present(ptent)) continue; // swap/migration entries: not in this model's zap worlds
    const page = pte_pfn(ptent); // vm_normal_page()
    yield* ptep_get_and_clear(k, pte, at(fn, `ptent = ptep_get_and_clear_full(mm, ${fmtAddr(addr)}, pte, tlb->fullmm)`));
    tlb.need_flush = true; // tlb_remove_tlb_entry(tlb, pte, addr)
    yield* k.impl('page_remove_rmap', page_remove_rmap)(k, page);
    // __tlb_remove_page(): the page keeps the PTE's reference until the batch is freed,
    // after the TLB flush.
    tlb.pages.push(page);
  } while (++addr !== end);
  yield* pte_unmap_unlock(k, start_pte, at(fn, 'pte_unmap_unlock(start_pte, ptl)'));
  return addr;
}

/** zap_page_range_single(): gather, zap the PTEs, flush and free */
export function* zap_page_range_single(k: K, start: number, size: number): Path<void> {
  const tlb = yield* tlb_gather_mmu(k);
  yield* k.impl('zap_pte_range', zap_pte_range)(k, tlb, start, start + size);
  yield* tlb_finish_mmu(k, tlb);
}

/**
 * do_anonymous_page(), v6.6: a fault on an empty PTE in an existing table allocates a page,
 * which the allocator takes from the most recently freed ones: the page a racing GUP-fast may
 * still be looking at.
 */
export function* do_anonymous_page(k: K, address: number): Path<number> {
  const fn = 'do_anonymous_page';
  const folio = yield* alloc_pages(k, 0, 'anon', at(fn, 'folio = vma_alloc_zeroed_movable_folio(vma, vmf->address)'));
  if (folio < 0) return -1; // VM_FAULT_OOM
  // __folio_mark_uptodate(): "the zeroing of the page must be visible before set_pte_at()"
  yield* smp_wmb(at('__folio_mark_uptodate', 'smp_wmb()'));
  yield* store(k.L.flags(folio), PG_uptodate | PG_swapbacked | PG_lru, at('__folio_mark_uptodate', '__set_bit(PG_uptodate, folio_flags(folio, 0))'));
  const entry = pfn_pte(folio, true);
  const pt = yield* pte_offset_map_lock(k, pmd_offset(k, address), at(fn, 'vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &vmf->ptl)'));
  if (pt < 0) return -1;
  const ptep = pte_offset(k, pt, address);
  if (!pte_none(yield* ptep_get(k, ptep, at(fn, 'if (vmf_pte_changed(vmf))')))) {
    yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
    return -1;
  }
  // folio_add_new_anon_rmap(): the page is new, so plain stores are enough
  yield* atomic_set(k.L.mapcount(folio), 0, at('folio_add_new_anon_rmap', 'atomic_set(&folio->_mapcount, 0)'));
  yield* store(k.L.mapping(folio), PAGE_MAPPING_ANON, at('__page_set_anon_rmap', 'WRITE_ONCE(folio->mapping, (struct address_space *) anon_vma)'), 'once');
  const flags = yield* load(k.L.flags(folio), at('folio_add_new_anon_rmap', 'SetPageAnonExclusive(&folio->page)'));
  yield* store(k.L.flags(folio), flags | PG_anon_exclusive, at('folio_add_new_anon_rmap', 'SetPageAnonExclusive(&folio->page)'));
  yield* set_pte_at(k, ptep, entry, at(fn, 'set_pte_at(vma->vm_mm, vmf->address, vmf->pte, entry)'));
  yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
  return folio;
}
