/**
 * mm/hugetlb.c and include/linux/hugetlb.h, following Linux v6.6: hugetlb_walk() /
 * huge_pte_offset(), the hugetlb vma lock, huge_pmd_unshare(), and the unmap/teardown that frees
 * a PMD page once its last sharer is gone. The protocol the walkers rely on (hugetlb.h, above
 * huge_pte_offset()):
 *
 *   "(2) For shared mappings: pmd unsharing is possible (so the PUD-ranged pgtable page can go
 *    away from under us!  It can be done by a pmd unshare with a follow up munmap() on the other
 *    process), then we need either:
 *      (2.1) hugetlb vma lock read or write held, to make sure pmd unshare won't happen upon the
 *            range (it also makes sure the pte_t we read is the right and stable one), or,
 *      (2.2) hugetlb mapping i_mmap_rwsem lock held read or write, ..."
 *
 * Simplified (one line each): PMD-sized hugetlb pages only (HPAGE_PMD_NR = PTRS_PER_PTE); the
 * vma lock (an rw_semaphore) is an exclusive lock (one reader, one writer per scenario);
 * i_mmap_rwsem and mm B's own vma lock are not modelled (only mm A's walker could contend);
 * mm counters and hugetlb reservations are not modelled.
 */
import type { Label, Path } from '../../core/op.js';
import { at, atomic_add, atomic_add_negative, ghost, load, spin_lock, spin_unlock, store, synchronize_rcu, smp_call_function_wait, xchg, WARN_ON_ONCE } from '../primitives.js';
import { folio_put, type K } from '../mm.js';
import { pmd_pfn, pmd_pgtable, pmd_present } from '../pgtable.js';
import { VM_HUGETLB as VM_HUGETLB_FLAG, type Vma } from '../walkers_world.js';
import { FOLL_GET, put_user_page } from './gup.js';
import { follow_page_mask } from './gup_slow.js';
import { tlb_finish_mmu, tlb_flush_mmu_tlbonly, tlb_gather_mmu } from './mmu_gather.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/hugetlb.c');

/** hugetlb_vma_lock_read(vma): down_read(&vma_lock->rw_sema) for a shareable vma */
export const hugetlb_vma_lock_read = replaceable(function* hugetlb_vma_lock_read(k: K, vma: Vma, l: Label): Path<void> {
  if (vma.vmaLock !== undefined) yield* spin_lock(k.L.ptl(vma.vmaLock), l);
}, {
  description: 'hugetlb_vma_lock_read(vma): down_read(&vma_lock->rw_sema) for a shareable vma',
});
export const hugetlb_vma_unlock_read = replaceable(function* hugetlb_vma_unlock_read(k: K, vma: Vma, l: Label): Path<void> {
  if (vma.vmaLock !== undefined) yield* spin_unlock(k.L.ptl(vma.vmaLock), l);
});
export const hugetlb_vma_lock_write = hugetlb_vma_lock_read;
export const hugetlb_vma_unlock_write = hugetlb_vma_unlock_read;

/** the PUD entry covering the vma in its mm (pud_offset(p4d_offset(pgd_offset(mm, addr), addr), addr)) */
export const pud_offset = (k: K, vma: Vma): number => k.L.entry(vma.pudTable!, 0);

/**
 * huge_pte_offset(mm, addr, PMD_SIZE) (mm/hugetlb.c, generic): `if (!pud_present(*pud)) return
 * NULL;` then `pmd = pmd_offset(pud, addr)`, which reads *pud again (pud_pgtable(*pud)). Returns
 * the address of the huge PMD entry, or -1 (NULL).
 */
export const huge_pte_offset = replaceable(function* huge_pte_offset(k: K, vma: Vma, addr: number): Path<number> {
  const fn = 'huge_pte_offset';
  const pud = pud_offset(k, vma);
  if (!pmd_present(yield* load(pud, at(fn, 'if (!pud_present(*pud)) return NULL')))) return -1;
  // "must have a valid entry and size to go further"
  const pudval = yield* load(pud, at(fn, 'pmd = pmd_offset(pud, addr)'));
  if (!pmd_present(pudval)) return -1; // pmd_offset() of an empty PUD: not reachable after the check above unless it changed
  return k.L.entry(pmd_pgtable(pudval), Math.floor(addr / k.geo.ptrsPerPte) % k.geo.ptrsPerPmd);
}, {
  description: 'huge_pte_offset(mm, addr, PMD_SIZE) (mm/hugetlb.c, generic): `if (!pud_present(*pud)) return NULL;` then `pmd = pmd_offset(pud, addr)`, which reads *pud ...',
});

/**
 * hugetlb_walk(vma, addr, sz), v6.6: "If pmd sharing possible, locking needed to safely walk
 * the hugetlb pgtables" — with lockdep it WARNs when neither the vma lock nor i_mmap_rwsem is
 * held; `locked` says whether the caller holds the vma lock.
 */
export const hugetlb_walk = replaceable(function* hugetlb_walk(k: K, vma: Vma, addr: number, locked: boolean): Path<number> {
  if (vma.vmaLock !== undefined) {
    yield* WARN_ON_ONCE(!locked, "!lockdep_is_held(&vma_lock->rw_sema) && !lockdep_is_held(&vma->vm_file->f_mapping->i_mmap_rwsem)", at('hugetlb_walk', 'WARN_ON_ONCE(!lockdep_is_held(&vma_lock->rw_sema) && ...)'));
  }
  return yield* huge_pte_offset(k, vma, addr);
}, {
  description: 'hugetlb_walk(vma, addr, sz), v6.6: "If pmd sharing possible, locking needed to safely walk the hugetlb pgtables" — with lockdep it WARNs when neither the ...',
});

/**
 * huge_pmd_unshare(mm, vma, addr, ptep), v6.6: "Called with page table lock held. returns: 1
 * successfully unmapped a shared pte page; 0 the underlying pte page is not shared, or it is the
 * last user". The PMD page's refcount counts its sharers.
 */
export const huge_pmd_unshare = replaceable(function* huge_pmd_unshare(k: K, vma: Vma, ptep: number): Path<boolean> {
  const fn = 'huge_pmd_unshare';
  const pmdPage = k.L.entryOwner(ptep);
  const count = yield* load(k.L.refcount(pmdPage), at(fn, 'if (page_count(virt_to_page(ptep)) == 1)'), 'once');
  if (count === 1) return false;
  yield* store(pud_offset(k, vma), 0, at(fn, 'pud_clear(pud)'), 'once');
  yield* folio_put(k, pmdPage, at(fn, 'put_page(virt_to_page(ptep))'));
  return true;
}, {
  description: 'huge_pmd_unshare(mm, vma, addr, ptep), v6.6: "Called with page table lock held.',
});

/** huge_pte_lock(h, mm, pte): for PMD-sized pages, the split ptlock of the PMD page */
const huge_pte_lock = replaceable(function* huge_pte_lock(k: K, ptep: number, l: Label): Path<number> {
  const ptl = k.L.ptl(k.L.entryOwner(ptep));
  yield* spin_lock(ptl, l);
  return ptl;
}, {
  description: 'huge_pte_lock(h, mm, pte): for PMD-sized pages, the split ptlock of the PMD page',
});

/**
 * munmap()/exit of a hugetlb range, v6.6: __hugetlb_zap_begin() takes the vma lock for write;
 * __unmap_hugepage_range() unshares a shared PMD page (clears this mm's PUD, drops its reference
 * on the page, flushes the PUD range) or, for the last user, clears the huge PTE and queues the
 * folio; then free_pgtables() -> hugetlb_free_pgd_range() -> free_pmd_range() frees the PMD page
 * if this mm's PUD still points to it ("if (pud_none_or_clear_bad(pud)) continue;").
 */
export const unmap_hugepage_range = replaceable(function* unmap_hugepage_range(k: K, vma: Vma, addr: number): Path<void> {
  const fn = '__unmap_hugepage_range';
  const tlb = yield* tlb_gather_mmu(k);
  yield* hugetlb_vma_lock_write(k, vma, at('__hugetlb_zap_begin', 'hugetlb_vma_lock_write(vma)'));
  const ptep = yield* hugetlb_walk(k, vma, addr, true);
  if (ptep >= 0) {
    const ptl = yield* huge_pte_lock(k, ptep, at(fn, 'ptl = huge_pte_lock(h, mm, ptep)'));
    if (yield* huge_pmd_unshare(k, vma, ptep)) {
      tlb.need_flush = true; // tlb_flush_pmd_range(tlb, address & PUD_MASK, PUD_SIZE); force_flush = true
    } else {
      const pte = yield* xchg(ptep, 0, at(fn, 'pte = huge_ptep_get_and_clear(mm, address, ptep)'));
      if (pte !== 0) {
        tlb.need_flush = true; // tlb_remove_huge_tlb_entry(h, tlb, ptep, address)
        const folio = pmd_pfn(pte);
        yield* atomic_add_negative(k.L.entire_mapcount(folio), -1, at('page_remove_rmap', 'last = atomic_add_negative(-1, &folio->_entire_mapcount)'));
        tlb.pages.push(folio); // tlb_remove_page_size(tlb, page, huge_page_size(h))
      }
    }
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
  }
  // "if (force_flush) tlb_flush_mmu_tlbonly(tlb);" while the locks are held
  yield* tlb_flush_mmu_tlbonly(k, tlb);
  yield* hugetlb_vma_unlock_write(k, vma, at('__hugetlb_zap_end', 'hugetlb_vma_unlock_write(vma)'));
  // free_pgtables(): free_pmd_range() for this mm's PUD
  const pud = pud_offset(k, vma);
  const pudval = yield* load(pud, at('free_pud_range', 'if (pud_none_or_clear_bad(pud)) continue'));
  let table = -1;
  if (pmd_present(pudval)) {
    table = pmd_pgtable(pudval);
    yield* store(pud, 0, at('free_pmd_range', 'pud_clear(pud)'), 'once');
    tlb.need_flush = true; // pmd_free_tlb(tlb, pmd, start)
  }
  yield* tlb_finish_mmu(k, tlb);
  if (table >= 0) yield* tlb_remove_table_free(k, table);
}, {
  description: 'munmap()/exit of a hugetlb range, v6.6: __hugetlb_zap_begin() takes the vma lock for write; __unmap_hugepage_range() unshares a shared PMD page (clears this ...',
});

/**
 * tlb_remove_table() -> the table is freed after an RCU grace period (MMU_GATHER_RCU_TABLE_FREE,
 * tlb_remove_table_rcu), after tlb_remove_table_sync_one() (IPI), or at once (--env pt_free).
 * A walker that is not in an RCU/irq-off section is not protected by any of these.
 */
export const tlb_remove_table_free = replaceable(function* tlb_remove_table_free(k: K, pt: number): Path<void> {
  const fn = 'tlb_remove_table';
  if (k.env.pt_free === 'rcu') yield* synchronize_rcu(at('tlb_remove_table_rcu', 'call_rcu(&batch->rcu, tlb_remove_table_rcu)'));
  else if (k.env.pt_free === 'ipi') yield* smp_call_function_wait(at('tlb_remove_table_sync_one', 'smp_call_function(tlb_remove_table_smp_sync, NULL, 1)'));
  yield* folio_put(k, pt, at(fn, '__tlb_remove_table(table)'));
}, {
  description: 'tlb_remove_table() -> the table is freed after an RCU grace period (MMU_GATHER_RCU_TABLE_FREE, tlb_remove_table_rcu), after tlb_remove_table_sync_one() ...',
});

/**
 * vma_pgtable_walk_begin()/_end() (mm/memory.c, v6.10+): "if (is_vm_hugetlb_page(vma))
 * hugetlb_vma_lock_read(vma);" — the bracket follow_page_mask() puts around its walk since
 * hugetlb pages go through the generic GUP walk (Peter Xu, 2024).
 */
export const vma_pgtable_walk_begin = replaceable(function* vma_pgtable_walk_begin(k: K, vma: Vma): Path<void> {
  if (vma.vm_flags & VM_HUGETLB_FLAG) yield* hugetlb_vma_lock_read(k, vma, at('vma_pgtable_walk_begin', 'hugetlb_vma_lock_read(vma)'));
}, {
  description: 'vma_pgtable_walk_begin()/_end() (mm/memory.c, v6.10+): "if (is_vm_hugetlb_page(vma)) hugetlb_vma_lock_read(vma);" — the bracket follow_page_mask() puts ...',
});
export const vma_pgtable_walk_end = replaceable(function* vma_pgtable_walk_end(k: K, vma: Vma): Path<void> {
  if (vma.vm_flags & VM_HUGETLB_FLAG) yield* hugetlb_vma_unlock_read(k, vma, at('vma_pgtable_walk_end', 'hugetlb_vma_unlock_read(vma)'));
});

const follow_hugetlb_pmd_walk = replaceable(function* follow_hugetlb_pmd_walk(k: K, vma: Vma, address: number): Path<number> {
  // follow_pud_mask(): pud = READ_ONCE(*pudp); if (!pud_present(pud)) return no_page_table(...)
  const pudp = pud_offset(k, vma);
  if (!pmd_present(yield* load(pudp, at('follow_pud_mask', 'pud = READ_ONCE(*pudp)'), 'once'))) return -1;
  // follow_pmd_mask(): pmd = pmd_offset(pudp, address) dereferences *pudp again
  const pudval = yield* load(pudp, at('follow_pmd_mask', 'pmd = pmd_offset(pudp, address)'));
  if (!pmd_present(pudval)) return -1;
  const pmdp = k.L.entry(pmd_pgtable(pudval), Math.floor(address / k.geo.ptrsPerPte) % k.geo.ptrsPerPmd);
  const fn = 'follow_pmd_mask';
  const pmdval = yield* load(pmdp, at(fn, 'pmdval = pmdp_get_lockless(pmd)'), 'once');
  if (!pmd_present(pmdval)) return -1; // no_page_table()
  const ptl = k.L.ptl(pmd_pgtable(pudval));
  yield* spin_lock(ptl, at(fn, 'ptl = pmd_lock(mm, pmd)'));
  const cur = yield* load(pmdp, at(fn, 'pmdval = *pmd; if (unlikely(!pmd_present(pmdval)))'));
  let page = -1;
  if (pmd_present(cur)) {
    // follow_huge_pmd(): page = pmd_page(pmdval) + ((addr & ~HPAGE_PMD_MASK) >> PAGE_SHIFT); try_grab_folio(page, 1, flags)
    page = pmd_pfn(cur) + (address % k.geo.ptrsPerPte);
    yield* atomic_add(k.L.refcount(pmd_pfn(cur)), 1, at('try_grab_folio', 'folio_ref_inc(folio)'));
  }
  yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
  return page;
});

/**
 * follow_page_mask(), v6.10 form, for a hugetlb vma: the walk (follow_pud_mask ->
 * follow_pmd_mask -> follow_huge_pmd) bracketed by vma_pgtable_walk_begin()/_end(). Returns the
 * page with a reference (FOLL_GET), or -1 (NULL: faulting is not modelled here). The declared
 * follow_page_mask() (gup_slow.ts) takes this branch for hugetlb vmas.
 */
export function* follow_page_mask_hugetlb_v6_10(k: K, vma: Vma, address: number): Path<number> {
  yield* vma_pgtable_walk_begin(k, vma);
  const page = yield* follow_hugetlb_pmd_walk(k, vma, address);
  yield* vma_pgtable_walk_end(k, vma);
  return page;
}
/** the same walk without the bracket: as v6.1's follow_hugetlb_page() (no hugetlb vma lock) */
export function* follow_page_mask_hugetlb_no_walk_bracket(k: K, vma: Vma, address: number): Path<number> {
  return yield* follow_hugetlb_pmd_walk(k, vma, address);
}

/** get_user_pages(FOLL_GET) of one hugetlb page, then put_page() (ghosts gup_hold/gup_release) */
export const get_user_pages_hugetlb = replaceable(function* get_user_pages_hugetlb(k: K, vma: Vma, address: number): Path<number> {
  const page = yield* follow_page_mask(k, vma, address, FOLL_GET);
  if (page < 0) return 0;
  yield* ghost({ type: 'gup_hold', addr: address, pfn: page, folio: page - (address % k.geo.ptrsPerPte) }, at('__get_user_pages', 'pages[i] = page'));
  yield* put_user_page(k, page);
  return 1;
}, {
  description: 'get_user_pages(FOLL_GET) of one hugetlb page, then put_page() (ghosts gup_hold/gup_release)',
});
