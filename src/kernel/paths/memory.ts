/**
 * mm/memory.c, following Linux v6.6: zap_pte_range() (munmap, MADV_DONTNEED) and
 * do_anonymous_page() (the next fault, which reuses a freed page).
 *
 * Invariants zap keeps (mm/memory.c, mm/mmu_gather.c): the PTE is cleared before the page's
 * reference is dropped, and the TLB is flushed before the page is freed.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, atomic_add_negative, atomic_set, ghost, load, set_bit, smp_wmb, store } from '../primitives.js';
import {
  alloc_pages, fmtAddr, folio_test_large, page_folio, pmd_offset, pte_offset, pte_offset_map_lock,
  pte_unmap_unlock, ptep_get, ptep_get_and_clear, set_pte_at, type K, flush_tlb_range, folio_put,
} from '../mm.js';
import { pfn_pte, pte_none, pte_pfn, pte_present, _PAGE_DIRTY, _PAGE_RW } from '../pgtable.js';
import { PAGE_MAPPING_ANON, PG_anon_exclusive, PG_locked, PG_lru, PG_swapbacked, PG_uptodate } from '../world.js';
import { tlb_gather_mmu, tlb_finish_mmu, type MmuGather } from './mmu_gather.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/memory.c');

/**
 * page_remove_rmap(page, vma, false), v6.6 mm/rmap.c: the PTE mapping's share of the mapcount.
 * (Deferred-split queueing and NR_ANON_MAPPED statistics are not modelled.)
 */
export const page_remove_rmap = replaceable(function* page_remove_rmap(k: K, page: number): Path<void> {
  const fn = 'page_remove_rmap';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  // "Is page being unmapped by PTE? Is this its last map to be removed?"
  const last = yield* atomic_add_negative(k.L.mapcount(page), -1, at(fn, 'last = atomic_add_negative(-1, &page->_mapcount)'));
  if (last && (yield* folio_test_large(k, folio, at(fn, 'if (last && folio_test_large(folio))')))) {
    yield* atomic_add(k.L.nr_pages_mapped(folio), -1, at(fn, 'nr = atomic_dec_return_relaxed(mapped)'));
  }
}, {
  source: 'mm/rmap.c',
  aliases: ['folio_remove_rmap_pte (v6.9+)'],
  description: 'drop the PTE mapping\'s _mapcount (and the folio\'s _nr_pages_mapped)',
});

/** zap_pte_range(), v6.6, for present anon/file PTEs of [addr, end) under one PMD */
export const zap_pte_range = replaceable(function* zap_pte_range(k: K, tlb: MmuGather, addr: number, end: number): Path<number> {
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
    yield* page_remove_rmap(k, page);
    // __tlb_remove_page(): the page keeps the PTE's reference until the batch is freed,
    // after the TLB flush.
    tlb.pages.push(page);
  } while (++addr !== end);
  yield* pte_unmap_unlock(k, start_pte, at(fn, 'pte_unmap_unlock(start_pte, ptl)'));
  return addr;
}, {
  description: 'clear each PTE under the PTL, remove the rmap, queue the page in the mmu_gather',
});

/** zap_page_range_single(): gather, zap the PTEs, flush and free */
export const zap_page_range_single = replaceable(function* zap_page_range_single(k: K, start: number, size: number): Path<void> {
  const tlb = yield* tlb_gather_mmu(k);
  yield* zap_pte_range(k, tlb, start, start + size);
  yield* tlb_finish_mmu(k, tlb);
}, {
  description: 'zap_page_range_single(): gather, zap the PTEs, flush and free',
});

/**
 * do_anonymous_page(), v6.6: a fault on an empty PTE in an existing table allocates a page,
 * which the allocator takes from the most recently freed ones: the page a racing GUP-fast may
 * still be looking at.
 */
export const do_anonymous_page = replaceable(function* do_anonymous_page(k: K, address: number): Path<number> {
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
}, {
  description: 'do_anonymous_page(), v6.6: a fault on an empty PTE in an existing table allocates a page, which the allocator takes from the most recently freed ones: the ...',
});

// ---------------------------------------------------------------------------------------------
// The write fault that breaks COW (v6.6 do_wp_page / wp_page_reuse / wp_page_copy). In v6.6 the
// reuse checks are inline in do_wp_page(); later kernels factor them out as
// wp_can_reuse_anon_folio(), the name used here. Not modelled: KSM, swap cache, uffd-wp,
// FAULT_FLAG_UNSHARE, the LRU drain, the folio lock's waiters; the fault enters with the PTE
// read under the PTL (handle_pte_fault()'s pte_same check folded into pte_offset_map_lock).
// ---------------------------------------------------------------------------------------------

/** wp_can_reuse_anon_folio(): "we've got the only folio reference from our mapping" */
export const wp_can_reuse_anon_folio = replaceable(function* wp_can_reuse_anon_folio(k: K, folio: number): Path<boolean> {
  const fn = 'wp_can_reuse_anon_folio';
  const L = k.L;
  // "We have to verify under folio lock: these early checks are just an optimization to avoid
  //  locking the folio and freeing the swapcache if there is little hope that we can reuse."
  if ((yield* load(L.refcount(folio), at(fn, 'if (folio_test_ksm(folio) || folio_ref_count(folio) > 3)'), 'once')) > 3) return false;
  if ((yield* load(L.refcount(folio), at(fn, 'if (folio_ref_count(folio) > 1 + folio_test_swapcache(folio))'), 'once')) > 1) return false;
  const old = yield { kind: 'rmw', loc: L.flags(folio), rmw: 'or', a: PG_locked, b: 0, order: 'acquire', label: at(fn, 'if (!folio_trylock(folio))'), returns: { kind: 'no-bit', bit: PG_locked } };
  if ((old & PG_locked) !== 0) return false;
  const unlock = at(fn, 'folio_unlock(folio)');
  if ((yield* load(L.refcount(folio), at(fn, 'if (folio_test_ksm(folio) || folio_ref_count(folio) != 1)'), 'once')) !== 1) {
    yield { kind: 'rmw', loc: L.flags(folio), rmw: 'andnot', a: PG_locked, b: 0, order: 'release', label: unlock };
    return false;
  }
  // "Ok, we've got the only folio reference from our mapping and the folio is locked, it's
  //  dark out, and we're wearing sunglasses. Hit it." folio_move_anon_rmap():
  yield* store(L.mapping(folio), PAGE_MAPPING_ANON, at('folio_move_anon_rmap', 'WRITE_ONCE(folio->mapping, anon_vma)'), 'once');
  yield { kind: 'rmw', loc: L.flags(folio), rmw: 'or', a: PG_anon_exclusive, b: 0, order: 'relaxed', label: at('folio_move_anon_rmap', 'SetPageAnonExclusive(&folio->page)') };
  yield { kind: 'rmw', loc: L.flags(folio), rmw: 'andnot', a: PG_locked, b: 0, order: 'release', label: unlock };
  return true;
}, {
  description: 'wp_can_reuse_anon_folio(): "we\'ve got the only folio reference from our mapping"',
});

/** wp_page_copy(), v6.6: map a private copy in place of the shared page */
const wp_page_copy = replaceable(function* wp_page_copy(k: K, address: number, ptep: number, orig_pte: number, old_folio: number): Path<number> {
  const fn = 'wp_page_copy';
  const L = k.L;
  let new_folio = yield* alloc_pages(k, 0, 'anon', at(fn, 'new_folio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, vmf->address, false)'));
  if (new_folio < 0) return -1; // VM_FAULT_OOM
  yield* ghost({ type: 'cow_copy', pfn: pte_pfn(orig_pte), into: new_folio }, at('__wp_page_copy_user', 'copy_mc_user_highpage(dst, src, addr, vma)'));
  yield* smp_wmb(at('__folio_mark_uptodate', 'smp_wmb()'));
  yield* set_bit(PG_uptodate, L.flags(new_folio), at('__folio_mark_uptodate', 'set_bit(PG_uptodate, folio_flags(folio, 0))'));
  const pt = yield* pte_offset_map_lock(k, pmd_offset(k, address), at(fn, 'vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl)'));
  let copied = false;
  if (pt >= 0) ptep = pte_offset(k, pt, address);
  if (pt >= 0 && (yield* ptep_get(k, ptep, at(fn, 'if (likely(vmf->pte && pte_same(ptep_get(vmf->pte), vmf->orig_pte))))'))) === orig_pte) {
    // ptep_clear_flush(vma, vmf->address, vmf->pte)
    yield* ptep_get_and_clear(k, ptep, at('ptep_clear_flush', 'pte = ptep_get_and_clear(mm, address, ptep)'));
    yield* flush_tlb_range(k, at('ptep_clear_flush', 'flush_tlb_page(vma, address)'));
    // folio_add_new_anon_rmap(new_folio, vma, vmf->address)
    yield* atomic_set(L.mapcount(new_folio), 0, at('folio_add_new_anon_rmap', 'atomic_set(&folio->_mapcount, 0)'));
    yield* store(L.mapping(new_folio), PAGE_MAPPING_ANON, at('__page_set_anon_rmap', 'WRITE_ONCE(folio->mapping, (struct address_space *) anon_vma)'), 'once');
    yield* set_bit(PG_anon_exclusive | PG_swapbacked | PG_lru, L.flags(new_folio), at('folio_add_new_anon_rmap', 'SetPageAnonExclusive(&folio->page); folio_add_lru_vma(folio, vma)'));
    yield* set_pte_at(k, ptep, pfn_pte(new_folio, true), at(fn, 'set_pte_at_notify(mm, vmf->address, vmf->pte, entry)'));
    yield* page_remove_rmap(k, pte_pfn(orig_pte));
    // "Free the old page.."
    new_folio = old_folio;
    copied = true;
  }
  if (pt >= 0) yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
  // if (new_folio) folio_put(new_folio): the old page's mapping reference, or the unused copy
  yield* folio_put(k, new_folio, at(fn, 'if (new_folio) folio_put(new_folio)'));
  // the reference do_wp_page() took
  yield* folio_put(k, old_folio, at(fn, 'if (old_folio) folio_put(old_folio)'));
  return copied ? 1 : 0;
}, {
  description: 'wp_page_copy(), v6.6: map a private copy in place of the shared page',
});

/**
 * A write fault on a present, write-protected anon PTE at `address`: handle_pte_fault() ->
 * do_wp_page(), v6.6. Returns 'reuse' or 'copy' (or 'none' when the PTE is not a COW PTE).
 * "If we encounter a page that is marked exclusive, we must reuse the page without further checks."
 */
export const do_wp_page = replaceable(function* do_wp_page(k: K, address: number): Path<'reuse' | 'copy' | 'none'> {
  const fn = 'do_wp_page';
  const L = k.L;
  const pt = yield* pte_offset_map_lock(k, pmd_offset(k, address), at('handle_pte_fault', 'spin_lock(vmf->ptl)'));
  if (pt < 0) return 'none';
  const ptep = pte_offset(k, pt, address);
  const orig_pte = yield* ptep_get(k, ptep, at('handle_pte_fault', 'entry = vmf->orig_pte'));
  if (!pte_present(orig_pte) || (orig_pte & _PAGE_RW) !== 0) {
    yield* pte_unmap_unlock(k, pt, at('handle_pte_fault', 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
    return 'none';
  }
  const page = pte_pfn(orig_pte); // vm_normal_page()
  const folio = yield* page_folio(k, page, at(fn, 'folio = page_folio(vmf->page)'));
  const anon = ((yield* load(L.mapping(folio), at(fn, 'if (folio && folio_test_anon(folio) &&'), 'once')) & PAGE_MAPPING_ANON) !== 0;
  if (anon) {
    const flags = yield* load(L.flags(page), at(fn, '    (PageAnonExclusive(vmf->page) || wp_can_reuse_anon_folio(folio, vma)))'), 'once');
    if ((flags & PG_anon_exclusive) !== 0 || (yield* wp_can_reuse_anon_folio(k, folio))) {
      // wp_page_reuse(): make the PTE writable in place
      yield* store(ptep, orig_pte | _PAGE_RW | _PAGE_DIRTY, at('wp_page_reuse', 'ptep_set_access_flags(vma, vmf->address, vmf->pte, entry, 1)'), 'once');
      yield* pte_unmap_unlock(k, pt, at('wp_page_reuse', 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
      return 'reuse';
    }
  }
  // "Ok, we need to copy. Oh, well.."
  yield* atomic_add(L.refcount(folio), 1, at(fn, 'folio_get(folio)'));
  yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
  yield* wp_page_copy(k, address, ptep, orig_pte, folio);
  return 'copy';
}, {
  description: 'A write fault on a present, write-protected anon PTE at `address`: handle_pte_fault() -> do_wp_page(), v6.6.',
});
