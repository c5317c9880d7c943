/**
 * mm/mremap.c, following Linux v6.6: move_page_tables() moving the PTEs of one PMD extent with
 * move_ptes(), under mmap_write_lock (the caller's).
 *
 * What mremap() is special in, in the words of eb66ae030829 ("mremap: properly flush TLB before
 * releasing the page", v4.19): "we don't follow the usual 'add page to list of pages to be
 * freed, then flush tlb, and then free pages'. No, mremap() obviously just _moves_ the page from
 * one page table location to another. That matters, because mremap() thus doesn't directly
 * control the lifetime of the moved page with a freelist: instead, the lifetime of the page is
 * controlled by the page table locking, that serializes access to the entry. As a result, we need
 * to flush the TLB not just before releasing the lock for the source location (to avoid any
 * concurrent accesses to the entry), but also before we release the destination page table lock
 * (to avoid the TLB being flushed after somebody else has already done something to that page)."
 * Somebody else is, e.g., ftruncate() zapping the new mapping under the new PTL only (it takes
 * no mmap_lock) and freeing the page while the old address is still in other CPUs' TLBs.
 *
 * Simplifications: one PMD extent whose destination PTE table already exists (alloc_new_pmd(),
 * __pte_alloc() done); need_rmap_locks false (take_rmap_locks() is not called: the new vma is
 * found after the old one in an rmap walk); no huge PMD to move; flush_tlb_batched_pending() and
 * the lazy-MMU hooks are no-ops here; move_pte()/move_soft_dirty_pte() keep the entry as it is.
 */
import type { Path } from '../../core/op.js';
import { at, spin_lock, spin_unlock } from '../primitives.js';
import { flush_tlb_range, pmdp_get_lockless, pte_offset, pte_offset_map, pte_offset_map_lock, pte_unmap, pte_unmap_unlock, ptep_get, ptep_get_and_clear, set_pte_at, fmtAddr, type K } from '../mm.js';
import { pte_none, pte_present } from '../pgtable.js';
import { kernelSource } from '../replaceable.js';
import { EAGAIN } from '../errno.js';
export { EAGAIN } from '../errno.js';

const replaceable = kernelSource('mm/mremap.c');


/**
 * move_ptes(), v6.6: both PTLs held, each present PTE cleared at the old address and set at the
 * new one; the TLB is flushed before either PTL is dropped. Returns 0 or -EAGAIN (a table gone).
 */
export const move_ptes = replaceable(function* move_ptes(k: K, old_pmd: number, old_addr: number, old_end: number, new_pmd: number, new_addr: number): Path<number> {
  const fn = 'move_ptes';
  let force_flush = false;
  // "We don't have to worry about the ordering of src and dst pte locks because exclusive
  // mmap_lock prevents deadlock."
  const old_pt = yield* pte_offset_map_lock(k, old_pmd, at(fn, 'old_pte = pte_offset_map_lock(mm, old_pmd, old_addr, &old_ptl)'));
  if (old_pt < 0) return EAGAIN;
  // pte_offset_map_nolock(): map the new table; its PTL is taken below. (Its pmdval is read just
  // before __pte_offset_map()'s rcu_read_lock(): under mmap_write_lock the table stays.)
  const new_pt = yield* pte_offset_map(k, yield* pmdp_get_lockless(k, new_pmd, at('__pte_offset_map', 'pmdval = pmdp_get_lockless(pmd)')), at(fn, 'new_pte = pte_offset_map_nolock(mm, new_pmd, new_addr, &new_ptl)'));
  if (new_pt < 0) {
    yield* pte_unmap_unlock(k, old_pt, at(fn, 'pte_unmap_unlock(old_pte, old_ptl)'));
    return EAGAIN;
  }
  if (new_pt !== old_pt) yield* spin_lock(k.L.ptl(new_pt), at(fn, 'spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING)'));
  for (let a = old_addr, b = new_addr; a < old_end; a++, b++) {
    const old_pte = pte_offset(k, old_pt, a);
    if (pte_none(yield* ptep_get(k, old_pte, at(fn, 'if (pte_none(ptep_get(old_pte)))')))) continue;
    const pte = yield* ptep_get_and_clear(k, old_pte, at(fn, `pte = ptep_get_and_clear(mm, ${fmtAddr(a)}, old_pte)`));
    // "If we are remapping a valid PTE, make sure to flush TLB before we drop the PTL for the
    // PTE. NOTE! Both old and new PTL matter: the old one for racing with page_mkclean(), the
    // new one to make sure the physical page stays valid until the TLB entry for the old mapping
    // has been flushed."
    if (pte_present(pte)) force_flush = true;
    yield* set_pte_at(k, pte_offset(k, new_pt, b), pte, at(fn, `set_pte_at(mm, ${fmtAddr(b)}, new_pte, pte)`));
  }
  if (force_flush) yield* flush_tlb_range(k, at(fn, 'flush_tlb_range(vma, old_end - len, old_end)'));
  if (new_pt !== old_pt) yield* spin_unlock(k.L.ptl(new_pt), at(fn, 'spin_unlock(new_ptl)'));
  yield* pte_unmap(k, new_pt, at(fn, 'pte_unmap(new_pte - 1)'));
  yield* pte_unmap_unlock(k, old_pt, at(fn, 'pte_unmap_unlock(old_pte - 1, old_ptl)'));
  return 0;
}, {
  description: 'move_ptes(): move the PTEs of one table under both PTLs, flushing the TLB before dropping them',
});

/**
 * move_page_tables(), v6.6, for one PMD extent of PTEs: move_ptes(), retried on -EAGAIN (the
 * kernel's `goto again`). Returns the length moved.
 */
export const move_page_tables = replaceable(function* move_page_tables(k: K, old_addr: number, new_addr: number, len: number): Path<number> {
  const old_pmd = k.L.entry(k.pmdTable, Math.floor(old_addr / k.geo.ptrsPerPte));
  const new_pmd = k.L.entry(k.pmdTable, Math.floor(new_addr / k.geo.ptrsPerPte));
  while ((yield* move_ptes(k, old_pmd, old_addr, old_addr + len, new_pmd, new_addr)) < 0);
  return len;
}, {
  description: 'move_page_tables(): move_ptes() over the range (one PMD extent here)',
});
