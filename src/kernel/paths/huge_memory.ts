/**
 * mm/huge_memory.c, following Linux v6.6: splitting a PMD mapping (__split_huge_pmd,
 * __split_huge_pmd_locked, incl. the freeze form that installs migration entries) and
 * splitting the folio itself (split_huge_page_to_list, __split_huge_page[_tail]).
 *
 * From __split_huge_pmd_locked():
 *   "... we first mark the current pmd notpresent (atomically because here the
 *    pmd_trans_huge must remain set at all times on the pmd until the split is complete for
 *    this pmd), then we flush the SMP TLB and finally we write the non-huge version of the
 *    pmd entry with pmd_populate."
 * From split_huge_page_to_list() (the design of e9b61f19858a, "thp: reintroduce
 * split_huge_page()"): unmap every mapping to migration entries, freeze the refcount at the
 * expected value — which fails when anyone else (a GUP pin, a speculative reference) holds
 * the folio — split, then remap from the migration entries.
 *
 * Simplifications (one line each):
 * - One mm, one VMA (given as `vma`); the anon_vma lock, the deferred-split queue and its
 *   split_queue_lock, the lruvec lock, memcg, page_owner and statistics are not modelled
 *   (no other modelled path takes them).
 * - File THP: __split_huge_pmd_locked's file branch is modelled; split_huge_page of a file
 *   folio (page-cache xarray) is not.
 * - The pgtable_trans_huge_deposit() list holds one table: `pmd_huge_pte` is the PMD table
 *   page's `index` cell (the kernel keeps it in the PMD table's ptdesc).
 * - CONFIG_DEBUG_VM is off: VM_BUG_ON() conditions that read shared state are not steps.
 */
import type { Path } from '../../core/op.js';
import {
  at, atomic_add, atomic_cmpxchg, atomic_set_release, clear_bit, ghost, load, local_irq_restore, local_irq_save,
  READ_ONCE, set_bit, smp_wmb, spin_lock, spin_unlock, store, test_and_set_bit, test_bit, VM_BUG_ON, WRITE_ONCE, xchg,
} from '../primitives.js';
import { flush_tlb_range, folio_put, folio_test_large, page_folio, pmd_offset, pte_offset, pte_offset_map, pte_unmap, put_page, set_pte_at, type K } from '../mm.js';
import {
  _PAGE_SPECIAL, is_pmd_migration_entry, pfn_pte, pmd_mkinvalid, pmd_pfn, pmd_populate_val, pmd_trans_huge, pmd_write, pte_dirty, pte_young,
} from '../pgtable.js';
import type { Vma as WalkersVma } from '../walkers_world.js';
import { F_INDEX, PAGE_MAPPING_ANON, PG_anon_exclusive, PG_dirty, PG_head, PG_locked, PG_referenced, PG_swapbacked, PG_uptodate } from '../world.js';
import {
  folio_test_anon, migration_entry, mk_pte, page_add_anon_rmap, page_remove_rmap_pmd, page_try_share_anon_rmap, pmd_lockptr,
  remove_migration_ptes, try_to_migrate, TTU_RMAP_LOCKED, TTU_SPLIT_HUGE_PMD, TTU_SYNC,
  type TlbBatch,
} from './rmap.js';
import { kernelSource } from '../replaceable.js';
import { EAGAIN, EBUSY } from '../errno.js';
export { EAGAIN, EBUSY } from '../errno.js';

const replaceable = kernelSource('mm/huge_memory.c');


/** The one VMA of a scenario: anonymous (vma_is_anonymous()) or a file/shmem mapping. */
export interface Vma {
  readonly anonymous: boolean;
  /** the huge zero folio's pfn (is_huge_zero_pmd) and the small zero page (my_zero_pfn) */
  readonly hugeZeroPfn?: number;
  readonly zeroPfn?: number;
}
/** What the split reads of a vma: this file's Vma or the walkers' (walkers_world.ts). */
export type SplitVma = Vma | WalkersVma;
/** vma_is_anonymous() */
export const vma_is_anonymous = (vma: SplitVma): boolean => ('anonymous' in vma ? vma.anonymous : vma.anon);
export const is_huge_zero_pmd = (vma: SplitVma, pmd: number): boolean =>
  vma.hugeZeroPfn !== undefined && pmd_trans_huge(pmd) && pmd_pfn(pmd) === vma.hugeZeroPfn;
export const ANON_VMA: Vma = { anonymous: true };
export const FILE_VMA: Vma = { anonymous: false };

/** pmd_huge_pte(mm, pmdp): the deposited page table, under the PMD lock */
export const pmd_huge_pte = (k: K): number => k.L.field(k.pmdTable, F_INDEX);

/** pgtable_trans_huge_withdraw() (mm/pgtable-generic.c): "FIFO" — one deposited table here */
export const pgtable_trans_huge_withdraw = replaceable(function* pgtable_trans_huge_withdraw(k: K): Path<number> {
  const fn = 'pgtable_trans_huge_withdraw';
  const pgtable = yield* load(pmd_huge_pte(k), at(fn, 'pgtable = pmd_huge_pte(mm, pmdp)'));
  yield* VM_BUG_ON(pgtable === 0, 'no deposited page table', at(fn, 'pgtable = pmd_huge_pte(mm, pmdp)'));
  yield* store(pmd_huge_pte(k), 0, at(fn, 'pmd_huge_pte(mm, pmdp) = list_first_entry_or_null(&pgtable->lru, struct page, lru)'));
  return pgtable;
}, {
  description: 'pgtable_trans_huge_withdraw() (mm/pgtable-generic.c): "FIFO" — one deposited table here',
});

/** pgtable_trans_huge_deposit() (mm/pgtable-generic.c), for callers that install a huge PMD */
export const pgtable_trans_huge_deposit = replaceable(function* pgtable_trans_huge_deposit(k: K, pgtable: number): Path<void> {
  const fn = 'pgtable_trans_huge_deposit';
  const cur = yield* load(pmd_huge_pte(k), at(fn, 'if (!pmd_huge_pte(mm, pmdp))'));
  yield* VM_BUG_ON(cur !== 0, 'a second deposited table (the model keeps one)', at(fn, 'list_add(&pgtable->lru, &pmd_huge_pte(mm, pmdp)->lru)'));
  yield* store(pmd_huge_pte(k), pgtable, at(fn, 'pmd_huge_pte(mm, pmdp) = pgtable'));
}, {
  description: 'pgtable_trans_huge_deposit() (mm/pgtable-generic.c), for callers that install a huge PMD',
});

/**
 * pmdp_invalidate() (mm/pgtable-generic.c): pmdp_establish(pmd_mkinvalid(*pmdp)) — an xchg on
 * x86 SMP — then flush_pmd_tlb_range(). The PMD stays pmd_present()/pmd_trans_huge() for
 * locked walkers, but GUP-fast's pmd_access_permitted() fails on it.
 */
export const pmdp_invalidate = replaceable(function* pmdp_invalidate(k: K, pmdp: number): Path<number> {
  const fn = 'pmdp_invalidate';
  const cur = yield* READ_ONCE(pmdp, at(fn, 'pmd_mkinvalid(*pmdp)'));
  const old = yield* xchg(pmdp, pmd_mkinvalid(cur), at(fn, 'old = pmdp_establish(vma, address, pmdp, pmd_mkinvalid(*pmdp))'));
  yield* flush_tlb_range(k, at(fn, 'flush_pmd_tlb_range(vma, address, address + HPAGE_PMD_SIZE)'));
  return old;
}, {
  description: 'pmdp_invalidate() (mm/pgtable-generic.c): pmdp_establish(pmd_mkinvalid(*pmdp)) — an xchg on x86 SMP — then flush_pmd_tlb_range().',
});

/** pmdp_huge_clear_flush(): pmdp_huge_get_and_clear() (xchg), then flush_pmd_tlb_range() */
export const pmdp_huge_clear_flush = replaceable(function* pmdp_huge_clear_flush(k: K, pmdp: number): Path<number> {
  const fn = 'pmdp_huge_clear_flush';
  const pmd = yield* xchg(pmdp, 0, at(fn, 'pmd = pmdp_huge_get_and_clear(vma->vm_mm, address, pmdp)'));
  yield* flush_tlb_range(k, at(fn, 'flush_pmd_tlb_range(vma, address, address + HPAGE_PMD_SIZE)'));
  return pmd;
}, {
  description: 'pmdp_huge_clear_flush(): pmdp_huge_get_and_clear() (xchg), then flush_pmd_tlb_range()',
});

/**
 * __split_huge_pmd_locked(), v6.6, under the PMD lock. Anonymous: invalidate the huge PMD and
 * flush, take HPAGE_PMD_NR - 1 more folio references (unless freezing), fill the withdrawn
 * deposited table with PTEs (or migration entries when freezing), then publish it with
 * pmd_populate() after smp_wmb(). File/shmem: clear the PMD and leave it empty.
 */
export const __split_huge_pmd_locked = replaceable(function* __split_huge_pmd_locked(k: K, vma: SplitVma, pmdp: number, haddr: number, freeze: boolean): Path<void> {
  const fn = '__split_huge_pmd_locked';
  const HPAGE_PMD_NR = k.geo.ptrsPerPte;
  if (!vma_is_anonymous(vma)) {
    const old_pmd = yield* pmdp_huge_clear_flush(k, pmdp);
    // "We are going to unmap this huge page. So just go ahead and zap it" (x86: no deposit)
    const page = pmd_pfn(old_pmd);
    if (!(yield* test_bit(PG_dirty, k.L.flags(page), at(fn, 'if (!PageDirty(page) && pmd_dirty(old_pmd))'))) && pte_dirty(old_pmd)) {
      yield* set_bit(PG_dirty, k.L.flags(page), at(fn, 'set_page_dirty(page)'));
    }
    if (!(yield* test_bit(PG_referenced, k.L.flags(page), at(fn, 'if (!PageReferenced(page) && pmd_young(old_pmd))'))) && pte_young(old_pmd)) {
      yield* set_bit(PG_referenced, k.L.flags(page), at(fn, 'SetPageReferenced(page)'));
    }
    yield* page_remove_rmap_pmd(k, page);
    yield* put_page(k, page, at(fn, 'put_page(page)'));
    return;
  }
  const pmdval = yield* load(pmdp, at(fn, 'pmd_migration = is_pmd_migration_entry(*pmd)'));
  yield* VM_BUG_ON(is_pmd_migration_entry(pmdval), 'is_pmd_migration_entry(*pmd) (THP migration without split: not modelled)', at(fn, 'if (unlikely(pmd_migration))'));
  const pmd_migration = false;
  // "... we first mark the current pmd notpresent ... then we flush the SMP TLB"
  const old_pmd = yield* pmdp_invalidate(k, pmdp);
  const page = pmd_pfn(old_pmd);
  const dirty = pte_dirty(old_pmd);
  if (dirty) yield* set_bit(PG_dirty, k.L.flags(page), at(fn, 'if (pmd_dirty(old_pmd)) { dirty = true; SetPageDirty(page); }'));
  const write = pmd_write(old_pmd);
  const young = pte_young(old_pmd);
  // "With "freeze" we want to replace mapped pages by migration entries right away. This is
  //  only possible if we managed to clear PageAnonExclusive() -- see set_pmd_migration_entry().
  //  In case we cannot clear PageAnonExclusive(), split the PMD only and let
  //  try_to_migrate_one() fail later. See page_try_share_anon_rmap(): invalidate PMD first."
  const headOfPage = yield* page_folio(k, page, at(fn, 'PageAnon(page): folio = page_folio(page)'));
  const anon_exclusive = (yield* folio_test_anon(k, headOfPage, fn)) &&
    (yield* test_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'anon_exclusive = PageAnon(page) && PageAnonExclusive(page)')));
  if (freeze && anon_exclusive && (yield* page_try_share_anon_rmap(k, page)) !== 0) freeze = false;
  if (!freeze) yield* atomic_add(k.L.refcount(page), HPAGE_PMD_NR - 1, at(fn, 'page_ref_add(page, HPAGE_PMD_NR - 1)'));

  // "Withdraw the table only after we mark the pmd entry invalid.
  //  This's critical for some architectures (Power)."
  const pgtable = yield* pgtable_trans_huge_withdraw(k);
  const _pmd = pmd_populate_val(pgtable); // pmd_populate(mm, &_pmd, pgtable): a local copy
  const pt = yield* pte_offset_map(k, _pmd, at(fn, 'pte = pte_offset_map(&_pmd, haddr)'));
  yield* VM_BUG_ON(pt < 0, '!pte', at(fn, 'VM_BUG_ON(!pte)'));
  for (let i = 0, addr = haddr; i < HPAGE_PMD_NR; i++, addr++) {
    let entry: number;
    if (freeze || pmd_migration) {
      entry = migration_entry(page + i, write, anon_exclusive, young, dirty);
    } else {
      entry = mk_pte(page + i, write, young, dirty);
      if (anon_exclusive) yield* set_bit(PG_anon_exclusive, k.L.flags(page + i), at(fn, 'if (anon_exclusive) SetPageAnonExclusive(page + i)'));
      yield* page_add_anon_rmap(k, page + i, false);
    }
    // (VM_BUG_ON(!pte_none(ptep_get(pte))): the withdrawn table is private until published)
    yield* set_pte_at(k, pte_offset(k, pt, addr), entry, at(fn, 'set_pte_at(mm, addr, pte, entry)'));
  }
  yield* pte_unmap(k, pt, at(fn, 'pte_unmap(pte - 1)'));
  if (!pmd_migration) yield* page_remove_rmap_pmd(k, page);
  if (freeze) yield* put_page(k, page, at(fn, 'if (freeze) put_page(page)'));
  yield* smp_wmb(at(fn, 'smp_wmb(); /* make pte visible before pmd */'));
  yield* WRITE_ONCE(pmdp, pmd_populate_val(pgtable), at(fn, 'pmd_populate(mm, pmd, pgtable)'));
}, {
  description: 'split a huge PMD under the PMD lock: pmdp_invalidate + flush, folio refs, deposited table filled with PTEs (or migration entries when freezing), smp_wmb, pmd_populate; file THP: PMD cleared',
});

/**
 * __split_huge_pmd(vma, pmd, address, freeze, folio), v6.6: under the PMD lock, split if the PMD
 * is still huge. The kernel tests the huge zero page at the top of __split_huge_pmd_locked()
 * (`if (is_huge_zero_pmd(*pmd)) return __split_huge_zero_page_pmd(vma, haddr, pmd);`); the
 * model tests the value it already read under the same lock (no writer can change it).
 */
export const __split_huge_pmd = replaceable(function* __split_huge_pmd(k: K, vma: SplitVma, pmdp: number, address: number, freeze: boolean, folio: number): Path<void> {
  const fn = '__split_huge_pmd';
  const ptl = pmd_lockptr(k, pmdp);
  yield* spin_lock(ptl, at(fn, 'ptl = pmd_lock(vma->vm_mm, pmd)'));
  const pmd = yield* load(pmdp, at(fn, 'if (pmd_trans_huge(*pmd) || pmd_devmap(*pmd) || is_pmd_migration_entry(*pmd))'));
  if (pmd_trans_huge(pmd) || is_pmd_migration_entry(pmd)) {
    // "If caller asks to setup a migration entry, we need a folio to check pmd against.
    //  Otherwise we can end up replacing wrong folio."
    let ok = true;
    if (folio >= 0) ok = (yield* page_folio(k, pmd_pfn(pmd), at(fn, 'if (folio && folio != page_folio(pmd_page(*pmd))) goto out'))) === folio;
    const haddr = address - (address % k.geo.ptrsPerPte);
    if (ok && vma_is_anonymous(vma) && is_huge_zero_pmd(vma, pmd)) yield* __split_huge_zero_page_pmd(k, vma, haddr, pmdp);
    else if (ok) yield* __split_huge_pmd_locked(k, vma, pmdp, haddr, freeze);
  }
  yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
}, {
  description: '__split_huge_pmd(vma, pmd, address, freeze, folio), v6.6: under the PMD lock, split if the PMD is still huge.',
});

/**
 * split_huge_pmd(vma, pmd, address) macro: the lockless pre-check, then __split_huge_pmd().
 *   if (is_swap_pmd(*____pmd) || pmd_trans_huge(*____pmd) || pmd_devmap(*____pmd))
 */
export const split_huge_pmd = replaceable(function* split_huge_pmd(k: K, vma: SplitVma, pmdp: number, address: number): Path<void> {
  const pmd = yield* READ_ONCE(pmdp, at('split_huge_pmd', 'if (is_swap_pmd(*____pmd) || pmd_trans_huge(*____pmd) || pmd_devmap(*____pmd))'));
  if (is_pmd_migration_entry(pmd) || pmd_trans_huge(pmd)) yield* __split_huge_pmd(k, vma, pmdp, address, false, -1);
}, {
  description: 'split_huge_pmd(vma, pmd, address) macro: the lockless pre-check, then __split_huge_pmd().',
});

/** __split_huge_zero_page_pmd(), v6.6 */
const __split_huge_zero_page_pmd = replaceable(function* __split_huge_zero_page_pmd(k: K, vma: SplitVma, haddr: number, pmdp: number): Path<void> {
  const fn = '__split_huge_zero_page_pmd';
  // "Leave pmd empty until pte is filled note that it is fine to delay notification until
  //  mmu_notifier_invalidate_range_end() as we are replacing a zero pmd write protected page
  //  with a zero pte write protected page."
  yield* pmdp_huge_clear_flush(k, pmdp);
  const pgtable = yield* pgtable_trans_huge_withdraw(k);
  for (let i = 0; i < k.geo.ptrsPerPte; i++) {
    // entry = pte_mkspecial(pfn_pte(my_zero_pfn(addr), vma->vm_page_prot)); the table is still private
    yield* set_pte_at(k, pte_offset(k, pgtable, haddr + i), pfn_pte(vma.zeroPfn!, false) + _PAGE_SPECIAL, at(fn, 'set_pte_at(mm, addr, pte, entry)'));
  }
  yield* smp_wmb(at(fn, 'smp_wmb(); /* make pte visible before pmd */'));
  yield* store(pmdp, pmd_populate_val(pgtable), at(fn, 'pmd_populate(mm, pmd, pgtable)'), 'once');
}, {
  description: '__split_huge_zero_page_pmd(), v6.6',
});

/** split_huge_pmd_address(): mm_find_pmd() (no shared access in v6.6), then __split_huge_pmd() */
export const split_huge_pmd_address = replaceable(function* split_huge_pmd_address(k: K, address: number, freeze: boolean, folio: number): Path<void> {
  yield* __split_huge_pmd(k, ANON_VMA, pmd_offset(k, address), address, freeze, folio);
}, {
  description: 'split_huge_pmd_address(): mm_find_pmd() (no shared access in v6.6), then __split_huge_pmd()',
});

// ---- split_huge_page ----

/** folio_nr_pages(): folio_test_large(), then the order */
const folio_nr_pages = replaceable(function* folio_nr_pages(k: K, folio: number, fn: string): Path<number> {
  if (!(yield* folio_test_large(k, folio, at(fn, 'folio_nr_pages(folio): folio_test_large(folio)')))) return 1;
  return 1 << (yield* load(k.L.folio_order(folio), at(fn, 'folio_nr_pages(folio): 1 << folio_order(folio)')));
}, {
  description: 'folio_nr_pages(): folio_test_large(), then the order',
});

/**
 * can_split_folio(), v6.6: "Racy check if we can split the page, before unmap_folio() will
 * split PMDs": folio_mapcount(folio) == folio_ref_count(folio) - extra_pins - 1.
 */
export const can_split_folio = replaceable(function* can_split_folio(k: K, folio: number): Path<{ ok: boolean; extra_pins: number }> {
  const fn = 'can_split_folio';
  const anon = yield* folio_test_anon(k, folio, fn);
  const nr = yield* folio_nr_pages(k, folio, fn);
  // "Additional pins from page cache" (swap cache is not modelled)
  const extra_pins = anon ? 0 : nr;
  // folio_mapcount() -> folio_total_mapcount()
  let mapcount = yield* READ_ONCE(k.L.entire_mapcount(folio), at('folio_total_mapcount', 'mapcount = folio_entire_mapcount(folio)'));
  mapcount += 1;
  const mapped = yield* READ_ONCE(k.L.nr_pages_mapped(folio), at('folio_total_mapcount', 'if (folio_nr_pages_mapped(folio) == 0) return mapcount'));
  if (mapped !== 0) {
    for (let i = 0; i < nr; i++) mapcount += yield* READ_ONCE(k.L.mapcount(folio + i), at('folio_total_mapcount', 'mapcount += atomic_read(&folio_page(folio, i)->_mapcount)'));
    mapcount += nr; // "But each of those _mapcounts was based on -1"
  }
  const ref = yield* READ_ONCE(k.L.refcount(folio), at(fn, 'return folio_mapcount(folio) == folio_ref_count(folio) - extra_pins - 1'));
  return { ok: mapcount === ref - extra_pins - 1, extra_pins };
}, {
  description: 'can_split_folio(), v6.6: "Racy check if we can split the page, before unmap_folio() will split PMDs": folio_mapcount(folio) == folio_ref_count(folio) - ...',
});

/**
 * unmap_folio(), v6.6: "Anon pages need migration entries to preserve them, but file pages can
 * simply be left unmapped, then faulted back on demand." v6.6 passes TTU_RMAP_LOCKED |
 * TTU_SPLIT_HUGE_PMD | TTU_SYNC, so try_to_migrate_one() flushes each PTE as it clears it
 * (ptep_clear_flush); TTU_BATCH_FLUSH with one try_to_unmap_flush() at the end came in v6.8
 * ("mm: huge_memory: batch tlb flush when splitting a pte-mapped THP").
 */
export const unmap_folio = replaceable(function* unmap_folio(k: K, folio: number, address: number): Path<void> {
  const fn = 'unmap_folio';
  const ttu_flags = TTU_RMAP_LOCKED | TTU_SPLIT_HUGE_PMD | TTU_SYNC;
  const batch: TlbBatch = { flush_required: false }; // unused without TTU_BATCH_FLUSH
  const anon = yield* folio_test_anon(k, folio, fn);
  yield* VM_BUG_ON(!anon, '!folio_test_anon(folio) (try_to_unmap of file THPs: not modelled)', at(fn, 'if (folio_test_anon(folio))'));
  yield* try_to_migrate(k, folio, address, ttu_flags, batch);
}, {
  description: 'unmap_folio(), v6.6: "Anon pages need migration entries to preserve them, but file pages can simply be left unmapped, then faulted back on demand."',
});

/** remap_page(), v6.6: remove_migration_ptes() for each folio the split left (or the whole one) */
export const remap_page = replaceable(function* remap_page(k: K, folio: number, nr: number, address: number): Path<void> {
  const fn = 'remap_page';
  // "If unmap_folio() uses try_to_migrate() on file, remove this check"
  if (!(yield* folio_test_anon(k, folio, fn))) return;
  let i = 0;
  for (;;) {
    yield* remove_migration_ptes(k, folio, folio, address + i);
    i += yield* folio_nr_pages(k, folio, fn);
    if (i >= nr) break;
    folio = folio + 1; // folio_next(folio): the split left order-0 folios
  }
}, {
  description: 'remap_page(), v6.6: remove_migration_ptes() for each folio the split left (or the whole one)',
});

/** page_ref_unfreeze(): atomic_set_release(&page->_refcount, count) */
const page_ref_unfreeze = replaceable(function* page_ref_unfreeze(k: K, page: number, count: number, fn: string, stmt: string): Path<void> {
  yield* atomic_set_release(k.L.refcount(page), count, at(fn, stmt));
}, {
  description: 'page_ref_unfreeze(): atomic_set_release(&page->_refcount, count)',
});

/** folio_ref_freeze() / page_ref_freeze(): atomic_cmpxchg(&_refcount, count, 0) == count */
export const folio_ref_freeze = replaceable(function* folio_ref_freeze(k: K, folio: number, count: number, fn: string, stmt = `folio_ref_freeze(folio, ${count})`): Path<boolean> {
  return (yield { kind: 'rmw', loc: k.L.refcount(folio), rmw: 'cmpxchg', a: count, b: 0, order: 'success', label: at(fn, stmt), returns: { kind: 'old-is', value: count } }) === count;
}, {
  description: 'folio_ref_freeze() / page_ref_freeze(): atomic_cmpxchg(&_refcount, count, 0) == count',
});

/**
 * PAGE_FLAGS_CHECK_AT_PREP (v6.6 include/linux/page-flags.h): every page flag but PG_hwpoison,
 * plus the LRU generation bits. The model has no PG_hwpoison and no LRU generations, so it is
 * every flag the model has.
 */
const PAGE_FLAGS_CHECK_AT_PREP = -1;
/** page flags a tail inherits from the head (v6.6 __split_huge_page_tail) */
const TAIL_INHERITED = PG_referenced | PG_swapbacked | PG_uptodate | PG_locked | PG_dirty;

/** __split_huge_page_tail(), v6.6 */
export const __split_huge_page_tail = replaceable(function* __split_huge_page_tail(k: K, head: number, tail: number): Path<void> {
  const fn = '__split_huge_page_tail';
  const page_tail = head + tail;
  // "Clone page flags before unfreezing refcount. After successful get_page_unless_zero()
  //  might follow flags change, for example lock_page() which set PG_waiters. ... We can
  //  still have PG_anon_exclusive set on effectively unmapped and unreferenced sub-pages of
  //  an anonymous THP: we can simply drop PG_anon_exclusive (-> PG_mappedtodisk) for these here."
  // two plain (non-atomic) read-modify-writes of the tail's flags, as the C compiles: nothing may
  // set a tail flag meanwhile (the refcount is frozen), and a flag that did would be lost
  const clear = at(fn, 'page_tail->flags &= ~PAGE_FLAGS_CHECK_AT_PREP');
  const f0 = yield* load(k.L.flags(page_tail), clear);
  yield* store(k.L.flags(page_tail), f0 & ~PAGE_FLAGS_CHECK_AT_PREP, clear);
  const inherit = at(fn, 'page_tail->flags |= (head->flags & ((1L << PG_referenced) | ...))');
  const hflags = yield* load(k.L.flags(head), inherit);
  const f1 = yield* load(k.L.flags(page_tail), inherit);
  yield* store(k.L.flags(page_tail), f1 | (hflags & TAIL_INHERITED), inherit);
  const mapping = yield* load(k.L.mapping(head), at(fn, 'page_tail->mapping = head->mapping'));
  yield* store(k.L.mapping(page_tail), mapping, at(fn, 'page_tail->mapping = head->mapping'));
  // "Page flags must be visible before we make the page non-compound."
  yield* smp_wmb(at(fn, 'smp_wmb()'));
  // "Clear PageTail before unfreezing page refcount. After successful get_page_unless_zero()
  //  might follow put_page() which needs correct compound_head()."
  yield* WRITE_ONCE(k.L.compound_head(page_tail), 0, at(fn, 'clear_compound_head(page_tail)'));
  // "Finally unfreeze refcount. Additional reference from page cache."
  const hm = yield* load(k.L.mapping(head), at(fn, 'page_ref_unfreeze(page_tail, 1 + (!PageAnon(head) || PageSwapCache(head)))'));
  const anon = (hm & PAGE_MAPPING_ANON) !== 0;
  yield* page_ref_unfreeze(k, page_tail, anon ? 1 : 2, fn, 'page_ref_unfreeze(page_tail, 1 + (!PageAnon(head) || PageSwapCache(head)))');
}, {
  aliases: ['__split_folio_to_order (v6.15+)'],
  description: 'tail flags and mapping, smp_wmb, clear_compound_head, then page_ref_unfreeze',
});

/**
 * __split_huge_page(), v6.6, with the refcount frozen and irqs off: tails from the last to the
 * first, then ClearPageCompound(head), then the head's reference restored last, then the
 * migration entries removed, then the tails unlocked and their split references dropped.
 */
export const __split_huge_page = replaceable(function* __split_huge_page(k: K, page: number, head: number, address: number): Path<void> {
  const fn = '__split_huge_page';
  const nr = 1 << (yield* load(k.L.folio_order(head), at(fn, 'unsigned int nr = thp_nr_pages(head)')));
  for (let i = nr - 1; i >= 1; i--) yield* __split_huge_page_tail(k, head, i);
  yield* clear_bit(PG_head, k.L.flags(head), at(fn, 'ClearPageCompound(head)'));
  yield* ghost({ type: 'folio_split', folio: head, nr }, at(fn, 'split_page_owner(head, nr)'));
  // "See comment in __split_huge_page_tail()": anon, not in swap cache
  const hm = yield* load(k.L.mapping(head), at(fn, 'if (PageAnon(head))'));
  if ((hm & PAGE_MAPPING_ANON) !== 0) yield* atomic_add(k.L.refcount(head), 1, at(fn, 'page_ref_inc(head)'));
  else yield* atomic_add(k.L.refcount(head), 2, at(fn, 'page_ref_add(head, 2)'));
  yield* local_irq_restore(at(fn, 'local_irq_enable()'));
  yield* remap_page(k, head, nr, address);
  for (let i = 0; i < nr; i++) {
    const subpage = head + i;
    if (subpage === page) continue;
    yield* clear_bit(PG_locked, k.L.flags(subpage), at(fn, 'unlock_page(subpage)'));
    // "Subpages may be freed if there wasn't any mapping like if add_to_swap() is running on
    //  a lru page that had its mapping zapped." (free_swap_cache(): no swap cache here)
    yield* put_page(k, subpage, at('free_page_and_swap_cache', 'put_page(page)'));
  }
}, {
  description: '__split_huge_page(), v6.6, with the refcount frozen and irqs off: tails from the last to the first, then ClearPageCompound(head), then the head\'s reference ...',
});

/**
 * split_huge_page_to_list(page, list), v6.6 (v6.8+: split_huge_page_to_list_to_order,
 * v6.15+: __folio_split). The caller holds the folio lock and one reference. Returns 0,
 * or -EAGAIN when the folio is (or may be) pinned.
 */
export const split_huge_page_to_list = replaceable(function* split_huge_page_to_list(k: K, page: number, address: number): Path<number> {
  const fn = 'split_huge_page_to_list';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  const anon = yield* folio_test_anon(k, folio, fn);
  yield* VM_BUG_ON(!anon, '!folio_test_anon(folio) (page-cache THP split: not modelled)', at(fn, 'if (folio_test_anon(folio))'));
  // anon_vma = folio_get_anon_vma(folio); anon_vma_lock_write(anon_vma): one anon_vma, not modelled
  const { ok, extra_pins } = yield* can_split_folio(k, folio);
  if (!ok) return EAGAIN;
  yield* unmap_folio(k, folio, address);
  // "block interrupt reentry in xa_lock and spinlock"
  yield* local_irq_save(at(fn, 'local_irq_disable()'));
  // "Prevent deferred_split_scan() touching ->_refcount": split_queue_lock, not modelled
  if (yield* folio_ref_freeze(k, folio, 1 + extra_pins, fn, 'if (folio_ref_freeze(folio, 1 + extra_pins))')) {
    yield* __split_huge_page(k, page, folio, address);
    return 0;
  }
  yield* local_irq_restore(at(fn, 'fail: local_irq_enable()'));
  const nr = yield* folio_nr_pages(k, folio, fn);
  yield* remap_page(k, folio, nr, address);
  return EAGAIN;
}, {
  aliases: ['split_huge_page_to_list_to_order (v6.8+)', '__folio_split (v6.15+)'],
  description: 'can_split_folio, unmap_folio to migration entries, folio_ref_freeze(1 + extra_pins) (-EAGAIN when pinned), __split_huge_page, remap_page',
});

/** split_folio(folio) = split_folio_to_list(folio, NULL) = split_huge_page_to_list(&folio->page, NULL) */
export const split_folio = replaceable(function* split_folio(k: K, folio: number, address: number): Path<number> {
  return yield* split_huge_page_to_list(k, folio, address);
}, {
  description: 'split_folio(folio) = split_folio_to_list(folio, NULL) = split_huge_page_to_list(&folio->page, NULL)',
});

/**
 * A split_huge_page() caller (e.g. deferred_split_scan(), madvise_cold_or_pageout_pte_range()):
 * it holds a reference (the world's extra reference, released here) and takes the folio lock.
 */
export const split_huge_page_caller = replaceable(function* split_huge_page_caller(k: K, folio: number, address: number): Path<number> {
  const fn = 'deferred_split_scan';
  if (yield* test_and_set_bit(PG_locked, k.L.flags(folio), at(fn, 'if (!folio_trylock(folio)) goto next'))) {
    yield* ghost({ type: 'extra_ref', pfn: folio, delta: -1 }, at(fn, 'folio_put(folio)'));
    yield* folio_put(k, folio, at(fn, 'folio_put(folio)'));
    return EBUSY;
  }
  const ret = yield* split_folio(k, folio, address);
  yield* clear_bit(PG_locked, k.L.flags(folio), at(fn, 'folio_unlock(folio)'));
  yield* ghost({ type: 'extra_ref', pfn: folio, delta: -1 }, at(fn, 'folio_put(folio)'));
  yield* folio_put(k, folio, at(fn, 'folio_put(folio)'));
  return ret;
}, {
  description: 'A split_huge_page() caller (e.g.',
});
