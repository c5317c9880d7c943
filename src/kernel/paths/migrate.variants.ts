/**
 * Broken variants of the migration paths, in the v6.6 model's vocabulary.
 */
import type { Path } from '../../core/op.js';
import type { K } from '../mm.js';
import { folio_migrate_mapping_commit, MIGRATEPAGE_SUCCESS } from './migrate.js';
import { variantsOf } from '../replaceable.js';
import { folio_migrate_mapping } from './migrate.js';

/**
 * folio_migrate_mapping() for an anonymous folio without the expected-refcount check
 * ("if (folio_ref_count(folio) != expected_count) return -EAGAIN"): a folio someone else
 * holds a reference on — a GUP-fast caller writing through it — is migrated anyway, and what
 * is written through that reference lands in the old page while the process maps the new one.
 * Not a kernel commit: the mistake the expected-count check in migrate_page_move_mapping() /
 * folio_migrate_mapping() exists to prevent.
 */
export function* folio_migrate_mapping_no_refcount_check(k: K, newfolio: number, folio: number, _extra_count: number): Path<number> {
  // "Anonymous page without mapping" — and no look at the refcount
  yield* folio_migrate_mapping_commit(k, newfolio, folio);
  return MIGRATEPAGE_SUCCESS;
}

variantsOf(() => folio_migrate_mapping, [
  {
    name: 'no-refcount-check',
    description: 'no folio_ref_count() != expected_count check: migrates a folio GUP holds, so data written through the reference is lost (not a kernel commit)',
    range: { from: 'v6.6', to: 'v6.6' },
    mutation: true,
    kernel: 'v6.6, expected-count check removed',
    fn: folio_migrate_mapping_no_refcount_check,
  },
]);
