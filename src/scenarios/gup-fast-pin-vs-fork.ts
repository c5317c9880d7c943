/**
 * pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) against fork() copying the pinned range: fork must
 * either see the pin (page_try_dup_anon_rmap() -> -EBUSY -> copy_present_page(): the child gets
 * a copy, the parent keeps the pinned page writable and exclusive) or make GUP-fast drop it
 * (write_protect_seq changed under the walk). Otherwise the pinned page ends up shared COW
 * with the child and the parent's next write fault replaces it under the pin (57efa1fe5957).
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1 maps a small anon page page[4] at 0x0, writable and
 * exclusive; the child mm's PMD table is page[7] (empty: dup_mmap() installs the copied table). MMF_HAS_PINNED is not set yet: this pin is the process's first, and sets it
 * (mm_set_has_pinned_flag()) while fork may already be testing it.
 * Threads: cpu0 pin_user_pages_fast(0x0, 1, FOLL_PIN | FOLL_WRITE), then unpin;
 * cpu1 fork(): dup_mmap() of [0x0, 0x2000) into the child mm, then the parent's write fault at 0x0 (do_wp_page():
 * reuse if the page is still exclusive, else copy).
 */
import type { Path } from '../core/op.js';
import { FOLL_PIN, FOLL_WRITE, gup_put_folio, lockless_pages_from_mm, mm_set_has_pinned_flag } from '../kernel/paths/gup.js';
import { at, ghost, set_bit, test_bit } from '../kernel/primitives.js';
import { page_folio, type K } from '../kernel/mm.js';
import { PG_dirty } from '../kernel/world.js';
import { dup_mmap } from '../kernel/paths/fork.js';
import { do_wp_page } from '../kernel/paths/memory.js';
import type { Scenario } from './scenario.js';

/**
 * The pinning caller: pin_user_pages_fast(), then (after the device wrote the pages)
 * unpin_user_pages_dirty_lock(pages, nr, true), which marks each page dirty while still pinned.
 * (folio_lock()/folio_unlock() around folio_mark_dirty() are not modelled: no one else locks it here.)
 */
function* pin_then_unpin_dirty(k: K, start: number, nr_pages: number): Path<number> {
  const flags = FOLL_PIN | FOLL_WRITE;
  // internal_get_user_pages_fast(): the process's first pin sets MMF_HAS_PINNED, before the walk
  yield* mm_set_has_pinned_flag(k);
  yield* ghost({ type: 'gup_fast_begin', start, nr: nr_pages, write: 1, pin: 1, longterm: 0, pgd: k.pmdTable }, at('pin_user_pages_fast', 'begin'));
  const r = yield* lockless_pages_from_mm(k, start, start + nr_pages, flags);
  yield* ghost({ type: 'gup_fast_end', nr: r.nr }, at('pin_user_pages_fast', `return ${r.nr}`));
  const fn = 'unpin_user_pages_dirty_lock';
  for (const page of r.pages) {
    const folio = yield* page_folio(k, page, at(fn, 'folio = gup_folio_next(pages, npages, i, &nr)'));
    if (!(yield* test_bit(PG_dirty, k.L.flags(folio), at(fn, 'if (!folio_test_dirty(folio))')))) {
      yield* set_bit(PG_dirty, k.L.flags(folio), at(fn, 'folio_mark_dirty(folio)'));
    }
    yield* ghost({ type: 'gup_release', pfn: page }, at(fn, 'gup_put_folio(folio, nr, FOLL_PIN)'));
    yield* gup_put_folio(k, folio, 1, flags, 'gup_put_folio(folio, nr, FOLL_PIN)');
  }
  return r.nr;
}

export const gupFastPinVsFork: Scenario = {
  name: 'gup-fast-pin-vs-fork',
  description: 'pin_user_pages_fast(FOLL_PIN|FOLL_WRITE) on an anon page against fork() (copy_page_range with write_protect_seq, page_try_dup_anon_rmap, copy_present_page)',
  kernel: 'v6.6',
  drives: {FOLL_PIN: 'pin_user_pages_fast(FOLL_WRITE), unpin_user_pages_dirty_lock()'},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0).addMm('child', 7),
  threads: (k) => [
    {
      name: 'pin_user_pages_fast(0x0, 1, FOLL_PIN|FOLL_WRITE); unpin_user_pages_dirty_lock()',
      *start() {
        return yield* pin_then_unpin_dirty(k, 0, 1);
      },
    },
    {
      name: 'fork(): dup_mmap(0x0, 0x2000); the parent writes 0x0',
      *start() {
        yield* dup_mmap(k, 0, 2, k.forMm('child'));
        return yield* do_wp_page(k, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { copy_page_range: 'no-write-protect-seq' },
      invariant: 'pinned-page-not-cow-shared',
      fixedBy: '57efa1fe5957 "mm/gup: prevent gup_fast from racing with COW during fork" (v5.11)',
      note: 'fork without the write_protect_seq bracket (before 57efa1fe5957, v5.11): GUP-fast pins after fork\'s pincount check, before the parent PTE is write-protected',
    },
    {
      variants: { page_try_dup_anon_rmap: 'v5.8-always-dup' },
      invariant: 'pinned-page-not-cow-shared',
      fixedBy: '70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes" (2020-09-27, v5.9)',
      note: 'fork without the maybe-pinned check (v5.6..v5.8): even a page pinned before fork is shared COW',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'no-pte-recheck' }, note: 'fork does not free the page: the write_protect_seq check catches it' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: write_protect_seq bracket and page_try_dup_anon_rmap() -> -EBUSY -> copy_present_page()' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with IPI TLB flushes' },
  ],
};
