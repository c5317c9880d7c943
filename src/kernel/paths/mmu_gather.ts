/**
 * mmu_gather, following Linux v6.6 mm/mmu_gather.c and include/asm-generic/tlb.h.
 * The gather's batch is private to the zapping CPU (not shared state); what is shared is the
 * TLB flush and the reference drop that frees the pages, which must come after the flush:
 * "Do the actual TLB flush before dropping ptl" / tlb_flush_mmu() = tlbonly + free.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, atomic_sub_and_test } from '../primitives.js';
import { __folio_put, flush_tlb_range, page_folio, type K } from '../mm.js';
import { MM_TLB_FLUSH_PENDING } from '../world.js';

export interface MmuGather {
  /** pages queued by __tlb_remove_page(); each still holds the reference its PTE held */
  readonly pages: number[];
  /** a PTE was cleared since the last flush (tlb->end > tlb->start) */
  need_flush: boolean;
}

/** tlb_gather_mmu(): inc_tlb_flush_pending(mm) tells migration/reclaim a flush is pending */
export function* tlb_gather_mmu(k: K): Path<MmuGather> {
  yield* atomic_add(k.L.mm(MM_TLB_FLUSH_PENDING), 1, at('tlb_gather_mmu', 'inc_tlb_flush_pending(mm)'));
  return { pages: [], need_flush: false };
}

/** tlb_flush_mmu_tlbonly(): flush the TLB range gathered so far */
export function* tlb_flush_mmu_tlbonly(k: K, tlb: MmuGather): Path<void> {
  if (!tlb.need_flush) return;
  yield* flush_tlb_range(k, at('tlb_flush_mmu_tlbonly', 'tlb_flush(tlb)'));
  tlb.need_flush = false;
}

/**
 * free_pages_and_swap_cache() -> release_pages(): drop the reference each gathered page held;
 * the last one frees the folio.
 */
export function* free_pages_and_swap_cache(k: K, pages: readonly number[]): Path<void> {
  const fn = 'release_pages';
  for (const page of pages) {
    const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
    if (!(yield* atomic_sub_and_test(k.L.refcount(folio), 1, at(fn, 'if (!folio_put_testzero(folio)) continue')))) continue;
    yield* __folio_put(k, folio);
  }
}

/** tlb_flush_mmu(): flush first, then free the batched pages */
export function* tlb_flush_mmu(k: K, tlb: MmuGather): Path<void> {
  yield* k.impl('tlb_flush_mmu_tlbonly', tlb_flush_mmu_tlbonly)(k, tlb);
  const pages = tlb.pages.splice(0);
  yield* free_pages_and_swap_cache(k, pages);
}

/** tlb_finish_mmu(): the final flush and free, then dec_tlb_flush_pending() */
export function* tlb_finish_mmu(k: K, tlb: MmuGather): Path<void> {
  yield* k.impl('tlb_flush_mmu', tlb_flush_mmu)(k, tlb);
  yield* atomic_add(k.L.mm(MM_TLB_FLUSH_PENDING), -1, at('tlb_finish_mmu', 'dec_tlb_flush_pending(tlb->mm)'));
}
