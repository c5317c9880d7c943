/**
 * Broken and historical variants of the THP split paths and of the GUP-fast side they race
 * with, in the v6.6 model's vocabulary. Each one says what it transcribes.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, ghost, local_irq_restore, local_irq_save, READ_ONCE, VM_BUG_ON } from '../primitives.js';
import { folio_ref_count, page_folio, type K } from '../mm.js';
import { pmd_pfn, pte_access_permitted } from '../pgtable.js';
import { FOLL_WRITE, type GupResult } from './gup.js';
import { __split_huge_page, EAGAIN, folio_ref_freeze, remap_page, unmap_folio } from './huge_memory.js';
import { folio_test_anon } from './rmap.js';
import { variantsOf } from '../replaceable.js';
import { gup_huge_pmd } from './gup.js';
import { split_huge_page_to_list } from './huge_memory.js';

/**
 * split_huge_page_to_list() without the expected-refcount check: can_split_folio() is skipped
 * and the freeze takes whatever _refcount holds, GUP pins and speculative references included.
 * Not a kernel commit: it is the split that e9b61f19858a ("thp: reintroduce
 * split_huge_page()", v4.5) is built to prevent — "-EBUSY if page is pinned" — once a tail
 * page can be pinned on its own.
 */
export function* split_huge_page_to_list_no_refcount_check(k: K, page: number, address: number): Path<number> {
  const fn = 'split_huge_page_to_list';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  const anon = yield* folio_test_anon(k, folio, fn);
  yield* VM_BUG_ON(!anon, '!folio_test_anon(folio) (page-cache THP split: not modelled)', at(fn, 'if (folio_test_anon(folio))'));
  // (no can_split_folio() before unmapping)
  yield* unmap_folio(k, folio, address);
  yield* local_irq_save(at(fn, 'local_irq_disable()'));
  // the count to freeze at is read, not expected: a pinned folio freezes too
  const count = yield* folio_ref_count(k, folio, at(fn, 'count = folio_ref_count(folio)'));
  if (yield* folio_ref_freeze(k, folio, count, fn, 'if (folio_ref_freeze(folio, count))')) {
    yield* __split_huge_page(k, page, folio, address);
    return 0;
  }
  yield* local_irq_restore(at(fn, 'fail: local_irq_enable()'));
  yield* remap_page(k, folio, 1 << (yield* READ_ONCE(k.L.folio_order(folio), at(fn, 'remap_page(folio, folio_nr_pages(folio))'))), address);
  return EAGAIN;
}

/**
 * x86 arch/x86/mm/gup.c gup_huge_pmd() before v4.13 (when x86 moved to the generic RCU
 * GUP-fast): get_page() on each subpage and no re-check of the PMD, relying on irqs-off to
 * hold off the TLB-flush IPI that pmdp_invalidate() of a split must complete. Safe with
 * `tlb: ipi`; with a flush that does not wait for irqs-off CPUs (paravirt, arm64-style
 * broadcast) the THP can be split, zapped and its pages reused under it.
 */
export function* gup_huge_pmd_x86_v4_12(k: K, orig: number, _pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_huge_pmd';
  if (!pte_access_permitted(orig, (flags & FOLL_WRITE) !== 0)) return 0; // pte_allows_gup(pmd_val(pmd), write)
  const head = pmd_pfn(orig);
  let page = head + (addr % k.geo.ptrsPerPte);
  for (let a = addr; a < end; a++) yield* ghost({ type: 'gup_pte_read', addr: a, pfn: head + (a % k.geo.ptrsPerPte) }, at(fn, 'head = pmd_page(pmd)'));
  do {
    // get_page(page): page = compound_head(page); VM_BUG_ON_PAGE(page_ref_count(page) <= 0); page_ref_inc(page)
    const h = yield* page_folio(k, page, at('get_page', 'page = compound_head(page)'));
    const count = yield* READ_ONCE(k.L.refcount(h), at('get_page', 'VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page)'));
    yield* VM_BUG_ON(count <= 0, 'page_ref_count(page) <= 0', at('get_page', 'VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page)'));
    yield* atomic_add(k.L.refcount(h), 1, at('get_page', 'page_ref_inc(page)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: h }, at(fn, 'pages[*nr] = page; (*nr)++'));
    page++;
    addr++;
  } while (addr !== end);
  return 1;
}

variantsOf(() => gup_huge_pmd, [
  {
    name: 'x86-get_page',
    description: 'x86 before v4.13: get_page() on each subpage and no PMD re-check, relying on the TLB-flush IPI of a split being held off by irqs-off (violation unless --env tlb=ipi)',
    range: { from: 'v4.5', to: 'v4.12' },
    arch: 'x86',
    kernel: 'v4.12 arch/x86/mm/gup.c',
    fn: gup_huge_pmd_x86_v4_12,
  },
]);

variantsOf(() => split_huge_page_to_list, [
  {
    name: 'no-refcount-check',
    description: 'no can_split_folio() and a freeze at whatever _refcount holds: splits a GUP-pinned folio (not a kernel commit: the split e9b61f19858a, v4.5, is built to refuse)',
    range: { from: 'v6.6', to: 'v6.6' },
    mutation: true,
    kernel: 'v6.6, expected-count check removed',
    fn: split_huge_page_to_list_no_refcount_check,
  },
]);
