/**
 * Every modelled kernel function that a variant may replace, with its variants. A variant is
 * selected per run (`--variant gup_pte_range=no-pte-recheck`); callers reach the selected one
 * through `k.impl(name, faithful)`.
 */
import { gup_huge_pmd, gup_pte_range, lockless_pages_from_mm, try_get_folio, try_grab_folio } from './gup.js';
import {
  gup_pte_range_no_pte_recheck, gup_pte_range_v4_4_tail_page, gup_pte_range_v4_5_compound_head, gup_pte_range_x86_v4_12,
} from './gup.variants.js';
import { page_remove_rmap, zap_pte_range } from './memory.js';
import { tlb_flush_mmu, tlb_flush_mmu_tlbonly } from './mmu_gather.js';
import { free_pgtables, pte_free_tlb, tlb_remove_table, tlb_remove_table_v4_17_mm_users } from './mmu_gather.js';

export type Expectation = 'clean' | 'violation';

export interface VariantDef {
  readonly name: string;
  readonly description: string;
  /** what the variant is known to do in the scenarios that exercise it (a historical bug: violation) */
  readonly expect: Expectation;
  /** the kernel version or commit the variant transcribes */
  readonly kernel: string;
  readonly fn: unknown;
}

export interface PathDef {
  readonly name: string;
  /** kernel version the faithful model follows */
  readonly kernel: string;
  readonly source: string;
  /** the same function under other names in other kernel versions */
  readonly aliases: readonly string[];
  readonly description: string;
  /** variants[0] is always `faithful` */
  readonly variants: readonly VariantDef[];
}

const faithful = (fn: unknown, kernel = 'v6.6'): VariantDef => ({
  name: 'faithful',
  description: `the kernel's code (${kernel})`,
  expect: 'clean',
  kernel,
  fn,
});

export const PATHS: readonly PathDef[] = [
  {
    name: 'gup_pte_range',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['gup_fast_pte_range (v6.10+)'],
    description: 'GUP-fast over the PTEs of one page table: speculative reference, then PMD and PTE re-check',
    variants: [
      faithful(gup_pte_range),
      {
        name: 'no-pte-recheck',
        description: 'v6.6 without the pmd_val/pte_val re-check after try_grab_folio()',
        expect: 'violation',
        kernel: 'v6.6, re-check removed',
        fn: gup_pte_range_no_pte_recheck,
      },
      {
        name: 'tail-page-ref',
        description: 'v4.4: page_cache_get_speculative() on the PTE\'s own page, a tail of a PTE-mapped THP (_count 0): the get always fails',
        expect: 'violation',
        kernel: 'v4.4 (fixed in v4.5 by the THP refcounting rework)',
        fn: gup_pte_range_v4_4_tail_page,
      },
      {
        name: 'v4.5-compound-head',
        description: 'v4.5: page_cache_get_speculative(compound_head(page)), PTE re-check, VM_BUG_ON_PAGE(compound_head(page) != head)',
        expect: 'clean',
        kernel: 'v4.5',
        fn: gup_pte_range_v4_5_compound_head,
      },
      {
        name: 'x86-get_page',
        description: 'x86 before v4.13: get_page() and no re-check, relying on the TLB-flush IPI being held off by irqs-off (violation unless --env tlb=ipi)',
        expect: 'violation',
        kernel: 'v4.12 arch/x86/mm/gup.c',
        fn: gup_pte_range_x86_v4_12,
      },
    ],
  },
  {
    name: 'gup_huge_pmd',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['gup_fast_pmd_leaf (v6.10+)'],
    description: 'GUP-fast of a PMD-mapped THP: record_subpages, try_grab_folio, PMD re-check',
    variants: [faithful(gup_huge_pmd)],
  },
  {
    name: 'try_grab_folio',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['try_grab_folio_fast (v6.10+)', 'try_grab_compound_head (v5.7-v5.19)'],
    description: 'FOLL_GET: try_get_folio; FOLL_PIN: also _pincount or GUP_PIN_COUNTING_BIAS, then smp_mb__after_atomic',
    variants: [faithful(try_grab_folio)],
  },
  {
    name: 'try_get_folio',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['try_get_compound_head (v5.x)'],
    description: 'page_folio, folio_ref_try_add_rcu, page_folio re-check (retry if the folio changed)',
    variants: [faithful(try_get_folio)],
  },
  {
    name: 'lockless_pages_from_mm',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['gup_fast (v6.10+)'],
    description: 'write_protect_seq bracket (FOLL_PIN), local_irq_save over the walk',
    variants: [faithful(lockless_pages_from_mm)],
  },
  {
    name: 'zap_pte_range',
    kernel: 'v6.6',
    source: 'mm/memory.c',
    aliases: [],
    description: 'clear each PTE under the PTL, remove the rmap, queue the page in the mmu_gather',
    variants: [faithful(zap_pte_range)],
  },
  {
    name: 'page_remove_rmap',
    kernel: 'v6.6',
    source: 'mm/rmap.c',
    aliases: ['folio_remove_rmap_pte (v6.9+)'],
    description: 'drop the PTE mapping\'s _mapcount (and the folio\'s _nr_pages_mapped)',
    variants: [faithful(page_remove_rmap)],
  },
  {
    name: 'tlb_flush_mmu_tlbonly',
    kernel: 'v6.6',
    source: 'include/asm-generic/tlb.h',
    aliases: [],
    description: 'flush the gathered TLB range (IPI or broadcast per --env tlb)',
    variants: [faithful(tlb_flush_mmu_tlbonly)],
  },
  {
    name: 'tlb_flush_mmu',
    kernel: 'v6.6',
    source: 'mm/mmu_gather.c',
    aliases: [],
    description: 'TLB flush, then free the gathered pages',
    variants: [faithful(tlb_flush_mmu)],
  },
  {
    name: 'free_pgtables',
    kernel: 'v6.6',
    source: 'mm/memory.c',
    aliases: [],
    description: 'free_pgd_range .. free_pmd_range: pmd_clear each PTE table, pte_free_tlb it into the mmu_gather',
    variants: [faithful(free_pgtables)],
  },
  {
    name: 'pte_free_tlb',
    kernel: 'v6.6',
    source: 'include/asm-generic/tlb.h, arch/x86/mm/pgtable.c',
    aliases: ['___pte_free_tlb (x86)'],
    description: 'tlb->freed_tables; paravirt_tlb_remove_table(): tlb_remove_table, or tlb_remove_page with --env pt_free=immediate',
    variants: [faithful(pte_free_tlb)],
  },
  {
    name: 'tlb_remove_table',
    kernel: 'v6.6',
    source: 'mm/mmu_gather.c',
    aliases: [],
    description: 'batch the table for call_rcu (tlb_table_flush); without a batch page: tlb_remove_table_sync_one() then free',
    variants: [
      faithful(tlb_remove_table),
      {
        name: 'mm-users-shortcut',
        description: 'pre-2018: if (atomic_read(&tlb->mm->mm_users) < 2) free the table at once (walkers holding only mm_count are missed)',
        expect: 'violation',
        kernel: 'v4.17 mm/memory.c (removed by a6f572084fbe, 2018)',
        fn: tlb_remove_table_v4_17_mm_users,
      },
    ],
  },
];

export function findPath(name: string): PathDef | undefined {
  return PATHS.find((p) => p.name === name);
}
