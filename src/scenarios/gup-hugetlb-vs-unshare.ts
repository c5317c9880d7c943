/**
 * Slow GUP (follow_page_mask, v6.10 form) of a hugetlb page whose PMD page is shared with another
 * mm, against munmap() in this mm (huge_pmd_unshare) followed by the other mm's exit freeing the
 * PMD page. Since v6.10 the walk is bracketed by vma_pgtable_walk_begin()/_end(), which take
 * hugetlb_vma_lock_read() for hugetlb vmas (before, follow_hugetlb_page() took it itself since
 * v6.2); without the bracket the walk can read the freed PMD page.
 *
 * World as hugetlb-walk-vs-unshare: PUDs page[1] (mm A) and page[2] (mm B) -> shared PMD page[0]
 * (_refcount 2) -> hugetlb folio page[4..5]; page[3] holds vma A's lock.
 */
import { get_user_pages_hugetlb, unmap_hugepage_range } from '../kernel/paths/hugetlb.js';
import { hugetlbSharedPmd, VM_HUGETLB, VM_MAYSHARE, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA_A: Vma = { name: 'hugetlb A', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 1, vmaLock: 3 };
const VMA_B: Vma = { name: 'hugetlb B', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 2 };

export const gupHugetlbVsUnshare: Scenario = {
  name: 'gup-hugetlb-vs-unshare',
  description: 'get_user_pages(FOLL_GET) of a hugetlb page (follow_page_mask with vma_pgtable_walk_begin/end) whose PMD page is shared with another mm, against munmap (huge_pmd_unshare) and the other mm\'s exit',
  kernel: 'v6.10',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { pt_free: 'rcu' },
  world: (b) => hugetlbSharedPmd(b, 1, 2, 4, 1, 3),
  threads: (k) => [
    {
      name: 'mm A: get_user_pages(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_hugetlb(k, VMA_A, 0);
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
      variants: { follow_page_mask: 'no-walk-bracket' },
      invariant: 'no-page-table-use-after-free',
      fixedBy: '"mm/hugetlb: make follow_hugetlb_page() safe to pmd unshare" (Peter Xu, v6.2; sha not verified)',
      note: 'without vma_pgtable_walk_begin() (as v6.1 follow_hugetlb_page): the PMD page is unshared and freed by the other mm under the walk',
    },
  ],
  cleanConfigs: [{ variants: {}, note: 'v6.10: vma_pgtable_walk_begin() takes hugetlb_vma_lock_read(), holding off huge_pmd_unshare()' }],
};
