/**
 * Ghost events are racewalk's own annotations, not kernel state: a path records what it has just
 * done (`ghost({ type: 'gup_hold', ... })`) so that the invariants can judge it. Reports show
 * them apart from the kernel's memory, labelled as racewalk's, with what each one means here.
 * An event without an entry is still shown as an annotation, with its fields.
 */
export const GHOST_MEANINGS: Readonly<Record<string, string>> = {
  gup_fast_begin: 'GUP-fast starts: the range it will try to pin',
  gup_fast_end: 'GUP-fast returns: how many pages it handed back',
  gup_pte_read: 'GUP read this PTE and took its page as the one to grab',
  gup_hold: 'GUP hands this page back to its caller, who now holds a reference (checked: the page must still be mapped there)',
  gup_release: "the caller drops GUP's reference (put_page)",
  gup_slow_result: 'the slow GUP path returns (an error name when it fails)',
  extra_ref: "a reference the invariants must account for (delta: taken +1 / dropped -1)",
  pmd_table_use: 'a walker starts using the page table this PMD points to',
  pmd_table_done: 'the walker is done with that page table',
  pt_map: 'a page table is mapped for a PTE walk (pte_offset_map)',
  pt_unmap: 'the walk unmaps that page table (pte_unmap)',
  walk_begin: 'walk_page_range() starts over this range',
  walk_visit: 'the walker visits this range, by the callback named',
  walk_end: 'walk_page_range() returns',
  tlb_flushed: 'the TLB flush of this mmu_gather has completed',
  munmap_done: 'munmap() has returned: the range is unmapped',
  fork_copy: 'fork copied this page into a new one for the child',
  fork_done: 'dup_mmap() returns: the child page tables named are complete',
  folio_split: 'the folio was split into nr pages',
  folio_copy: 'migration copied the folio into its new folio',
  cow_copy: 'a COW fault copied this page into a new one',
  collapse_copy: 'khugepaged copied this page into the new huge page',
  collapse_replaced: 'khugepaged freed the page it replaced',
};

/** `[gup_hold addr=0 pfn=4 folio=4]` as the event type, its fields, and what it means. */
export function describeGhostNote(note: string): { type: string; fields: string; meaning: string } | null {
  const m = /^\[([A-Za-z0-9_]+)(?: (.*))?\]$/.exec(note);
  if (m === null) return null;
  const type = m[1]!;
  return { type, fields: m[2] ?? '', meaning: GHOST_MEANINGS[type] ?? 'a racewalk annotation (instrumentation for the invariants)' };
}

/** The one-line text form: `racewalk: gup_hold addr=0 pfn=4 folio=4 (GUP hands ...)`. */
export function ghostLine(note: string): string | null {
  const g = describeGhostNote(note);
  return g === null ? null : `racewalk: ${g.type}${g.fields ? ` ${g.fields}` : ''} (${g.meaning})`;
}
