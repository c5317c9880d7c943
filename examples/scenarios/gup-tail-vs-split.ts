/**
 * GUP-fast of a THP's *tail* page against split_huge_page() of the THP and munmap of that tail.
 * No built-in scenario starts a GUP on a tail page: this is the interaction of Jann Horn's
 * "mm/gup: fix try_grab_compound_head() race with split_huge_page()" (June 2021; Fixes:
 * 7aef4172c795 "mm: handle PTE-mapped tail pages in gerneric fast gup implementaiton", v4.5).
 * From its commit message: "between the time we look up what the head page is and the time we
 * actually grab a reference on the head page, the compound page may have been split up ... If
 * that happens, get_user_pages_fast() may end up returning the right page but lifting the
 * refcount on a now-unrelated page, leading to use-after-free of pages." And: "This can't
 * actually happen on bare-metal x86 (because there, disabling IRQs locks out remote TLB
 * flushes)": the default environment (tlb=broadcast) is the virtualised / arm64 case.
 *
 * World (PTRS_PER_PTE = 2, THP of 2 pages): pmd[0] -> pt1 maps page[4] (head) at 0x0 and
 * page[5] (tail) at 0x1000; the splitting caller holds one extra reference on page[4].
 * cpu0: get_user_pages_fast(0x1000, 1, FOLL_GET) -- the tail only -- then put_page;
 * cpu1: split_folio(page[4]) with a reference and the folio lock, then munmap(0x1000, 0x1000).
 */
import { defineScenario, get_user_pages_fast, FOLL_GET, zap_page_range_single, huge_memory } from 'racewalk/model';

export default defineScenario({
  name: 'gup-tail-vs-split',
  description: 'get_user_pages_fast(FOLL_GET) of a THP tail page against split_huge_page() of the THP, then munmap of the tail',
  kernel: 'v6.6',
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 1, 1, 0).extraRef(4, 1),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x1000, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 1, 1, FOLL_GET);
      },
    },
    {
      name: 'split_folio(page[4]); munmap(0x1000, 0x1000)',
      *start() {
        yield* huge_memory.split_huge_page_caller(k, 4, 0);
        yield* zap_page_range_single(k, 1, 1);
      },
    },
  ],
});
