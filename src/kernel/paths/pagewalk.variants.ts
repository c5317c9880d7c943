/**
 * Historical and broken variants of the page walker (mm/pagewalk.c), each transcribed in the
 * v6.6 model's vocabulary. The v5.6–v6.4 form relied on mmap_lock: "a PMD that points to a
 * page table keeps pointing to it while mmap_lock is held", so after split_huge_pmd() a
 * lockless pmd_trans_unstable() was enough, and pte_offset_map_lock() could not fail. v6.5
 * (Hugh Dickins, "mm/pgtable: delete pmd_trans_unstable() and friends" series) let
 * retract_page_tables() free page tables without mmap_lock for write, so the walker had to
 * re-validate the PMD under the PTL (pmd_same) and retry with ACTION_AGAIN.
 */
import type { Path } from '../../core/op.js';
import { at, ghost, load, spin_lock, spin_unlock } from '../primitives.js';
import { pmd_addr_end, pmd_offset, pte_offset_map_lock, pte_unmap_unlock, type K } from '../mm.js';
import { is_pmd_migration_entry, pmd_bad, pmd_none, pmd_pgtable, pmd_populate_val, pmd_present, pmd_trans_huge } from '../pgtable.js';
import { split_huge_pmd } from './huge_memory_walkers.js';
import { huge_pte_offset } from './hugetlb.js';
import {
  ACTION_AGAIN, ACTION_CONTINUE, ACTION_SUBTREE, walk_pte_range_inner, type MmWalk,
} from './pagewalk.js';
import { kernelSource, variantsOf } from '../replaceable.js';
import { walk_pmd_range } from './pagewalk.js';
import { walk_pte_range } from './pagewalk.js';
import { walk_hugetlb_range } from './pagewalk.js';

const replaceable = kernelSource('mm/pagewalk.c');

const visit = (start: number, end: number, by: string) => ghost({ type: 'walk_visit', start, end, by }, at('walk', by));

/**
 * pmd_trans_unstable() = pmd_none_or_trans_huge_or_clear_bad() (v6.4): one lockless read,
 * "The barrier will stabilize the pmdval in a register or on the stack so that it will stop
 * changing under the code."
 */
export const pmd_trans_unstable = replaceable(function* pmd_trans_unstable(k: K, pmdp: number): Path<boolean> {
  const pmdval = yield* load(pmdp, at('pmd_none_or_trans_huge_or_clear_bad', 'pmd_t pmdval = pmdp_get_lockless(pmd)'), 'once');
  return pmd_none(pmdval) || pmd_trans_huge(pmdval) || !pmd_present(pmdval) || is_pmd_migration_entry(pmdval) || pmd_bad(pmdval);
}, {
  description: 'pmd_trans_unstable() = pmd_none_or_trans_huge_or_clear_bad() (v6.4): one lockless read, "The barrier will stabilize the pmdval in a register or on the stack ...',
});

/**
 * walk_pte_range(), v6.4: the pre-v6.5 pte_offset_map_lock() macro cannot fail —
 *   spinlock_t *__ptl = pte_lockptr(mm, pmd); pte_t *__pte = pte_offset_map(pmd, address);
 *   spin_lock(__ptl);
 * — each of pte_lockptr() and pte_offset_map() dereferences *pmd again, trusting mmap_lock to
 * keep it a page table.
 */
export function* walk_pte_range_v6_4(k: K, pmdp: number, addr: number, end: number, walk: MmWalk): Path<number> {
  const fn = 'walk_pte_range';
  const forLock = yield* load(pmdp, at('pte_offset_map_lock', 'spinlock_t *__ptl = pte_lockptr(mm, pmd)'));
  const pmdval = yield* load(pmdp, at('pte_offset_map_lock', 'pte_t *__pte = pte_offset_map(pmd, address)'));
  yield* ghost({ type: 'pmd_table_use', pmdp, pmdval, how: 'none' }, at('pte_offset_map_lock', 'pte_t *__pte = pte_offset_map(pmd, address)'));
  const ptl = k.L.ptl(pmd_pgtable(forLock));
  yield* spin_lock(ptl, at('pte_offset_map_lock', 'spin_lock(__ptl)'));
  const err = yield* walk_pte_range_inner(k, pmd_pgtable(pmdval), addr, end, walk);
  yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(pte, ptl)'));
  yield* spin_unlock(ptl, at(fn, 'pte_unmap_unlock(pte, ptl)'));
  return err;
}

function* walk_pmd_range_old(k: K, addr: number, end: number, walk: MmWalk, recheck: boolean): Path<number> {
  const fn = 'walk_pmd_range';
  const ops = walk.ops;
  let err = 0;
  do {
    const pmdp = pmd_offset(k, addr);
    const next = pmd_addr_end(k, addr, end);
    again: for (;;) {
      if (pmd_none(yield* load(pmdp, at(fn, 'if (pmd_none(*pmd))')))) {
        if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, 3, walk);
        else yield* visit(addr, next, 'pmd_none: no pte_hole, nothing mapped');
        break again;
      }
      walk.action = ACTION_SUBTREE;
      if (ops.pmd_entry) err = yield* ops.pmd_entry(k, pmdp, addr, next, walk);
      if (err) break again;
      if (walk.action === ACTION_AGAIN) continue again;
      if (walk.action === ACTION_CONTINUE || !ops.pte_entry) {
        if (!ops.pmd_entry) yield* visit(addr, next, 'no pmd_entry/pte_entry');
        break again;
      }
      if (walk.vma) {
        yield* split_huge_pmd(k, walk.vma, pmdp, addr);
        if (recheck && (yield* pmd_trans_unstable(k, pmdp))) continue again;
      }
      err = yield* walk_pte_range_v6_4(k, pmdp, addr, next, walk);
      break again;
    }
    if (err) break;
    addr = next;
  } while (addr !== end);
  return err;
}

/** walk_pmd_range(), v5.6–v6.4: split_huge_pmd(); if (pmd_trans_unstable(pmd)) goto again; */
export function* walk_pmd_range_v6_4(k: K, addr: number, end: number, walk: MmWalk): Path<number> {
  return yield* walk_pmd_range_old(k, addr, end, walk, true);
}

/**
 * The v6.4 form without the pmd_trans_unstable() re-check after split_huge_pmd(): what that
 * check is for. A file THP split leaves the PMD empty, and a racing fault may make it huge again.
 */
export function* walk_pmd_range_no_unstable_check(k: K, addr: number, end: number, walk: MmWalk): Path<number> {
  return yield* walk_pmd_range_old(k, addr, end, walk, false);
}

/**
 * v6.6 walk_pte_range() without `if (!pte) walk->action = ACTION_AGAIN;`: when the PMD is no
 * longer a page table the walker moves on and the range is never handed to a callback.
 */
export function* walk_pte_range_no_action_again(k: K, pmdp: number, addr: number, end: number, walk: MmWalk): Path<number> {
  const fn = 'walk_pte_range';
  let err = 0;
  const pt = yield* pte_offset_map_lock(k, pmdp, at(fn, 'pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl)'));
  if (pt >= 0) {
    yield* ghost({ type: 'pmd_table_use', pmdp, pmdval: pmd_populate_val(pt), how: 'ptl' }, at(fn, 'if (pte)'));
    err = yield* walk_pte_range_inner(k, pt, addr, end, walk);
    yield* ghost({ type: 'pmd_table_done', pmdp }, at(fn, 'pte_unmap_unlock(pte, ptl)'));
    yield* pte_unmap_unlock(k, pt, at(fn, 'pte_unmap_unlock(pte, ptl)'));
  }
  return err;
}

/**
 * walk_hugetlb_range(), v6.1: huge_pte_offset() with no hugetlb vma lock (fixed in v6.2 by Peter
 * Xu's "mm/hugetlb: make walk_hugetlb_range() safe to pmd unshare").
 */
export function* walk_hugetlb_range_v6_1(k: K, addr: number, end: number, walk: MmWalk): Path<number> {
  const vma = walk.vma!;
  const ops = walk.ops;
  let err = 0;
  const sz = k.geo.ptrsPerPte;
  do {
    const next = Math.min(addr - (addr % sz) + sz, end);
    const pte = yield* huge_pte_offset(k, vma, addr - (addr % sz));
    if (pte >= 0) err = yield* ops.hugetlb_entry!(k, pte, addr, next, walk);
    else if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, -1, walk);
    else yield* visit(addr, next, 'no hugetlb PMD, no pte_hole');
    if (err) break;
    addr = next;
  } while (addr !== end);
  return err;
}

variantsOf(() => walk_pmd_range, [
  {
    name: 'v6.4-pmd-trans-unstable',
    description: 'v5.6-v6.4: split_huge_pmd(); if (pmd_trans_unstable(pmd)) goto again; pte_offset_map_lock() cannot fail (trusts mmap_lock)',
    range: { from: 'v5.6', to: 'v6.4' },
    kernel: 'v6.4 (replaced in v6.5 when retract_page_tables() stopped taking mmap_lock for write)',
    fn: walk_pmd_range_v6_4,
  },
  {
    name: 'no-unstable-check',
    description: 'the v6.4 form without the pmd_trans_unstable() re-check after split_huge_pmd() (not a kernel commit: what the check is for)',
    range: { from: 'v6.4', to: 'v6.4' },
    mutation: true,
    kernel: 'v6.4, re-check removed',
    fn: walk_pmd_range_no_unstable_check,
  },
]);

variantsOf(() => walk_pte_range, [
  {
    name: 'no-action-again',
    description: 'v6.6 without `if (!pte) walk->action = ACTION_AGAIN;` (not a kernel commit): the range is skipped silently',
    range: { from: 'v6.6', to: 'v6.6' },
    mutation: true,
    kernel: 'v6.6, ACTION_AGAIN removed',
    fn: walk_pte_range_no_action_again,
  },
]);

variantsOf(() => walk_hugetlb_range, [
  {
    name: 'v6.1-no-vma-lock',
    description: 'v6.1: huge_pte_offset() with no hugetlb vma lock (fixed in v6.2, "mm/hugetlb: make walk_hugetlb_range() safe to pmd unshare")',
    range: { from: 'v6.1', to: 'v6.1' },
    kernel: 'v6.1',
    fn: walk_hugetlb_range_v6_1,
  },
]);
