/**
 * A walker with a pmd_entry (smaps_pte_range()-style: huge PMDs are handled whole under
 * pmd_trans_huge_lock(), never split; otherwise the PTEs under pte_offset_map_lock() and
 * ACTION_AGAIN if it finds no table) over an anonymous THP, against split_huge_pmd() on another
 * CPU. The walker sees either the huge PMD (under its lock) or the split table, never both.
 */
import { SMAPS_WALK_OPS, walk_page_range } from '../kernel/paths/pagewalk.js';
import { split_huge_pmd } from '../kernel/paths/huge_memory_walkers.js';
import { anonThpWithDeposit, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA: Vma = { name: 'anon', vm_start: 0, vm_end: 2, vm_flags: 0, anon: true, deposited: 1 };

export const smapsWalkVsSplit: Scenario = {
  name: 'smaps-walk-vs-split',
  description: 'walk_page_range() with a pmd_entry (smaps_pte_range: huge PMDs left to pmd_entry, not split) against split_huge_pmd() on another CPU',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => anonThpWithDeposit(b, 4, 1, 0, 1),
  threads: (k) => [
    {
      name: 'walk_page_range(0x0, 0x2000, smaps_walk_ops)',
      *start() {
        return yield* walk_page_range(k, [VMA], 0, 2, SMAPS_WALK_OPS);
      },
    },
    {
      name: 'split_huge_pmd(vma, pmd, 0x0)',
      *start() {
        yield* split_huge_pmd(k, VMA, k.L.entry(k.pmdTable, 0), 0);
      },
    },
  ],
  knownRaces: [],
  cleanConfigs: [
    { variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, note: 'smaps has a pmd_entry: walk_pmd_range() never splits' },
    { variants: { walk_pmd_range: 'no-unstable-check' }, note: 'smaps has a pmd_entry: the re-check is not reached' },{ variants: {}, note: 'v6.6: pmd_trans_huge_lock() re-checks the PMD under the PMD lock; pte_offset_map_lock() validates the table' }],
};
