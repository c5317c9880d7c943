/**
 * Page-table entry encodings, x86-64-like bits (arch/x86/include/asm/pgtable_types.h), as
 * plain numbers so that `pte_val(pte) != pte_val(*ptep)` compares exactly as in the kernel.
 *
 * Simplification: non-present (swap/migration) entries use a compact encoding of our own
 * (type in bits 1-4, offset = pfn from bit 12) rather than x86's inverted swap layout.
 */
export const _PAGE_PRESENT = 1 << 0;
export const _PAGE_RW = 1 << 1;
export const _PAGE_USER = 1 << 2;
export const _PAGE_ACCESSED = 1 << 5;
export const _PAGE_DIRTY = 1 << 6;
export const _PAGE_PSE = 1 << 7; // huge leaf at PMD level
export const _PAGE_PROTNONE = 1 << 8; // NUMA hinting (shares _PAGE_GLOBAL's bit on x86)
export const _PAGE_SPECIAL = 1 << 9;
export const _PAGE_DEVMAP = 1 << 10;
export const PFN_SHIFT = 12;
const PFN_UNIT = 1 << PFN_SHIFT;

export const _PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

/** swap entry types we model (include/linux/swapops.h) */
export const SWP_MIGRATION_READ = 1;
export const SWP_MIGRATION_READ_EXCLUSIVE = 2;
export const SWP_MIGRATION_WRITE = 3;

const flagsOf = (v: number): number => v % PFN_UNIT;
const pfnOf = (v: number): number => Math.floor(v / PFN_UNIT);

// ---- PTE ----
export const pte_none = (pte: number): boolean => pte === 0;
export const pte_present = (pte: number): boolean => (flagsOf(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
export const pte_write = (pte: number): boolean => (flagsOf(pte) & _PAGE_RW) !== 0;
export const pte_dirty = (pte: number): boolean => (flagsOf(pte) & _PAGE_DIRTY) !== 0;
export const pte_young = (pte: number): boolean => (flagsOf(pte) & _PAGE_ACCESSED) !== 0;
export const pte_special = (pte: number): boolean => (flagsOf(pte) & _PAGE_SPECIAL) !== 0;
export const pte_devmap = (pte: number): boolean => (flagsOf(pte) & _PAGE_DEVMAP) !== 0;
export const pte_protnone = (pte: number): boolean =>
  (flagsOf(pte) & (_PAGE_PROTNONE | _PAGE_PRESENT)) === _PAGE_PROTNONE;
export const pte_pfn = (pte: number): number => pfnOf(pte);
/** pte_access_permitted(): present, user, and writable if a write is asked for */
export const pte_access_permitted = (pte: number, write: boolean): boolean => {
  const f = flagsOf(pte);
  if ((f & (_PAGE_PRESENT | _PAGE_USER)) !== (_PAGE_PRESENT | _PAGE_USER)) return false;
  return !write || (f & _PAGE_RW) !== 0;
};
export const pfn_pte = (pfn: number, write: boolean): number =>
  pfn * PFN_UNIT + _PAGE_PRESENT + _PAGE_USER + _PAGE_ACCESSED + (write ? _PAGE_RW + _PAGE_DIRTY : 0);
export const pte_wrprotect = (pte: number): number => (pte_write(pte) ? pte - _PAGE_RW : pte);

// ---- swap / migration entries (non-present PTE or PMD) ----
export const make_migration_entry = (pfn: number, type: number): number => pfn * PFN_UNIT + type * 2;
export const swp_type = (v: number): number => (flagsOf(v) >> 1) & 0xf;
export const is_swap_pte = (pte: number): boolean => !pte_none(pte) && !pte_present(pte);
/** a swap entry never has _PAGE_PSE (x86 pmd_present() relies on it): an invalidated huge PMD is not one */
export const is_migration_entry = (v: number): boolean =>
  !pte_present(v) && !pte_none(v) && (flagsOf(v) & _PAGE_PSE) === 0 && swp_type(v) >= SWP_MIGRATION_READ && swp_type(v) <= SWP_MIGRATION_WRITE;
export const is_writable_migration_entry = (v: number): boolean => is_migration_entry(v) && swp_type(v) === SWP_MIGRATION_WRITE;
export const swp_offset_pfn = (v: number): number => pfnOf(v);

// ---- PMD ----
export const pmd_none = (pmd: number): boolean => pmd === 0;
/** x86: an invalidated huge PMD (pmdp_invalidate) is still pmd_present() thanks to PSE */
export const pmd_present = (pmd: number): boolean => (flagsOf(pmd) & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE)) !== 0;
export const pmd_trans_huge = (pmd: number): boolean => (flagsOf(pmd) & _PAGE_PSE) !== 0 && !is_migration_entry(pmd);
export const pmd_leaf = pmd_trans_huge;
export const pmd_write = (pmd: number): boolean => (flagsOf(pmd) & _PAGE_RW) !== 0;
export const pmd_protnone = (pmd: number): boolean =>
  (flagsOf(pmd) & (_PAGE_PROTNONE | _PAGE_PRESENT)) === _PAGE_PROTNONE;
export const pmd_pfn = (pmd: number): number => pfnOf(pmd);
/** the page-table page a non-leaf PMD points to */
export const pmd_pgtable = (pmd: number): number => pfnOf(pmd);
export const pmd_bad = (pmd: number): boolean => !pmd_none(pmd) && !pmd_trans_huge(pmd) && (flagsOf(pmd) & _PAGE_TABLE) !== _PAGE_TABLE;
export const pmd_access_permitted = (pmd: number, write: boolean): boolean => pte_access_permitted(pmd, write);
export const is_pmd_migration_entry = (pmd: number): boolean => is_migration_entry(pmd);
export const pmd_populate_val = (ptPfn: number): number => ptPfn * PFN_UNIT + _PAGE_TABLE;
export const pfn_pmd_huge = (pfn: number, write: boolean): number => pfn_pte(pfn, write) + _PAGE_PSE;
/** pmd_mkinvalid(): clear PRESENT (and PROTNONE), keep PSE so pmd_present()/pmd_trans_huge() stay true */
export const pmd_mkinvalid = (pmd: number): number => pmd - (flagsOf(pmd) & (_PAGE_PRESENT | _PAGE_PROTNONE));

/** Decode an entry for traces: `none`, `pte(pfn=5,W)`, `table(pt=3)`, `huge(pfn=8,W)`, `migration(pfn=5,W)`. */
export function describeEntry(v: number, level: 'pte' | 'pmd'): string {
  if (v === 0) return 'none';
  const f = flagsOf(v);
  const pfn = pfnOf(v);
  if (is_migration_entry(v)) {
    const t = swp_type(v);
    return `migration(pfn=${pfn},${t === SWP_MIGRATION_WRITE ? 'W' : t === SWP_MIGRATION_READ_EXCLUSIVE ? 'R,excl' : 'R'})`;
  }
  if (level === 'pmd' && (f & _PAGE_PSE) === 0 && (f & _PAGE_PRESENT) !== 0) return `table(pt=${pfn})`;
  const bits = [(f & _PAGE_RW) !== 0 ? 'W' : 'RO'];
  if ((f & _PAGE_PRESENT) === 0) bits.push('invalid');
  if ((f & _PAGE_SPECIAL) !== 0) bits.push('special');
  const kind = level === 'pmd' ? 'huge' : 'pte';
  return `${kind}(pfn=${pfn},${bits.join(',')})`;
}
