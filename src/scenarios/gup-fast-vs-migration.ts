/**
 * GUP-fast (FOLL_GET | FOLL_WRITE, e.g. O_DIRECT into the page) on an order-0 anonymous page
 * against NUMA-balancing migration of it (migrate_misplaced_folio(): isolate, try_to_migrate,
 * folio_migrate_mapping()'s expected-refcount check, copy, remove_migration_ptes to the new
 * page; or the undo path back to the source). A FOLL_GET reference is not a pin, so the
 * PageAnonExclusive share protocol lets it through: the refcount check is what must refuse.
 *
 * World (PTRS_PER_PTE = 2): pmd[0] -> pt1 maps page[4] at 0x0; the destination page comes from
 * the allocator.
 * Threads: cpu0 get_user_pages_fast(0x0, 1, FOLL_GET | FOLL_WRITE); cpu1 migrate_misplaced_folio().
 */
import { FOLL_GET, FOLL_WRITE, get_user_pages_fast } from '../kernel/paths/gup.js';
import { migrate_misplaced_folio } from '../kernel/paths/migrate.js';
import type { Scenario } from './scenario.js';
import { MUTATION } from '../kernel/contracts.js';

export const gupFastVsMigration: Scenario = {
  name: 'gup-fast-vs-migration',
  description: 'get_user_pages_fast(FOLL_GET | FOLL_WRITE) on a small anon page against its migration (migrate_misplaced_folio)',
  kernel: 'v6.6',
  drives: {},
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'broadcast' },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET | FOLL_WRITE)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET | FOLL_WRITE);
      },
    },
    {
      name: 'migrate_misplaced_folio(page[4])',
      *start() {
        return yield* migrate_misplaced_folio(k, 4, 0);
      },
    },
  ],
  knownRaces: [
    {
      variants: { gup_pte_range: 'no-pte-recheck' },
      invariant: 'gup-page-not-migrated',
      fixedBy: MUTATION,
      note: 'without the re-check GUP keeps a reference taken after the migration entry replaced the PTE and the refcount check passed',
    },
    {
      variants: { gup_pte_range: 'x86-get_page' },
      invariant: 'no-ref-on-free-page',
      fixedBy: 'e585513b76f7 "x86/mm/gup: Switch GUP to the generic get_user_page_fast() implementation" (v4.13): the generic code takes a speculative reference and re-checks the PTE',
      note: 'the v4.12 x86 get_page() on the source page frozen at refcount 0 by migration; the broadcast flush did not wait for the irqs-off walk',
    },
    {
      variants: { folio_migrate_mapping: 'no-refcount-check' },
      invariant: 'gup-page-not-migrated',
      fixedBy: MUTATION,
      note: 'without the expected-refcount check the page GUP holds is copied and replaced: writes through the GUP reference are lost',
    },
  ],
  cleanConfigs: [
    { variants: { gup_pte_range: 'tail-page-ref' }, note: 'v4.4 GUP on an order-0 page' },
    { variants: { gup_pte_range: 'v4.5-compound-head' }, note: 'v4.5 GUP' },
    { variants: { gup_pte_range: 'no-pmd-recheck' }, note: 'v5.19 GUP' },
    { variants: {}, note: 'v6.6: folio_ref_count(src) != expected_count -> -EAGAIN, migration entries removed back to the source' },
    { variants: {}, env: { tlb: 'ipi' }, note: 'v6.6 with an IPI TLB flush (x86 native)' },
  ],
};
