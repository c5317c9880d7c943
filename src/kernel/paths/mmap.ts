/**
 * mm/mmap.c, following Linux v6.6: unmap_region(), what munmap() does once the VMA is
 * detached: zap the PTEs, free the page tables, then flush the TLB and free everything
 * gathered (tlb_finish_mmu). mmap_write_lock excludes faults and slow GUP, not GUP-fast.
 * Simplification: one VMA whose range is whole PTE tables; unmap_vmas() is zap_pte_range() per
 * table (no huge PMDs in the modelled range).
 */
import type { Path } from '../../core/op.js';
import type { K } from '../mm.js';
import { pmd_addr_end } from '../mm.js';
import { zap_pte_range } from './memory.js';
import { free_pgtables, tlb_finish_mmu, tlb_gather_mmu } from './mmu_gather.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/mmap.c');

export const unmap_region = replaceable(function* unmap_region(k: K, start: number, end: number): Path<void> {
  const tlb = yield* tlb_gather_mmu(k);
  // unmap_vmas() -> unmap_page_range() -> zap_pmd_range() -> zap_pte_range()
  for (let a = start; a < end; a = pmd_addr_end(k, a, end)) {
    yield* zap_pte_range(k, tlb, a, pmd_addr_end(k, a, end));
  }
  yield* free_pgtables(k, tlb, start, end);
  yield* tlb_finish_mmu(k, tlb);
});
