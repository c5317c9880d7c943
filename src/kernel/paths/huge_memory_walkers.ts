/**
 * The THP paths the page-table walkers race with, following Linux v6.6 (mm/huge_memory.c,
 * mm/memory.c): __split_huge_pmd() for anon, file and huge-zero PMDs, zap_huge_pmd(),
 * do_set_pmd() (a file THP fault that makes an empty PMD huge again), pte_alloc().
 *
 * The anon and file branches of the split are huge_memory.ts's __split_huge_pmd_locked(); this
 * file adds the huge-zero-page branch, the walkers' split_huge_pmd() entry with a pmd pointer,
 * and the paths that empty or refill a PMD under a walker.
 *
 * The rule every walker depends on (include/linux/huge_mm.h, __split_huge_pmd_locked()):
 *   "Up to this point the pmd is present and huge and userland has the whole access to the
 *    hugepage during the split (which happens in place)." — and after the PMD lock is dropped
 *   the PMD may be a table (anon), none (file: "We are going to unmap this huge page. So just
 *   go ahead and zap it"), or huge again by a racing fault: callers must re-validate.
 *
 * Simplified (one line each): mmu_notifier calls and mm counters are not modelled; the PMD lock
 * is the PMD table's split ptlock; the deposited table is huge_memory.ts's one-slot pmd_huge_pte.
 */
import type { Label, Path } from '../../core/op.js';
import { at, atomic_add, atomic_add_return, load, READ_ONCE, smp_wmb, spin_lock, spin_unlock, store, xchg } from '../primitives.js';
import {
  alloc_pages, folio_put, folio_ref_try_add_rcu, pte_offset, pte_offset_map_lock, pte_unmap_unlock, ptep_get, set_pte_at, type K,
} from '../mm.js';
import {
  _PAGE_SPECIAL, is_pmd_migration_entry, pfn_pmd_huge, pfn_pte, pmd_none, pmd_pfn, pmd_populate_val, pmd_trans_huge, pte_none,
} from '../pgtable.js';
import type { Vma } from '../walkers_world.js';
import type { MmuGather } from './mmu_gather.js';
import { is_huge_zero_pmd, pgtable_trans_huge_withdraw } from './huge_memory.js';
import { page_remove_rmap_pmd, pmd_lockptr } from './rmap.js';

// The split itself (anon, file and huge-zero PMDs) is huge_memory.ts's, declared once there.
export { __split_huge_pmd, is_huge_zero_pmd, split_huge_pmd } from './huge_memory.js';
export { pmd_lockptr } from './rmap.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/huge_memory.c');

/** pmd_lock(): spin_lock(pmd_lockptr(mm, pmd)) */
export const pmd_lock = replaceable(function* pmd_lock(k: K, pmdp: number, l: Label): Path<number> {
  const ptl = pmd_lockptr(k, pmdp);
  yield* spin_lock(ptl, l);
  return ptl;
}, {
  description: 'pmd_lock(): spin_lock(pmd_lockptr(mm, pmd))',
});

/**
 * zap_huge_pmd(), v6.6, for a file THP or the huge zero page (MADV_DONTNEED under mmap_lock
 * read): clears the PMD under the PMD lock and leaves it empty. The file folio's reference goes
 * to the mmu_gather (freed after the TLB flush); the zero page's deposited table is freed.
 */
export const zap_huge_pmd = replaceable(function* zap_huge_pmd(k: K, tlb: MmuGather, vma: Vma, pmdp: number): Path<boolean> {
  const fn = 'zap_huge_pmd';
  // __pmd_trans_huge_lock()
  const ptl = yield* pmd_lock(k, pmdp, at('__pmd_trans_huge_lock', 'ptl = pmd_lock(vma->vm_mm, pmd)'));
  const cur = yield* load(pmdp, at('__pmd_trans_huge_lock', 'if (likely(is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)))'));
  if (!pmd_trans_huge(cur)) {
    yield* spin_unlock(ptl, at('__pmd_trans_huge_lock', 'spin_unlock(ptl)'));
    return false;
  }
  const orig_pmd = yield* xchg(pmdp, 0, at(fn, 'orig_pmd = pmdp_huge_get_and_clear_full(vma, addr, pmd, tlb->fullmm)'));
  tlb.need_flush = true; // tlb_remove_pmd_tlb_entry(tlb, pmd, addr)
  if (is_huge_zero_pmd(vma, orig_pmd)) {
    // zap_deposited_table(): pte_free(mm, pgtable_trans_huge_withdraw(mm, pmd))
    const pgtable = yield* pgtable_trans_huge_withdraw(k);
    yield* folio_put(k, pgtable, at('zap_deposited_table', 'pte_free(mm, pgtable)'));
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
    return true;
  }
  const page = pmd_pfn(orig_pmd);
  yield* page_remove_rmap_pmd(k, page);
  yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
  tlb.pages.push(page); // tlb_remove_page_size(tlb, page, HPAGE_PMD_SIZE)
  return true;
}, {
  description: 'zap_huge_pmd(), v6.6, for a file THP or the huge zero page (MADV_DONTNEED under mmap_lock read): clears the PMD under the PMD lock and leaves it empty.',
});

/**
 * A file read fault (v6.6 do_read_fault() -> filemap_map_pages(), or its __do_fault() fallback):
 * the page-cache lookup takes a reference (folio_try_get_rcu) and the folio lock; an empty PMD
 * gets the THP mapped huge (filemap_map_pmd() -> do_set_pmd(), which re-checks pmd_none() under
 * the PMD lock), a page table gets the subpage's PTE (under the PTL, if still none). The
 * reference is kept by the new mapping, dropped otherwise. Returns whether it mapped something.
 * (The folio lock is modelled as a spinlock in the folio's spare ptl cell: a blocked fault
 * waits, as __do_fault()'s folio_lock() does when filemap_map_pages()' trylock fails.)
 */
export const filemap_fault = replaceable(function* filemap_fault(k: K, vma: Vma, address: number): Path<boolean> {
  const folio = vma.fileFolio!;
  const pmdp = k.L.entry(k.pmdTable, Math.floor(address / k.geo.ptrsPerPte));
  if (!(yield* folio_ref_try_add_rcu(k, folio, 1, at('next_uptodate_folio', 'if (!folio_try_get_rcu(folio)) continue')))) return false;
  yield* spin_lock(k.L.ptl(folio), at('next_uptodate_folio', 'if (!folio_trylock(folio)) goto skip (__do_fault: folio_lock(folio))'));
  let mapped = false;
  if (pmd_none(yield* load(pmdp, at('filemap_map_pmd', 'if (pmd_none(*vmf->pmd) && folio_test_pmd_mappable(folio))')))) {
    const fn = 'do_set_pmd';
    const ptl = yield* pmd_lock(k, pmdp, at(fn, 'vmf->ptl = pmd_lock(vma->vm_mm, vmf->pmd)'));
    if (pmd_none(yield* load(pmdp, at(fn, 'if (unlikely(!pmd_none(*vmf->pmd)))')))) {
      // page_add_file_rmap(page, vma, true)
      yield* atomic_add(k.L.entire_mapcount(folio), 1, at('page_add_file_rmap', 'first = atomic_inc_and_test(&folio->_entire_mapcount)'));
      yield* store(pmdp, pfn_pmd_huge(folio, false), at(fn, 'set_pmd_at(vma->vm_mm, haddr, vmf->pmd, entry)'), 'once');
      mapped = true;
    }
    yield* spin_unlock(ptl, at(fn, 'spin_unlock(vmf->ptl)'));
  }
  if (!mapped) {
    const fn = 'filemap_map_pages';
    const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, addr, &vmf->ptl)'));
    if (pt >= 0) {
      const ptep = pte_offset(k, pt, address);
      if (pte_none(yield* ptep_get(k, ptep, at(fn, 'if (!pte_none(ptep_get(vmf->pte)))')))) {
        const page = folio + (address % k.geo.ptrsPerPte);
        // page_add_file_rmap(page, vma, false)
        const first = (yield* atomic_add_return(k.L.mapcount(page), 1, at('page_add_file_rmap', 'first = atomic_inc_and_test(&page->_mapcount)'))) === 0;
        if (first) yield* atomic_add(k.L.nr_pages_mapped(folio), 1, at('page_add_file_rmap', 'nr = atomic_inc_return_relaxed(mapped)'));
        yield* set_pte_at(k, ptep, pfn_pte(page, false), at(fn, 'set_pte_range(vmf, folio, page, count, addr)'));
        mapped = true;
      }
      yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(vmf->pte, vmf->ptl)'));
    }
  }
  yield* spin_unlock(k.L.ptl(folio), at('filemap_map_pages', 'folio_unlock(folio)'));
  if (!mapped) yield* folio_put(k, folio, at('filemap_map_pages', 'folio_put(folio)'));
  return mapped;
}, {
  description: 'A file read fault (v6.6 do_read_fault() -> filemap_map_pages(), or its __do_fault() fallback): the page-cache lookup takes a reference (folio_try_get_rcu) ...',
});

/** the fault the refault scenarios race with: a read fault on the file THP's range */
export const do_set_pmd_fault = filemap_fault;

/**
 * pte_alloc(mm, pmd) = (unlikely(pmd_none(*(pmd))) && __pte_alloc(mm, pmd)); __pte_alloc()
 * allocates a table and pmd_install()s it under the PMD lock if the PMD is still empty
 * ("Has another populated it ?"). Returns true on -ENOMEM.
 */
export const pte_alloc = replaceable(function* pte_alloc(k: K, pmdp: number, fn: string): Path<boolean> {
  if (!pmd_none(yield* load(pmdp, at(fn, 'pte_alloc(mm, pmd): if (unlikely(pmd_none(*(pmd))))')))) return false;
  const pt = yield* alloc_pages(k, 0, 'pagetable', at('__pte_alloc', 'pgtable_t new = pte_alloc_one(mm)'));
  if (pt < 0) return true;
  const ptl = yield* pmd_lock(k, pmdp, at('pmd_install', 'spinlock_t *ptl = pmd_lock(mm, pmd)'));
  if (pmd_none(yield* load(pmdp, at('pmd_install', 'if (likely(pmd_none(*pmd))) {	/* Has another populated it ? */')))) {
    // "Ensure all pte setup (eg. pte page lock and page clearing) are visible before the pte is
    //  made visible to other CPUs by being put into page tables."
    yield* smp_wmb(at('pmd_install', 'smp_wmb()'));
    yield* store(pmdp, pmd_populate_val(pt), at('pmd_install', 'pmd_populate(mm, pmd, *pte)'), 'once');
    yield* spin_unlock(ptl, at('pmd_install', 'spin_unlock(ptl)'));
    return false;
  }
  yield* spin_unlock(ptl, at('pmd_install', 'spin_unlock(ptl)'));
  yield* folio_put(k, pt, at('__pte_alloc', 'pte_free(mm, new)'));
  return false;
}, {
  description: 'pte_alloc(mm, pmd) = (unlikely(pmd_none(*(pmd))) && __pte_alloc(mm, pmd)); __pte_alloc() allocates a table and pmd_install()s it under the PMD lock if the ...',
});
