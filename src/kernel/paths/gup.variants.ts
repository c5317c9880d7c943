/**
 * Historical and broken variants of gup_pte_range(), each transcribed from the kernel's history
 * in the v6.6 model's vocabulary. Each must be caught (expect: violation) or come out clean.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, atomic_add_unless, ghost, READ_ONCE, set_bit, VM_BUG_ON } from '../primitives.js';
import { folio_put_refs, page_folio, pte_offset, pte_offset_map, pte_unmap, ptep_get, ptep_get_lockless, put_page, type K } from '../mm.js';
import { pte_access_permitted, pte_devmap, pte_pfn, pte_protnone, pte_special, pte_write } from '../pgtable.js';
import { PG_referenced } from '../world.js';
import { FOLL_WRITE, gup_must_unshare, gup_put_folio, try_grab_folio, type GupResult } from './gup.js';
import { variantsOf } from '../replaceable.js';
import { gup_pte_range } from './gup.js';

/**
 * v6.6 gup_pte_range() with the PMD and PTE re-checks after try_grab_folio() removed: the
 * speculative reference is kept without proving the page is still the one mapped. Where the
 * TLB flush does not wait for irqs-off CPUs (arm64, PV), zap can free and reuse the page in
 * between, and GUP returns someone else's page.
 */
export function* gup_pte_range_no_pte_recheck(k: K, pmd: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  let ok = true;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* ptep_get_lockless(k, ptep, at(fn, 'pte_t pte = ptep_get_lockless(ptep)'));
    if (pte_protnone(pte) || !pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0) || pte_devmap(pte) || pte_special(pte)) {
      ok = false;
      break;
    }
    const page = pte_pfn(pte);
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    const folio = yield* try_grab_folio(k, page, 1, flags);
    if (folio < 0) {
      ok = false;
      break;
    }
    // (no pmd_val/pte_val re-check here)
    if (!pte_write(pte) && (yield* gup_must_unshare(k, flags, page))) {
      yield* gup_put_folio(k, folio, 1, flags);
      ok = false;
      break;
    }
    yield* set_bit(PG_referenced, k.L.flags(folio), at(fn, 'folio_set_referenced(folio)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio }, at(fn, 'pages[*nr] = page; (*nr)++'));
  } while (++addr !== end);
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ok ? 1 : 0;
}

/**
 * v4.4 generic gup_pte_range(), before Kirill Shutemov's fix in the 2015 THP refcounting
 * rework ("mm: handle PTE-mapped tail pages in generic fast gup implementation", v4.5):
 * page_cache_get_speculative() on the PTE's own page. A tail page's _count is always 0, so on
 * a PTE-mapped THP the get always fails and GUP-fast never returns a tail page.
 */
export function* gup_pte_range_v4_4_tail_page(k: K, pmd: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  let ok = true;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* READ_ONCE(ptep, at(fn, 'pte_t pte = READ_ONCE(*ptep)'));
    if (pte_protnone(pte) || !pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0) || pte_special(pte)) {
      ok = false;
      break;
    }
    const page = pte_pfn(pte);
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    // page_cache_get_speculative(page) = get_page_unless_zero(page), on the page itself
    if (!(yield* atomic_add_unless(k.L.refcount(page), 1, 0, at(fn, 'if (!page_cache_get_speculative(page)) goto pte_unmap')))) {
      ok = false;
      break;
    }
    if (pte !== (yield* ptep_get(k, ptep, at(fn, 'if (unlikely(pte_val(pte) != pte_val(*ptep)))')))) {
      yield* put_page(k, page, at(fn, 'put_page(page)'));
      ok = false;
      break;
    }
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: page }, at(fn, 'pages[*nr] = page; (*nr)++'));
  } while (++addr !== end);
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ok ? 1 : 0;
}

/**
 * v4.5 generic gup_pte_range(), after the fix: the reference is taken on compound_head(page)
 * and the PTE re-checked; VM_BUG_ON_PAGE(compound_head(page) != head) after.
 */
export function* gup_pte_range_v4_5_compound_head(k: K, pmd: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  let ok = true;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* READ_ONCE(ptep, at(fn, 'pte_t pte = READ_ONCE(*ptep)'));
    if (pte_protnone(pte) || !pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0) || pte_special(pte)) {
      ok = false;
      break;
    }
    const page = pte_pfn(pte);
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    const head = yield* page_folio(k, page, at(fn, 'head = compound_head(page)'));
    if (!(yield* atomic_add_unless(k.L.refcount(head), 1, 0, at(fn, 'if (!page_cache_get_speculative(head)) goto pte_unmap')))) {
      ok = false;
      break;
    }
    if (pte !== (yield* ptep_get(k, ptep, at(fn, 'if (unlikely(pte_val(pte) != pte_val(*ptep)))')))) {
      yield* folio_put_refs(k, head, 1, at(fn, 'put_page(head)'));
      ok = false;
      break;
    }
    const again = yield* page_folio(k, page, at(fn, 'VM_BUG_ON_PAGE(compound_head(page) != head, page)'));
    yield* VM_BUG_ON(again !== head, 'compound_head(page) != head', at(fn, 'VM_BUG_ON_PAGE(compound_head(page) != head, page)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: head }, at(fn, 'pages[*nr] = page; (*nr)++'));
  } while (++addr !== end);
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ok ? 1 : 0;
}

/**
 * x86 arch/x86/mm/gup.c gup_pte_range() before v4.13 (when x86 moved to the generic code):
 * a plain get_page() and no re-check, relying on irqs-off to hold off the TLB-flush IPI that
 * zap must complete before freeing. Safe with `tlb: ipi`; with a flush that does not wait for
 * irqs-off CPUs (PV guests, arm64-style broadcast) the page can be freed under it.
 */
export function* gup_pte_range_x86_v4_12(k: K, pmd: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  let ok = true;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* READ_ONCE(ptep, at(fn, 'pte_t pte = gup_get_pte(ptep)'));
    if (pte_protnone(pte) || !pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0) || pte_special(pte)) {
      ok = false;
      break;
    }
    const page = pte_pfn(pte);
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    // get_page(): page = compound_head(page); VM_BUG_ON_PAGE(page_ref_count(page) <= 0); page_ref_inc(page)
    const head = yield* page_folio(k, page, at('get_page', 'page = compound_head(page)'));
    const count = yield* READ_ONCE(k.L.refcount(head), at('get_page', 'VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page)'));
    yield* VM_BUG_ON(count <= 0, 'page_ref_count(page) <= 0', at('get_page', 'VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page)'));
    yield* atomic_add(k.L.refcount(head), 1, at('get_page', 'page_ref_inc(page)'));
    yield* set_bit(PG_referenced, k.L.flags(head), at(fn, 'SetPageReferenced(page)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: head }, at(fn, 'pages[*nr] = page; (*nr)++'));
  } while (++addr !== end);
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptep - 1)'));
  return ok ? 1 : 0;
}

/**
 * v5.19 gup_pte_range(), before Yang Shi's 70cbc3cc78a9 "mm: gup: fix the fast GUP race against
 * THP collapse" (v6.0): only the PTE is re-checked after try_grab_folio(). khugepaged's
 * pmdp_collapse_flush() unlinks the table without touching its PTEs, so a GUP-fast still inside
 * the detached table sees an unchanged PTE and keeps a reference the collapse's refcount check
 * already missed -- unless the flush (x86 IPI) or tlb_remove_table_sync_one() waits for it.
 */
export function* gup_pte_range_v5_19_no_pmd_recheck(k: K, pmd: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  let ok = true;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* ptep_get_lockless(k, ptep, at(fn, 'pte_t pte = ptep_get_lockless(ptep)'));
    if (pte_protnone(pte) || !pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0) || pte_devmap(pte) || pte_special(pte)) {
      ok = false;
      break;
    }
    const page = pte_pfn(pte);
    yield* VM_BUG_ON(page >= k.geo.nrPages, '!pfn_valid(pte_pfn(pte))', at(fn, 'VM_BUG_ON(!pfn_valid(pte_pfn(pte)))'));
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    const folio = yield* try_grab_folio(k, page, 1, flags);
    if (folio < 0) {
      ok = false;
      break;
    }
    if (pte !== (yield* ptep_get(k, ptep, at(fn, 'if (unlikely(pte_val(pte) != pte_val(*ptep)))')))) {
      yield* gup_put_folio(k, folio, 1, flags);
      ok = false;
      break;
    }
    if (!pte_write(pte) && (yield* gup_must_unshare(k, flags, page))) {
      yield* gup_put_folio(k, folio, 1, flags);
      ok = false;
      break;
    }
    yield* set_bit(PG_referenced, k.L.flags(folio), at(fn, 'folio_set_referenced(folio)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio }, at(fn, 'pages[*nr] = page; (*nr)++'));
  } while (++addr !== end);
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ok ? 1 : 0;
}

variantsOf(() => gup_pte_range, [
  {
    name: 'no-pte-recheck',
    description: 'v6.6 without the pmd_val/pte_val re-check after try_grab_folio()',
    range: { from: 'v6.6', to: 'v6.6' },
    mutation: true,
    kernel: 'v6.6, re-check removed',
    fn: gup_pte_range_no_pte_recheck,
  },
  {
    name: 'tail-page-ref',
    description: 'v4.4: page_cache_get_speculative() on the PTE\'s own page, a tail of a PTE-mapped THP (_count 0): the get always fails',
    range: { from: 'v4.4', to: 'v4.4' },
    kernel: 'v4.4 (fixed in v4.5 by the THP refcounting rework)',
    fn: gup_pte_range_v4_4_tail_page,
  },
  {
    name: 'v4.5-compound-head',
    description: 'v4.5: page_cache_get_speculative(compound_head(page)), PTE re-check, VM_BUG_ON_PAGE(compound_head(page) != head)',
    range: { from: 'v4.5', to: 'v4.5' },
    kernel: 'v4.5',
    fn: gup_pte_range_v4_5_compound_head,
  },
  {
    name: 'x86-get_page',
    description: 'x86 before v4.13: get_page() and no re-check, relying on the TLB-flush IPI being held off by irqs-off (violation unless --env tlb=ipi)',
    range: { from: 'v4.5', to: 'v4.12' },
    arch: 'x86',
    kernel: 'v4.12 arch/x86/mm/gup.c',
    fn: gup_pte_range_x86_v4_12,
  },
  {
    name: 'no-pmd-recheck',
    description: 'v5.19: only the PTE is re-checked after try_grab_folio(); khugepaged\'s pmdp_collapse_flush() leaves the detached table\'s PTEs unchanged',
    range: { from: 'v5.19', to: 'v5.19' },
    kernel: 'v5.19 (fixed by 70cbc3cc78a9, v6.0)',
    fn: gup_pte_range_v5_19_no_pmd_recheck,
  },
]);
