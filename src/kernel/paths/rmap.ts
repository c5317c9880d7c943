/**
 * mm/rmap.c and mm/page_vma_mapped.c, following Linux v6.6: the reverse-map side of THP split
 * and migration — page_vma_mapped_walk(), try_to_migrate_one() with the PageAnonExclusive
 * share protocol, remove_migration_pte(), and the rmap counters they move.
 *
 * The protocol the share relies on (page_try_share_anon_rmap(), include/linux/rmap.h, v6.6;
 * folio_try_share_anon_rmap_pte() since v6.8):
 *   "Conceptually, PageAnonExclusive clearing consists of:
 *    (A1) Clear PTE
 *    (A2) Check if the page is pinned; back off if so.
 *    (A3) Clear PageAnonExclusive
 *    (A4) Restore PTE (optional, but certainly not writable)
 *    ...
 *    Conceptually, GUP-fast pinning of an anon page consists of:
 *    (B1) Read the PTE
 *    (B2) FOLL_WRITE: check if the PTE is not writable; back off if so.
 *    (B3) Pin the mapped page
 *    (B4) Check if the PTE changed by re-reading it; back off if so.
 *    (B5) If the original PTE is not writable, check if
 *         PageAnonExclusive is not set; back off if so."
 *
 * Simplifications (one line each):
 * - One mm, one VMA: the anon_vma interval-tree walk (rmap_walk) is the one VMA, whose address
 *   for the folio is given by the caller (vma_address()); the anon_vma rwsem is not modelled.
 * - Statistics, mlock, memcg, deferred-split queueing and uffd-wp/soft-dirty bits are left out;
 *   debug-only VM_BUG_ON reads (CONFIG_DEBUG_VM) are not steps.
 * - COMPOUND_MAPPED in _nr_pages_mapped is not modelled (the world starts PMD-mapped THPs at 0).
 * - Young/dirty bits are carried in migration entries as if the arch had the spare swap bits
 *   (x86-64: v6.2+), so a restored PTE equals the one that was cleared.
 */
import type { Path } from '../../core/op.js';
import {
  at, atomic_add, atomic_add_negative, atomic_add_return, clear_bit, ghost, load, rcu_read_lock, rcu_read_unlock,
  READ_ONCE, set_bit, smp_mb, smp_mb__after_atomic, spin_lock, spin_unlock, test_and_set_bit, test_bit, VM_BUG_ON,
} from '../primitives.js';
import {
  flush_tlb_range, folio_put, folio_test_large, page_folio, pmd_offset, pmdp_get_lockless, pte_offset,
  pte_offset_map_lock, ptep_get, ptep_get_and_clear, set_pte_at, type K, fmtAddr,
} from '../mm.js';
import {
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, is_migration_entry, is_pmd_migration_entry, is_swap_pte,
  is_writable_migration_entry, make_migration_entry, pmd_bad, pmd_none, pmd_pfn, pmd_pgtable, pmd_present, pmd_trans_huge,
  pte_dirty, pte_none, pte_pfn, pte_present, pte_write, PFN_SHIFT, swp_offset_pfn, swp_type, SWP_MIGRATION_READ,
  SWP_MIGRATION_READ_EXCLUSIVE, SWP_MIGRATION_WRITE,
} from '../pgtable.js';
import { GUP_PIN_COUNTING_BIAS, PAGE_MAPPING_ANON, PG_anon_exclusive, PG_dirty } from '../world.js';
import { page_remove_rmap } from './memory.js';
// a cycle (huge_memory.ts calls try_to_migrate): both only call each other at run time
import { split_huge_pmd_address } from './huge_memory.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/rmap.c');

// ---- ttu_flags / pvmw flags (include/linux/rmap.h) ----
export const TTU_SPLIT_HUGE_PMD = 0x4;
export const TTU_IGNORE_MLOCK = 0x8;
export const TTU_SYNC = 0x10;
export const TTU_BATCH_FLUSH = 0x40;
export const TTU_RMAP_LOCKED = 0x80;
export const PVMW_SYNC = 1 << 0;
export const PVMW_MIGRATION = 1 << 1;

/**
 * Migration-entry young/dirty bits (make_migration_entry_young/dirty), kept next to the type in
 * our compact swap encoding: bits 5 and 6 of the entry, as x86's _PAGE_ACCESSED/_PAGE_DIRTY.
 */
const SWP_MIG_YOUNG = 1 << 5;
const SWP_MIG_DIRTY = 1 << 6;
const is_migration_entry_young = (v: number): boolean => (v % (1 << PFN_SHIFT) & SWP_MIG_YOUNG) !== 0;
const is_migration_entry_dirty = (v: number): boolean => (v % (1 << PFN_SHIFT) & SWP_MIG_DIRTY) !== 0;
export const is_readable_migration_entry = (v: number): boolean => is_migration_entry(v) && swp_type(v) === SWP_MIGRATION_READ;

/** make_{writable,readable_exclusive,readable}_migration_entry() + young/dirty */
export function migration_entry(pfn: number, write: boolean, anon_exclusive: boolean, young: boolean, dirty: boolean): number {
  const type = write ? SWP_MIGRATION_WRITE : anon_exclusive ? SWP_MIGRATION_READ_EXCLUSIVE : SWP_MIGRATION_READ;
  return make_migration_entry(pfn, type) + (young ? SWP_MIG_YOUNG : 0) + (dirty ? SWP_MIG_DIRTY : 0);
}

/** mk_pte(page, vma->vm_page_prot) with pte_mkwrite/pte_mkold/pte_mkdirty applied */
export function mk_pte(pfn: number, write: boolean, young: boolean, dirty: boolean): number {
  return pfn * (1 << PFN_SHIFT) + _PAGE_PRESENT + _PAGE_USER + (young ? _PAGE_ACCESSED : 0) + (write ? _PAGE_RW : 0) + (dirty ? _PAGE_DIRTY : 0);
}

// ---- folio / page flag helpers ----
/** PageAnon(page) = folio_test_anon(page_folio(page)): compound_head, then folio->mapping */
export const PageAnon = replaceable(function* PageAnon(k: K, page: number, fn: string): Path<boolean> {
  const folio = yield* page_folio(k, page, at(fn, 'PageAnon(page): folio = page_folio(page)'));
  return yield* folio_test_anon(k, folio, fn);
}, {
  description: 'PageAnon(page) = folio_test_anon(page_folio(page)): compound_head, then folio->mapping',
});
/** folio_test_anon(): ((unsigned long)folio->mapping & PAGE_MAPPING_ANON) != 0 */
export const folio_test_anon = replaceable(function* folio_test_anon(k: K, folio: number, fn: string): Path<boolean> {
  const mapping = yield* READ_ONCE(k.L.mapping(folio), at(fn, 'folio_test_anon(folio)'));
  return (mapping & PAGE_MAPPING_ANON) !== 0;
}, {
  description: 'folio_test_anon(): ((unsigned long)folio->mapping & PAGE_MAPPING_ANON) != 0',
});
export const PageAnonExclusive = replaceable(function* PageAnonExclusive(k: K, page: number, fn: string, stmt = 'PageAnonExclusive(subpage)'): Path<boolean> {
  return yield* test_bit(PG_anon_exclusive, k.L.flags(page), at(fn, stmt));
});

/**
 * folio_maybe_dma_pinned() (include/linux/mm.h, v6.6): _pincount for large folios, the
 * GUP_PIN_COUNTING_BIAS part of _refcount for small ones.
 */
export const folio_maybe_dma_pinned = replaceable(function* folio_maybe_dma_pinned(k: K, folio: number, fn: string): Path<boolean> {
  if (yield* folio_test_large(k, folio, at(fn, 'folio_maybe_dma_pinned(): if (folio_test_large(folio))'))) {
    return (yield { kind: 'load', loc: k.L.pincount(folio), order: 'once', label: at(fn, 'return atomic_read(&folio->_pincount) > 0'), returns: { kind: 'gt', value: 0 } }) > 0;
  }
  return (yield { kind: 'load', loc: k.L.refcount(folio), order: 'once', label: at(fn, 'return ((unsigned int)folio_ref_count(folio)) >= GUP_PIN_COUNTING_BIAS'), returns: { kind: 'ge', value: GUP_PIN_COUNTING_BIAS } }) >= GUP_PIN_COUNTING_BIAS;
}, {
  description: 'folio_maybe_dma_pinned() (include/linux/mm.h, v6.6): _pincount for large folios, the GUP_PIN_COUNTING_BIAS part of _refcount for small ones.',
});

/**
 * page_try_share_anon_rmap(page), v6.6 (v6.8+: folio_try_share_anon_rmap_pte/_pmd): steps A2
 * and A3 of the protocol above. The caller cleared (A1) or invalidated the entry before, and
 * restores it (A4) when this returns -EBUSY. Returns 0 or -EBUSY.
 */
export const page_try_share_anon_rmap = replaceable(function* page_try_share_anon_rmap(k: K, page: number): Path<number> {
  const fn = 'page_try_share_anon_rmap';
  // "Paired with the memory barrier in try_grab_folio()."
  yield* smp_mb(at(fn, 'smp_mb()'));
  const folio = yield* page_folio(k, page, at(fn, 'page_maybe_dma_pinned(page): folio = page_folio(page)'));
  if (yield* folio_maybe_dma_pinned(k, folio, fn)) return -16; // -EBUSY
  // "we don't need a memory barrier between checking if the page is pinned and clearing
  //  PageAnonExclusive, because stores are not speculated"
  yield* clear_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'ClearPageAnonExclusive(page)'));
  // "This is conceptually a smp_wmb() paired with the smp_rmb() in gup_must_unshare()."
  yield* smp_mb__after_atomic(at(fn, 'smp_mb__after_atomic()'));
  return 0;
}, {
  source: 'include/linux/rmap.h',
  aliases: ['folio_try_share_anon_rmap_pte / _pmd (v6.8+)'],
  description: 'A2/A3 of the PageAnonExclusive protocol: smp_mb, -EBUSY if maybe pinned, ClearPageAnonExclusive, smp_mb__after_atomic',
});

/**
 * page_add_anon_rmap(page, vma, address, flags) for a PTE mapping, v6.6: the page's _mapcount,
 * the folio's _nr_pages_mapped for a large folio, and PageAnonExclusive when RMAP_EXCLUSIVE
 * (through __page_set_anon_rmap(), whose folio->mapping store is skipped for a folio that is
 * already anon).
 */
export const page_add_anon_rmap = replaceable(function* page_add_anon_rmap(k: K, page: number, exclusive: boolean): Path<void> {
  const fn = 'page_add_anon_rmap';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  // "Is page being mapped by PTE? Is this its first map to be added?"
  const first = (yield* atomic_add_return(k.L.mapcount(page), 1, at(fn, 'first = atomic_inc_and_test(&page->_mapcount)'))) === 0;
  if (first && (yield* folio_test_large(k, folio, at(fn, 'if (first && folio_test_large(folio))')))) {
    yield* atomic_add(k.L.nr_pages_mapped(folio), 1, at(fn, 'nr = atomic_inc_return_relaxed(mapped)'));
  }
  if (first) {
    const anon = yield* folio_test_anon(k, folio, '__page_set_anon_rmap');
    yield* VM_BUG_ON(!anon, '!folio_test_anon(folio)', at('__page_set_anon_rmap', 'if (folio_test_anon(folio)) goto out'));
    if (exclusive) yield* set_bit(PG_anon_exclusive, k.L.flags(page), at('__page_set_anon_rmap', 'SetPageAnonExclusive(page)'));
  } else if (exclusive) {
    yield* set_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'SetPageAnonExclusive(page)'));
  }
}, {
  aliases: ['folio_add_anon_rmap_ptes (v6.8+)'],
  description: 'a PTE mapping\'s _mapcount, _nr_pages_mapped, PageAnonExclusive with RMAP_EXCLUSIVE',
});

/** page_remove_rmap(page, vma, true), v6.6: the PMD mapping's _entire_mapcount */
export const page_remove_rmap_pmd = replaceable(function* page_remove_rmap_pmd(k: K, page: number): Path<void> {
  const fn = 'page_remove_rmap';
  const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
  yield* atomic_add_negative(k.L.entire_mapcount(folio), -1, at(fn, 'last = atomic_add_negative(-1, &folio->_entire_mapcount)'));
}, {
  description: 'page_remove_rmap(page, vma, true), v6.6: the PMD mapping\'s _entire_mapcount',
});

// ---- page_vma_mapped_walk (mm/page_vma_mapped.c, v6.6) ----

/** struct page_vma_mapped_walk, for one VMA and a folio of `nr` pages at `address` */
export interface Pvmw {
  readonly pfn: number;
  readonly nr: number;
  address: number;
  readonly end: number;
  readonly flags: number;
  /** the mapped PTE table (pvmw->pte != NULL), or -1 */
  pt: number;
  /** the lock held (pvmw->ptl), or -1 */
  ptl: number;
  /** the walk returned the PMD mapping (pvmw->pte == NULL) */
  pmdMapped: boolean;
}

export function newPvmw(pfn: number, nr: number, address: number, flags: number): Pvmw {
  return { pfn, nr, address, end: address + nr, flags, pt: -1, ptl: -1, pmdMapped: false };
}

/** pmd_lock(): the split PMD lock is the PMD table page's ptl (x86-64 USE_SPLIT_PMD_PTLOCKS) */
/** pmd_lockptr(mm, pmd): the split PMD ptlock of the page-table page holding pmdp (default: the mm's PMD table) */
export const pmd_lockptr = (k: K, pmdp?: number): number => k.L.ptl(pmdp === undefined ? k.pmdTable : k.L.entryOwner(pmdp));

/** page_vma_mapped_walk_done(): pte_unmap(), then spin_unlock(ptl) */
export const page_vma_mapped_walk_done = replaceable(function* page_vma_mapped_walk_done(k: K, pvmw: Pvmw, fn = 'page_vma_mapped_walk_done'): Path<void> {
  if (pvmw.pt >= 0) {
    yield* ghost({ type: 'pt_unmap', pt: pvmw.pt }, at(fn, 'pte_unmap(pvmw->pte)'));
    yield* rcu_read_unlock(at(fn, 'pte_unmap(pvmw->pte)'));
    pvmw.pt = -1;
  }
  if (pvmw.ptl >= 0) {
    yield* spin_unlock(pvmw.ptl, at(fn, 'spin_unlock(pvmw->ptl)'));
    pvmw.ptl = -1;
  }
}, {
  description: 'page_vma_mapped_walk_done(): pte_unmap(), then spin_unlock(ptl)',
});

const check_pte = replaceable(function* check_pte(k: K, pvmw: Pvmw): Path<boolean> {
  const fn = 'check_pte';
  const ptent = yield* ptep_get(k, pte_offset(k, pvmw.pt, pvmw.address), at(fn, 'pte_t ptent = ptep_get(pvmw->pte)'));
  let pfn: number;
  if (pvmw.flags & PVMW_MIGRATION) {
    if (!is_swap_pte(ptent) || !is_migration_entry(ptent)) return false;
    pfn = swp_offset_pfn(ptent);
  } else {
    if (!pte_present(ptent)) return false;
    pfn = pte_pfn(ptent);
  }
  return pfn - pvmw.pfn >= 0 && pfn - pvmw.pfn < pvmw.nr;
});

/** map_pte(): the stricter pte_offset_map_lock() with PVMW_SYNC, else map, peek, then lock */
const map_pte = replaceable(function* map_pte(k: K, pvmw: Pvmw): Path<boolean> {
  const fn = 'map_pte';
  const pmdp = pmd_offset(k, pvmw.address);
  if (pvmw.flags & PVMW_SYNC) {
    const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'pvmw->pte = pte_offset_map_lock(mm, pvmw->pmd, pvmw->address, &pvmw->ptl)'));
    if (pt < 0) return false;
    pvmw.pt = pt;
    pvmw.ptl = k.L.ptl(pt);
    return true;
  }
  // pte_offset_map_nolock()
  yield* rcu_read_lock(at('__pte_offset_map', 'rcu_read_lock()'));
  const pmdval = yield* pmdp_get_lockless(k, pmdp, at('__pte_offset_map', 'pmdval = pmdp_get_lockless(pmd)'));
  if (pmd_none(pmdval) || is_pmd_migration_entry(pmdval) || pmd_trans_huge(pmdval) || pmd_bad(pmdval)) {
    yield* rcu_read_unlock(at('__pte_offset_map', 'nomap: rcu_read_unlock()'));
    return false;
  }
  pvmw.pt = pmd_pgtable(pmdval);
  yield* ghost({ type: 'pt_map', pt: pvmw.pt }, at(fn, 'pvmw->pte = pte_offset_map_nolock(mm, pvmw->pmd, pvmw->address, ptlp)'));
  const ptent = yield* ptep_get(k, pte_offset(k, pvmw.pt, pvmw.address), at(fn, 'ptent = ptep_get(pvmw->pte)'));
  if (pvmw.flags & PVMW_MIGRATION ? !is_swap_pte(ptent) : !pte_present(ptent)) return false;
  pvmw.ptl = k.L.ptl(pvmw.pt);
  yield* spin_lock(pvmw.ptl, at(fn, 'spin_lock(pvmw->ptl)'));
  return true;
}, {
  description: 'map_pte(): the stricter pte_offset_map_lock() with PVMW_SYNC, else map, peek, then lock',
});

/**
 * page_vma_mapped_walk(), v6.6: returns true with pvmw.pt/ptl set at the next PTE (or the PMD,
 * pmdMapped) of the range that maps the folio, false when there is none left (everything
 * released). Ranges stay within one PMD here (folios no larger than PTRS_PER_PTE, aligned).
 */
export const page_vma_mapped_walk = replaceable(function* page_vma_mapped_walk(k: K, pvmw: Pvmw): Path<boolean> {
  const fn = 'page_vma_mapped_walk';
  if (pvmw.pmdMapped) {
    // "The only possible pmd mapping has been handled on last iteration"
    yield* page_vma_mapped_walk_done(k, pvmw, 'not_found');
    return false;
  }
  let first = pvmw.pt < 0 && pvmw.ptl < 0;
  for (;;) {
    if (first) {
      first = false;
      // restart:
      const pmdp = pmd_offset(k, pvmw.address);
      const pmde = yield* pmdp_get_lockless(k, pmdp, at(fn, 'pmde = pmdp_get_lockless(pvmw->pmd)'));
      if (pmd_trans_huge(pmde) || is_pmd_migration_entry(pmde)) {
        pvmw.ptl = pmd_lockptr(k);
        yield* spin_lock(pvmw.ptl, at(fn, 'pvmw->ptl = pmd_lock(mm, pvmw->pmd)'));
        const again = yield* load(pmdp, at(fn, 'pmde = *pvmw->pmd'));
        if (is_pmd_migration_entry(again)) {
          // PMD migration entries (THP migration without split) are not modelled
          yield* page_vma_mapped_walk_done(k, pvmw, 'not_found');
          return false;
        }
        if (pmd_trans_huge(again)) {
          const pfn = pmd_pfn(again);
          // check_pmd(): the huge PMD's pages overlap [pvmw->pfn, pvmw->pfn + nr_pages)
          const overlaps = pfn + k.geo.ptrsPerPte - 1 >= pvmw.pfn && pfn <= pvmw.pfn + pvmw.nr - 1;
          if (pvmw.flags & PVMW_MIGRATION || !overlaps) {
            yield* page_vma_mapped_walk_done(k, pvmw, 'not_found');
            return false;
          }
          pvmw.pmdMapped = true;
          return true;
        }
        // "THP pmd was split under us: handle on pte level"
        yield* spin_unlock(pvmw.ptl, at(fn, 'spin_unlock(pvmw->ptl)'));
        pvmw.ptl = -1;
      } else if (!pmd_present(pmde)) {
        // "If PVMW_SYNC, take and drop THP pmd lock so that we cannot return prematurely,
        //  while zap_huge_pmd() has cleared *pmd but not decremented compound_mapcount()."
        if (pvmw.flags & PVMW_SYNC && pvmw.nr >= k.geo.ptrsPerPte) {
          yield* spin_lock(pmd_lockptr(k), at(fn, 'spinlock_t *ptl = pmd_lock(mm, pvmw->pmd)'));
          yield* spin_unlock(pmd_lockptr(k), at(fn, 'spin_unlock(ptl)'));
        }
        return false; // step_forward(pvmw, PMD_SIZE): the range ends in this PMD
      }
      if (!(yield* map_pte(k, pvmw))) {
        if (pvmw.pt < 0) {
          first = true; // "if (!pvmw->pte) goto restart;"
          continue;
        }
        // goto next_pte
      } else if (yield* check_pte(k, pvmw)) {
        return true;
      }
    }
    // next_pte:
    for (;;) {
      pvmw.address++;
      if (pvmw.address >= pvmw.end) {
        yield* page_vma_mapped_walk_done(k, pvmw, 'not_found');
        return false;
      }
      yield* VM_BUG_ON(pvmw.address % k.geo.ptrsPerPte === 0, 'the walk crossed a page-table boundary (not modelled)', at(fn, 'if ((pvmw->address & (PMD_SIZE - PAGE_SIZE)) == 0)'));
      const v = yield* ptep_get(k, pte_offset(k, pvmw.pt, pvmw.address), at(fn, '} while (pte_none(ptep_get(pvmw->pte)))'));
      if (!pte_none(v)) break;
    }
    if (pvmw.ptl < 0) {
      pvmw.ptl = k.L.ptl(pvmw.pt);
      yield* spin_lock(pvmw.ptl, at(fn, 'pvmw->ptl = ptl; spin_lock(pvmw->ptl)'));
    }
    // goto this_pte
    if (yield* check_pte(k, pvmw)) return true;
  }
}, {
  source: 'mm/page_vma_mapped.c',
  description: 'find the PTEs (or PMD) mapping a folio in a VMA, taking the PTL (PVMW_SYNC: pte_offset_map_lock)',
});

// ---- try_to_migrate (mm/rmap.c, v6.6) ----

/** The caller's TLB batch (struct tlbflush_unmap_batch) for TTU_BATCH_FLUSH. */
export interface TlbBatch {
  flush_required: boolean;
}

/**
 * try_to_migrate_one(), v6.6: replace each PTE mapping the folio in this VMA by a migration
 * entry; an anon-exclusive page that may be pinned is left mapped (the PTE restored) and the
 * walk aborted. Returns false when it backed off.
 */
export const try_to_migrate_one = replaceable(function* try_to_migrate_one(k: K, folio: number, address: number, flags: number, batch: TlbBatch): Path<boolean> {
  const fn = 'try_to_migrate_one';
  let ret = true;
  const nr = (yield* folio_test_large(k, folio, at(fn, 'DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0)'))) ? 1 << (yield* load(k.L.folio_order(folio), at(fn, 'pvmw.nr_pages = folio_nr_pages(folio): folio_order(folio)'))) : 1;
  // "When racing against e.g. zap_pte_range() on another cpu, in between its
  //  ptep_get_and_clear_full() and page_remove_rmap(), try_to_migrate() may return before
  //  page_mapped() has become false, if page table locking is skipped: use TTU_SYNC to wait for that."
  const pvmw = newPvmw(folio, nr, address, flags & TTU_SYNC ? PVMW_SYNC : 0);
  // "unmap_page() in mm/huge_memory.c is the only user of migration with TTU_SPLIT_HUGE_PMD
  //  and it wants to freeze."
  if (flags & TTU_SPLIT_HUGE_PMD) {
    yield* split_huge_pmd_address(k, address, true, folio);
  }
  while (yield* page_vma_mapped_walk(k, pvmw)) {
    // PMD-mapped THP migration (set_pmd_migration_entry) is not modelled: callers split first
    yield* VM_BUG_ON(pvmw.pmdMapped, '!pvmw.pte (PMD-mapped THP migration entry: not modelled)', at(fn, 'if (!pvmw.pte)'));
    const ptep = pte_offset(k, pvmw.pt, pvmw.address);
    const pfn = pte_pfn(yield* ptep_get(k, ptep, at(fn, 'pfn = pte_pfn(ptep_get(pvmw.pte))')));
    const subpage = pfn; // folio_page(folio, pfn - folio_pfn(folio))
    address = pvmw.address;
    const anon_exclusive = (yield* folio_test_anon(k, folio, fn)) && (yield* PageAnonExclusive(k, subpage, fn, 'anon_exclusive = folio_test_anon(folio) && PageAnonExclusive(subpage)'));
    // (A1) "Nuke the page table entry."
    let pteval: number;
    if (flags & TTU_BATCH_FLUSH) {
      // should_defer_flush(): other CPUs run this mm, so the flush is batched
      pteval = yield* ptep_get_and_clear(k, ptep, at(fn, `pteval = ptep_get_and_clear(mm, ${fmtAddr(address)}, pvmw.pte)`));
      batch.flush_required = true; // set_tlb_ubc_flush_pending(mm, pteval)
    } else {
      pteval = yield* ptep_clear_flush(k, ptep, address);
    }
    // "Set the dirty flag on the folio now the pte is gone."
    if (pte_dirty(pteval)) yield* test_and_set_bit(PG_dirty, k.L.flags(folio), at(fn, 'if (pte_dirty(pteval)) folio_mark_dirty(folio)'));
    yield* VM_BUG_ON(pte_write(pteval) && !anon_exclusive, 'pte_write(pteval) && folio_test_anon(folio) && !anon_exclusive', at(fn, 'VM_BUG_ON_PAGE(pte_write(pteval) && folio_test_anon(folio) && !anon_exclusive, subpage)'));
    // "See page_try_share_anon_rmap(): clear PTE first."
    if (anon_exclusive && (yield* page_try_share_anon_rmap(k, subpage)) !== 0) {
      // (A4) the page may be pinned: put the PTE back and give up on this folio
      yield* set_pte_at(k, ptep, pteval, at(fn, 'set_pte_at(mm, address, pvmw.pte, pteval)'));
      ret = false;
      yield* page_vma_mapped_walk_done(k, pvmw);
      break;
    }
    // "Store the pfn of the page in a special migration pte. do_swap_page() will wait until
    //  the migration pte is removed and then restart fault handling."
    const swp_pte = migration_entry(subpage, pte_write(pteval), anon_exclusive, (pteval & _PAGE_ACCESSED) !== 0, pte_dirty(pteval));
    yield* set_pte_at(k, ptep, swp_pte, at(fn, 'set_pte_at(mm, address, pvmw.pte, swp_pte)'));
    yield* page_remove_rmap(k, subpage);
    yield* folio_put(k, folio, at(fn, 'folio_put(folio)'));
  }
  return ret;
}, {
  description: 'clear each PTE (A1), share the anon-exclusive page or restore and back off, migration entry, page_remove_rmap, folio_put',
});

/** ptep_clear_flush(): ptep_get_and_clear(), then flush_tlb_page() if the PTE was accessible */
export const ptep_clear_flush = replaceable(function* ptep_clear_flush(k: K, ptep: number, address: number): Path<number> {
  const fn = 'ptep_clear_flush';
  const pte = yield* ptep_get_and_clear(k, ptep, at(fn, `pte = ptep_get_and_clear(mm, ${fmtAddr(address)}, ptep)`));
  if (pte_present(pte)) yield* flush_tlb_range(k, at(fn, 'if (pte_accessible(mm, pte)) flush_tlb_page(vma, address)'));
  return pte;
}, {
  description: 'ptep_clear_flush(): ptep_get_and_clear(), then flush_tlb_page() if the PTE was accessible',
});

/** try_to_unmap_flush(): the batched flush of TTU_BATCH_FLUSH unmaps */
export const try_to_unmap_flush = replaceable(function* try_to_unmap_flush(k: K, batch: TlbBatch): Path<void> {
  if (!batch.flush_required) return;
  yield* flush_tlb_range(k, at('try_to_unmap_flush', 'arch_tlbbatch_flush(&tlb_ubc->arch)'));
  batch.flush_required = false;
}, {
  description: 'try_to_unmap_flush(): the batched flush of TTU_BATCH_FLUSH unmaps',
});

/**
 * try_to_migrate(folio, flags): rmap_walk[_locked]() over the folio's one VMA. The walk's
 * `done` test (folio_not_mapped) only matters with more VMAs. Returns what try_to_migrate_one
 * returned (the kernel drops it; callers look at folio_mapped()).
 */
export const try_to_migrate = replaceable(function* try_to_migrate(k: K, folio: number, address: number, flags: number, batch: TlbBatch): Path<boolean> {
  return yield* try_to_migrate_one(k, folio, address, flags, batch);
}, {
  description: 'try_to_migrate(folio, flags): rmap_walk[_locked]() over the folio\'s one VMA.',
});

/**
 * remove_migration_pte(), v6.6: each migration entry for `old` in the range becomes a present
 * PTE of the matching page of `folio` (the destination, or the source itself after a failed
 * migration or a split), with its rmap and a folio reference.
 */
export const remove_migration_pte = replaceable(function* remove_migration_pte(k: K, folio: number, address: number, old: number): Path<void> {
  const fn = 'remove_migration_pte';
  const large = yield* folio_test_large(k, old, at('DEFINE_FOLIO_VMA_WALK', 'pvmw.nr_pages = folio_nr_pages(old)'));
  const nr = large ? 1 << (yield* load(k.L.folio_order(old), at('DEFINE_FOLIO_VMA_WALK', 'pvmw.nr_pages = folio_nr_pages(old)'))) : 1;
  const pvmw = newPvmw(old, nr, address, PVMW_SYNC | PVMW_MIGRATION);
  const folioLarge = nr > 1 && folio === old;
  while (yield* page_vma_mapped_walk(k, pvmw)) {
    const idx = folioLarge ? pvmw.address - address : 0; // linear_page_index(vma, pvmw.address) - pvmw.pgoff
    const newp = folio + idx;
    const ptep = pte_offset(k, pvmw.pt, pvmw.address);
    yield* atomic_add(k.L.refcount(folio), 1, at(fn, 'folio_get(folio)'));
    const old_pte = yield* ptep_get(k, ptep, at(fn, 'old_pte = ptep_get(pvmw.pte)'));
    const folioDirty = yield* test_bit(PG_dirty, k.L.flags(folio), at(fn, 'if (folio_test_dirty(folio) && is_migration_entry_dirty(entry))'));
    const write = is_writable_migration_entry(old_pte);
    const pte = mk_pte(newp, write, is_migration_entry_young(old_pte), folioDirty && is_migration_entry_dirty(old_pte));
    const anon = yield* folio_test_anon(k, folio, fn);
    // "if (folio_test_anon(folio) && !is_readable_migration_entry(entry)) rmap_flags |= RMAP_EXCLUSIVE;"
    if (anon) yield* page_add_anon_rmap(k, newp, !is_readable_migration_entry(old_pte));
    yield* set_pte_at(k, ptep, pte, at(fn, 'set_pte_at(vma->vm_mm, pvmw.address, pvmw.pte, pte)'));
    // "No need to invalidate - it was non-present before"
  }
}, {
  source: 'mm/migrate.c',
  description: 'replace migration entries by present PTEs of the new (or old) folio: folio_get, rmap (exclusive if the entry was), set_pte_at',
});

/** remove_migration_ptes(src, dst, locked): rmap_walk(dst) with remove_migration_pte(arg = src) */
export const remove_migration_ptes = replaceable(function* remove_migration_ptes(k: K, src: number, dst: number, address: number): Path<void> {
  yield* remove_migration_pte(k, dst, address, src);
}, {
  description: 'remove_migration_ptes(src, dst, locked): rmap_walk(dst) with remove_migration_pte(arg = src)',
});
