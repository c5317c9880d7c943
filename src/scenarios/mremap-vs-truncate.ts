/**
 * mremap() moving a shared file page's PTE to a new address, against ftruncate() of the file
 * (CVE-2018-18281, Jann Horn): truncation zaps the new mapping under the new PTE table's lock
 * only -- it takes no mmap_lock and mremap() no i_mmap lock here -- flushes its own TLB range,
 * and drops the page cache's reference, freeing the page. If mremap() has not flushed the old
 * address by then, another CPU's TLB can still reach the freed page through it. The rmap walk
 * of the truncation visits the old vma before the new one (why mremap() may skip the rmap
 * locks), so its zap of the old address waits for the old PTL; the window is a clean PTE's
 * flush, which v4.18 deferred past both PTLs.
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1 maps page[4] (page cache, MAP_SHARED PROT_READ:
 * read-only and clean, as in LTP's mremap06 reproducer of the CVE) at 0x0;
 * pmd[1] -> pt2, the destination table, empty (alloc_new_pmd()/__pte_alloc() done).
 * Threads: cpu0 mremap(0x0, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x2000);
 * cpu1 ftruncate(fd, 0): unmap_mapping_range() over the old and the new vma, then
 * truncate_inode_folio().
 * The truncation side is the v6.6 code; what the race needs of it -- the zap flushes its own
 * range before it drops the mapping's reference, truncation then drops the page cache's -- is
 * what v4.18 does too (its zap_pte_range() flushed a dirty shared PTE's range before freeing).
 */
import { mmap_write_lock, mmap_write_unlock } from '../kernel/mm.js';
import { at } from '../kernel/primitives.js';
import { move_page_tables } from '../kernel/paths/mremap.js';
import { truncate_inode_folio, unmap_mapping_range } from '../kernel/paths/truncate.js';
import { filePagePteMapped } from '../kernel/walkers_world.js';
import type { Scenario } from './scenario.js';

export const mremapVsTruncate: Scenario = {
  name: 'mremap-vs-truncate',
  description: 'mremap() moving a shared file PTE (move_page_tables) against ftruncate() zapping the new mapping and freeing the page',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => filePagePteMapped(b.pageTable(0, 1).pageTable(1, 2), 4, 1, 0),
  threads: (k) => [
    {
      name: 'mremap(0x0, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x2000)',
      *start() {
        yield* mmap_write_lock(k, at('mremap', 'mmap_write_lock_killable(current->mm)'));
        const moved = yield* move_page_tables(k, 0, 2, 1);
        yield* mmap_write_unlock(k, at('mremap', 'mmap_write_unlock(current->mm)'));
        return moved;
      },
    },
    {
      name: 'ftruncate(fd, 0): unmap_mapping_range(); truncate_inode_folio()',
      *start() {
        yield* unmap_mapping_range(k, [[0, 1], [2, 3]]);
        yield* truncate_inode_folio(k, 4);
      },
    },
  ],
  knownRaces: [
    {
      variants: { move_page_tables: 'v4.18-flush-after-ptl' },
      invariant: 'tlb-flush-before-free',
      fixedBy: 'eb66ae030829 "mremap: properly flush TLB before releasing the page" (v4.19)',
      note: "v4.18 drops the new PTL before flushing the old address: the truncation zaps the new PTE, flushes only its own range and frees the page while cpu0's TLB flush for the old address is still to come",
    },
  ],
  cleanConfigs: [
    { variants: {}, note: 'v6.6: flush_tlb_range() before spin_unlock(new_ptl): the zap of the new PTE waits for the flush' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with an IPI TLB flush (x86 native)' },
  ],
};
