/**
 * khugepaged's retract_page_tables() visits every VMA that maps the file, in every mm:
 * "vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff) { ... mm = vma->vm_mm; ...}"
 * (mm/khugepaged.c, v6.6). So the collapse that one mm's khugepaged scan started unlinks and
 * frees an empty PTE table of *another* mm, and a page walker running in that other mm meets it.
 * No built-in scenario has a second mm for the lockless paths; this one puts the walker in mm B.
 *
 * World (PTRS_PER_PTE = 2): the first mm's pmd[0] -> pt1 and mm B's B.pmd[0] -> pt3 are empty
 * PTE tables of the same file range (collapse_file() has already unmapped the small pages).
 * cpu0, mm B: walk_page_range(0x0, 0x2000, pte_entry + pte_hole) under B's mmap_read_lock;
 * cpu1: khugepaged retract_page_tables(): the first mm's VMA, then mm B's;
 * cpu2: the RCU kthread running pte_free_now() after a grace period.
 *
 *   racewalk explore --scenario-file examples/scenarios/retract-two-mms.ts
 *   racewalk explore --scenario-file examples/scenarios/retract-two-mms.ts --variant walk_pte_range=no-action-again
 *   racewalk explore --scenario-file examples/scenarios/retract-two-mms.ts --variant retract_page_tables=v6.1-sync-one --variant walk_pte_range=no-action-again
 *
 * v6.6: clean. Without ACTION_AGAIN the walker skips the range whose table retract unlinked under
 * it (walk-visits-once). The v6.1..v6.4 retract takes mmap_write_trylock(vma->vm_mm), mm B's
 * own mmap_lock, which the walker holds for read: that walker is clean against it.
 */
import { defineScenario, khugepaged, pagewalk, rcu, rcu_invoke, type WalkVma } from 'racewalk/model';

const VMA_B: WalkVma = { name: 'file (mm B)', vm_start: 0, vm_end: 2, vm_flags: 0, anon: false };

export default defineScenario({
  name: 'pagewalk-in-other-mm-vs-retract',
  description: "walk_page_range() in mm B against khugepaged's retract_page_tables() of the same file in the first mm and then in mm B",
  kernel: 'v6.6',
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b.pageTable(0, 1).addMm('B', 2, (B) => B.pageTable(0, 3)),
  threads: (k) => [
    {
      name: 'mm B: walk_page_range(0x0, 0x2000, pte_walk_ops)',
      *start() {
        return yield* pagewalk.walk_page_range_mmap_read_locked(k.forMm('B'), [VMA_B], 0, 2, pagewalk.PTE_WALK_OPS);
      },
    },
    {
      name: 'khugepaged: retract_page_tables(): mm 0x0, then B 0x0',
      *start() {
        // vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff): one call per VMA, in its mm
        yield* khugepaged.retract_page_tables(k, 0);
        return yield* khugepaged.retract_page_tables(k.forMm('B'), 0);
      },
    },
    rcu.rcuThread(k, (cb, pfn) => rcu_invoke(k, cb, pfn)),
  ],
  knownRaces: [
    {
      variants: { walk_pte_range: 'no-action-again' },
      invariant: 'walk-visits-once',
      fixedBy: 'deliberate mutation (no kernel shipped it)',
      note: "B's table is unlinked between the walker's pmd_none(*pmd) and pte_offset_map_lock(); without ACTION_AGAIN the range is skipped",
    },
  ],
  cleanConfigs: [
    { variants: {}, note: 'v6.6: pte_offset_map_lock() finds the table gone, ACTION_AGAIN -> pte_hole' },
    { variants: { retract_page_tables: 'v6.1-sync-one' }, note: "v6.1..v6.4 retract under mm B's mmap_write_trylock: the walker's mmap_read_lock excludes it" },
    { variants: { retract_page_tables: 'v6.0-pte-free' }, note: "v6.0 retract under mm B's mmap_write_trylock: the walker's mmap_read_lock excludes it" },
    {
      variants: { retract_page_tables: 'v6.1-sync-one', walk_pte_range: 'no-action-again' },
      note: "v6.1..v6.4 retract takes mmap_write_trylock(vma->vm_mm): mm B's mmap_lock, which the walker holds for read",
    },
  ],
});
