/**
 * fork(), following Linux v6.6: kernel/fork.c dup_mmap() -> mm/memory.c copy_page_range() ->
 * copy_pte_range() -> copy_present_pte() -> page_try_dup_anon_rmap() (include/linux/rmap.h),
 * with the copy_present_page() fallback for maybe-pinned pages.
 * Renamed since: v6.9 folio_try_dup_anon_rmap_pte() / copy_present_ptes(); v6.13+
 * pte_offset_map_rw_nolock().
 *
 * From page_try_dup_anon_rmap():
 *   "If this page may have been pinned by the parent process, don't allow to duplicate the
 *    mapping but instead require to e.g., copy the page immediately for the child so that
 *    we'll always guarantee the pinned page won't be randomly replaced in the future on write
 *    faults."
 * and from copy_page_range():
 *   "Disabling preemption is not needed for the write side, as the read side doesn't spin, but
 *    goes to the mmap_lock."
 * The pincount check is only stable against GUP-fast because GUP-fast FOLL_PIN brackets its
 * walk with mm->write_protect_seq (57efa1fe5957, v5.11): a pin taken while fork copies is
 * dropped, and GUP falls back to the slow path, which waits for fork's mmap_write_lock.
 *
 * Simplifications (one line each):
 * - mmap_write_lock of both mms, vma_start_write and mmu notifiers are not modelled: GUP-fast,
 *   the only racer, takes none of them.
 * - Without a child mm (`dup_mmap(k, addr, end)`), the child's PTE table is allocated and filled
 *   but linked from no PMD; given one (`dup_mmap(k, addr, end, k.forMm('child'))`, a world with
 *   `addMm('child', pfn)`), pte_alloc() installs it in the child's PMD table. Either way the
 *   child's table is mapped without an RCU section: no other CPU can reach it during the fork.
 * - Only present anon PTEs (no swap/migration entries), a private writable (COW) mapping.
 * - VM_BUG_ON(page && folio_test_anon(folio) && PageAnonExclusive(page)) (DEBUG_VM) reads nothing.
 */
import type { Path } from '../../core/op.js';
import {
  at, atomic_add, atomic_set, clear_bit, ghost, load, rcu_read_lock, READ_ONCE, set_bit, smp_wmb, spin_lock,
  spin_unlock, store, test_bit,
} from '../primitives.js';
import {
  alloc_pages, flush_tlb_range, folio_put, folio_test_large, page_folio, pmd_addr_end, pmd_offset, pmdp_get_lockless,
  pte_offset, pte_unmap, ptep_get, set_pte_at, type K,
} from '../mm.js';
import { _PAGE_ACCESSED, _PAGE_RW, pfn_pte, pmd_bad, pmd_none, pmd_pgtable, pmd_trans_huge, pte_none, pte_pfn, pte_present, pte_write, pte_wrprotect } from '../pgtable.js';
import {
  GUP_PIN_COUNTING_BIAS, MM_FLAGS, MM_WRITE_PROTECT_SEQ, MMF_HAS_PINNED, PAGE_MAPPING_ANON, PG_anon_exclusive, PG_lru,
  PG_swapbacked, PG_uptodate,
} from '../world.js';
import { kernelSource, variantsOf } from '../replaceable.js';
import { pte_alloc } from './huge_memory_walkers.js';
import { EAGAIN, EBUSY } from '../errno.js';
export { EAGAIN, EBUSY } from '../errno.js';

const replaceable = kernelSource('mm/memory.c');


/** what fork's copy of one PMD range needs to carry across copy_pte_range()'s retries */
export interface ForkCopy {
  /** the child's PTE table (allocated on first use), or -1 */
  dst_pt: number;
  /** the child mm (its K) and dst_pmd, the child's PMD entry for the range; absent: no child mm modelled */
  readonly dst?: { readonly k: K; readonly pmd: number };
  /** *prealloc: a folio allocated for copy_present_page(), or -1 */
  prealloc: number;
}

/**
 * page_maybe_dma_pinned() -> folio_maybe_dma_pinned(): a large folio's _pincount, or a small
 * one's _refcount >= GUP_PIN_COUNTING_BIAS ("false positives are allowed").
 */
const page_maybe_dma_pinned = replaceable(function* page_maybe_dma_pinned(k: K, page: number): Path<boolean> {
  const fn = 'folio_maybe_dma_pinned';
  const folio = yield* page_folio(k, page, at('page_maybe_dma_pinned', 'return folio_maybe_dma_pinned(page_folio(page))'));
  if (yield* folio_test_large(k, folio, at(fn, 'if (folio_test_large(folio))'))) {
    return (yield { kind: 'load', loc: k.L.pincount(folio), order: 'once', label: at(fn, 'return atomic_read(&folio->_pincount) > 0'), returns: { kind: 'gt', value: 0 } }) > 0;
  }
  return (yield { kind: 'load', loc: k.L.refcount(folio), order: 'once', label: at(fn, 'return ((unsigned int)folio_ref_count(folio)) >= GUP_PIN_COUNTING_BIAS'), returns: { kind: 'ge', value: GUP_PIN_COUNTING_BIAS } }) >= GUP_PIN_COUNTING_BIAS;
}, {
  description: 'page_maybe_dma_pinned() -> folio_maybe_dma_pinned(): a large folio\'s _pincount, or a small one\'s _refcount >= GUP_PIN_COUNTING_BIAS ("false positives are ...',
});

/** page_needs_cow_for_dma(): COW mapping, the mm has ever pinned, and the page may be pinned */
const page_needs_cow_for_dma = replaceable(function* page_needs_cow_for_dma(k: K, page: number): Path<boolean> {
  // is_cow_mapping(vma->vm_flags): a private writable mapping
  if (!(yield* test_bit(MMF_HAS_PINNED, k.mm(MM_FLAGS), at('page_needs_cow_for_dma', 'if (!test_bit(MMF_HAS_PINNED, &vma->vm_mm->flags))')))) return false;
  return yield* page_maybe_dma_pinned(k, page);
}, {
  description: 'page_needs_cow_for_dma(): COW mapping, the mm has ever pinned, and the page may be pinned',
});

/** __page_dup_rmap(page, false): one more PTE mapping */
const __page_dup_rmap = replaceable(function* __page_dup_rmap(k: K, page: number): Path<void> {
  yield* atomic_add(k.L.mapcount(page), 1, at('__page_dup_rmap', 'atomic_inc(&page->_mapcount)'));
}, {
  description: '__page_dup_rmap(page, false): one more PTE mapping',
});

/** page_try_dup_anon_rmap(page, false, vma), v6.6 (v6.9+: folio_try_dup_anon_rmap_pte) */
export const page_try_dup_anon_rmap = replaceable(function* page_try_dup_anon_rmap(k: K, page: number): Path<number> {
  const fn = 'page_try_dup_anon_rmap';
  // "No need to check+clear for already shared pages, including KSM pages."
  if (yield* test_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'if (!PageAnonExclusive(page)) goto dup'))) {
    if (yield* page_needs_cow_for_dma(k, page)) return EBUSY;
    yield* clear_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'ClearPageAnonExclusive(page)'));
  }
  // "It's okay to share the anon page between both processes, mapping the page R/O into both processes."
  yield* __page_dup_rmap(k, page);
  return 0;
}, {
  source: 'include/linux/rmap.h',
  aliases: ['folio_try_dup_anon_rmap_pte (v6.9+)'],
  description: 'share an anon page with the child (ClearPageAnonExclusive, _mapcount++) unless it may be pinned (-EBUSY)',
});

/**
 * page_try_dup_anon_rmap() without the maybe-pinned check: fork before 70e806e4e645 (v5.8)
 * always shared the parent's anon pages COW (get_page(); page_dup_rmap()), in v6.6 vocabulary.
 */
export function* page_try_dup_anon_rmap_v5_7(k: K, page: number): Path<number> {
  const fn = 'page_try_dup_anon_rmap';
  if (yield* test_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'if (!PageAnonExclusive(page)) goto dup'))) {
    yield* clear_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'ClearPageAnonExclusive(page)'));
  }
  yield* __page_dup_rmap(k, page);
  return 0;
}

/** copy_present_page(), v6.6: give the child its own copy of a maybe-pinned page */
const copy_present_page = replaceable(function* copy_present_page(k: K, c: ForkCopy, dst_ptep: number, page: number, addr: number): Path<number> {
  const fn = 'copy_present_page';
  const L = k.L;
  const new_folio = c.prealloc;
  if (new_folio < 0) return EAGAIN;
  // "We have a prealloc page, all good! Take it over and copy the page & arm it."
  c.prealloc = -1;
  yield* ghost({ type: 'fork_copy', pfn: page, into: new_folio }, at(fn, 'copy_user_highpage(&new_folio->page, page, addr, src_vma)'));
  yield* smp_wmb(at('__folio_mark_uptodate', 'smp_wmb()'));
  yield* set_bit(PG_uptodate, L.flags(new_folio), at('__folio_mark_uptodate', 'set_bit(PG_uptodate, folio_flags(folio, 0))'));
  // folio_add_new_anon_rmap(new_folio, dst_vma, addr): a new folio, so plain stores
  yield* set_bit(PG_swapbacked, L.flags(new_folio), at('folio_add_new_anon_rmap', '__folio_set_swapbacked(folio)'));
  yield* atomic_set(L.mapcount(new_folio), 0, at('folio_add_new_anon_rmap', 'atomic_set(&folio->_mapcount, 0)'));
  yield* store(L.mapping(new_folio), PAGE_MAPPING_ANON, at('__page_set_anon_rmap', 'WRITE_ONCE(folio->mapping, (struct address_space *) anon_vma)'), 'once');
  yield* set_bit(PG_anon_exclusive, L.flags(new_folio), at('__page_set_anon_rmap', 'SetPageAnonExclusive(page)'));
  yield* set_bit(PG_lru, L.flags(new_folio), at('folio_add_lru_vma', 'folio_add_lru(folio)'));
  // "All done, just insert the new page copy in the child"
  yield* set_pte_at(k, dst_ptep, pfn_pte(new_folio, true), at(fn, 'set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte)'));
  void addr;
  return 0;
}, {
  description: 'copy_present_page(), v6.6: give the child its own copy of a maybe-pinned page',
});

/** copy_present_pte(), v6.6: share the page COW with the child (write-protecting the parent), or copy it */
export const copy_present_pte = replaceable(function* copy_present_pte(k: K, c: ForkCopy, dst_ptep: number, src_ptep: number, addr: number): Path<number> {
  const fn = 'copy_present_pte';
  const L = k.L;
  let pte = yield* ptep_get(k, src_ptep, at(fn, 'pte_t pte = ptep_get(src_pte)'));
  const page = pte_pfn(pte); // vm_normal_page()
  const folio = yield* page_folio(k, page, at(fn, 'folio = page_folio(page)'));
  const mapping = yield* load(L.mapping(folio), at(fn, 'if (page && folio_test_anon(folio))'), 'once');
  if ((mapping & PAGE_MAPPING_ANON) !== 0) {
    // "If this page may have been pinned by the parent process, copy the page immediately for
    //  the child so that we'll always guarantee the pinned page won't be randomly replaced in
    //  the future."
    yield* atomic_add(L.refcount(folio), 1, at(fn, 'folio_get(folio)'));
    if ((yield* page_try_dup_anon_rmap(k, page)) !== 0) {
      // "Page may be pinned, we have to copy."
      yield* folio_put(k, folio, at(fn, 'folio_put(folio)'));
      return yield* copy_present_page(k, c, dst_ptep, page, addr);
    }
  }
  // "If it's a COW mapping, write protect it both in the parent and the child"
  if (pte_write(pte)) {
    yield* clear_bit(_PAGE_RW, src_ptep, at(fn, 'ptep_set_wrprotect(src_mm, addr, src_pte)'));
    pte = pte_wrprotect(pte);
  }
  pte -= pte & _PAGE_ACCESSED; // pte_mkold(pte)
  yield* set_pte_at(k, dst_ptep, pte, at(fn, 'set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte)'));
  return 0;
}, {
  description: 'copy_present_pte(), v6.6: share the page COW with the child (write-protecting the parent), or copy it',
});

/** copy_pte_range(), v6.6, for [addr, end) under one PMD */
export const copy_pte_range = replaceable(function* copy_pte_range(k: K, c: ForkCopy, addr: number, end: number): Path<number> {
  const fn = 'copy_pte_range';
  const L = k.L;
  const src_pmd = pmd_offset(k, addr);
  for (;;) {
    // again:
    let ret = 0;
    // dst_pte = pte_alloc_map_lock(dst_mm, dst_pmd, addr, &dst_ptl)
    if (c.dst_pt < 0) {
      if (c.dst !== undefined) {
        // pte_alloc(dst_mm, dst_pmd): __pte_alloc() -> pmd_install() in the child's PMD table
        if (yield* pte_alloc(c.dst.k, c.dst.pmd, 'pte_alloc_map_lock')) return -12; // -ENOMEM
        c.dst_pt = pmd_pgtable(yield* load(c.dst.pmd, at('pte_offset_map_lock', 'pmdval = pmdp_get_lockless(pmd)')));
      } else {
        c.dst_pt = yield* alloc_pages(k, 0, 'pagetable', at('__pte_alloc', 'pgtable_t new = pte_alloc_one(mm)'));
        if (c.dst_pt < 0) return -12; // -ENOMEM
      }
    }
    const dst_ptl = L.ptl(c.dst_pt);
    yield* spin_lock(dst_ptl, at(fn, 'dst_pte = pte_alloc_map_lock(dst_mm, dst_pmd, addr, &dst_ptl)'));
    // src_pte = pte_offset_map_nolock(src_mm, src_pmd, addr, &src_ptl)
    yield* rcu_read_lock(at('__pte_offset_map', 'rcu_read_lock()'));
    const pmdval = yield* pmdp_get_lockless(k, src_pmd, at('__pte_offset_map', 'pmdval = pmdp_get_lockless(pmd)'));
    const src_pt = pmd_pgtable(pmdval);
    yield* ghost({ type: 'pt_map', pt: src_pt }, at(fn, 'src_pte = pte_offset_map_nolock(src_mm, src_pmd, addr, &src_ptl)'));
    const src_ptl = L.ptl(src_pt);
    yield* spin_lock(src_ptl, at(fn, 'spin_lock_nested(src_ptl, SINGLE_DEPTH_NESTING)'));
    do {
      const src_ptep = pte_offset(k, src_pt, addr);
      const ptent = yield* ptep_get(k, src_ptep, at(fn, 'ptent = ptep_get(src_pte)'));
      if (pte_none(ptent) || !pte_present(ptent)) continue;
      // "copy_present_pte() will clear `*prealloc' if consumed"
      ret = yield* copy_present_pte(k, c, pte_offset(k, c.dst_pt, addr), src_ptep, addr);
      // "If we need a pre-allocated page for this pte, drop the locks, allocate, and try again."
      if (ret === EAGAIN) break;
      if (c.prealloc >= 0) {
        // "pre-alloc page cannot be reused by next time so as to strictly follow mempolicy"
        yield* folio_put(k, c.prealloc, at(fn, 'folio_put(prealloc)'));
        c.prealloc = -1;
      }
    } while (++addr !== end);
    yield* spin_unlock(src_ptl, at(fn, 'pte_unmap_unlock(orig_src_pte, src_ptl)'));
    yield* pte_unmap(k, src_pt, at(fn, 'pte_unmap_unlock(orig_src_pte, src_ptl)'));
    yield* spin_unlock(dst_ptl, at(fn, 'pte_unmap_unlock(orig_dst_pte, dst_ptl)'));
    if (ret === EAGAIN) {
      // page_copy_prealloc() -> vma_alloc_folio()
      c.prealloc = yield* alloc_pages(k, 0, 'anon', at('page_copy_prealloc', 'new_folio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, addr, false)'));
      if (c.prealloc < 0) return -12;
    }
    // "We've captured and resolved the error. Reset, try again."
    if (addr === end) break;
  }
  if (c.prealloc >= 0) {
    yield* folio_put(k, c.prealloc, at(fn, 'out: folio_put(prealloc)'));
    c.prealloc = -1;
  }
  return 0;
}, {
  description: 'copy_pte_range(), v6.6, for [addr, end) under one PMD',
});

/** copy_page_range() variants differ in the write_protect_seq bracket */
export interface CopyPageRangeOptions {
  readonly writeProtectSeq: boolean;
}

/**
 * copy_page_range(), v6.6, for the parent's range [addr, end) into the child mm `child` (optional:
 * without it the child's tables are linked from no PMD); returns the child's PTE tables
 */
export const copy_page_range = replaceable(function* copy_page_range(k: K, addr: number, end: number, child?: K): Path<number[]> {
  return yield* copy_page_range_opts(k, addr, end, { writeProtectSeq: true }, child);
}, {
  description: 'fork: raw_write_seqcount_begin/end(&src_mm->write_protect_seq) around copy_pte_range/copy_present_pte',
});
/** copy_page_range() without the write_protect_seq bracket 57efa1fe5957 added (v5.11) */
export function* copy_page_range_no_seq(k: K, addr: number, end: number, child?: K): Path<number[]> {
  return yield* copy_page_range_opts(k, addr, end, { writeProtectSeq: false }, child);
}

export function* copy_page_range_opts(k: K, addr: number, end: number, o: CopyPageRangeOptions, child?: K): Path<number[]> {
  const fn = 'copy_page_range';
  const seq = k.mm(MM_WRITE_PROTECT_SEQ);
  // is_cow = is_cow_mapping(src_vma->vm_flags): a private writable mapping
  if (o.writeProtectSeq) {
    // raw_write_seqcount_begin(&src_mm->write_protect_seq): s->sequence++; smp_wmb()
    const v = yield* load(seq, at(fn, 'raw_write_seqcount_begin(&src_mm->write_protect_seq): s->sequence++'));
    yield* store(seq, v + 1, at(fn, 'raw_write_seqcount_begin(&src_mm->write_protect_seq): s->sequence++'));
    yield* smp_wmb(at(fn, 'raw_write_seqcount_begin(): smp_wmb()'));
  }
  const tables: number[] = [];
  for (let a = addr; a < end; a = pmd_addr_end(k, a, end)) {
    // copy_pmd_range()
    const src_pmd = pmd_offset(k, a);
    const pmd = yield* load(src_pmd, at('copy_pmd_range', 'if (is_swap_pmd(*src_pmd) || pmd_trans_huge(*src_pmd) || pmd_devmap(*src_pmd))'));
    if (pmd_trans_huge(pmd)) continue; // copy_huge_pmd(): not in this model's fork worlds
    if (pmd_none(pmd) || pmd_bad(pmd)) continue; // pmd_none_or_clear_bad(src_pmd)
    // dst_pmd = pmd_alloc(dst_mm, dst_pud, addr): the child's PMD table is the child mm's (PUD folded)
    const c: ForkCopy = { dst_pt: -1, prealloc: -1, ...(child === undefined ? {} : { dst: { k: child, pmd: pmd_offset(child, a) } }) };
    yield* copy_pte_range(k, c, a, pmd_addr_end(k, a, end));
    if (c.dst_pt >= 0) tables.push(c.dst_pt);
  }
  if (o.writeProtectSeq) {
    // raw_write_seqcount_end(): smp_wmb(); s->sequence++
    yield* smp_wmb(at(fn, 'raw_write_seqcount_end(): smp_wmb()'));
    const v = yield* load(seq, at(fn, 'raw_write_seqcount_end(&src_mm->write_protect_seq): s->sequence++'));
    yield* store(seq, v + 1, at(fn, 'raw_write_seqcount_end(&src_mm->write_protect_seq): s->sequence++'));
  }
  return tables;
}

/**
 * dup_mmap() for one VMA [addr, end) into the child mm `child` (optional; WorldBuilder.addMm):
 * copy_page_range(), then flush_tlb_mm(oldmm) for the write-protected PTEs
 */
export const dup_mmap = replaceable(function* dup_mmap(k: K, addr: number, end: number, child?: K): Path<number[]> {
  const tables = yield* copy_page_range(k, addr, end, child);
  yield* flush_tlb_range(k, at('dup_mmap', 'flush_tlb_mm(oldmm)'));
  yield* ghost({ type: 'fork_done', tables: tables.join(',') }, at('dup_mmap', 'return retval'));
  return tables;
}, {
  description: 'dup_mmap() for one VMA [addr, end): copy_page_range(), then flush_tlb_mm(oldmm) for the write-protected PTEs',
});

variantsOf(() => copy_page_range, [
  {
    name: 'no-write-protect-seq',
    description: 'without the write_protect_seq bracket: GUP-fast FOLL_PIN cannot tell that fork ran under its walk',
    range: { from: 'v5.10', to: 'v5.10' },
    kernel: 'v5.10 (fixed by 57efa1fe5957, v5.11), in v6.6 vocabulary',
    fn: copy_page_range_no_seq,
  },
]);

variantsOf(() => page_try_dup_anon_rmap, [
  {
    name: 'v5.8-always-dup',
    description: 'no maybe-pinned check: fork always shares anon pages COW, pinned or not (v5.6..v5.8, FOLL_PIN without early COW)',
    range: { from: 'v5.6', to: 'v5.8' },
    kernel: 'v5.8 (fixed by 70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes", 2020-09-27, v5.9), in v6.6 vocabulary',
    fn: page_try_dup_anon_rmap_v5_7,
  },
]);
