/**
 * khugepaged collapse, following Linux v6.6 mm/khugepaged.c:
 *   collapse_huge_page() (anon: small pages -> one PMD-mapped THP), __collapse_huge_page_isolate(),
 *   __collapse_huge_page_copy(); retract_page_tables() (file/shmem: drop an empty PTE table so
 *   the THP can be mapped by PMD), freeing the table with pte_free_defer() (v6.6).
 * Renamed since: v6.8+ folio_* names in the isolate/copy helpers (folio_trylock,
 * folio_isolate_lru, folio_remove_rmap_pte, map_anon_folio_pmd_nopf in v6.17+).
 *
 * From collapse_huge_page():
 *   "Prevent all access to pagetables with the exception of gup_fast later handled by the
 *    ptep_clear_flush and the VM handled by the anon_vma lock + PG_lock."
 *   "Parallel GUP-fast is fine since GUP-fast will back off when it detects PMD is changed."
 * and __collapse_huge_page_isolate():
 *   "Check if the page has any GUP (or other external) pins. The page table that maps the page
 *    has been already unlinked from the page table tree and this process cannot get an
 *    additional pin on the page."
 * That last sentence holds only once no GUP-fast can still be inside the unlinked table: the
 * PMD re-check in gup_pte_range() (70cbc3cc78a9, 2022) and tlb_remove_table_sync_one() after
 * pmdp_collapse_flush() (2ba99c5e0881, 2022) each close that window.
 *
 * Simplifications (one line each):
 * - mmap_write_lock / anon_vma_lock_write / mmu notifiers are not modelled: the scenarios have no
 *   fault, slow GUP or rmap walker racing with collapse (GUP-fast takes none of them).
 * - The scan (hpage_collapse_scan_pmd) and the revalidation after re-taking mmap_lock are not
 *   modelled: collapse starts at the PMD check; page contents (the copy) are not modelled.
 * - No swap cache: PageSwapCache() is false, so expected_refcount = total_mapcount(page).
 * - VM_BUG_ON_PAGE(!PageAnon(page)) (CONFIG_DEBUG_VM) reads nothing here.
 * - pmd_lock() is the PMD table's split lock (ptdesc->ptl of the PMD page).
 * - The deposited page table (pmd_huge_pte) is kept in the PMD table page's `index` cell.
 */
import type { Path } from '../../core/op.js';
import {
  at, atomic_add, atomic_set, ghost, load, rcu_read_lock, set_bit, smp_wmb, spin_lock, spin_unlock, store,
  VM_BUG_ON, WRITE_ONCE, xchg,
} from '../primitives.js';
import {
  alloc_pages, flush_tlb_range, folio_put, mmap_write_trylock, mmap_write_unlock, page_folio, pmd_offset, pmdp_get_lockless, pte_offset, pte_unmap, ptep_get,
  put_page, type K,
} from '../mm.js';
import {
  pfn_pmd_huge, pmd_bad, pmd_none, pmd_pgtable, pmd_populate_val, pmd_present, pmd_trans_huge, pte_none, pte_pfn,
  pte_present, pte_write, pte_young,
} from '../pgtable.js';
import { F_INDEX, PAGE_MAPPING_ANON, PG_anon_exclusive, PG_head, PG_locked, PG_lru, PG_swapbacked, PG_uptodate } from '../world.js';
import { page_remove_rmap } from './memory.js';
import { pte_free, tlb_remove_table_sync_one } from './mmu_gather.js';
import { call_rcu, RCU_CB } from './rcu.js';
import { kernelSource, variantsOf } from '../replaceable.js';

const replaceable = kernelSource('mm/khugepaged.c');

/** enum scan_result (the values are ours; the names are the kernel's) */
export const SCAN = {
  SCAN_FAIL: 0, SCAN_SUCCEED: 1, SCAN_PMD_NULL: 2, SCAN_PMD_NONE: 3, SCAN_PMD_MAPPED: 4, SCAN_PAGE_RO: 5,
  SCAN_LACK_REFERENCED_PAGE: 6, SCAN_PAGE_NULL: 7, SCAN_PAGE_COUNT: 8, SCAN_PAGE_LRU: 9, SCAN_PAGE_LOCK: 10,
  SCAN_PTE_NON_PRESENT: 11, SCAN_DEL_PAGE_LRU: 12, SCAN_ALLOC_HUGE_PAGE_FAIL: 13, SCAN_PTE_MAPPED_HUGEPAGE: 14,
} as const;
export const SCAN_NAMES = Object.fromEntries(Object.entries(SCAN).map(([n, v]) => [v, n])) as Record<number, string>;

const HPAGE_PMD_NR = (k: K): number => k.geo.ptrsPerPte;
const HPAGE_PMD_ORDER = (k: K): number => Math.log2(k.geo.ptrsPerPte);
/** pmd_lockptr(): the PMD table's split page-table lock */
const pmd_lockptr = (k: K): number => k.L.ptl(k.pmdTable);

// ---- small page-flag helpers with the kernel's ordering ----
/** trylock_page(): !test_and_set_bit_lock(PG_locked, &page->flags) (acquire) */
const trylock_page = replaceable(function* trylock_page(k: K, page: number, fn: string): Path<boolean> {
  const old = yield { kind: 'rmw', loc: k.L.flags(page), rmw: 'or', a: PG_locked, b: 0, order: 'acquire', label: at(fn, 'if (!trylock_page(page))'), returns: { kind: 'no-bit', bit: PG_locked } };
  return (old & PG_locked) === 0;
}, {
  description: 'trylock_page(): !test_and_set_bit_lock(PG_locked, &page->flags) (acquire)',
});
/** unlock_page(): clear_bit_unlock(PG_locked) (release); waking waiters is not modelled */
const unlock_page = replaceable(function* unlock_page(k: K, page: number, fn: string): Path<void> {
  yield { kind: 'rmw', loc: k.L.flags(page), rmw: 'andnot', a: PG_locked, b: 0, order: 'release', label: at(fn, 'unlock_page(page)') };
}, {
  description: 'unlock_page(): clear_bit_unlock(PG_locked) (release); waking waiters is not modelled',
});
/** folio_test_clear_lru(): test_and_clear_bit(PG_lru) (fully ordered) */
const folio_test_clear_lru = replaceable(function* folio_test_clear_lru(k: K, folio: number, fn: string): Path<boolean> {
  const old = yield { kind: 'rmw', loc: k.L.flags(folio), rmw: 'andnot', a: PG_lru, b: 0, order: 'full', label: at(fn, 'if (folio_test_clear_lru(folio))'), returns: { kind: 'bit', bit: PG_lru } };
  return (old & PG_lru) !== 0;
}, {
  description: 'folio_test_clear_lru(): test_and_clear_bit(PG_lru) (fully ordered)',
});

/**
 * isolate_lru_page() -> folio_isolate_lru(): take the folio off the LRU with a reference of its
 * own ("Must be called with an elevated refcount on the page" is what the PTL gives here).
 */
const isolate_lru_page = replaceable(function* isolate_lru_page(k: K, page: number): Path<boolean> {
  const fn = 'folio_isolate_lru';
  if (!(yield* folio_test_clear_lru(k, page, fn))) return false;
  yield* atomic_add(k.L.refcount(page), 1, at(fn, 'folio_get(folio)'));
  return true;
}, {
  description: 'isolate_lru_page() -> folio_isolate_lru(): take the folio off the LRU with a reference of its own ("Must be called with an elevated refcount on the page" is ...',
});
/** putback_lru_page() -> folio_putback_lru(): folio_add_lru() then folio_put() the isolation reference */
const putback_lru_page = replaceable(function* putback_lru_page(k: K, page: number): Path<void> {
  yield* set_bit(PG_lru, k.L.flags(page), at('folio_add_lru', 'folio_set_lru(folio)'));
  yield* folio_put(k, page, at('folio_putback_lru', 'folio_put(folio)'));
}, {
  description: 'putback_lru_page() -> folio_putback_lru(): folio_add_lru() then folio_put() the isolation reference',
});
/** release_pte_page(): undo the isolation of one page */
const release_pte_page = replaceable(function* release_pte_page(k: K, page: number): Path<void> {
  yield* unlock_page(k, page, 'release_pte_page');
  yield* putback_lru_page(k, page);
}, {
  description: 'release_pte_page(): undo the isolation of one page',
});

/** PageCompound(page): PageHead(page) || PageTail(page) -- two reads in the C */
const PageCompound = replaceable(function* PageCompound(k: K, page: number, fn: string): Path<boolean> {
  const flags = yield* load(k.L.flags(page), at(fn, 'if (!PageCompound(src_page)): PageHead(page)'), 'once');
  if ((flags & PG_head) !== 0) return true;
  const head = yield* load(k.L.compound_head(page), at(fn, 'if (!PageCompound(src_page)): PageTail(page)'), 'once');
  return head % 2 === 1;
}, {
  description: 'PageCompound(page): PageHead(page) || PageTail(page) -- two reads in the C',
});

/**
 * is_refcount_suitable(), v6.6: page_count(page) == total_mapcount(page) (+ swap cache refs).
 * total_mapcount() of a small page is _mapcount + 1; of a large folio, the entire mapcount plus
 * each subpage's (folio_total_mapcount()).
 */
const is_refcount_suitable = replaceable(function* is_refcount_suitable(k: K, page: number): Path<boolean> {
  const fn = 'is_refcount_suitable';
  const L = k.L;
  let expected: number;
  const flags = yield* load(L.flags(page), at('total_mapcount', 'if (likely(!folio_test_large(folio)))'), 'once');
  if ((flags & PG_head) === 0) {
    expected = (yield* load(L.mapcount(page), at(fn, 'expected_refcount = total_mapcount(page)'), 'once')) + 1;
  } else {
    expected = (yield* load(L.entire_mapcount(page), at('folio_total_mapcount', 'mapcount = folio_entire_mapcount(folio)'), 'once')) + 1;
    const nr = 1 << (yield* load(L.folio_order(page), at('folio_total_mapcount', 'nr_pages = folio_nr_pages(folio)')));
    for (let i = 0; i < nr; i++) {
      expected += (yield* load(L.mapcount(page + i), at('folio_total_mapcount', 'mapcount += atomic_read(&folio_page(folio, i)->_mapcount)'), 'once')) + 1;
    }
  }
  const count = yield* load(L.refcount(page), at(fn, 'return page_count(page) == expected_refcount'), 'once');
  return count === expected;
}, {
  description: 'is_refcount_suitable(), v6.6: page_count(page) == total_mapcount(page) (+ swap cache refs).',
});

/**
 * release_pte_pages(pte, _pte, compound_pagelist): put back every page isolated so far (the
 * PTEs before `upto`), then the compound ones.
 */
const release_pte_pages = replaceable(function* release_pte_pages(k: K, pt: number, address: number, upto: number, compound: readonly number[]): Path<void> {
  const fn = 'release_pte_pages';
  for (let i = upto - 1; i >= 0; i--) {
    const pteval = yield* ptep_get(k, pte_offset(k, pt, address + i), at(fn, 'pte_t pteval = ptep_get(_pte)'));
    if (pte_none(pteval)) continue;
    const page = pte_pfn(pteval);
    if (yield* PageCompound(k, page, fn)) continue;
    yield* release_pte_page(k, page);
  }
  for (const page of compound) yield* release_pte_page(k, page);
}, {
  description: 'release_pte_pages(pte, _pte, compound_pagelist): put back every page isolated so far (the PTEs before `upto`), then the compound ones.',
});

/** __collapse_huge_page_isolate(), v6.6: lock, refcount-check and isolate every mapped page */
export const __collapse_huge_page_isolate = replaceable(function* __collapse_huge_page_isolate(k: K, address: number, pt: number, compound: number[]): Path<number> {
  const fn = '__collapse_huge_page_isolate';
  let referenced = 0;
  let writable = false;
  let result: number = SCAN.SCAN_FAIL;
  let i = 0;
  out: {
    for (; i < HPAGE_PMD_NR(k); i++) {
      const pteval = yield* ptep_get(k, pte_offset(k, pt, address + i), at(fn, 'pte_t pteval = ptep_get(_pte)'));
      // none PTEs: khugepaged_max_ptes_none (default HPAGE_PMD_NR - 1) is never exceeded here
      if (pte_none(pteval)) continue;
      if (!pte_present(pteval)) {
        result = SCAN.SCAN_PTE_NON_PRESENT;
        break out;
      }
      let page = pte_pfn(pteval); // vm_normal_page()
      // shared pages: khugepaged_max_ptes_shared (default HPAGE_PMD_NR / 2) is not reached here
      yield* load(k.L.mapcount(page), at(fn, 'if (page_mapcount(page) > 1)'), 'once');
      page = yield* page_folio(k, page, at(fn, 'page = compound_head(page)'));
      if (!compound.includes(page)) {
        // "We can do it before isolate_lru_page because the page can't be freed from under us.
        //  NOTE: PG_lock is needed to serialize against split_huge_page when invoked from the VM."
        if (!(yield* trylock_page(k, page, fn))) {
          result = SCAN.SCAN_PAGE_LOCK;
          break out;
        }
        // "Check if the page has any GUP (or other external) pins."
        if (!(yield* is_refcount_suitable(k, page))) {
          yield* unlock_page(k, page, fn);
          result = SCAN.SCAN_PAGE_COUNT;
          break out;
        }
        if (!(yield* isolate_lru_page(k, page))) {
          yield* unlock_page(k, page, fn);
          result = SCAN.SCAN_DEL_PAGE_LRU;
          break out;
        }
        const flags = yield* load(k.L.flags(page), at(fn, 'if (PageCompound(page)) list_add_tail(&page->lru, compound_pagelist)'), 'once');
        if ((flags & PG_head) !== 0) compound.push(page);
      }
      // next: "check that there is enough young pte to justify collapsing the page"
      if (pte_young(pteval)) referenced++;
      if (pte_write(pteval)) writable = true;
    }
    if (!writable) result = SCAN.SCAN_PAGE_RO;
    else if (referenced === 0) result = SCAN.SCAN_LACK_REFERENCED_PAGE;
    else return SCAN.SCAN_SUCCEED;
  }
  yield* release_pte_pages(k, pt, address, i, compound);
  compound.length = 0;
  return result;
}, {
  description: '__collapse_huge_page_isolate(), v6.6: lock, refcount-check and isolate every mapped page',
});

/** __collapse_huge_page_copy_succeeded(), v6.6: unmap and free the old pages */
const __collapse_huge_page_copy_succeeded = replaceable(function* __collapse_huge_page_copy_succeeded(k: K, pt: number, address: number, compound: readonly number[]): Path<void> {
  const fn = '__collapse_huge_page_copy_succeeded';
  const ptl = k.L.ptl(pt);
  for (let i = 0; i < HPAGE_PMD_NR(k); i++) {
    const ptep = pte_offset(k, pt, address + i);
    const pteval = yield* ptep_get(k, ptep, at(fn, 'pteval = ptep_get(_pte)'));
    if (pte_none(pteval)) continue; // add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1)
    const src_page = pte_pfn(pteval);
    if (!(yield* PageCompound(k, src_page, fn))) yield* release_pte_page(k, src_page);
    // "ptl mostly unnecessary, but preempt has to be disabled to update the per-cpu stats"
    yield* spin_lock(ptl, at(fn, 'spin_lock(ptl)'));
    yield* xchg(ptep, 0, at(fn, 'ptep_clear(vma->vm_mm, address, _pte)'));
    yield* page_remove_rmap(k, src_page);
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    // free_page_and_swap_cache(): no swap cache here, so put_page()
    yield* put_page(k, src_page, at(fn, 'free_page_and_swap_cache(src_page)'));
    // Checked here rather than at the copy: this reference drop is ordered against GUP's own
    // get and put of the page, so every interleaving of the same race reports it.
    yield* ghost({ type: 'collapse_replaced', pfn: src_page }, at(fn, 'free_page_and_swap_cache(src_page)'));
  }
  for (const src_page of compound) {
    yield* unlock_page(k, src_page, fn);
    yield* putback_lru_page(k, src_page);
  }
}, {
  description: '__collapse_huge_page_copy_succeeded(), v6.6: unmap and free the old pages',
});

/** __collapse_huge_page_copy(), v6.6: copy every subpage (never machine-check fails here) */
const __collapse_huge_page_copy = replaceable(function* __collapse_huge_page_copy(k: K, pt: number, folio: number, address: number, compound: readonly number[]): Path<number> {
  const fn = '__collapse_huge_page_copy';
  for (let i = 0; i < HPAGE_PMD_NR(k); i++) {
    const pteval = yield* ptep_get(k, pte_offset(k, pt, address + i), at(fn, 'pte_t pteval = ptep_get(pte + i)'));
    if (pte_none(pteval)) continue; // clear_user_highpage(page, src_addr)
    yield* ghost({ type: 'collapse_copy', pfn: pte_pfn(pteval), into: folio + i }, at(fn, 'copy_mc_user_highpage(page, src_page, src_addr, vma)'));
  }
  yield* __collapse_huge_page_copy_succeeded(k, pt, address, compound);
  return SCAN.SCAN_SUCCEED;
}, {
  description: '__collapse_huge_page_copy(), v6.6: copy every subpage (never machine-check fails here)',
});

/** pmdp_collapse_flush() (mm/pgtable-generic.c): pmdp_huge_get_and_clear() (x86: xchg), then flush_tlb_range() */
export const pmdp_collapse_flush = replaceable(function* pmdp_collapse_flush(k: K, pmdp: number, fn: string): Path<number> {
  const pmd = yield* xchg(pmdp, 0, at(fn, '_pmd = pmdp_collapse_flush(vma, address, pmd): pmdp_huge_get_and_clear()'));
  yield* flush_tlb_range(k, at('pmdp_collapse_flush', 'flush_tlb_range(vma, address, address + HPAGE_PMD_SIZE)'));
  return pmd;
}, {
  description: 'pmdp_collapse_flush() (mm/pgtable-generic.c): pmdp_huge_get_and_clear() (x86: xchg), then flush_tlb_range()',
});

/**
 * find_pmd_or_thp_or_none() (check_pmd_still_valid()): SCAN_SUCCEED only for a PMD that points
 * to a PTE table.
 */
const find_pmd_or_thp_or_none = replaceable(function* find_pmd_or_thp_or_none(k: K, pmdp: number): Path<number> {
  const pmde = yield* pmdp_get_lockless(k, pmdp, at('find_pmd_or_thp_or_none', 'pmde = pmdp_get_lockless(*pmd)'));
  if (pmd_none(pmde)) return SCAN.SCAN_PMD_NONE;
  if (!pmd_present(pmde)) return SCAN.SCAN_PMD_NULL;
  if (pmd_trans_huge(pmde)) return SCAN.SCAN_PMD_MAPPED;
  if (pmd_bad(pmde)) return SCAN.SCAN_PMD_NULL;
  return SCAN.SCAN_SUCCEED;
}, {
  description: 'find_pmd_or_thp_or_none() (check_pmd_still_valid()): SCAN_SUCCEED only for a PMD that points to a PTE table.',
});

/** collapse_huge_page() variants differ only here: what follows pmdp_collapse_flush(). */
export interface CollapseOptions {
  /** tlb_remove_table_sync_one() after the flush (2ba99c5e0881, v6.1) */
  readonly syncOne: boolean;
}

/** collapse_huge_page(), v6.6, for the PMD range at `address` (page units, PMD-aligned) */
export const collapse_huge_page = replaceable(function* collapse_huge_page(k: K, address: number): Path<number> {
  return yield* collapse_huge_page_opts(k, address, { syncOne: true });
}, {
  description: 'anon collapse: pmdp_collapse_flush, tlb_remove_table_sync_one, __collapse_huge_page_isolate refcount check, copy, install the huge PMD',
});

/** collapse_huge_page() before 2ba99c5e0881 (v6.0): no tlb_remove_table_sync_one() */
export function* collapse_huge_page_v6_0(k: K, address: number): Path<number> {
  return yield* collapse_huge_page_opts(k, address, { syncOne: false });
}

export function* collapse_huge_page_opts(k: K, address: number, o: CollapseOptions): Path<number> {
  const fn = 'collapse_huge_page';
  const L = k.L;
  // "Before allocating the hugepage, release the mmap_lock read lock." alloc_charge_folio():
  const folio = yield* alloc_pages(k, HPAGE_PMD_ORDER(k), 'anon', at('alloc_charge_folio', 'folio = __folio_alloc(gfp, HPAGE_PMD_ORDER, node, &cc->alloc_nmask)'));
  if (folio < 0) return SCAN.SCAN_ALLOC_HUGE_PAGE_FAIL;
  const pmdp = pmd_offset(k, address);
  const pmd_ptl = pmd_lockptr(k);
  let result: number = SCAN.SCAN_FAIL;
  out_up_write: {
    // mmap_write_lock(mm); hugepage_vma_revalidate(); check_pmd_still_valid()
    result = yield* find_pmd_or_thp_or_none(k, pmdp);
    if (result !== SCAN.SCAN_SUCCEED) break out_up_write;
    // anon_vma_lock_write(vma->anon_vma); mmu_notifier_invalidate_range_start(&range)
    yield* spin_lock(pmd_ptl, at(fn, 'pmd_ptl = pmd_lock(mm, pmd); /* probably unnecessary */'));
    // "Parallel GUP-fast is fine since GUP-fast will back off when it detects PMD is changed."
    const _pmd = yield* pmdp_collapse_flush(k, pmdp, fn);
    yield* spin_unlock(pmd_ptl, at(fn, 'spin_unlock(pmd_ptl)'));
    // Wait for every irqs-off GUP-fast still inside the old table: after this, a pin it took is
    // visible to the refcount check below, and none can take one any more.
    if (o.syncOne) yield* tlb_remove_table_sync_one(k);

    // pte = pte_offset_map_lock(mm, &_pmd, address, &pte_ptl): on the local copy of the PMD
    yield* rcu_read_lock(at('__pte_offset_map', 'rcu_read_lock()'));
    const pt = pmd_pgtable(_pmd);
    yield* ghost({ type: 'pt_map', pt }, at(fn, 'pte = pte_offset_map_lock(mm, &_pmd, address, &pte_ptl)'));
    yield* spin_lock(L.ptl(pt), at('pte_offset_map_lock', 'spin_lock(ptl)'));
    const compound: number[] = [];
    result = yield* __collapse_huge_page_isolate(k, address, pt, compound);
    yield* spin_unlock(L.ptl(pt), at(fn, 'spin_unlock(pte_ptl)'));

    if (result !== SCAN.SCAN_SUCCEED) {
      yield* pte_unmap(k, pt, at(fn, 'pte_unmap(pte)'));
      yield* spin_lock(pmd_ptl, at(fn, 'spin_lock(pmd_ptl)'));
      const cur = yield* load(pmdp, at(fn, 'BUG_ON(!pmd_none(*pmd))'));
      yield* VM_BUG_ON(!pmd_none(cur), '!pmd_none(*pmd)', at(fn, 'BUG_ON(!pmd_none(*pmd))'));
      // "We can only use set_pmd_at when establishing hugepmds and never for establishing
      //  regular pmds that points to regular pagetables. Use pmd_populate for that"
      yield* WRITE_ONCE(pmdp, pmd_populate_val(pt), at(fn, 'pmd_populate(mm, pmd, pmd_pgtable(_pmd))'));
      yield* spin_unlock(pmd_ptl, at(fn, 'spin_unlock(pmd_ptl)'));
      break out_up_write; // anon_vma_unlock_write(vma->anon_vma)
    }
    // "All pages are isolated and locked so anon_vma rmap can't run anymore."
    result = yield* __collapse_huge_page_copy(k, pt, folio, address, compound);
    yield* pte_unmap(k, pt, at(fn, 'pte_unmap(pte)'));

    // "The smp_wmb() inside __folio_mark_uptodate() ensures the copy_huge_page writes become
    //  visible before the set_pmd_at() write."
    yield* smp_wmb(at('__folio_mark_uptodate', 'smp_wmb()'));
    yield* set_bit(PG_uptodate, L.flags(folio), at('__folio_mark_uptodate', 'set_bit(PG_uptodate, folio_flags(folio, 0))'));
    const entry = pfn_pmd_huge(folio, true); // maybe_pmd_mkwrite(pmd_mkdirty(mk_huge_pmd(&folio->page, vma->vm_page_prot)), vma)

    yield* spin_lock(pmd_ptl, at(fn, 'spin_lock(pmd_ptl)'));
    const cur = yield* load(pmdp, at(fn, 'BUG_ON(!pmd_none(*pmd))'));
    yield* VM_BUG_ON(!pmd_none(cur), '!pmd_none(*pmd)', at(fn, 'BUG_ON(!pmd_none(*pmd))'));
    // folio_add_new_anon_rmap(folio, vma, address): a new folio, so non-atomic stores
    yield* set_bit(PG_swapbacked, L.flags(folio), at('folio_add_new_anon_rmap', '__folio_set_swapbacked(folio)'));
    yield* atomic_set(L.entire_mapcount(folio), 0, at('folio_add_new_anon_rmap', 'atomic_set(&folio->_entire_mapcount, 0)'));
    yield* store(L.mapping(folio), PAGE_MAPPING_ANON, at('__page_set_anon_rmap', 'WRITE_ONCE(folio->mapping, (struct address_space *) anon_vma)'), 'once');
    yield* set_bit(PG_anon_exclusive, L.flags(folio), at('__page_set_anon_rmap', 'SetPageAnonExclusive(page)'));
    yield* set_bit(PG_lru, L.flags(folio), at('folio_add_lru_vma', 'folio_add_lru(folio)'));
    yield* store(L.field(k.pmdTable, F_INDEX), pt, at('pgtable_trans_huge_deposit', 'pmd_huge_pte(mm, pmdp) = pgtable'));
    yield* store(pmdp, entry, at(fn, 'set_pmd_at(mm, address, pmd, _pmd)'), 'once');
    yield* spin_unlock(pmd_ptl, at(fn, 'spin_unlock(pmd_ptl)'));
    return SCAN.SCAN_SUCCEED; // folio = NULL; mmap_write_unlock(mm)
  }
  // out_nolock: if (folio) folio_put(folio)
  yield* folio_put(k, folio, at(fn, 'out_nolock: folio_put(folio)'));
  return result;
}

// ---------------------------------------------------------------------------------------------
// File/shmem: retract_page_tables()
// ---------------------------------------------------------------------------------------------

/** retract_page_tables() variants: how the unlinked table is freed */
export type RetractFree = 'pte_free_defer' | 'sync_one+pte_free' | 'pte_free';

/**
 * retract_page_tables(), v6.6, for one VMA whose PMD at `addr` maps an empty PTE table (collapse_file()
 * already unmapped the small pages and put the THP in the page cache): runs under
 * i_mmap_lock_read only, so the table is freed by pte_free_defer() -- "RCU-deferred free:
 * walkers in pte_offset_map()'s RCU section or IRQ-off GUP-fast keep the table alive".
 */
export const retract_page_tables = replaceable(function* retract_page_tables(k: K, addr: number): Path<number> {
  return yield* retract_page_tables_opts(k, addr, 'pte_free_defer');
}, {
  aliases: ['collapse_and_free_pmd (v6.0-v6.5)'],
  description: 'file/shmem: unlink an empty PTE table with pmdp_collapse_flush, free it with pte_free_defer (RCU)',
  // v6.5+: without mmap_lock for write, so walkers under mmap_read_lock meet it
  provides: ['lockless-retract'],
});
/** v6.1..v6.5 collapse_and_free_pmd() (under mmap_write_lock): tlb_remove_table_sync_one(); pte_free() (2ba99c5e0881) */
export function* retract_page_tables_v6_1(k: K, addr: number): Path<number> {
  return yield* retract_page_tables_opts(k, addr, 'sync_one+pte_free');
}
/** v6.0 collapse_and_free_pmd() (and retract_page_tables() before it): pte_free() right after pmdp_collapse_flush() */
export function* retract_page_tables_v6_0(k: K, addr: number): Path<number> {
  return yield* retract_page_tables_opts(k, addr, 'pte_free');
}

export function* retract_page_tables_opts(k: K, addr: number, how: RetractFree): Path<number> {
  if (how === 'pte_free_defer') return yield* retract_one(k, addr, how);
  // v6.0..v6.4 retract_page_tables(): "We need exclusive mmap_lock to retract page table. We use
  // trylock due to lock inversion: we need to acquire mmap_lock while holding page lock. Fault
  // path does it in reverse order. Trylock is a way to avoid deadlock."
  if (!(yield* mmap_write_trylock(k, at('retract_page_tables', 'if ((cc->is_khugepaged || is_target) && mmap_write_trylock(mm))')))) {
    return SCAN.SCAN_PTE_MAPPED_HUGEPAGE; // khugepaged_add_pte_mapped_thp(mm, addr): "Try again later"
  }
  // (v6.4 also vma_start_write(vma) here: no modelled reader takes the per-VMA lock)
  const r = yield* retract_one(k, addr, how);
  yield* mmap_write_unlock(k, at('retract_page_tables', 'mmap_write_unlock(mm)'));
  return r;
}

function* retract_one(k: K, addr: number, how: RetractFree): Path<number> {
  const fn = how === 'pte_free_defer' ? 'retract_page_tables' : 'collapse_and_free_pmd';
  const pmdp = pmd_offset(k, addr);
  // i_mmap_lock_read(mapping); READ_ONCE(vma->anon_vma) == NULL; range checks
  if ((yield* find_pmd_or_thp_or_none(k, pmdp)) !== SCAN.SCAN_SUCCEED) return SCAN.SCAN_FAIL;
  const pml = pmd_lockptr(k);
  yield* spin_lock(pml, at(fn, 'pml = pmd_lock(mm, pmd)'));
  let ptl = -1;
  if (how === 'pte_free_defer') {
    // ptl = pte_lockptr(mm, pmd): reads the PMD to find the table's lock
    const pmdval = yield* load(pmdp, at(fn, 'ptl = pte_lockptr(mm, pmd)'));
    ptl = k.L.ptl(pmd_pgtable(pmdval));
    yield* spin_lock(ptl, at(fn, 'if (ptl != pml) spin_lock_nested(ptl, SINGLE_DEPTH_NESTING)'));
    // "repeating the anon_vma check protects from one category, and repeating the
    //  userfaultfd_wp() check from another": neither applies here
  }
  const pgt_pmd = yield* pmdp_collapse_flush(k, pmdp, fn);
  // pmdp_get_lockless_sync(): nothing on 64-bit
  if (ptl >= 0) yield* spin_unlock(ptl, at(fn, 'if (ptl != pml) spin_unlock(ptl)'));
  yield* spin_unlock(pml, at(fn, 'spin_unlock(pml)'));
  // mm_dec_nr_ptes(mm); page_table_check_pte_clear_range(mm, addr, pgt_pmd)
  const pt = pmd_pgtable(pgt_pmd);
  if (how === 'pte_free_defer') {
    // pte_free_defer(mm, pmd_pgtable(pgt_pmd)) (generic, mm/pgtable-generic.c)
    yield* call_rcu(k, RCU_CB.pte_free_now, pt, 'pte_free_defer', 'call_rcu(&page->rcu_head, pte_free_now)');
  } else {
    if (how === 'sync_one+pte_free') yield* tlb_remove_table_sync_one(k);
    yield* pte_free(k, pt, 'pte_free');
  }
  return SCAN.SCAN_SUCCEED;
}

variantsOf(() => collapse_huge_page, [
  {
    name: 'no-sync-one',
    description: 'before "mm/khugepaged: fix GUP-fast interaction by sending IPI" (v6.1): no tlb_remove_table_sync_one() after pmdp_collapse_flush(); a GUP-fast may still be inside the detached table',
    range: { from: 'v4.5', to: 'v6.0' },
    kernel: 'v6.0 (fixed in v6.1 by "mm/khugepaged: fix GUP-fast interaction by sending IPI")',
    fn: collapse_huge_page_v6_0,
  },
]);

variantsOf(() => retract_page_tables, [
  {
    name: 'v6.1-sync-one',
    description: 'v6.1..v6.5 collapse_and_free_pmd(): tlb_remove_table_sync_one(); pte_free()',
    range: { from: 'v6.1', to: 'v6.4' },
    kernel: 'v6.1..v6.4 (after "mm/khugepaged: fix GUP-fast interaction by sending IPI", v6.1)',
    fn: retract_page_tables_v6_1,
  },
  {
    name: 'v6.0-pte-free',
    description: 'v6.0 collapse_and_free_pmd(): pte_free() right after pmdp_collapse_flush(), relying on the flush to wait for GUP-fast (violation unless --env tlb=ipi)',
    range: { from: 'v5.19', to: 'v6.0' },
    kernel: 'v5.19..v6.0 (fixed in v6.1 by "mm/khugepaged: fix GUP-fast interaction by sending IPI")',
    fn: retract_page_tables_v6_0,
  },
]);
