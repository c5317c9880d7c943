/**
 * 65291dcfcf89 "mm/secretmem: fix GUP-fast succeeding on secretmem folios" (David Hildenbrand,
 * v6.9-rc3, backported to stable) as a patch file: folio_is_secretmem() without the early exit on
 * !folio_test_lru(). "Fix it by removing that unreliable check." It carries the interactions it
 * was written for (gup-fast-vs-secretmem-isolate.ts):
 *
 *   racewalk check-patch examples/scenarios/secretmem-no-lru-check.ts --env secretmem=y
 */
import { definePatch, at, folio_test_large, load, PAGE_MAPPING_FLAGS, SECRETMEM_MAPPING, type folio_is_secretmem } from 'racewalk/model';
import isolate, { inFolioBatch } from './gup-fast-vs-secretmem-isolate.js';

const folio_is_secretmem_fixed: typeof folio_is_secretmem = function* folio_is_secretmem(k, folio) {
  const fn = 'folio_is_secretmem';
  if (k.env.secretmem === 'n') return false;
  // "We know that secretmem pages are not compound, so we can save a couple of cycles here."
  if (yield* folio_test_large(k, folio, at(fn, 'if (folio_test_large(folio)) return false'))) return false;
  const raw = yield* load(k.L.mapping(folio), at(fn, 'mapping = (struct address_space *)((unsigned long)folio->mapping & ~PAGE_MAPPING_FLAGS)'));
  const mapping = raw & ~PAGE_MAPPING_FLAGS;
  if (mapping === 0 || mapping !== raw) return false;
  return mapping === SECRETMEM_MAPPING;
};

export default definePatch({
  name: 'secretmem-no-lru-check',
  description: 'mm/secretmem: fix GUP-fast succeeding on secretmem folios',
  kernel: 'v6.9-rc3 (David Hildenbrand, March 2024)',
  variants: { folio_is_secretmem: folio_is_secretmem_fixed },
  scenarios: [isolate, inFolioBatch],
});
