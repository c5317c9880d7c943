/**
 * GUP-fast of a memfd_secret() page against a CPU that isolates the page from the LRU for a
 * moment: the race of David Hildenbrand's "mm/secretmem: fix GUP-fast succeeding on secretmem
 * folios" (65291dcfcf89, v6.9-rc3, in stable; Fixes: 1507f51255c9 "mm: introduce memfd_secret
 * system call to create "secret" memory areas"). From its commit message: "folio_is_secretmem()
 * currently relies on secretmem folios being LRU folios, to save some cycles. However, folios
 * might reside in a folio batch without the LRU flag set, or temporarily have their LRU flag
 * cleared. Consequently, the LRU flag is unreliable for this purpose." GUP-fast then hands out a
 * page that is no longer in the direct map, "crashing the kernel when we would later try
 * reading/writing to the folio".
 *
 * World (CONFIG_SECRETMEM=y): pmd[0] -> pt1 maps page[4], an order-0 page of a memfd_secret()
 * file, on the LRU. cpu0: get_user_pages_fast(0x0, 1, FOLL_GET), then put_page; cpu1:
 * folio_isolate_lru() then folio_putback_lru(), as a migration attempt that fails does
 * (secretmem's migrate_folio returns -EBUSY).
 *
 * The second scenario is the case the commit message names first: secretmem_fault() ->
 * filemap_add_folio() -> folio_add_lru() left the folio in the per-CPU batch, so PG_lru is clear
 * until lru_add_drain() sets it. That one needs no race at all (racewalk says "fails without
 * concurrency"): GUP-fast before the drain always succeeds.
 *
 *   racewalk explore --scenario-file examples/scenarios/gup-fast-vs-secretmem-isolate.ts
 *   racewalk check-patch examples/scenarios/secretmem-no-lru-check.ts
 */
import { defineScenario, filePagePteMapped, get_user_pages_fast, migrate, FOLL_GET, SECRETMEM_MAPPING, at, set_bit, PG_lru, type K, type Path } from 'racewalk/model';

/** lru_add_drain() of the CPU's folio batch holding page[4]: lru_add_fn() sets PG_lru (mm/swap.c, v6.6) */
function* lru_add_drain(k: K, folio: number): Path<void> {
  yield* set_bit(PG_lru, k.L.flags(folio), at('lru_add_fn', 'folio_set_lru(folio)'));
}

const geometry = { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 };

export default defineScenario({
  name: 'gup-fast-vs-secretmem-isolate',
  description: 'get_user_pages_fast(FOLL_GET) of a memfd_secret() page against folio_isolate_lru() + folio_putback_lru() of it',
  kernel: 'v6.6',
  geometry,
  env: { secretmem: 'y' },
  world: (b) => filePagePteMapped(b.pageTable(0, 1), 4, 1, 0, false, { mapping: SECRETMEM_MAPPING }),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET);
      },
    },
    {
      name: 'folio_isolate_lru(page[4]); folio_putback_lru(page[4])',
      *start() {
        if (yield* migrate.folio_isolate_lru(k, 4)) yield* migrate.folio_putback_lru(k, 4);
      },
    },
  ],
  knownRaces: [
    {
      variants: {},
      invariant: 'gup-fast-rejects-secretmem',
      note: "v6.6's folio_is_secretmem() returns false for a folio with PG_lru clear, which a secretmem folio has while it is isolated",
      fixedBy: '65291dcfcf89 "mm/secretmem: fix GUP-fast succeeding on secretmem folios" (v6.9)',
    },
  ],
});

export const inFolioBatch = defineScenario({
  name: 'gup-fast-vs-secretmem-lru-drain',
  description: 'get_user_pages_fast(FOLL_GET) of a memfd_secret() page still in a per-CPU folio batch (PG_lru clear) against lru_add_drain()',
  kernel: 'v6.6',
  geometry,
  env: { secretmem: 'y' },
  world: (b) => filePagePteMapped(b.pageTable(0, 1), 4, 1, 0, false, { mapping: SECRETMEM_MAPPING, lru: false }),
  threads: (k) => [
    {
      name: 'get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(k, 0, 1, FOLL_GET);
      },
    },
    {
      name: 'lru_add_drain()',
      *start() {
        yield* lru_add_drain(k, 4);
      },
    },
  ],
  knownRaces: [
    {
      variants: {},
      invariant: 'gup-fast-rejects-secretmem',
      note: "the folio is in the per-CPU batch (PG_lru clear) until the drain: v6.6's folio_is_secretmem() misses it without any race",
      fixedBy: '65291dcfcf89 "mm/secretmem: fix GUP-fast succeeding on secretmem folios" (v6.9)',
    },
  ],
});
