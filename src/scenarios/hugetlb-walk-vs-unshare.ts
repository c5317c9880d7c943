/**
 * A page walker over a shared hugetlb mapping whose PMD page is shared by two processes
 * (huge_pmd_share), against munmap() in this process (huge_pmd_unshare: this mm's PUD cleared,
 * its reference on the PMD page dropped) followed by exit of the other process, which frees the
 * PMD page. hugetlb.h: "the PUD-ranged pgtable page can go away from under us! It can be done by
 * a pmd unshare with a follow up munmap() on the other process", unless the walker holds the
 * hugetlb vma lock (walk_hugetlb_range() takes hugetlb_vma_lock_read() since v6.2, the bracket
 * that vma_pgtable_walk_begin()/_end() gives slow GUP in v6.10+).
 *
 * World: mm A's PUD page[1] and mm B's PUD page[2] both point to the PMD page (page[0],
 * _refcount 2), whose pmd[0] maps a 2-page hugetlb folio (page[4..5]); page[3] holds vma A's lock.
 * Threads: cpu0 walk_page_range() in mm A; cpu1 munmap() in mm A, then exit of mm B.
 */
import { HUGETLB_WALK_OPS, walk_page_range } from '../kernel/paths/pagewalk.js';
import { unmap_hugepage_range } from '../kernel/paths/hugetlb.js';
import { hugetlbSharedPmd, VM_HUGETLB, VM_MAYSHARE, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA_A: Vma = { name: 'hugetlb A', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 1, vmaLock: 3 };
const VMA_B: Vma = { name: 'hugetlb B', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 2 };

export const hugetlbWalkVsUnshare: Scenario = {
  name: 'hugetlb-walk-vs-unshare',
  description: 'walk_page_range() (hugetlb_entry) over a hugetlb vma whose PMD page is shared with another mm, against munmap (huge_pmd_unshare) and the other mm\'s exit freeing the PMD page',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { pt_free: 'rcu' },
  world: (b) => hugetlbSharedPmd(b, 1, 2, 4, 1, 3),
  threads: (k) => [
    {
      name: 'mm A: walk_page_range(0x0, 0x2000, hugetlb_walk_ops)',
      *start() {
        return yield* walk_page_range(k, [VMA_A], 0, 2, HUGETLB_WALK_OPS);
      },
    },
    {
      name: 'mm A: munmap(0x0, 0x2000); mm B: exit',
      *start() {
        yield* unmap_hugepage_range(k, VMA_A, 0);
        yield* unmap_hugepage_range(k, VMA_B, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { walk_hugetlb_range: 'v6.1-no-vma-lock' },
      invariant: 'no-page-table-use-after-free',
      fixedBy: '"mm/hugetlb: make walk_hugetlb_range() safe to pmd unshare" (Peter Xu, v6.2; sha not verified)',
      note: 'v6.1: huge_pte_offset() without the hugetlb vma lock; the PMD page is unshared and freed by the other mm under the walker',
    },
  ],
  cleanConfigs: [{ variants: {}, note: 'v6.6: hugetlb_vma_lock_read() over the walk holds off huge_pmd_unshare()' }],
};
