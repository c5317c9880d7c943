/**
 * The generic page walker with only a pte_entry (walk_pmd_range() must split_huge_pmd() every
 * huge PMD before walking its PTEs) over an anonymous THP, against another CPU splitting the same
 * PMD (e.g. mprotect() of half the THP). Whoever takes the PMD lock first splits; the other finds
 * a page table. Both walker forms must be clean: an anonymous split always leaves a table.
 *
 * World (PTRS_PER_PTE = 2): pmd[0] maps an order-1 anon THP (page[4], page[5]) with page[1]
 * deposited; the walk is [0x0, 0x2000).
 */
import { PTE_WALK_OPS, walk_page_range } from '../kernel/paths/pagewalk.js';
import { split_huge_pmd } from '../kernel/paths/huge_memory_walkers.js';
import { anonThpWithDeposit, type Vma } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

const VMA: Vma = { name: 'anon', vm_start: 0, vm_end: 2, vm_flags: 0, anon: true, deposited: 1 };

export const pagewalkVsSplit: Scenario = {
  name: 'pagewalk-vs-split',
  description: 'walk_page_range() with only pte_entry (splits huge PMDs) over an anon THP against split_huge_pmd() of the same PMD on another CPU',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => anonThpWithDeposit(b, 4, 1, 0, 1),
  threads: (k) => [
    {
      name: 'walk_page_range(0x0, 0x2000, pte_walk_ops)',
      *start() {
        return yield* walk_page_range(k, [VMA], 0, 2, PTE_WALK_OPS);
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
    { variants: { walk_pmd_range: 'no-unstable-check' }, note: 'an anon split always leaves a table, so the missing re-check is never needed here' },
    { variants: { walk_pte_range: 'no-action-again' }, note: 'an anon split always leaves a table: pte_offset_map_lock() never fails here' },
    { variants: {}, note: 'v6.6: split, then pte_offset_map_lock() validates the table (ACTION_AGAIN if not)' },
    { variants: { walk_pmd_range: 'v6.4-pmd-trans-unstable' }, note: 'v5.6-v6.4: split, pmd_trans_unstable() re-check; an anon split always leaves a table' },
  ],
};
