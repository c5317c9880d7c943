/**
 * mm/pagewalk.c, following Linux v6.6: walk_page_range() with its vma handling
 * (walk_page_test / test_walk, VM_PFNMAP, hugetlb vmas to walk_hugetlb_range), walk_pmd_range()
 * with pmd_entry/pte_entry/pte_hole and the ACTION_SUBTREE / ACTION_CONTINUE / ACTION_AGAIN
 * protocol, and walk_pte_range(), which since v6.5 may find no page table.
 *
 * The protocol this relies on (include/linux/pagewalk.h):
 *   "@pmd_entry: if set, called for each non-empty PMD (lowest-level) entry ... this handler is
 *    required to be able to handle pmd_trans_huge() pmds. They may simply choose to split_huge_page()
 *    instead of handling it explicitly."
 *   enum page_walk_action: ACTION_SUBTREE = 0 "Descend to next level, splitting huge pages if
 *    needed and possible", ACTION_CONTINUE = 1 "Continue to next entry at this level (ignoring
 *    any subtree)", ACTION_AGAIN = 2 "Call again for this entry".
 * and (walk_pmd_range) "Check this here so we only break down trans_huge pages when we _need_ to".
 *
 * Simplified (one line each): PGD/P4D/PUD are folded (walk_pgd_range goes straight to
 * walk_pmd_range); no hugepd; pre_vma/post_vma and walk_lock assertions are not modelled; the
 * VMA list is constant (the caller holds mmap_lock), so find_vma() is not a shared access.
 */
import type { Path } from '../../core/op.js';
import { at, ghost, load, READ_ONCE, spin_unlock } from '../primitives.js';
import { mmap_read_lock, mmap_read_unlock, pmd_addr_end, pmd_offset, pte_offset, pte_offset_map_lock, pte_unmap_unlock, ptep_get, type K } from '../mm.js';
import { pmd_none, pmd_pfn, pmd_populate_val, pmd_present, pmd_trans_huge } from '../pgtable.js';
import { is_vm_hugetlb_page, VM_PFNMAP, type Vma } from '../walkers_world.js';
import { pmd_lock, split_huge_pmd } from './huge_memory_walkers.js';
import { hugetlb_walk, hugetlb_vma_lock_read, hugetlb_vma_unlock_read } from './hugetlb.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/pagewalk.c');

export const ACTION_SUBTREE = 0;
export const ACTION_CONTINUE = 1;
export const ACTION_AGAIN = 2;

/** struct mm_walk_ops: the callbacks a walker passes (addresses in pages) */
export interface MmWalkOps {
  readonly name: string;
  readonly pmd_entry?: (k: K, pmdp: number, addr: number, next: number, walk: MmWalk) => Path<number>;
  readonly pte_entry?: (k: K, ptep: number, addr: number, next: number, walk: MmWalk) => Path<number>;
  readonly pte_hole?: (k: K, addr: number, next: number, depth: number, walk: MmWalk) => Path<number>;
  readonly hugetlb_entry?: (k: K, ptep: number, addr: number, next: number, walk: MmWalk) => Path<number>;
  readonly test_walk?: (k: K, start: number, end: number, walk: MmWalk) => Path<number>;
}

/** struct mm_walk: per-walk state, private to the walking CPU */
export interface MmWalk {
  readonly ops: MmWalkOps;
  vma: Vma | null;
  action: number;
}

const visit = (start: number, end: number, by: string) => ghost({ type: 'walk_visit', start, end, by }, at('walk', by));

/** walk_pte_range_inner(): pte_entry for each PTE of [addr, end) */
export const walk_pte_range_inner = replaceable(function* walk_pte_range_inner(k: K, pt: number, addr: number, end: number, walk: MmWalk): Path<number> {
  let err = 0;
  for (;;) {
    err = yield* walk.ops.pte_entry!(k, pte_offset(k, pt, addr), addr, addr + 1, walk);
    if (err) break;
    if (addr >= end - 1) break;
    addr++;
  }
  return err;
}, {
  description: 'walk_pte_range_inner(): pte_entry for each PTE of [addr, end)',
});

/**
 * walk_pte_range(), v6.5+: pte_offset_map_lock() re-validates the PMD under the PTL
 * (pmd_same) and returns NULL when it is not a page table any more; the walker then asks
 * walk_pmd_range() to redo this PMD (ACTION_AGAIN) rather than skip or dereference it.
 */
export const walk_pte_range = replaceable(function* walk_pte_range(k: K, pmdp: number, addr: number, end: number, walk: MmWalk): Path<number> {
  const fn = 'walk_pte_range';
  let err = 0;
  const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl)'));
  if (pt >= 0) {
    yield* ghost({ type: 'pmd_table_use', pmdp, pmdval: pmd_populate_val(pt), how: 'ptl' }, at(fn, 'if (pte)'));
    err = yield* walk_pte_range_inner(k, pt, addr, end, walk);
    yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(pte, ptl)'));
    yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(pte, ptl)'));
  }
  if (pt < 0) walk.action = ACTION_AGAIN;
  return err;
}, {
  description: 'pte_offset_map_lock() (may find no table: then walk->action = ACTION_AGAIN), pte_entry per PTE',
});

/** walk_pmd_range(), v6.6 (PUD folded: pmd_offset() on the mm's PMD table) */
export const walk_pmd_range = replaceable(function* walk_pmd_range(k: K, addr: number, end: number, walk: MmWalk): Path<number> {
  const fn = 'walk_pmd_range';
  const ops = walk.ops;
  let err = 0;
  const depth = 3; // real_depth(3)
  do {
    const pmdp = pmd_offset(k, addr);
    const next = pmd_addr_end(k, addr, end);
    again: for (;;) {
      if (pmd_none(yield* load(pmdp, at(fn, 'if (pmd_none(*pmd))')))) {
        if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, depth, walk);
        else yield* visit(addr, next, 'pmd_none: no pte_hole, nothing mapped');
        break again;
      }
      walk.action = ACTION_SUBTREE;
      // "This implies that each ->pmd_entry() handler needs to know about pmd_trans_huge() pmds"
      if (ops.pmd_entry) err = yield* ops.pmd_entry(k, pmdp, addr, next, walk);
      if (err) break again;
      if (walk.action === ACTION_AGAIN) continue again;
      // "Check this here so we only break down trans_huge pages when we _need_ to"
      if (walk.action === ACTION_CONTINUE || !ops.pte_entry) {
        if (!ops.pmd_entry) yield* visit(addr, next, 'no pmd_entry/pte_entry');
        break again;
      }
      if (walk.vma) yield* split_huge_pmd(k, walk.vma, pmdp, addr);
      err = yield* walk_pte_range(k, pmdp, addr, next, walk);
      if (err) break again;
      if (walk.action === ACTION_AGAIN) continue again;
      break again;
    }
    if (err) break;
    addr = next;
  } while (addr !== end);
  return err;
}, {
  description: 'pmd_entry, then (only pte_entry wanted) split_huge_pmd and walk_pte_range; ACTION_AGAIN redoes the PMD',
});

/** walk_hugetlb_range(), v6.6: the whole walk under hugetlb_vma_lock_read() against PMD unsharing */
export const walk_hugetlb_range = replaceable(function* walk_hugetlb_range(k: K, addr: number, end: number, walk: MmWalk): Path<number> {
  const vma = walk.vma!;
  const ops = walk.ops;
  let err = 0;
  const sz = k.geo.ptrsPerPte; // huge_page_size(h): PMD-sized hugetlb pages
  yield* hugetlb_vma_lock_read(k, vma, at('walk_hugetlb_range', 'hugetlb_vma_lock_read(vma)'));
  do {
    const next = Math.min(addr - (addr % sz) + sz, end); // hugetlb_entry_end(h, addr, end)
    const pte = yield* hugetlb_walk(k, vma, addr - (addr % sz), true);
    if (pte >= 0) err = yield* ops.hugetlb_entry!(k, pte, addr, next, walk);
    else if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, -1, walk);
    else yield* visit(addr, next, 'no hugetlb PMD, no pte_hole');
    if (err) break;
    addr = next;
  } while (addr !== end);
  yield* hugetlb_vma_unlock_read(k, vma, at('walk_hugetlb_range', 'hugetlb_vma_unlock_read(vma)'));
  return err;
}, {
  description: 'hugetlb_vma_lock_read(); hugetlb_walk() and hugetlb_entry per huge page; unlock',
});

/**
 * walk_page_test(): ops->test_walk decides; otherwise "vma(VM_PFNMAP) doesn't have any valid
 * struct pages behind VM_PFNMAP range, so we don't walk over it as we do for normal vmas" — it is
 * handed to ->pte_hole() if the walker has one. Returns 0 (walk), 1 (skip) or an error.
 */
export const walk_page_test = replaceable(function* walk_page_test(k: K, start: number, end: number, walk: MmWalk): Path<number> {
  const vma = walk.vma!;
  const ops = walk.ops;
  if (ops.test_walk) return yield* ops.test_walk(k, start, end, walk);
  if (vma.vm_flags & VM_PFNMAP) {
    let err = 1;
    if (ops.pte_hole) err = yield* ops.pte_hole(k, start, end, -1, walk);
    else yield* visit(start, end, 'VM_PFNMAP skipped');
    return err ? err : 1;
  }
  return 0;
}, {
  description: 'walk_page_test(): ops->test_walk decides; otherwise "vma(VM_PFNMAP) doesn\'t have any valid struct pages behind VM_PFNMAP range, so we don\'t walk over it as ...',
});

/** __walk_page_range(): hugetlb vmas go to walk_hugetlb_range(), the rest to the page tables */
export const __walk_page_range = replaceable(function* __walk_page_range(k: K, start: number, end: number, walk: MmWalk): Path<number> {
  const vma = walk.vma!;
  if (is_vm_hugetlb_page(vma)) {
    if (walk.ops.hugetlb_entry) return yield* walk_hugetlb_range(k, start, end, walk);
    yield* visit(start, end, 'hugetlb vma, no hugetlb_entry');
    return 0;
  }
  return yield* walk_pmd_range(k, start, end, walk);
}, {
  description: '__walk_page_range(): hugetlb vmas go to walk_hugetlb_range(), the rest to the page tables',
});

/**
 * walk_page_range(mm, start, end, ops, private), v6.6. "Callers of walk_page_range() and
 * walk_page_vma() should hold @mm->mmap_lock". Returns the first callback error.
 */
export const walk_page_range = replaceable(function* walk_page_range(k: K, vmas: readonly Vma[], start: number, end: number, ops: MmWalkOps): Path<number> {
  const walk: MmWalk = { ops, vma: null, action: ACTION_SUBTREE };
  let err = 0;
  yield* ghost({ type: 'walk_begin', start, end }, at('walk_page_range', `walk_page_range(mm, ${start}, ${end}, &${ops.name})`));
  const find_vma = (addr: number): Vma | null => vmas.find((v) => v.vm_end > addr) ?? null;
  let vma = find_vma(start);
  let next = start;
  do {
    if (vma === null) {
      walk.vma = null;
      next = end;
      if (ops.pte_hole) err = yield* ops.pte_hole(k, start, next, -1, walk);
      else yield* visit(start, next, 'after the last vma');
    } else if (start < vma.vm_start) {
      walk.vma = null;
      next = Math.min(end, vma.vm_start);
      if (ops.pte_hole) err = yield* ops.pte_hole(k, start, next, -1, walk);
      else yield* visit(start, next, 'outside any vma');
    } else {
      walk.vma = vma;
      next = Math.min(end, vma.vm_end);
      vma = find_vma(vma.vm_end);
      err = yield* walk_page_test(k, start, next, walk);
      if (err > 0) {
        // "positive return values are purely for controlling the pagewalk"
        err = 0;
        start = next;
        continue;
      }
      if (err < 0) break;
      err = yield* __walk_page_range(k, start, next, walk);
    }
    if (err) break;
    start = next;
  } while (start < end);
  yield* ghost({ type: 'walk_end', err }, at('walk_page_range', `return ${err}`));
  return err;
}, {
  description: 'walk_page_range(mm, start, end, ops, private), v6.6. "Callers of walk_page_range() and walk_page_vma() should hold',
});

// ---- walker callbacks used by the scenarios ----

/** a pte_entry that reads the PTE (as pagemap_pte_range's pte_to_pagemap_entry or prot_none_pte_entry do) */
export function* read_pte_entry(k: K, ptep: number, addr: number, next: number): Path<number> {
  yield* ptep_get(k, ptep, at('pte_entry', 'pte_t pte = ptep_get(ptep)'));
  yield* visit(addr, next, 'pte_entry');
  return 0;
}
/** a pte_hole that records the hole (as pagemap_pte_hole does) */
export function* record_pte_hole(_k: K, addr: number, next: number): Path<number> {
  yield* visit(addr, next, 'pte_hole');
  return 0;
}

/** ops with only pte_entry (and pte_hole): walk_pmd_range() splits every huge PMD */
export const PTE_WALK_OPS: MmWalkOps = { name: 'pte_walk_ops', pte_entry: read_pte_entry, pte_hole: record_pte_hole };

/**
 * smaps_pte_range()-style pmd_entry (fs/proc/task_mmu.c, v6.6): a huge PMD is handled whole
 * under pmd_trans_huge_lock() and not split; otherwise the PTEs under pte_offset_map_lock(),
 * and "if (!pte) { walk->action = ACTION_AGAIN; return 0; }".
 */
export const smaps_pte_range = replaceable(function* smaps_pte_range(k: K, pmdp: number, addr: number, end: number, walk: MmWalk): Path<number> {
  const fn = 'smaps_pte_range';
  // pmd_trans_huge_lock(): if (is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)) return __pmd_trans_huge_lock(pmd, vma)
  if (pmd_trans_huge(yield* load(pmdp, at('pmd_trans_huge_lock', 'if (is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd))')))) {
    const ptl = yield* pmd_lock(k, pmdp, at('__pmd_trans_huge_lock', 'ptl = pmd_lock(vma->vm_mm, pmd)'));
    const pmd = yield* load(pmdp, at('__pmd_trans_huge_lock', 'if (likely(is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)))'));
    if (pmd_trans_huge(pmd) && pmd_present(pmd)) {
      yield* READ_ONCE(k.L.refcount(pmd_pfn(pmd)), at('smaps_account', 'if (folio_ref_count(folio) == 1)'));
      yield* visit(addr, end, 'pmd_entry (huge)');
      yield* spin_unlock(ptl, at(fn, 'spin_unlock(ptl)'));
      return 0;
    }
    yield* spin_unlock(ptl, at('__pmd_trans_huge_lock', 'spin_unlock(ptl); return NULL'));
  }
  const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl)'));
  if (pt < 0) {
    walk.action = ACTION_AGAIN;
    return 0;
  }
  yield* ghost({ type: 'pmd_table_use', pmdp, pmdval: pmd_populate_val(pt), how: 'ptl' }, at(fn, 'if (pte)'));
  for (let a = addr; a !== end; a++) {
    yield* ptep_get(k, pte_offset(k, pt, a), at('smaps_pte_entry', 'pte_t ptent = ptep_get(pte)'));
    yield* visit(a, a + 1, 'pmd_entry (pte)');
  }
  yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(pte - 1, ptl)'));
  yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(pte - 1, ptl)'));
  return 0;
}, {
  description: 'smaps_pte_range()-style pmd_entry (fs/proc/task_mmu.c, v6.6): a huge PMD is handled whole under pmd_trans_huge_lock() and not split; otherwise the PTEs ...',
});

/** ops with pmd_entry only (smaps_walk_ops-like): huge PMDs are left to pmd_entry, never split */
export const SMAPS_WALK_OPS: MmWalkOps = { name: 'smaps_walk_ops', pmd_entry: smaps_pte_range, pte_hole: record_pte_hole };

/** a hugetlb_entry that reads the huge PTE (as smaps_hugetlb_range / pagemap_hugetlb_range) */
export function* read_hugetlb_entry(k: K, ptep: number, addr: number, next: number): Path<number> {
  yield* load(ptep, at('hugetlb_entry', 'pte_t ptent = huge_ptep_get(pte)'), 'once');
  yield* visit(addr, next, 'hugetlb_entry');
  return 0;
}
export const HUGETLB_WALK_OPS: MmWalkOps = { name: 'hugetlb_walk_ops', hugetlb_entry: read_hugetlb_entry, pte_hole: record_pte_hole };

/**
 * A walk_page_range() caller: "Callers of walk_page_range() and walk_page_vma() should hold
 * @mm->mmap_lock" -- for read, as /proc/PID/smaps, pagemap and madvise do. Until v6.5 this is
 * what kept retract_page_tables() (mmap_write_trylock) from unlinking a table under the walk.
 */
export function* walk_page_range_mmap_read_locked(k: K, vmas: readonly Vma[], start: number, end: number, ops: MmWalkOps): Path<number> {
  yield* mmap_read_lock(k, at('walk_page_range caller', 'mmap_read_lock(mm)'));
  const err = yield* walk_page_range(k, vmas, start, end, ops);
  yield* mmap_read_unlock(k, at('walk_page_range caller', 'mmap_read_unlock(mm)'));
  return err;
}
