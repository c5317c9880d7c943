/**
 * Two mms sharing a hugetlb PMD page (huge_pmd_share: each mm's PUD entry points at the same PMD
 * page, whose _refcount counts the sharers). One CPU per mm:
 *   cpu0, mm B: get_user_pages(FOLL_GET) of the hugetlb page through B's own PUD;
 *   cpu1, mm A: munmap() of the range -- huge_pmd_unshare() clears only A's PUD entry and drops
 *               A's reference on the PMD page, then A's TLB flush (to mm_cpumask(A) only).
 * mm_cpumask(A) is {cpu1}: cpu0 runs mm B, so A's flush IPI does not wait for it.
 *
 * Safe, exhaustively: unsharing in A never frees the PMD page B walks (B still holds its
 * reference), so even the walk without vma_pgtable_walk_begin() (follow_page_mask=no-walk-bracket,
 * v6.1's follow_hugetlb_page without the hugetlb vma lock) is clean here -- the race the built-in
 * gup-hugetlb-vs-unshare finds needs the walker's own mm to unshare and the other mm to free.
 *
 *   racewalk explore --scenario-file examples/scenarios/hugetlb-two-mms.ts --env tlb=ipi
 *   racewalk explore --scenario-file examples/scenarios/hugetlb-two-mms.ts --variant follow_page_mask=no-walk-bracket
 */
import { defineScenario, hugetlb, hugetlbSharedPmd, VM_HUGETLB, VM_MAYSHARE, type WalkVma } from 'racewalk/model';

// hugetlbSharedPmd(b, pudA=1, pudB=2, folio=4, order=1, vmaLockPage=3): page 0 is the shared PMD page
const VMA_A: WalkVma = { name: 'hugetlb A', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 1, vmaLock: 3 };
const VMA_B: WalkVma = { name: 'hugetlb B', vm_start: 0, vm_end: 2, vm_flags: VM_HUGETLB | VM_MAYSHARE, anon: false, pudTable: 2 };

export default defineScenario({
  name: 'hugetlb-gup-other-mm-unshare',
  description: "get_user_pages() of a hugetlb page in mm B against munmap() (huge_pmd_unshare) of the same shared PMD page in mm A",
  kernel: 'v6.10',
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => hugetlbSharedPmd(b, 1, 2, 4, 1, 3).mmCpumask([1]),
  threads: (k) => [
    {
      name: 'mm B: get_user_pages(0x0, 1, FOLL_GET)',
      *start() {
        return yield* hugetlb.get_user_pages_hugetlb(k, VMA_B, 0);
      },
    },
    {
      name: 'mm A: munmap(0x0, 0x2000)',
      *start() {
        yield* hugetlb.unmap_hugepage_range(k, VMA_A, 0);
      },
    },
  ],
});
