/**
 * mmu_gather, following Linux v6.6 mm/mmu_gather.c and include/asm-generic/tlb.h.
 * The gather's batch is private to the zapping CPU (not shared state); what is shared is the
 * TLB flush and the reference drop that frees the pages, which must come after the flush:
 * "Do the actual TLB flush before dropping ptl" / tlb_flush_mmu() = tlbonly + free.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, atomic_read, atomic_sub_and_test, load, smp_call_function_wait, WRITE_ONCE } from '../primitives.js';
import { __folio_put, flush_tlb_range, free_the_page, page_folio, pmd_offset, put_page, type K } from '../mm.js';
import { pmd_bad, pmd_none, pmd_pgtable, pmd_trans_huge } from '../pgtable.js';
import { MM_TLB_FLUSH_PENDING, MM_USERS } from '../world.js';
import { call_rcu, RCU_CB } from './rcu.js';
import { kernelSource, variantsOf } from '../replaceable.js';

const replaceable = kernelSource('mm/mmu_gather.c');

export interface MmuGather {
  /** pages queued by __tlb_remove_page(); each still holds the reference its PTE held */
  readonly pages: number[];
  /** a PTE was cleared since the last flush (tlb->end > tlb->start) */
  need_flush: boolean;
  /** tlb->batch: page tables queued by tlb_remove_table(), freed by tlb_table_flush() (null: no batch page yet) */
  batch?: number[] | null;
}

/** tlb_gather_mmu(): inc_tlb_flush_pending(mm) tells migration/reclaim a flush is pending */
export const tlb_gather_mmu = replaceable(function* tlb_gather_mmu(k: K): Path<MmuGather> {
  yield* atomic_add(k.mm(MM_TLB_FLUSH_PENDING), 1, at('tlb_gather_mmu', 'inc_tlb_flush_pending(mm)'));
  return { pages: [], need_flush: false, batch: null };
}, {
  description: 'tlb_gather_mmu(): inc_tlb_flush_pending(mm) tells migration/reclaim a flush is pending',
});

/** tlb_flush_mmu_tlbonly(): flush the TLB range gathered so far */
export const tlb_flush_mmu_tlbonly = replaceable(function* tlb_flush_mmu_tlbonly(k: K, tlb: MmuGather): Path<void> {
  if (!tlb.need_flush) return;
  yield* flush_tlb_range(k, at('tlb_flush_mmu_tlbonly', 'tlb_flush(tlb)'));
  tlb.need_flush = false;
}, {
  source: 'include/asm-generic/tlb.h',
  description: 'flush the gathered TLB range (IPI or broadcast per --env tlb)',
});

/**
 * free_pages_and_swap_cache() -> release_pages(): drop the reference each gathered page held;
 * the last one frees the folio.
 */
export const free_pages_and_swap_cache = replaceable(function* free_pages_and_swap_cache(k: K, pages: readonly number[]): Path<void> {
  const fn = 'release_pages';
  for (const page of pages) {
    const folio = yield* page_folio(k, page, at(fn, 'struct folio *folio = page_folio(page)'));
    if (!(yield* atomic_sub_and_test(k.L.refcount(folio), 1, at(fn, 'if (!folio_put_testzero(folio)) continue')))) continue;
    yield* __folio_put(k, folio);
  }
}, {
  description: 'free_pages_and_swap_cache() -> release_pages(): drop the reference each gathered page held; the last one frees the folio.',
});

/**
 * tlb_flush_mmu(): flush first, then free: tlb_flush_mmu_free() = tlb_table_flush() (page
 * tables, to RCU) + tlb_batch_pages_flush() (the pages, and page tables freed as pages).
 */
export const tlb_flush_mmu = replaceable(function* tlb_flush_mmu(k: K, tlb: MmuGather): Path<void> {
  yield* tlb_flush_mmu_tlbonly(k, tlb);
  yield* tlb_table_flush(k, tlb);
  const pages = tlb.pages.splice(0);
  yield* free_pages_and_swap_cache(k, pages);
}, {
  description: 'TLB flush, then free the gathered pages',
});

/** tlb_finish_mmu(): the final flush and free, then dec_tlb_flush_pending() */
export const tlb_finish_mmu = replaceable(function* tlb_finish_mmu(k: K, tlb: MmuGather): Path<void> {
  yield* tlb_flush_mmu(k, tlb);
  yield* atomic_add(k.mm(MM_TLB_FLUSH_PENDING), -1, at('tlb_finish_mmu', 'dec_tlb_flush_pending(tlb->mm)'));
}, {
  description: 'tlb_finish_mmu(): the final flush and free, then dec_tlb_flush_pending()',
});

// ---------------------------------------------------------------------------------------------
// Page-table freeing (v6.6 mm/mmu_gather.c, mm/memory.c free_pgtables, arch/x86 ___pte_free_tlb)
//
// From mm/mmu_gather.c, "Semi RCU freeing of the page directories":
//   "gup_fast() and other software pagetable walkers do a lockless page-table walk and
//    therefore needs some synchronization with the freeing of the page directories. The
//    chosen means to accomplish that is by disabling IRQs over the walk.
//    Architectures that use IPIs to flush TLBs will then automagically DTRT, since we unlink
//    the page, flush TLBs, free the page. Since the disabling of IRQs delays the completion of
//    the TLB flush we can never observe an already freed page.
//    Architectures that do not have this (PPC) need to delay the freeing by some other means,
//    this is that means. What we do is batch the freed directory pages (tables) and RCU free
//    them. We use the sched RCU variant, as that guarantees that IRQ/preempt disabling holds
//    off grace periods."
//
// --env pt_free picks the configuration:
//   rcu        CONFIG_MMU_GATHER_RCU_TABLE_FREE: tlb_remove_table() batches, tlb_table_flush()
//              call_rcu()s the batch (x86 with PARAVIRT since v4.14, arm64, powerpc, ...);
//   ipi        the same config when the batch page cannot be allocated: tlb_remove_table_one()
//              = tlb_remove_table_sync_one() (an IPI every irqs-off walker must take), then free;
//   immediate  no MMU_GATHER_TABLE_FREE (x86 without PARAVIRT: paravirt_tlb_remove_table() is
//              tlb_remove_page()): the table is freed with the pages, after the TLB flush --
//              safe only when that flush is an IPI (--env tlb=ipi); x86 PV guests flushing by
//              hypercall were the reason for 9e52fc2b50de (v4.14).
// Simplifications: the PMD table (PGD..PUD folded) is never freed; mm->pgtables_bytes
// (mm_dec_nr_ptes) is not modelled; a batch is one rcu_head per table.
// ---------------------------------------------------------------------------------------------

/** tlb_remove_table_sync_one(): "sufficient for software page-table walkers that rely on IRQ disabling" */
export const tlb_remove_table_sync_one = replaceable(function* tlb_remove_table_sync_one(k: K, fn = 'tlb_remove_table_sync_one'): Path<void> {
  void k;
  yield* smp_call_function_wait(at(fn, 'smp_call_function(tlb_remove_table_smp_sync, NULL, 1)'));
}, {
  description: 'tlb_remove_table_sync_one(): "sufficient for software page-table walkers that rely on IRQ disabling"',
});

/**
 * pte_free() -> pagetable_pte_dtor(); pagetable_free() -> __free_pages(page, 0):
 * put_page_testzero() then free. The page-table page's own reference is its only one.
 */
export const pte_free = replaceable(function* pte_free(k: K, pt: number, fn = 'pte_free'): Path<void> {
  if (yield* atomic_sub_and_test(k.L.refcount(pt), 1, at(fn, 'pagetable_free(ptdesc): if (put_page_testzero(page))'))) {
    yield* free_the_page(k, pt, 0, at(fn, 'free_the_page(page, 0)'));
  }
}, {
  description: 'pte_free() -> pagetable_pte_dtor(); pagetable_free() -> __free_pages(page, 0): put_page_testzero() then free.',
});

/** __tlb_remove_table() (x86 v6.6): free_page_and_swap_cache(table) */
export const __tlb_remove_table = replaceable(function* __tlb_remove_table(k: K, table: number): Path<void> {
  yield* put_page(k, table, at('__tlb_remove_table', 'free_page_and_swap_cache(table)'));
}, {
  description: '__tlb_remove_table() (x86 v6.6): free_page_and_swap_cache(table)',
});

/** tlb_table_invalidate(): tlb_needs_table_invalidate() on x86/arm64: flush before the tables go */
const tlb_table_invalidate = replaceable(function* tlb_table_invalidate(k: K, tlb: MmuGather): Path<void> {
  yield* tlb_flush_mmu_tlbonly(k, tlb);
}, {
  description: 'tlb_table_invalidate(): tlb_needs_table_invalidate() on x86/arm64: flush before the tables go',
});

/** tlb_remove_table_one(): the fallback without a batch page: IPI, then free at once */
export const tlb_remove_table_one = replaceable(function* tlb_remove_table_one(k: K, table: number): Path<void> {
  yield* tlb_remove_table_sync_one(k);
  yield* __tlb_remove_table(k, table);
}, {
  description: 'tlb_remove_table_one(): the fallback without a batch page: IPI, then free at once',
});

/** tlb_table_flush(): invalidate, then tlb_remove_table_free(batch) = call_rcu(&batch->rcu, tlb_remove_table_rcu) */
export const tlb_table_flush = replaceable(function* tlb_table_flush(k: K, tlb: MmuGather): Path<void> {
  const batch = tlb.batch;
  if (batch === undefined || batch === null) return;
  yield* tlb_table_invalidate(k, tlb);
  for (const table of batch) {
    yield* call_rcu(k, RCU_CB.tlb_remove_table_rcu, table, 'tlb_remove_table_free', 'call_rcu(&batch->rcu, tlb_remove_table_rcu)');
  }
  tlb.batch = null;
}, {
  description: 'tlb_table_flush(): invalidate, then tlb_remove_table_free(batch) = call_rcu(&batch->rcu, tlb_remove_table_rcu)',
});

/** tlb_remove_table(), v6.6. --env pt_free=ipi models the failed __get_free_page(GFP_NOWAIT) of the batch. */
export const tlb_remove_table = replaceable(function* tlb_remove_table(k: K, tlb: MmuGather, table: number): Path<void> {
  if (tlb.batch === undefined || tlb.batch === null) {
    if (k.env.pt_free === 'ipi') {
      // *batch = __get_free_page(GFP_NOWAIT | __GFP_NOWARN) == NULL
      yield* tlb_table_invalidate(k, tlb);
      yield* tlb_remove_table_one(k, table);
      return;
    }
    tlb.batch = [];
  }
  // (*batch)->tables[(*batch)->nr++] = table; MAX_TABLE_BATCH is never reached here
  tlb.batch.push(table);
}, {
  description: 'batch the table for call_rcu (tlb_table_flush); without a batch page: tlb_remove_table_sync_one() then free',
});

/**
 * tlb_remove_table() before 2018 (v4.17 mm/memory.c), removed by a6f572084fbe "mm/tlb: Remove
 * tlb_remove_table() non-concurrent condition": "When there's less then two users of this mm
 * there cannot be a concurrent page-table walk." -- but a CPU can walk an mm's page tables
 * holding only mm_count (a lazy-TLB reference, kthread_use_mm()), not mm_users; the table is
 * then freed before any TLB flush, IPI or grace period.
 */
export function* tlb_remove_table_v4_17_mm_users(k: K, tlb: MmuGather, table: number): Path<void> {
  const users = yield* atomic_read(k.mm(MM_USERS), at('tlb_remove_table', 'if (atomic_read(&tlb->mm->mm_users) < 2)'));
  if (users < 2) {
    yield* __tlb_remove_table(k, table);
    return;
  }
  yield* tlb_remove_table(k, tlb, table);
}

/** ___pte_free_tlb() (x86): paravirt_tlb_remove_table(tlb, pte) */
export const __pte_free_tlb = replaceable(function* __pte_free_tlb(k: K, tlb: MmuGather, pt: number): Path<void> {
  if (k.env.pt_free === 'immediate') {
    // !CONFIG_PARAVIRT x86: tlb_remove_page(): freed with the gathered pages, after the flush
    tlb.pages.push(pt);
    return;
  }
  yield* tlb_remove_table(k, tlb, pt);
}, {
  description: '___pte_free_tlb() (x86): paravirt_tlb_remove_table(tlb, pte)',
});

/** pte_free_tlb(): tlb_flush_pmd_range(); tlb->freed_tables = 1; __pte_free_tlb() */
export const pte_free_tlb = replaceable(function* pte_free_tlb(k: K, tlb: MmuGather, pt: number): Path<void> {
  tlb.need_flush = true;
  yield* __pte_free_tlb(k, tlb, pt);
}, {
  source: 'include/asm-generic/tlb.h, arch/x86/mm/pgtable.c',
  aliases: ['___pte_free_tlb (x86)'],
  description: 'tlb->freed_tables; paravirt_tlb_remove_table(): tlb_remove_table, or tlb_remove_page with --env pt_free=immediate',
});

/** free_pte_range(): unlink the PTE table from the PMD, then hand it to the gather */
export const free_pte_range = replaceable(function* free_pte_range(k: K, tlb: MmuGather, pmdp: number): Path<void> {
  const fn = 'free_pte_range';
  const pmd = yield* load(pmdp, at(fn, 'pgtable_t token = pmd_pgtable(*pmd)'));
  const token = pmd_pgtable(pmd);
  yield* WRITE_ONCE(pmdp, 0, at(fn, 'pmd_clear(pmd)'));
  yield* pte_free_tlb(k, tlb, token);
}, {
  description: 'free_pte_range(): unlink the PTE table from the PMD, then hand it to the gather',
});

/**
 * free_pgtables() -> free_pgd_range() -> ... -> free_pmd_range() over [addr, end), page
 * units; runs after unmap_vmas() with the VMA already detached, under mmap_write_lock, so the
 * only concurrent walkers are lockless ones (GUP-fast).
 */
export const free_pgtables = replaceable(function* free_pgtables(k: K, tlb: MmuGather, addr: number, end: number): Path<void> {
  const fn = 'free_pmd_range';
  for (let a = addr; a < end; a += k.geo.ptrsPerPte) {
    const pmdp = pmd_offset(k, a);
    const pmd = yield* load(pmdp, at(fn, 'if (pmd_none_or_clear_bad(pmd)) continue'));
    if (pmd_none(pmd) || pmd_trans_huge(pmd) || pmd_bad(pmd)) continue;
    yield* free_pte_range(k, tlb, pmdp);
  }
}, {
  source: 'mm/memory.c',
  description: 'free_pgd_range .. free_pmd_range: pmd_clear each PTE table, pte_free_tlb it into the mmu_gather',
});

/** What the `rcu` thread runs for each callback after its grace period. */
export const rcu_invoke = replaceable(function* rcu_invoke(k: K, cb: number, pfn: number): Path<void> {
  if (cb === RCU_CB.tlb_remove_table_rcu) {
    // tlb_remove_table_rcu() -> __tlb_remove_table_free(): __tlb_remove_table() for each table
    yield* __tlb_remove_table(k, pfn);
  } else {
    // pte_free_now() -> pte_free(NULL, page)
    yield* pte_free(k, pfn, 'pte_free_now');
  }
}, {
  description: 'What the `rcu` thread runs for each callback after its grace period.',
});

variantsOf(() => tlb_remove_table, [
  {
    name: 'mm-users-shortcut',
    description: 'pre-2018: if (atomic_read(&tlb->mm->mm_users) < 2) free the table at once (walkers holding only mm_count are missed)',
    range: { from: 'v4.17', to: 'v4.17' },
    kernel: 'v4.17 mm/memory.c (removed by a6f572084fbe, 2018)',
    fn: tlb_remove_table_v4_17_mm_users,
  },
]);
