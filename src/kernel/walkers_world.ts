/**
 * World pieces the page-table-walker scenarios need beyond WorldBuilder's: a VMA description
 * the walkers consult (anon / file / hugetlb / VM_PFNMAP), a PMD-mapped file THP, the huge zero
 * page, and a hugetlb PMD page shared by two mms (huge_pmd_share). Built with
 * WorldBuilder.reservePages()/custom() so world.ts stays generic.
 *
 * Simplifications (one line each):
 * - A VMA is a constant of the scenario (vm_start/vm_end/vm_flags never change here).
 * - The table deposited with a PMD-mapped THP (pgtable_trans_huge_deposit) is named by the
 *   scenario; only one split can withdraw it, under the PMD lock.
 * - The second mm of the hugetlb world has only a PUD page; PGD/P4D are folded into it.
 * - The hugetlb vma lock (an rw_semaphore) is modelled as an exclusive lock: each scenario has
 *   one reader and one writer, so reader-reader sharing never shows.
 */
import type { WorldBuilder } from './world.js';
import { F_INDEX, FILE_MAPPING, PAGE_MAPPING_FLAGS, compoundMapping, PG_dirty, PG_head, PG_lru, PG_table, PG_uptodate, encodeCompoundHead } from './world.js';
import { pfn_pmd_huge, pfn_pte, pmd_populate_val } from './pgtable.js';

export const VM_PFNMAP = 1 << 0;
export const VM_HUGETLB = 1 << 1;
export const VM_MAYSHARE = 1 << 2;

/** What the walkers read of a struct vm_area_struct (addresses in pages). */
export interface Vma {
  readonly name: string;
  readonly vm_start: number;
  readonly vm_end: number;
  readonly vm_flags: number;
  /** vma_is_anonymous() */
  readonly anon: boolean;
  /** the PTE table deposited with this vma's PMD-mapped THP (pgtable_trans_huge_withdraw) */
  readonly deposited?: number;
  /** the huge zero folio's pfn (is_huge_zero_pmd) and the small zero page (my_zero_pfn) */
  readonly hugeZeroPfn?: number;
  readonly zeroPfn?: number;
  /** file THP a fault maps (filemap_map_pages -> do_set_pmd), head pfn */
  readonly fileFolio?: number;
  /** hugetlb: this mm's PUD page (entry 0 covers the vma) and the vma lock's cell */
  readonly pudTable?: number;
  readonly vmaLock?: number;
}

export const is_vm_hugetlb_page = (vma: Vma): boolean => (vma.vm_flags & VM_HUGETLB) !== 0;

/**
 * A file THP of 2^order pages at pfn in the page cache (which holds one reference per page,
 * as filemap_add_folio does), mapped by pmd[pmdIndex] (page_add_file_rmap(compound)).
 */
export function fileThpPmdMapped(b: WorldBuilder, pfn: number, order: number, pmdIndex: number): WorldBuilder {
  const n = 1 << order;
  b.reservePages(pfn, n, 'file');
  b.custom((m, L) => {
    for (let i = 0; i < n; i++) {
      const p = pfn + i;
      m.write(L.flags(p), (i === 0 ? PG_head : 0) | PG_uptodate | PG_lru);
      m.write(L.refcount(p), i === 0 ? 1 : 0);
      m.write(L.mapcount(p), -1);
      m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(pfn));
      m.write(L.mapping(p), compoundMapping(i, order, FILE_MAPPING));
    }
    m.write(L.folio_order(pfn), order);
    m.write(L.entire_mapcount(pfn), 0);
    m.write(L.nr_pages_mapped(pfn), 0);
    m.write(L.pincount(pfn), 0);
    m.write(L.entry(b.pmdTable, pmdIndex), pfn_pmd_huge(pfn, false));
  });
  return b.extraRef(pfn, n);
}

/**
 * An order-0 page-cache page at pfn, mapped by PTE `pte` of table `pt` (read-only and clean, or
 * writable and dirty): two references, the page cache's and the mapping's (page_add_file_rmap()).
 * `mapping`: its address_space (FILE_MAPPING, SHMEM_MAPPING, or SECRETMEM_MAPPING for a
 * memfd_secret() page, which needs --env secretmem=y); `lru: false` leaves PG_lru clear, as for
 * a folio still in a per-CPU folio batch (folio_add_lru() before lru_add_drain()).
 */
export function filePagePteMapped(
  b: WorldBuilder, pfn: number, pt: number, pte: number, write = false,
  opts: { readonly mapping?: number; readonly lru?: boolean } = {},
): WorldBuilder {
  const mapping = opts.mapping ?? FILE_MAPPING;
  if (mapping === 0 || (mapping & PAGE_MAPPING_FLAGS) !== 0) throw new Error(`world: filePagePteMapped: mapping ${mapping} is not an address_space (FILE_MAPPING, SHMEM_MAPPING or SECRETMEM_MAPPING)`);
  b.reservePages(pfn, 1, 'file');
  b.custom((m, L) => {
    m.write(L.flags(pfn), PG_uptodate | (opts.lru === false ? 0 : PG_lru) | (write ? PG_dirty : 0));
    m.write(L.refcount(pfn), 1);
    m.write(L.mapcount(pfn), 0);
    m.write(L.compound_head(pfn), 0);
    m.write(L.mapping(pfn), mapping);
    m.write(L.folio_order(pfn), 0);
    m.write(L.entire_mapcount(pfn), -1);
    m.write(L.nr_pages_mapped(pfn), 0);
    m.write(L.pincount(pfn), 0);
    m.write(L.entry(pt, pte), pfn_pte(pfn, write));
  });
  return b.extraRef(pfn, 1);
}

/** A file THP of 2^order pages at pfn in the page cache (one reference per page), not mapped yet. */
export function fileThpInPageCache(b: WorldBuilder, pfn: number, order: number): WorldBuilder {
  const n = 1 << order;
  b.reservePages(pfn, n, 'file');
  b.custom((m, L) => {
    for (let i = 0; i < n; i++) {
      const p = pfn + i;
      m.write(L.flags(p), (i === 0 ? PG_head : 0) | PG_uptodate | PG_lru);
      m.write(L.refcount(p), 0);
      m.write(L.mapcount(p), -1);
      m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(pfn));
      m.write(L.mapping(p), compoundMapping(i, order, FILE_MAPPING));
    }
    m.write(L.folio_order(pfn), order);
    m.write(L.entire_mapcount(pfn), -1);
    m.write(L.nr_pages_mapped(pfn), 0);
    m.write(L.pincount(pfn), 0);
  });
  return b.extraRef(pfn, n);
}

/**
 * The huge zero folio mapped read-only by pmd[pmdIndex] (do_huge_pmd_anonymous_page on a read
 * fault, set_huge_zero_page() deposits a table), and the small zero page for its split.
 */
export function hugeZeroPmdMapped(b: WorldBuilder, pfn: number, order: number, pmdIndex: number, deposited: number, zeroPfn: number): WorldBuilder {
  const n = 1 << order;
  b.reservePages(pfn, n, 'other');
  b.reservePages(zeroPfn, 1, 'other');
  b.reservePages(deposited, 1, 'pagetable');
  b.custom((m, L) => {
    for (let i = 0; i < n; i++) {
      m.write(L.flags(pfn + i), (i === 0 ? PG_head : 0) | PG_uptodate);
      m.write(L.refcount(pfn + i), i === 0 ? 1 : 0); // huge_zero_refcount's reference
      m.write(L.mapcount(pfn + i), -1);
      m.write(L.compound_head(pfn + i), i === 0 ? 0 : encodeCompoundHead(pfn));
    }
    m.write(L.folio_order(pfn), order);
    m.write(L.flags(zeroPfn), PG_uptodate);
    m.write(L.refcount(zeroPfn), 1);
    m.write(L.mapcount(zeroPfn), -1);
    m.write(L.flags(deposited), PG_table);
    m.write(L.refcount(deposited), 1);
    m.write(L.field(b.pmdTable, F_INDEX), deposited); // pgtable_trans_huge_deposit(): pmd_huge_pte(mm, pmd)
    m.write(L.entry(b.pmdTable, pmdIndex), pfn_pmd_huge(pfn, false));
  });
  return b;
}

/** WorldBuilder.anonThpPmdMapped() with its deposited table on the pmd_huge_pte list huge_memory.ts withdraws from */
export function anonThpWithDeposit(b: WorldBuilder, pfn: number, order: number, pmdIndex: number, deposited: number): WorldBuilder {
  return b.anonThpPmdMapped(pfn, order, pmdIndex, deposited).custom((m, L) => m.write(L.field(b.pmdTable, F_INDEX), deposited));
}

/**
 * Two mms sharing one hugetlb PMD page (huge_pmd_share): the world's PMD table (page 0) is the
 * shared PMD page, referenced by entry 0 of each mm's PUD page (pudA, pudB), so its _refcount is
 * 2 (one per sharer, as huge_pmd_share's get_page). pmd[0] maps a hugetlb folio of 2^order pages
 * at `folio`. `vmaLockPage` is a reserved page whose ptl cell serves as mm A's hugetlb vma lock.
 */
export function hugetlbSharedPmd(b: WorldBuilder, pudA: number, pudB: number, folio: number, order: number, vmaLockPage: number): WorldBuilder {
  const n = 1 << order;
  b.reservePages(pudA, 1, 'pagetable');
  b.reservePages(pudB, 1, 'pagetable');
  b.reservePages(folio, n, 'file');
  b.reservePages(vmaLockPage, 1, 'other');
  const L = b.L;
  L.upperTables.add(pudA);
  L.upperTables.add(pudB);
  L.aliases.set(L.entry(pudA, 0), 'mmA.pud[0]');
  L.aliases.set(L.entry(pudB, 0), 'mmB.pud[0]');
  L.aliases.set(L.ptl(vmaLockPage), 'vmaA->vm_private_data->rw_sema');
  b.custom((m) => {
    for (const pud of [pudA, pudB]) {
      m.write(L.flags(pud), PG_table);
      m.write(L.refcount(pud), 1);
      m.write(L.entry(pud, 0), pmd_populate_val(b.pmdTable));
    }
    m.write(L.refcount(b.pmdTable), 2); // huge_pmd_share(): get_page(virt_to_page(spte)) per sharer
    for (let i = 0; i < n; i++) {
      const p = folio + i;
      m.write(L.flags(p), (i === 0 ? PG_head : 0) | PG_uptodate);
      m.write(L.refcount(p), i === 0 ? 1 : 0); // one mapping: the shared PMD entry
      m.write(L.mapcount(p), -1);
      m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(folio));
      m.write(L.mapping(p), compoundMapping(i, order, FILE_MAPPING));
    }
    m.write(L.folio_order(folio), order);
    m.write(L.entire_mapcount(folio), 0);
    m.write(L.entry(b.pmdTable, 0), pfn_pmd_huge(folio, true));
  });
  return b.extraRef(folio, 1); // the hugetlbfs page cache's reference
}
