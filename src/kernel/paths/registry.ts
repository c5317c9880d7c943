/**
 * Every modelled kernel function that a variant may replace, with its variants. A variant is
 * selected per run (`--variant gup_pte_range=no-pte-recheck`); callers reach the selected one
 * through `k.impl(name, faithful)`.
 */
import type { FeatureName, KernelRange } from '../contracts.js';
import { gup_huge_pmd, gup_pte_range, lockless_pages_from_mm, try_get_folio, try_grab_folio } from './gup.js';
import {
  gup_pte_range_no_pte_recheck, gup_pte_range_v4_4_tail_page, gup_pte_range_v4_5_compound_head, gup_pte_range_x86_v4_12,
  gup_pte_range_v5_19_no_pmd_recheck,
} from './gup.variants.js';
import { page_remove_rmap, zap_pte_range } from './memory.js';
import { tlb_flush_mmu, tlb_flush_mmu_tlbonly } from './mmu_gather.js';
import { __split_huge_page_tail, __split_huge_pmd_locked, split_huge_page_to_list } from './huge_memory.js';
import { gup_huge_pmd_x86_v4_12, split_huge_page_to_list_no_refcount_check } from './huge_memory.variants.js';
import {
  page_add_anon_rmap, page_try_share_anon_rmap, page_vma_mapped_walk, remove_migration_pte, try_to_migrate_one,
} from './rmap.js';
import { folio_migrate_mapping, migrate_folio_move, migrate_folio_unmap } from './migrate.js';
import { folio_migrate_mapping_no_refcount_check } from './migrate.variants.js';
import { free_pgtables, pte_free_tlb, tlb_remove_table, tlb_remove_table_v4_17_mm_users } from './mmu_gather.js';
import { walk_hugetlb_range, walk_pmd_range, walk_pte_range } from './pagewalk.js';
import {
  walk_hugetlb_range_v6_1, walk_pmd_range_no_unstable_check, walk_pmd_range_v6_4, walk_pte_range_no_action_again,
} from './pagewalk.variants.js';
import { follow_page_pte, follow_page_pte_v6_4, follow_pmd_mask, follow_pmd_mask_v6_4 } from './gup_slow.js';
import { follow_page_mask_no_walk_bracket, follow_page_mask_v6_10 } from './hugetlb.js';
import { collapse_huge_page, collapse_huge_page_v6_0, retract_page_tables, retract_page_tables_v6_0, retract_page_tables_v6_1 } from './khugepaged.js';
import { copy_page_range, copy_page_range_no_seq, page_try_dup_anon_rmap, page_try_dup_anon_rmap_v5_7 } from './fork.js';

export interface VariantDef {
  readonly name: string;
  readonly description: string;
  /** the kernel version or commit the variant transcribes, in words */
  readonly kernel: string;
  /**
   * Contract: the releases whose code (or, for a mutation, whose code with the one change) this
   * transcribes. A scenario driving a feature newer than `range.to` refuses it
   * (src/kernel/contracts.ts); `--kernel vX.Y` picks the variant whose range holds vX.Y.
   * Whether it is a race or clean is not a property of the variant but of (scenario,
   * configuration): see each scenario's knownRaces and cleanConfigs.
   */
  readonly range: KernelRange;
  /** features of the kernel this code brings into every scenario that runs it */
  readonly provides?: readonly FeatureName[];
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

const faithful = (fn: unknown, kernel = 'v6.6', provides: readonly FeatureName[] = []): VariantDef => ({
  name: 'faithful',
  description: `the kernel's code (${kernel})`,
  kernel,
  range: { from: kernel, to: kernel },
  provides,
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
        range: { from: 'v6.6', to: 'v6.6' },
        kernel: 'v6.6, re-check removed',
        fn: gup_pte_range_no_pte_recheck,
      },
      {
        name: 'tail-page-ref',
        description: 'v4.4: page_cache_get_speculative() on the PTE\'s own page, a tail of a PTE-mapped THP (_count 0): the get always fails',
        range: { from: 'v4.4', to: 'v4.4' },
        kernel: 'v4.4 (fixed in v4.5 by the THP refcounting rework)',
        fn: gup_pte_range_v4_4_tail_page,
      },
      {
        name: 'v4.5-compound-head',
        description: 'v4.5: page_cache_get_speculative(compound_head(page)), PTE re-check, VM_BUG_ON_PAGE(compound_head(page) != head)',
        range: { from: 'v4.5', to: 'v4.5' },
        kernel: 'v4.5',
        fn: gup_pte_range_v4_5_compound_head,
      },
      {
        name: 'x86-get_page',
        description: 'x86 before v4.13: get_page() and no re-check, relying on the TLB-flush IPI being held off by irqs-off (violation unless --env tlb=ipi)',
        range: { from: 'v4.5', to: 'v4.12' },
        kernel: 'v4.12 arch/x86/mm/gup.c',
        fn: gup_pte_range_x86_v4_12,
      },
      {
        name: 'no-pmd-recheck',
        description: 'v5.19: only the PTE is re-checked after try_grab_folio(); khugepaged\'s pmdp_collapse_flush() leaves the detached table\'s PTEs unchanged',
        range: { from: 'v5.19', to: 'v5.19' },
        kernel: 'v5.19 (fixed by 70cbc3cc78a9, v6.0)',
        fn: gup_pte_range_v5_19_no_pmd_recheck,
      },
    ],
  },
  {
    name: 'gup_huge_pmd',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: ['gup_fast_pmd_leaf (v6.10+)'],
    description: 'GUP-fast of a PMD-mapped THP: record_subpages, try_grab_folio, PMD re-check',
    variants: [
      faithful(gup_huge_pmd),
      {
        name: 'x86-get_page',
        description: 'x86 before v4.13: get_page() on each subpage and no PMD re-check, relying on the TLB-flush IPI of a split being held off by irqs-off (violation unless --env tlb=ipi)',
        range: { from: 'v4.5', to: 'v4.12' },
        kernel: 'v4.12 arch/x86/mm/gup.c',
        fn: gup_huge_pmd_x86_v4_12,
      },
    ],
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
        range: { from: 'v4.17', to: 'v4.17' },
        kernel: 'v4.17 mm/memory.c (removed by a6f572084fbe, 2018)',
        fn: tlb_remove_table_v4_17_mm_users,
      },
    ],
  },
  {
    name: 'collapse_huge_page',
    kernel: 'v6.6',
    source: 'mm/khugepaged.c',
    aliases: [],
    description: 'anon collapse: pmdp_collapse_flush, tlb_remove_table_sync_one, __collapse_huge_page_isolate refcount check, copy, install the huge PMD',
    variants: [
      faithful(collapse_huge_page),
      {
        name: 'no-sync-one',
        description: 'before 2ba99c5e0881: no tlb_remove_table_sync_one() after pmdp_collapse_flush(); a GUP-fast may still be inside the detached table',
        range: { from: 'v4.5', to: 'v6.0' },
        kernel: 'v6.0 (fixed by 2ba99c5e0881, v6.1)',
        fn: collapse_huge_page_v6_0,
      },
    ],
  },
  {
    name: 'retract_page_tables',
    kernel: 'v6.6',
    source: 'mm/khugepaged.c',
    aliases: ['collapse_and_free_pmd (v6.0-v6.5)'],
    description: 'file/shmem: unlink an empty PTE table with pmdp_collapse_flush, free it with pte_free_defer (RCU)',
    variants: [
      // v6.5+: without mmap_lock for write, so walkers under mmap_read_lock meet it
      faithful(retract_page_tables, 'v6.6', ['lockless-retract']),
      {
        name: 'v6.1-sync-one',
        description: 'v6.1..v6.5 collapse_and_free_pmd(): tlb_remove_table_sync_one(); pte_free()',
        range: { from: 'v6.1', to: 'v6.4' },
        kernel: 'v6.1 (2ba99c5e0881)',
        fn: retract_page_tables_v6_1,
      },
      {
        name: 'v6.0-pte-free',
        description: 'v6.0 collapse_and_free_pmd(): pte_free() right after pmdp_collapse_flush(), relying on the flush to wait for GUP-fast (violation unless --env tlb=ipi)',
        range: { from: 'v6.0', to: 'v6.0' },
        kernel: 'v6.0 (fixed by 2ba99c5e0881, v6.1)',
        fn: retract_page_tables_v6_0,
      },
    ],
  },
  {
    name: 'copy_page_range',
    kernel: 'v6.6',
    source: 'mm/memory.c',
    aliases: [],
    description: 'fork: raw_write_seqcount_begin/end(&src_mm->write_protect_seq) around copy_pte_range/copy_present_pte',
    variants: [
      faithful(copy_page_range),
      {
        name: 'no-write-protect-seq',
        description: 'without the write_protect_seq bracket: GUP-fast FOLL_PIN cannot tell that fork ran under its walk',
        range: { from: 'v5.10', to: 'v5.10' },
        kernel: 'v5.10 (fixed by 57efa1fe5957, v5.11), in v6.6 vocabulary',
        fn: copy_page_range_no_seq,
      },
    ],
  },
  {
    name: 'page_try_dup_anon_rmap',
    kernel: 'v6.6',
    source: 'include/linux/rmap.h',
    aliases: ['folio_try_dup_anon_rmap_pte (v6.9+)'],
    description: 'share an anon page with the child (ClearPageAnonExclusive, _mapcount++) unless it may be pinned (-EBUSY)',
    variants: [
      faithful(page_try_dup_anon_rmap),
      {
        name: 'v5.8-always-dup',
        description: 'no maybe-pinned check: fork always shares anon pages COW, pinned or not (v5.6..v5.8, FOLL_PIN without early COW)',
        range: { from: 'v5.6', to: 'v5.8' },
        kernel: 'v5.8 (fixed by 70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes", 2020-09-27, v5.9), in v6.6 vocabulary',
        fn: page_try_dup_anon_rmap_v5_7,
      },
    ],
  },
  {
    name: '__split_huge_pmd_locked',
    kernel: 'v6.6',
    source: 'mm/huge_memory.c',
    aliases: [],
    description: 'split a huge PMD under the PMD lock: pmdp_invalidate + flush, folio refs, deposited table filled with PTEs (or migration entries when freezing), smp_wmb, pmd_populate; file THP: PMD cleared',
    variants: [faithful(__split_huge_pmd_locked)],
  },
  {
    name: 'split_huge_page_to_list',
    kernel: 'v6.6',
    source: 'mm/huge_memory.c',
    aliases: ['split_huge_page_to_list_to_order (v6.8+)', '__folio_split (v6.15+)'],
    description: 'can_split_folio, unmap_folio to migration entries, folio_ref_freeze(1 + extra_pins) (-EAGAIN when pinned), __split_huge_page, remap_page',
    variants: [
      faithful(split_huge_page_to_list),
      {
        name: 'no-refcount-check',
        description: 'no can_split_folio() and a freeze at whatever _refcount holds: splits a GUP-pinned folio (not a kernel commit: the split e9b61f19858a, v4.5, is built to refuse)',
        range: { from: 'v6.6', to: 'v6.6' },
        kernel: 'v6.6, expected-count check removed',
        fn: split_huge_page_to_list_no_refcount_check,
      },
    ],
  },
  {
    name: '__split_huge_page_tail',
    kernel: 'v6.6',
    source: 'mm/huge_memory.c',
    aliases: ['__split_folio_to_order (v6.15+)'],
    description: 'tail flags and mapping, smp_wmb, clear_compound_head, then page_ref_unfreeze',
    variants: [faithful(__split_huge_page_tail)],
  },
  {
    name: 'page_try_share_anon_rmap',
    kernel: 'v6.6',
    source: 'include/linux/rmap.h',
    aliases: ['folio_try_share_anon_rmap_pte / _pmd (v6.8+)'],
    description: 'A2/A3 of the PageAnonExclusive protocol: smp_mb, -EBUSY if maybe pinned, ClearPageAnonExclusive, smp_mb__after_atomic',
    variants: [faithful(page_try_share_anon_rmap)],
  },
  {
    name: 'try_to_migrate_one',
    kernel: 'v6.6',
    source: 'mm/rmap.c',
    aliases: [],
    description: 'clear each PTE (A1), share the anon-exclusive page or restore and back off, migration entry, page_remove_rmap, folio_put',
    variants: [faithful(try_to_migrate_one)],
  },
  {
    name: 'page_vma_mapped_walk',
    kernel: 'v6.6',
    source: 'mm/page_vma_mapped.c',
    aliases: [],
    description: 'find the PTEs (or PMD) mapping a folio in a VMA, taking the PTL (PVMW_SYNC: pte_offset_map_lock)',
    variants: [faithful(page_vma_mapped_walk)],
  },
  {
    name: 'remove_migration_pte',
    kernel: 'v6.6',
    source: 'mm/migrate.c',
    aliases: [],
    description: 'replace migration entries by present PTEs of the new (or old) folio: folio_get, rmap (exclusive if the entry was), set_pte_at',
    variants: [faithful(remove_migration_pte)],
  },
  {
    name: 'page_add_anon_rmap',
    kernel: 'v6.6',
    source: 'mm/rmap.c',
    aliases: ['folio_add_anon_rmap_ptes (v6.8+)'],
    description: 'a PTE mapping\'s _mapcount, _nr_pages_mapped, PageAnonExclusive with RMAP_EXCLUSIVE',
    variants: [faithful(page_add_anon_rmap)],
  },
  {
    name: 'folio_migrate_mapping',
    kernel: 'v6.6',
    source: 'mm/migrate.c',
    aliases: ['__folio_migrate_mapping (v6.11+)'],
    description: 'anonymous folio without mapping: the expected-refcount check (-EAGAIN), then mapping/index to the new folio',
    variants: [
      faithful(folio_migrate_mapping),
      {
        name: 'no-refcount-check',
        description: 'no folio_ref_count() != expected_count check: migrates a folio GUP holds, so data written through the reference is lost (not a kernel commit)',
        range: { from: 'v6.6', to: 'v6.6' },
        kernel: 'v6.6, expected-count check removed',
        fn: folio_migrate_mapping_no_refcount_check,
      },
    ],
  },
  {
    name: 'migrate_folio_unmap',
    kernel: 'v6.6',
    source: 'mm/migrate.c',
    aliases: [],
    description: 'allocate and lock dst, lock src, try_to_migrate; undo when the folio stays mapped',
    variants: [faithful(migrate_folio_unmap)],
  },
  {
    name: 'migrate_folio_move',
    kernel: 'v6.6',
    source: 'mm/migrate.c',
    aliases: [],
    description: 'move_to_new_folio (refcount check, copy), remove_migration_ptes to dst, free src; or undo back to src',
    variants: [faithful(migrate_folio_move)],
  },
  {
    name: 'walk_pmd_range',
    kernel: 'v6.6',
    source: 'mm/pagewalk.c',
    aliases: [],
    description: 'pmd_entry, then (only pte_entry wanted) split_huge_pmd and walk_pte_range; ACTION_AGAIN redoes the PMD',
    variants: [
      faithful(walk_pmd_range),
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
        kernel: 'v6.4, re-check removed',
        fn: walk_pmd_range_no_unstable_check,
      },
    ],
  },
  {
    name: 'walk_pte_range',
    kernel: 'v6.6',
    source: 'mm/pagewalk.c',
    aliases: [],
    description: 'pte_offset_map_lock() (may find no table: then walk->action = ACTION_AGAIN), pte_entry per PTE',
    variants: [
      faithful(walk_pte_range),
      {
        name: 'no-action-again',
        description: 'v6.6 without `if (!pte) walk->action = ACTION_AGAIN;` (not a kernel commit): the range is skipped silently',
        range: { from: 'v6.6', to: 'v6.6' },
        kernel: 'v6.6, ACTION_AGAIN removed',
        fn: walk_pte_range_no_action_again,
      },
    ],
  },
  {
    name: 'walk_hugetlb_range',
    kernel: 'v6.6',
    source: 'mm/pagewalk.c',
    aliases: [],
    description: 'hugetlb_vma_lock_read(); hugetlb_walk() and hugetlb_entry per huge page; unlock',
    variants: [
      faithful(walk_hugetlb_range),
      {
        name: 'v6.1-no-vma-lock',
        description: 'v6.1: huge_pte_offset() with no hugetlb vma lock (fixed in v6.2, "mm/hugetlb: make walk_hugetlb_range() safe to pmd unshare")',
        range: { from: 'v6.1', to: 'v6.1' },
        kernel: 'v6.1',
        fn: walk_hugetlb_range_v6_1,
      },
    ],
  },
  {
    name: 'follow_pmd_mask',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: [],
    description: 'slow GUP at the PMD: table -> follow_page_pte; huge + FOLL_SPLIT_PMD -> split, pte_alloc, follow_page_pte',
    variants: [
      faithful(follow_pmd_mask),
      {
        name: 'v6.4-foll-split-pmd',
        description: 'v6.4: huge zero page: split, then pmd_trans_unstable() -> -EBUSY; other THPs: split, pte_alloc; follow_page_pte cannot fail',
        range: { from: 'v6.4', to: 'v6.4' },
        kernel: 'v6.4 (changed in v6.5: "mm/gup: remove FOLL_SPLIT_PMD use of pmd_trans_unstable()")',
        fn: follow_pmd_mask_v6_4,
      },
    ],
  },
  {
    name: 'follow_page_pte',
    kernel: 'v6.6',
    source: 'mm/gup.c',
    aliases: [],
    description: 'pte_offset_map_lock() (NULL -> no_page_table), the PTE under the PTL, try_grab_page',
    variants: [
      faithful(follow_page_pte),
      {
        name: 'v6.4-infallible-map',
        description: 'v6.4: if (pmd_bad(*pmd)) no_page_table; the old pte_offset_map_lock() macro dereferences *pmd twice and cannot fail',
        range: { from: 'v6.4', to: 'v6.4' },
        kernel: 'v6.4',
        fn: follow_page_pte_v6_4,
      },
    ],
  },
  {
    name: 'follow_page_mask',
    kernel: 'v6.10',
    source: 'mm/gup.c',
    aliases: ['follow_hugetlb_page (v6.2-v6.9, hugetlb vmas)'],
    description: 'slow GUP walk bracketed by vma_pgtable_walk_begin/end (hugetlb_vma_lock_read for hugetlb vmas)',
    variants: [
      faithful(follow_page_mask_v6_10, 'v6.10'),
      {
        name: 'no-walk-bracket',
        description: 'the walk without vma_pgtable_walk_begin()/_end(), as v6.1 follow_hugetlb_page() without the hugetlb vma lock',
        range: { from: 'v6.1', to: 'v6.1' },
        kernel: 'v6.1 (fixed in v6.2, "mm/hugetlb: make follow_hugetlb_page() safe to pmd unshare")',
        fn: follow_page_mask_no_walk_bracket,
      },
    ],
  },
];

export function findPath(name: string): PathDef | undefined {
  return PATHS.find((p) => p.name === name);
}
