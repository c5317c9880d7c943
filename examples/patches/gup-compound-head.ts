/**
 * A transcription of a real patch, as a user of racewalk writes one:
 *
 *   mm: handle PTE-mapped tail pages in generic fast gup implementation
 *   (Kirill A. Shutemov, THP refcounting rework, merged for Linux v4.5, January 2016)
 *
 * With the rework, a THP can be mapped by PTEs, so the PTE that GUP-fast reads may point to a
 * tail page. A tail page's _count is always 0, so the v4.4 code,
 * `page_cache_get_speculative(page)` on the PTE's own page, always fails there and GUP-fast
 * never makes progress on PTE-mapped THPs. The patch takes the speculative reference on
 * compound_head(page) instead, keeps the PTE re-check, and asserts that the page did not change
 * compound page under it.
 *
 * The pre-patch code is racewalk's built-in variant `gup_pte_range=tail-page-ref` (v4.4), so
 * that is the baseline. Run:
 *
 *   npx racewalk check-patch examples/patches/gup-compound-head.ts
 */
import {
  at, atomic_add_unless, definePatch, ghost, pte_offset, pte_offset_map, pte_pfn, pte_present,
  pte_protnone, pte_special, pte_unmap, pte_write, put_page, page_folio, READ_ONCE, VM_BUG_ON,
  FOLL_WRITE, type gup_pte_range,
} from 'racewalk/model';

/* mm/gup.c, v4.5: gup_pte_range() after the patch */
const gup_pte_range_v4_5: typeof gup_pte_range = function* (k, pmd, _pmdp, addr, end, flags, r) {
  const fn = 'gup_pte_range';
  const write = (flags & FOLL_WRITE) !== 0;
  let ret = 0;
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  pte_unmap: {
    do {
      const ptep = pte_offset(k, ptem, addr);
      const pte = yield* READ_ONCE(ptep, at(fn, 'pte_t pte = READ_ONCE(*ptep)'));
      // "NUMA hinting must take slow path using the pte_protnone check"
      if (!pte_present(pte) || pte_special(pte) || pte_protnone(pte) || (write && !pte_write(pte))) break pte_unmap;
      yield* VM_BUG_ON(pte_pfn(pte) >= k.geo.nrPages, '!pfn_valid(pte_pfn(pte))', at(fn, 'VM_BUG_ON(!pfn_valid(pte_pfn(pte)))'));
      const page = pte_pfn(pte);
      // racewalk's invariants need to know which PTE value GUP acted on
      yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));

      // THE PATCH: the reference goes on the head page; a tail page's _count is always 0
      const head = yield* page_folio(k, page, at(fn, 'head = compound_head(page)'));
      // page_cache_get_speculative() = get_page_unless_zero() = atomic_add_unless(&_count, 1, 0)
      if (!(yield* atomic_add_unless(k.L.refcount(head), 1, 0, at(fn, 'if (!page_cache_get_speculative(head)) goto pte_unmap')))) break pte_unmap;

      // "(1) pin the page, then (2) check pte not changed": zap and split clear the PTE first
      if (pte !== (yield* READ_ONCE(ptep, at(fn, 'if (unlikely(pte_val(pte) != pte_val(*ptep)))')))) {
        yield* put_page(k, head, at(fn, 'put_page(head)'));
        break pte_unmap;
      }
      const again = yield* page_folio(k, page, at(fn, 'VM_BUG_ON_PAGE(compound_head(page) != head, page)'));
      yield* VM_BUG_ON(again !== head, 'compound_head(page) != head', at(fn, 'VM_BUG_ON_PAGE(compound_head(page) != head, page)'));

      r.pages.push(page); // pages[*nr] = page
      r.nr++;
      yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: head }, at(fn, 'pages[*nr] = page; (*nr)++'));
    } while (++addr !== end);
    ret = 1;
  }
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ret;
};

export default definePatch({
  name: 'gup-compound-head',
  description: 'mm: handle PTE-mapped tail pages in generic fast gup implementation',
  kernel: 'v4.5',
  // the code the patch was written against: v4.4's gup_pte_range, built into racewalk
  baseline: { gup_pte_range: 'tail-page-ref' },
  variants: { gup_pte_range: gup_pte_range_v4_5 },
});
