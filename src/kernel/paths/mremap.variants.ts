/**
 * Historical variants of mm/mremap.c, in the v6.6 model's vocabulary.
 */
import type { Path } from '../../core/op.js';
import { at, spin_lock, spin_unlock } from '../primitives.js';
import { flush_tlb_range, fmtAddr, pmdp_get_lockless, pte_offset, pte_offset_map, pte_offset_map_lock, pte_unmap, pte_unmap_unlock, ptep_get, ptep_get_and_clear, set_pte_at, type K } from '../mm.js';
import { pte_dirty, pte_none, pte_present } from '../pgtable.js';
import { variantsOf } from '../replaceable.js';
import { move_page_tables } from './mremap.js';

/**
 * move_ptes() of v4.18 (the form 5d1904204c99 "mremap: fix race between mremap() and page
 * cleanning" introduced, with the dirty test after the clear as Linus asked in its review):
 * only a dirty PTE forces a flush,
 * and that flush comes after spin_unlock(new_ptl); for clean PTEs `*need_flush` defers it to the
 * end of move_page_tables(), after both PTLs are dropped:
 *
 *     if (new_ptl != old_ptl) spin_unlock(new_ptl);
 *     pte_unmap(new_pte - 1);
 *     if (force_flush) flush_tlb_range(vma, old_end - len, old_end);
 *     else *need_flush = true;
 *     pte_unmap_unlock(old_pte - 1, old_ptl);
 *
 * Returns whether the caller must flush. (The v4.18 pte_offset_map()/pte_lockptr() had no
 * RCU section or -EAGAIN; the v6.6 mapping helpers are kept, which changes no order here.)
 */
function* move_ptes_v4_18(k: K, old_pmd: number, old_addr: number, old_end: number, new_pmd: number, new_addr: number): Path<boolean> {
  const fn = 'move_ptes';
  let force_flush = false;
  const old_pt = yield* pte_offset_map_lock(k, old_pmd, at(fn, 'old_pte = pte_offset_map_lock(mm, old_pmd, old_addr, &old_ptl)'));
  const new_pt = yield* pte_offset_map(k, yield* pmdp_get_lockless(k, new_pmd, at(fn, 'new_pte = pte_offset_map(new_pmd, new_addr)')), at(fn, 'new_ptl = pte_lockptr(mm, new_pmd)'));
  if (new_pt !== old_pt) yield* spin_lock(k.L.ptl(new_pt), at(fn, 'spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING)'));
  for (let a = old_addr, b = new_addr; a < old_end; a++, b++) {
    const old_pte = pte_offset(k, old_pt, a);
    if (pte_none(yield* ptep_get(k, old_pte, at(fn, 'if (pte_none(*old_pte))')))) continue;
    const pte = yield* ptep_get_and_clear(k, old_pte, at(fn, `pte = ptep_get_and_clear(mm, ${fmtAddr(a)}, old_pte)`));
    // "If we are remapping a dirty PTE, make sure to flush TLB before we drop the PTL for the
    // old PTE or we may race with page_mkclean()."
    if (pte_present(pte) && pte_dirty(pte)) force_flush = true;
    yield* set_pte_at(k, pte_offset(k, new_pt, b), pte, at(fn, `set_pte_at(mm, ${fmtAddr(b)}, new_pte, pte)`));
  }
  if (new_pt !== old_pt) yield* spin_unlock(k.L.ptl(new_pt), at(fn, 'spin_unlock(new_ptl)'));
  yield* pte_unmap(k, new_pt, at(fn, 'pte_unmap(new_pte - 1)'));
  if (force_flush) yield* flush_tlb_range(k, at(fn, 'if (force_flush) flush_tlb_range(vma, old_end - len, old_end)'));
  yield* pte_unmap_unlock(k, old_pt, at(fn, 'pte_unmap_unlock(old_pte - 1, old_ptl)'));
  return !force_flush;
}

/** move_page_tables() of v4.18 with its move_ptes(): `if (need_flush) flush_tlb_range(vma, old_end-len, old_addr)` at the end. */
export function* move_page_tables_v4_18(k: K, old_addr: number, new_addr: number, len: number): Path<number> {
  const old_pmd = k.L.entry(k.pmdTable, Math.floor(old_addr / k.geo.ptrsPerPte));
  const new_pmd = k.L.entry(k.pmdTable, Math.floor(new_addr / k.geo.ptrsPerPte));
  const need_flush = yield* move_ptes_v4_18(k, old_pmd, old_addr, old_addr + len, new_pmd, new_addr);
  if (need_flush) yield* flush_tlb_range(k, at('move_page_tables', 'if (need_flush) flush_tlb_range(vma, old_end-len, old_addr)'));
  return len;
}

variantsOf(() => move_page_tables, [
  {
    name: 'v4.18-flush-after-ptl',
    description: "v4.18 move_page_tables()/move_ptes(): the TLB flush after spin_unlock(new_ptl) (deferred to the end for clean PTEs), so the new mapping's page can be zapped and freed while the old address is still in a TLB (CVE-2018-18281)",
    range: { from: 'v4.18', to: 'v4.18' },
    kernel: 'v4.18',
    fn: move_page_tables_v4_18,
  },
]);
