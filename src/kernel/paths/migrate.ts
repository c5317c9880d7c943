/**
 * mm/migrate.c, following Linux v6.6: migrating one order-0 anonymous folio as NUMA balancing
 * does (migrate_misplaced_folio(): isolate, migrate_pages(MIGRATE_ASYNC) -> migrate_pages_batch
 * -> migrate_folio_unmap + migrate_folio_move, or the undo path), then putback on failure.
 *
 * Why GUP-fast cannot slip in (kernel-paths.md §5): after try_to_migrate_one() replaced the
 * PTE, a GUP-fast that read the old PTE fails its re-check and drops its speculative reference;
 * an anon-exclusive page that may be pinned is refused by page_try_share_anon_rmap(); any
 * other reference keeps _refcount above the expected count, so folio_migrate_mapping() says
 * -EAGAIN ("if (folio_ref_count(folio) != expected_count) return -EAGAIN") and the
 * migration entries are removed again, back to the source.
 *
 * Simplifications (one line each):
 * - One pass: the NR_MAX_MIGRATE_PAGES_RETRY re-tries of a folio that got -EAGAIN are not
 *   modelled; the folio goes straight to the failure path (undo, putback).
 * - LRU batches, memcg, the anon_vma reference and statistics are not modelled; the
 *   destination is private until remove_migration_ptes() publishes it, so its flag copy is
 *   one load of the source's flags and one store.
 * - The data copy (folio_copy) has no shared-state effect in the model: a ghost note marks it.
 */
import type { Path } from '../../core/op.js';
import { at, atomic_add, clear_bit, ghost, load, READ_ONCE, set_bit, store, test_and_set_bit } from '../primitives.js';
import { alloc_pages, folio_put, folio_ref_count, type K } from '../mm.js';
import { PG_anon_exclusive, PG_dirty, PG_locked, PG_lru, PG_referenced, PG_swapbacked, PG_uptodate } from '../world.js';
import { remove_migration_ptes, try_to_migrate, try_to_unmap_flush, TTU_BATCH_FLUSH, type TlbBatch } from './rmap.js';
import { EAGAIN } from './huge_memory.js';
import { kernelSource } from '../replaceable.js';
import { ENOMEM } from '../errno.js';

const replaceable = kernelSource('mm/migrate.c');

export const MIGRATEPAGE_SUCCESS = 0;
export const MIGRATEPAGE_UNMAP = 1;

/** folio_isolate_lru(), v6.6: the isolation reference the whole migration runs under */
export const folio_isolate_lru = replaceable(function* folio_isolate_lru(k: K, folio: number): Path<boolean> {
  const fn = 'folio_isolate_lru';
  const old = yield { kind: 'rmw', loc: k.L.flags(folio), rmw: 'andnot', a: PG_lru, b: 0, order: 'full', label: at(fn, 'if (folio_test_clear_lru(folio))'), returns: { kind: 'bit', bit: PG_lru } } as const;
  if ((old & PG_lru) === 0) return false;
  yield* atomic_add(k.L.refcount(folio), 1, at(fn, 'folio_get(folio)'));
  // the isolation reference: references-balanced accounts for it until it is dropped
  yield* ghost({ type: 'extra_ref', pfn: folio, delta: 1 }, at(fn, 'folio_get(folio)'));
  return true;
}, {
  description: 'folio_isolate_lru(), v6.6: the isolation reference the whole migration runs under',
});

/** folio_putback_lru(): back on the LRU, and the isolation reference dropped */
export const folio_putback_lru = replaceable(function* folio_putback_lru(k: K, folio: number): Path<void> {
  const fn = 'folio_putback_lru';
  yield* set_bit(PG_lru, k.L.flags(folio), at(fn, 'folio_add_lru(folio)'));
  yield* ghost({ type: 'extra_ref', pfn: folio, delta: -1 }, at(fn, 'folio_put(folio)'));
  yield* folio_put(k, folio, at(fn, 'folio_put(folio)'));
}, {
  description: 'folio_putback_lru(): back on the LRU, and the isolation reference dropped',
});

/**
 * folio_migrate_mapping(NULL, newfolio, folio, 0), v6.6: for an anonymous folio without a
 * mapping the only refcount gate is the expected-count check; "No turning back from here".
 */
export const folio_migrate_mapping = replaceable(function* folio_migrate_mapping(k: K, newfolio: number, folio: number, extra_count: number): Path<number> {
  const fn = 'folio_migrate_mapping';
  const expected_count = 1 + extra_count; // folio_expected_refs(NULL, folio) + extra_count
  // "Anonymous page without mapping"
  if ((yield* folio_ref_count(k, folio, at(fn, 'if (folio_ref_count(folio) != expected_count) return -EAGAIN'))) !== expected_count) return EAGAIN;
  yield* folio_migrate_mapping_commit(k, newfolio, folio);
  return MIGRATEPAGE_SUCCESS;
}, {
  aliases: ['__folio_migrate_mapping (v6.11+)'],
  description: 'anonymous folio without mapping: the expected-refcount check (-EAGAIN), then mapping/index to the new folio',
});

/** the "No turning back from here" part of folio_migrate_mapping() for a folio without mapping */
export const folio_migrate_mapping_commit = replaceable(function* folio_migrate_mapping_commit(k: K, newfolio: number, folio: number): Path<void> {
  const fn = 'folio_migrate_mapping';
  const mapping = yield* load(k.L.mapping(folio), at(fn, 'newfolio->mapping = folio->mapping'));
  yield* store(k.L.mapping(newfolio), mapping, at(fn, 'newfolio->mapping = folio->mapping'), 'once');
}, {
  description: 'the "No turning back from here" part of folio_migrate_mapping() for a folio without mapping',
});

/** folio_migrate_copy(): folio_copy() (data: a ghost note) + folio_migrate_flags() */
export const folio_migrate_copy = replaceable(function* folio_migrate_copy(k: K, newfolio: number, folio: number): Path<void> {
  yield* ghost({ type: 'folio_copy', src: folio, dst: newfolio }, at('folio_migrate_copy', 'folio_copy(newfolio, folio)'));
  const fn = 'folio_migrate_flags';
  const flags = yield* load(k.L.flags(folio), at(fn, 'if (folio_test_referenced(folio)) ... if (folio_test_dirty(folio)) ...'));
  // "PG_anon_exclusive (-> PG_mappedtodisk) is always migrated via migration entries. We can
  //  still have PG_anon_exclusive set on an effectively unmapped and unreferenced first
  //  sub-pages of an anonymous THP: we can simply copy it here via PG_mappedtodisk."
  const copied = flags & (PG_referenced | PG_uptodate | PG_dirty | PG_swapbacked | PG_anon_exclusive);
  const cur = yield* load(k.L.flags(newfolio), at(fn, 'folio_set_referenced(newfolio) ... folio_set_dirty(newfolio)'));
  yield* store(k.L.flags(newfolio), cur | copied, at(fn, 'folio_set_referenced(newfolio) ... folio_set_dirty(newfolio)'));
}, {
  description: 'folio_migrate_copy(): folio_copy() (data: a ghost note) + folio_migrate_flags()',
});

/** move_to_new_folio() -> migrate_folio() -> migrate_folio_extra(NULL, dst, src, mode, 0), v6.6 */
export const move_to_new_folio = replaceable(function* move_to_new_folio(k: K, dst: number, src: number): Path<number> {
  const fn = 'move_to_new_folio';
  // folio_mapping(src) is NULL for anon: migrate_folio()
  yield* READ_ONCE(k.L.mapping(src), at(fn, 'struct address_space *mapping = folio_mapping(src)'));
  const rc = yield* folio_migrate_mapping(k, dst, src, 0);
  if (rc !== MIGRATEPAGE_SUCCESS) return rc;
  yield* folio_migrate_copy(k, dst, src);
  // "When successful, old pagecache src->mapping must be cleared before src is freed; but
  //  stats require that PageAnon be left as PageAnon." (anon: folio_mapping_flags() is set)
  yield* READ_ONCE(k.L.mapping(src), at(fn, 'if (!folio_mapping_flags(src)) src->mapping = NULL'));
  return MIGRATEPAGE_SUCCESS;
}, {
  description: 'move_to_new_folio() -> migrate_folio() -> migrate_folio_extra(NULL, dst, src, mode, 0), v6.6',
});

interface Unmapped {
  dst: number;
  page_was_mapped: boolean;
}

/** migrate_folio_undo_src(): put the migration entries back to the source, unlock it */
const migrate_folio_undo_src = replaceable(function* migrate_folio_undo_src(k: K, src: number, page_was_mapped: boolean, address: number): Path<void> {
  if (page_was_mapped) yield* remove_migration_ptes(k, src, src, address);
  yield* clear_bit(PG_locked, k.L.flags(src), at('migrate_folio_undo_src', 'folio_unlock(src)'));
}, {
  description: 'migrate_folio_undo_src(): put the migration entries back to the source, unlock it',
});
/** migrate_folio_undo_dst(): unlock and free the unused destination */
const migrate_folio_undo_dst = replaceable(function* migrate_folio_undo_dst(k: K, dst: number): Path<void> {
  yield* clear_bit(PG_locked, k.L.flags(dst), at('migrate_folio_undo_dst', 'folio_unlock(dst)'));
  yield* folio_put(k, dst, at('migrate_folio_undo_dst', 'folio_put(dst)'));
}, {
  description: 'migrate_folio_undo_dst(): unlock and free the unused destination',
});

/**
 * migrate_folio_unmap(), v6.6 (MIGRATE_ASYNC): allocate and lock dst, lock src, replace its
 * PTEs by migration entries. Returns MIGRATEPAGE_UNMAP with the state to move, or an error
 * after undoing.
 */
export const migrate_folio_unmap = replaceable(function* migrate_folio_unmap(k: K, src: number, address: number, batch: TlbBatch): Path<{ rc: number; u: Unmapped | null }> {
  const fn = 'migrate_folio_unmap';
  if ((yield* folio_ref_count(k, src, at(fn, 'if (folio_ref_count(src) == 1)'))) === 1) {
    // "Folio was freed from under us. So we are done."
    yield* migrate_folio_done(k, src);
    return { rc: MIGRATEPAGE_SUCCESS, u: null };
  }
  const dst = yield* alloc_pages(k, 0, 'anon', at(fn, 'dst = get_new_folio(src, private)'));
  if (dst < 0) return { rc: ENOMEM, u: null };
  if (yield* test_and_set_bit(PG_locked, k.L.flags(src), at(fn, 'if (!folio_trylock(src))'))) {
    // MIGRATE_ASYNC: "if (mode == MIGRATE_ASYNC) goto out"
    yield* folio_put(k, dst, at('migrate_folio_undo_dst', 'folio_put(dst)'));
    return { rc: EAGAIN, u: null };
  }
  yield* test_and_set_bit(PG_locked, k.L.flags(dst), at(fn, 'if (unlikely(!folio_trylock(dst)))'));
  let page_was_mapped = false;
  const mapping = yield* READ_ONCE(k.L.mapping(src), at(fn, 'if (!src->mapping)'));
  if (mapping !== 0 && (yield* READ_ONCE(k.L.mapcount(src), at(fn, '} else if (folio_mapped(src)) {'))) >= 0) {
    // "Establish migration ptes"
    yield* try_to_migrate(k, src, address, TTU_BATCH_FLUSH, batch);
    page_was_mapped = true;
  }
  if ((yield* READ_ONCE(k.L.mapcount(src), at(fn, 'if (!folio_mapped(src))'))) < 0) {
    return { rc: MIGRATEPAGE_UNMAP, u: { dst, page_was_mapped } };
  }
  // rc == -EAGAIN: the folio stays mapped (pinned, or raced)
  yield* migrate_folio_undo_src(k, src, page_was_mapped, address);
  yield* migrate_folio_undo_dst(k, dst);
  return { rc: EAGAIN, u: null };
}, {
  description: 'allocate and lock dst, lock src, try_to_migrate; undo when the folio stays mapped',
});

/** migrate_folio_done(): drop the isolation reference; a migrated source is freed by it */
const migrate_folio_done = replaceable(function* migrate_folio_done(k: K, src: number): Path<void> {
  yield* ghost({ type: 'extra_ref', pfn: src, delta: -1 }, at('migrate_folio_done', 'folio_put(src)'));
  yield* folio_put(k, src, at('migrate_folio_done', 'folio_put(src)'));
}, {
  description: 'migrate_folio_done(): drop the isolation reference; a migrated source is freed by it',
});

/**
 * migrate_folio_move(), v6.6: move the data and the mapping to dst; on success the migration
 * entries now point the PTEs at dst and the source goes; on failure undo, back to the source.
 */
export const migrate_folio_move = replaceable(function* migrate_folio_move(k: K, src: number, u: Unmapped, address: number): Path<number> {
  const fn = 'migrate_folio_move';
  const { dst } = u;
  const rc = yield* move_to_new_folio(k, dst, src);
  if (rc !== MIGRATEPAGE_SUCCESS) {
    // one pass: an -EAGAIN folio is cleaned up as migrate_pages_batch() does after its retries
    yield* migrate_folio_undo_src(k, src, u.page_was_mapped, address);
    yield* migrate_folio_undo_dst(k, dst);
    return rc;
  }
  if (u.page_was_mapped) yield* remove_migration_ptes(k, src, dst, address);
  yield* clear_bit(PG_locked, k.L.flags(dst), at(fn, 'folio_unlock(dst)'));
  // "If migration is successful, decrease refcount of dst, which will not free the page
  //  because new page owner increased refcounter."
  yield* folio_put(k, dst, at(fn, 'folio_put(dst)'));
  yield* clear_bit(PG_locked, k.L.flags(src), at(fn, 'folio_unlock(src)'));
  // "A folio that has been migrated has all references removed and will be freed."
  yield* migrate_folio_done(k, src);
  return MIGRATEPAGE_SUCCESS;
}, {
  description: 'move_to_new_folio (refcount check, copy), remove_migration_ptes to dst, free src; or undo back to src',
});

/**
 * migrate_pages(&migratepages, ..., MIGRATE_ASYNC, MR_NUMA_MISPLACED) for one order-0 folio:
 * migrate_pages_batch(): unmap, try_to_unmap_flush(), move. Returns the number of folios that
 * were not migrated (0 or 1); a failed folio is still isolated (the caller puts it back).
 */
export const migrate_pages = replaceable(function* migrate_pages(k: K, src: number, address: number): Path<number> {
  const batch: TlbBatch = { flush_required: false };
  const un = yield* migrate_folio_unmap(k, src, address, batch);
  // "Flush TLBs for all unmapped folios"
  yield* try_to_unmap_flush(k, batch);
  if (un.rc === MIGRATEPAGE_SUCCESS) return 0;
  if (un.rc !== MIGRATEPAGE_UNMAP) return 1;
  const rc = yield* migrate_folio_move(k, src, un.u!, address);
  return rc === MIGRATEPAGE_SUCCESS ? 0 : 1;
}, {
  description: 'migrate_pages(&migratepages, ..., MIGRATE_ASYNC, MR_NUMA_MISPLACED) for one order-0 folio: migrate_pages_batch(): unmap, try_to_unmap_flush(), move.',
});

/**
 * migrate_misplaced_folio() as NUMA balancing calls it (v6.6, mm/migrate.c), minus the
 * node and rate-limit checks: isolate, migrate, put back what failed.
 */
export const migrate_misplaced_folio = replaceable(function* migrate_misplaced_folio(k: K, folio: number, address: number): Path<number> {
  if (!(yield* folio_isolate_lru(k, folio))) return 0;
  const nr_remaining = yield* migrate_pages(k, folio, address);
  if (nr_remaining) yield* folio_putback_lru(k, folio); // putback_movable_pages(&migratepages)
  return nr_remaining ? 0 : 1;
}, {
  description: 'migrate_misplaced_folio() as NUMA balancing calls it (v6.6, mm/migrate.c), minus the node and rate-limit checks: isolate, migrate, put back what failed.',
});
