/**
 * The same patch as gup-compound-head.ts, transcribed with a slip: the PTE re-check after the
 * speculative reference is left out. check-patch must report the race this opens (a page that
 * zap freed and a fault reused is returned by GUP-fast) as a violation the baseline does not have.
 *
 *   npx racewalk check-patch examples/patches/gup-compound-head-no-recheck.ts
 */
import {
  at, atomic_add_unless, definePatch, ghost, pte_offset, pte_offset_map, pte_pfn, pte_present,
  pte_protnone, pte_special, pte_unmap, pte_write, page_folio, READ_ONCE, FOLL_WRITE, type gup_pte_range,
} from 'racewalk/model';

const gup_pte_range_forgot_recheck: typeof gup_pte_range = function* (k, pmd, _pmdp, addr, end, flags, r) {
  const fn = 'gup_pte_range';
  const write = (flags & FOLL_WRITE) !== 0;
  let ret = 0;
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  pte_unmap: {
    do {
      const ptep = pte_offset(k, ptem, addr);
      const pte = yield* READ_ONCE(ptep, at(fn, 'pte_t pte = READ_ONCE(*ptep)'));
      if (!pte_present(pte) || pte_special(pte) || pte_protnone(pte) || (write && !pte_write(pte))) break pte_unmap;
      const page = pte_pfn(pte);
      yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
      const head = yield* page_folio(k, page, at(fn, 'head = compound_head(page)'));
      if (!(yield* atomic_add_unless(k.L.refcount(head), 1, 0, at(fn, 'if (!page_cache_get_speculative(head)) goto pte_unmap')))) break pte_unmap;
      // (the `if (unlikely(pte_val(pte) != pte_val(*ptep)))` re-check is missing here)
      r.pages.push(page);
      r.nr++;
      yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: head }, at(fn, 'pages[*nr] = page; (*nr)++'));
    } while (++addr !== end);
    ret = 1;
  }
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ret;
};

export default definePatch({
  name: 'gup-compound-head-no-recheck',
  description: 'the v4.5 patch with the PTE re-check forgotten',
  kernel: 'v4.5',
  baseline: { gup_pte_range: 'tail-page-ref' },
  variants: { gup_pte_range: gup_pte_range_forgot_recheck },
});
