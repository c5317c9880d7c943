/**
 * mm/truncate.c and mm/filemap.c, following Linux v6.6: what ftruncate() does to one page-cache
 * folio beyond the new size -- unmap it from every vma that maps the file, then remove it from
 * the page cache, whose reference was the last one once the mappings are gone.
 *
 * Simplifications: the vmas of the file are given as address ranges (the i_mmap interval tree's
 * walk, vma_interval_tree_foreach(), in their order); i_mmap_lock_read() is not modelled (the
 * paths it races with here take no i_mmap lock); truncate_inode_pages_range()'s folio lock,
 * xarray and writeback handling are not modelled; the folio is order 0.
 */
import type { Path } from '../../core/op.js';
import { at, WRITE_ONCE } from '../primitives.js';
import { folio_put_refs, type K } from '../mm.js';
import { zap_page_range_single } from './memory.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('mm/truncate.c');

/**
 * unmap_mapping_range() -> unmap_mapping_range_tree(): zap_page_range_single() on the part of
 * each vma that maps the range. `vmas`: [start, end) of each, in the tree's order.
 */
export const unmap_mapping_range = replaceable(function* unmap_mapping_range(k: K, vmas: readonly (readonly [number, number])[]): Path<void> {
  for (const [start, end] of vmas) yield* zap_page_range_single(k, start, end - start);
}, {
  source: 'mm/memory.c',
  description: 'unmap_mapping_range(): zap every vma mapping the range (unmap_mapping_range_vma -> zap_page_range_single)',
});

/**
 * truncate_inode_folio() -> filemap_remove_folio(): page_cache_delete() clears folio->mapping,
 * filemap_free_folio() drops the page cache's reference (folio_put_refs(folio, nr)).
 */
export const truncate_inode_folio = replaceable(function* truncate_inode_folio(k: K, folio: number): Path<void> {
  yield* WRITE_ONCE(k.L.mapping(folio), 0, at('page_cache_delete', 'folio->mapping = NULL'));
  yield* folio_put_refs(k, folio, 1, at('filemap_free_folio', 'folio_put_refs(folio, refs)'));
}, {
  description: 'truncate_inode_folio(): remove the folio from the page cache and drop its reference',
});
