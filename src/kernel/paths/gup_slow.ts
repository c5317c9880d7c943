/**
 * The GUP slow path, mm/gup.c following Linux v6.6: __get_user_pages() -> follow_page_mask() ->
 * follow_pmd_mask() -> follow_page_pte(), including FOLL_SPLIT_PMD, with faultin_page() ->
 * handle_mm_fault() when nothing is found. Since v6.5 (Hugh Dickins, "mm/gup: remove
 * FOLL_SPLIT_PMD use of pmd_trans_unstable()"):
 *   "There is now no reason for follow_pmd_mask()'s FOLL_SPLIT_PMD block to distinguish
 *    huge_zero_page from a normal THP: follow_page_pte() handles any instability, and here it's
 *    a good idea to replace any pmd_none(*pmd) by a page table a.s.a.p, in the huge_zero_page
 *    case as for a normal THP; and this removes an unnecessary possibility of -EBUSY failure."
 * follow_page_pte() now starts with `ptep = pte_offset_map_lock(mm, pmd, address, &ptl); if
 * (!ptep) return no_page_table(vma, flags);` — NULL, and __get_user_pages() faults and retries.
 *
 * Simplified (one line each): PGD..PUD folded; one VMA; no FOLL_DUMP/FOLL_TOUCH/devmap/p2pdma;
 * handle_mm_fault() is the read fault of this file's world (file THP by PMD, else PTE; anon: the
 * zero page); get_user_pages() holds mmap_lock for read over the walk and the faults
 * (mmap_read_lock, as __get_user_pages_locked() takes it when the caller has not), which
 * excludes a retract_page_tables() of v6.0..v6.4 that holds it for write.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, ghost, load, READ_ONCE, spin_lock, spin_unlock, WARN_ON_ONCE } from '../primitives.js';
import {
  page_folio, pmd_offset, pte_offset, pte_offset_map_lock, pte_unmap_unlock, ptep_get,
  set_pte_at, type K,
  mmap_read_lock, mmap_read_unlock,
} from '../mm.js';
import {
  _PAGE_SPECIAL, _PAGE_USER, _PAGE_TABLE, pfn_pte, pmd_none, pmd_pgtable, pmd_populate_val, pmd_present,
  pmd_protnone, pmd_trans_huge, pte_none, pte_pfn, pte_present, pte_special,
} from '../pgtable.js';
import { is_vm_hugetlb_page, type Vma } from '../walkers_world.js';
import { follow_page_mask_hugetlb_no_walk_bracket, follow_page_mask_hugetlb_v6_10 } from './hugetlb.js';
import { FOLL_GET, put_user_page } from './gup.js';
import { filemap_fault, is_huge_zero_pmd, pmd_lock, pte_alloc, split_huge_pmd } from './huge_memory_walkers.js';
import { pmd_trans_unstable } from './pagewalk.variants.js';
import { kernelSource, variantsOf } from '../replaceable.js';
import { EBUSY, EFAULT, ENOMEM } from '../errno.js';
export { EBUSY, EFAULT, ENOMEM } from '../errno.js';

const replaceable = kernelSource('mm/gup.c');

export const FOLL_SPLIT_PMD = 0x20000;
export const NULL_PAGE = -1;
const ERRNAMES: Record<number, string> = { [ENOMEM]: '-ENOMEM', [EFAULT]: '-EFAULT', [EBUSY]: '-EBUSY' };
export const IS_ERR = (page: number): boolean => page < NULL_PAGE;

/** no_page_table(vma, flags): NULL (FOLL_DUMP is not modelled), so the caller faults and retries */
const no_page_table = (): number => NULL_PAGE;

/**
 * try_grab_page(page, FOLL_GET), v6.6: `if (WARN_ON_ONCE(folio_ref_count(folio) <= 0)) return
 * -ENOMEM; ... folio_ref_inc(folio)` — under the PTL, the mapping's reference keeps it positive.
 */
const try_grab_page = replaceable(function* try_grab_page(k: K, page: number): Path<number> {
  const fn = 'try_grab_page';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  const ref = yield* READ_ONCE(k.L.refcount(folio), at(fn, 'if (WARN_ON_ONCE(folio_ref_count(folio) <= 0))'));
  if (yield* WARN_ON_ONCE(ref <= 0, 'folio_ref_count(folio) <= 0', at(fn, 'if (WARN_ON_ONCE(folio_ref_count(folio) <= 0))'))) return ENOMEM;
  yield* atomic_add(k.L.refcount(folio), 1, at(fn, 'folio_ref_inc(folio)'));
  return 0;
}, {
  description: 'try_grab_page(page, FOLL_GET), v6.6: `if (WARN_ON_ONCE(folio_ref_count(folio) <= 0)) return -ENOMEM; ...',
});

/** the PTE-level part shared by both forms of follow_page_pte(), under the PTL */
const follow_pte_locked = replaceable(function* follow_pte_locked(k: K, vma: Vma, ptep: number, flags: number, fn: string): Path<{ page: number; none: boolean }> {
  const pte = yield* ptep_get(k, ptep, at(fn, 'pte = ptep_get(ptep)'));
  if (!pte_present(pte)) return { page: NULL_PAGE, none: pte_none(pte) }; // goto no_page
  // page = vm_normal_page(vma, address, pte): NULL for special PTEs
  let page = pte_special(pte) ? NULL_PAGE : pte_pfn(pte);
  if (page === NULL_PAGE) {
    // "if (is_zero_pfn(pte_pfn(pte))) page = pte_page(pte); else ... follow_pfn_pte()"
    if (vma.zeroPfn !== undefined && pte_pfn(pte) === vma.zeroPfn) page = pte_pfn(pte);
    else return { page: EFAULT, none: false };
  }
  if (flags & FOLL_GET) {
    const ret = yield* try_grab_page(k, page);
    if (ret) return { page: ret, none: false };
  }
  return { page, none: false };
}, {
  description: 'the PTE-level part shared by both forms of follow_page_pte(), under the PTL',
});

/** follow_page_pte(), v6.6: the table is re-validated by pte_offset_map_lock(), which may return NULL */
export const follow_page_pte = replaceable(function* follow_page_pte(k: K, vma: Vma, address: number, pmdp: number, flags: number): Path<number> {
  const fn = 'follow_page_pte';
  const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'ptep = pte_offset_map_lock(mm, pmd, address, &ptl)'));
  if (pt < 0) return no_page_table(); // "if (!ptep) return no_page_table(vma, flags);"
  yield* ghost({ type: 'pmd_table_use', pmdp, pmdval: pmd_populate_val(pt), how: 'ptl' }, at(fn, 'if (!ptep)'));
  const r = yield* follow_pte_locked(k, vma, pte_offset(k, pt, address), flags, fn);
  yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(ptep, ptl)'));
  yield* pte_unmap_unlock(k, pt, at(fn, r.page === NULL_PAGE ? 'no_page: pte_unmap_unlock(ptep, ptl)' : 'out: pte_unmap_unlock(ptep, ptl)'));
  if (r.page === NULL_PAGE && r.none) return no_page_table();
  return r.page;
}, {
  description: 'pte_offset_map_lock() (NULL -> no_page_table), the PTE under the PTL, try_grab_page',
});

/** x86 pmd_bad(): `(pmd_flags(pmd) & ~_PAGE_USER) != _KERNPG_TABLE` — true for a huge PMD too */
const x86_pmd_bad = (pmd: number): boolean => !pmd_none(pmd) && ((pmd % 4096) & ~_PAGE_USER) !== (_PAGE_TABLE & ~_PAGE_USER);

/**
 * follow_page_pte(), v6.4: `if (unlikely(pmd_bad(*pmd))) return no_page_table(vma, flags);` then
 * the pre-v6.5 pte_offset_map_lock() macro, which cannot fail: pte_lockptr(mm, pmd) and
 * pte_offset_map(pmd, address) each dereference *pmd, trusting mmap_lock to keep a table a table.
 */
export function* follow_page_pte_v6_4(k: K, vma: Vma, address: number, pmdp: number, flags: number): Path<number> {
  const fn = 'follow_page_pte';
  if (x86_pmd_bad(yield* load(pmdp, at(fn, 'if (unlikely(pmd_bad(*pmd)))')))) return no_page_table();
  const forLock = yield* load(pmdp, at('pte_offset_map_lock', 'spinlock_t *__ptl = pte_lockptr(mm, pmd)'));
  const pmdval = yield* load(pmdp, at('pte_offset_map_lock', 'pte_t *__pte = pte_offset_map(pmd, address)'));
  yield* ghost({ type: 'pmd_table_use', pmdp, pmdval, how: 'none' }, at('pte_offset_map_lock', 'pte_t *__pte = pte_offset_map(pmd, address)'));
  const ptl = k.L.ptl(pmd_pgtable(forLock));
  yield* spin_lock(ptl, at('pte_offset_map_lock', 'spin_lock(__ptl)'));
  const r = yield* follow_pte_locked(k, vma, pte_offset(k, pmd_pgtable(pmdval), address), flags, fn);
  yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(ptep, ptl)'));
  yield* spin_unlock(ptl, at(fn, 'pte_unmap_unlock(ptep, ptl)'));
  if (r.page === NULL_PAGE && r.none) return no_page_table();
  return r.page;
}

/** follow_pmd_mask(), v6.6 (the FOLL_SPLIT_PMD block: split, pte_alloc, follow_page_pte) */
export const follow_pmd_mask = replaceable(function* follow_pmd_mask(k: K, vma: Vma, address: number, flags: number): Path<number> {
  const fn = 'follow_pmd_mask';
  const pmdp = pmd_offset(k, address);
  const follow_pte = follow_page_pte;
  const pmdval = yield* READ_ONCE(pmdp, at(fn, 'pmdval = pmdp_get_lockless(pmd)'));
  if (pmd_none(pmdval)) return no_page_table();
  if (!pmd_present(pmdval)) return no_page_table();
  if (!pmd_trans_huge(pmdval)) return yield* follow_pte(k, vma, address, pmdp, flags);
  if (pmd_protnone(pmdval)) return no_page_table();
  const ptl = yield* pmd_lock(k, pmdp, at(fn, 'ptl = pmd_lock(mm, pmd)'));
  const cur = yield* load(pmdp, at(fn, 'if (unlikely(!pmd_present(*pmd)))'));
  if (!pmd_present(cur)) {
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    return no_page_table();
  }
  if (!pmd_trans_huge(cur)) {
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    return yield* follow_pte(k, vma, address, pmdp, flags);
  }
  if (flags & FOLL_SPLIT_PMD) {
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    yield* split_huge_pmd(k, vma, pmdp, address);
    // "If pmd was left empty, stuff a page table in there quickly"
    return (yield* pte_alloc(k, pmdp, fn)) ? ENOMEM : yield* follow_pte(k, vma, address, pmdp, flags);
  }
  // follow_trans_huge_pmd() is not needed by the FOLL_SPLIT_PMD scenarios
  yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
  return EFAULT;
}, {
  description: 'slow GUP at the PMD: table -> follow_page_pte; huge + FOLL_SPLIT_PMD -> split, pte_alloc, follow_page_pte',
});

/**
 * follow_pmd_mask(), v6.4: the FOLL_SPLIT_PMD block before v6.5 — the huge zero page gets
 * `split_huge_pmd(); if (pmd_trans_unstable(pmd)) ret = -EBUSY;`, other THPs `split_huge_pmd();
 * ret = pte_alloc(mm, pmd) ? -ENOMEM : 0;`, then `return ret ? ERR_PTR(ret) : follow_page_pte(...)`.
 */
export function* follow_pmd_mask_v6_4(k: K, vma: Vma, address: number, flags: number): Path<number> {
  const fn = 'follow_pmd_mask';
  const pmdp = pmd_offset(k, address);
  const follow_pte = k.impl('follow_page_pte', follow_page_pte_v6_4);
  const pmdval = yield* READ_ONCE(pmdp, at(fn, 'pmdval = pmdp_get_lockless(pmd)'));
  if (pmd_none(pmdval)) return no_page_table();
  if (!pmd_present(pmdval)) return no_page_table();
  if (!pmd_trans_huge(pmdval)) return yield* follow_pte(k, vma, address, pmdp, flags);
  if (pmd_protnone(pmdval)) return no_page_table();
  const ptl = yield* pmd_lock(k, pmdp, at(fn, 'ptl = pmd_lock(mm, pmd)'));
  const cur = yield* load(pmdp, at(fn, 'if (unlikely(!pmd_present(*pmd)))'));
  if (!pmd_present(cur)) {
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    return no_page_table();
  }
  if (!pmd_trans_huge(cur)) {
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    return yield* follow_pte(k, vma, address, pmdp, flags);
  }
  if (flags & FOLL_SPLIT_PMD) {
    let ret = 0;
    const pmd = yield* load(pmdp, at(fn, 'page = pmd_page(*pmd)'));
    if (is_huge_zero_pmd(vma, pmd)) {
      yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
      yield* split_huge_pmd(k, vma, pmdp, address);
      if (yield* pmd_trans_unstable(k, pmdp)) ret = EBUSY;
    } else {
      yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
      yield* split_huge_pmd(k, vma, pmdp, address);
      ret = (yield* pte_alloc(k, pmdp, fn)) ? ENOMEM : 0;
    }
    return ret ? ret : yield* follow_pte(k, vma, address, pmdp, flags);
  }
  yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
  return EFAULT;
}

/**
 * follow_page_mask(), v6.6 with PGD..PUD folded: straight to follow_pmd_mask(). A hugetlb vma
 * takes the v6.10 form (hugetlb.ts: the walk bracketed by vma_pgtable_walk_begin()/_end()); in
 * v6.2-v6.9 __get_user_pages() sent hugetlb vmas to follow_hugetlb_page() instead.
 */
export const follow_page_mask = replaceable(function* follow_page_mask(k: K, vma: Vma, address: number, flags: number): Path<number> {
  if (is_vm_hugetlb_page(vma)) return yield* follow_page_mask_hugetlb_v6_10(k, vma, address);
  return yield* follow_pmd_mask(k, vma, address, flags);
}, {
  kernel: 'v6.10',
  aliases: ['follow_hugetlb_page (v6.2-v6.9, hugetlb vmas)'],
  description: 'slow GUP walk bracketed by vma_pgtable_walk_begin/end (hugetlb_vma_lock_read for hugetlb vmas)',
});
/** follow_page_mask() whose hugetlb walk has no vma_pgtable_walk_begin()/_end(), as v6.1's follow_hugetlb_page() without the hugetlb vma lock */
export function* follow_page_mask_no_walk_bracket(k: K, vma: Vma, address: number, flags: number): Path<number> {
  if (is_vm_hugetlb_page(vma)) return yield* follow_page_mask_hugetlb_no_walk_bracket(k, vma, address);
  return yield* follow_pmd_mask(k, vma, address, flags);
}

/**
 * handle_mm_fault() for a read fault, as this world needs it (v6.6 __handle_mm_fault ->
 * do_read_fault -> filemap_map_pages / do_anonymous_page): an empty PMD of a file vma whose THP
 * is in the page cache is mapped huge (filemap_map_pmd -> do_set_pmd); an empty PMD of an anon
 * vma gets a table (pte_alloc) and the zero page; an empty PTE in a table gets the file subpage
 * (folio_try_get, page_add_file_rmap, set_pte_at) or the zero page. A huge PMD needs nothing.
 */
export const handle_mm_fault = replaceable(function* handle_mm_fault(k: K, vma: Vma, address: number): Path<void> {
  const fn = '__handle_mm_fault';
  const pmdp = pmd_offset(k, address);
  const pmd = yield* READ_ONCE(pmdp, at(fn, 'if (pmd_none(*vmf.pmd) && thp_vma_allowable_orders(vma, ...))'));
  if (pmd_trans_huge(pmd)) return; // huge_pmd_set_accessed()
  if (!vma.anon) {
    yield* filemap_fault(k, vma, address);
    return;
  }
  if (pmd_none(pmd) && (yield* pte_alloc(k, pmdp, 'do_anonymous_page'))) return;
  // do_anonymous_page() read fault: entry = pte_mkspecial(pfn_pte(my_zero_pfn(vmf->address), vma->vm_page_prot))
  const ffn = 'do_anonymous_page';
  const pt = yield* pte_offset_map_lock(k, pmdp, at(ffn, 'vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &vmf->ptl)'));
  if (pt < 0) return; // "if (!vmf->pte) goto unlock;"
  const ptep = pte_offset(k, pt, address);
  if (pte_none(yield* ptep_get(k, ptep, at(ffn, 'if (vmf_pte_changed(vmf))')))) {
    yield* set_pte_at(k, ptep, pfn_pte(vma.zeroPfn!, false) + _PAGE_SPECIAL, at(ffn, 'set_pte_at(vma->vm_mm, vmf->address, vmf->pte, entry)'));
  }
  yield* pte_unmap_unlock(k, pt, at(ffn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
}, {
  description: 'handle_mm_fault() for a read fault, as this world needs it (v6.6 __handle_mm_fault -> do_read_fault -> filemap_map_pages / do_anonymous_page): an empty PMD ...',
});

/**
 * __get_user_pages() for [start, start + nr_pages) of one vma, v6.6: follow_page_mask(); on
 * NULL faultin_page() and `goto retry`; on an error stop and return it. Then the caller uses the
 * pages and releases them (put_page). Ghosts: gup_hold/gup_release per page, gup_slow_result.
 */
export const get_user_pages = replaceable(function* get_user_pages(k: K, vma: Vma, start: number, nr_pages: number, gup_flags: number): Path<number> {
  const fn = '__get_user_pages';
  const pages: number[] = [];
  let err = 0;
  // get_user_pages() -> __get_user_pages_locked(): "if (!*locked) { mmap_read_lock(mm) ... }"
  yield* mmap_read_lock(k, at('__get_user_pages_locked', 'mmap_read_lock(mm)'));
  for (let addr = start; addr < start + nr_pages && err === 0; addr++) {
    for (;;) {
      const page = yield* follow_page_mask(k, vma, addr, gup_flags);
      if (page === NULL_PAGE) {
        // faultin_page(): handle_mm_fault(), then "case 0: goto retry;"
        yield* handle_mm_fault(k, vma, addr);
        continue;
      }
      if (IS_ERR(page)) {
        err = page;
        break;
      }
      pages.push(page);
      yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: page }, at(fn, 'pages[i] = page'));
      break;
    }
  }
  yield* mmap_read_unlock(k, at('__get_user_pages_locked', 'mmap_read_unlock(mm)'));
  yield* ghost({ type: 'gup_slow_result', addr: start, err, errname: ERRNAMES[err] ?? String(err) }, at(fn, err ? `return ${ERRNAMES[err] ?? err}` : `return ${pages.length}`));
  for (const page of pages) yield* put_user_page(k, page);
  return err ? err : pages.length;
}, {
  description: '__get_user_pages() for [start, start + nr_pages) of one vma, v6.6: follow_page_mask(); on NULL faultin_page() and `goto retry`; on an error stop and return it.',
});

variantsOf(() => follow_pmd_mask, [
  {
    name: 'v6.4-foll-split-pmd',
    description: 'v6.4: huge zero page: split, then pmd_trans_unstable() -> -EBUSY; other THPs: split, pte_alloc; follow_page_pte cannot fail',
    range: { from: 'v6.4', to: 'v6.4' },
    kernel: 'v6.4 (changed in v6.5: "mm/gup: remove FOLL_SPLIT_PMD use of pmd_trans_unstable()")',
    fn: follow_pmd_mask_v6_4,
  },
]);

variantsOf(() => follow_page_pte, [
  {
    name: 'v6.4-infallible-map',
    description: 'v6.4: if (pmd_bad(*pmd)) no_page_table; the old pte_offset_map_lock() macro dereferences *pmd twice and cannot fail',
    range: { from: 'v6.4', to: 'v6.4' },
    kernel: 'v6.4',
    fn: follow_page_pte_v6_4,
  },
]);

variantsOf(() => follow_page_mask, [
  {
    name: 'no-walk-bracket',
    description: 'the walk without vma_pgtable_walk_begin()/_end(), as v6.1 follow_hugetlb_page() without the hugetlb vma lock',
    range: { from: 'v6.1', to: 'v6.1' },
    kernel: 'v6.1 (fixed in v6.2, "mm/hugetlb: make follow_hugetlb_page() safe to pmd unshare")',
    fn: follow_page_mask_no_walk_bracket,
  },
]);
