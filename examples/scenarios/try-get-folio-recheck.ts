/**
 * Jann Horn's fix (June 2021, "mm/gup: fix try_grab_compound_head() race with split_huge_page()",
 * read from the patch as posted to linux-mm; mainline commit id not verified) as a patch file:
 * the baseline is try_get_compound_head() before it (v5.12), the patch adds the re-check "that
 * the pages still belong together" after the speculative reference. Both are transcribed in the
 * v6.6 model's vocabulary (page_folio for compound_head, folio_ref_try_add_rcu for
 * page_cache_add_speculative). The patch carries the interaction it was written for.
 *
 *   racewalk check-patch examples/scenarios/try-get-folio-recheck.ts --scenario gup-tail-vs-split
 */
import { definePatch, at, folio_put_refs, folio_ref_count, folio_ref_try_add_rcu, page_folio, WARN_ON_ONCE, type K, type Path } from 'racewalk/model';
import gupTailVsSplit from './gup-tail-vs-split.js';

/** v5.12 try_get_compound_head(): the head is looked up before the reference is taken, and never again */
function* try_get_compound_head_v5_12(k: K, page: number, refs: number): Path<number> {
  const fn = 'try_get_compound_head';
  const head = yield* page_folio(k, page, at(fn, 'struct page *head = compound_head(page)'));
  const count = yield* folio_ref_count(k, head, at(fn, 'if (WARN_ON_ONCE(page_ref_count(head) < 0))'));
  if (yield* WARN_ON_ONCE(count < 0, 'page_ref_count(head) < 0', at(fn, 'WARN_ON_ONCE(page_ref_count(head) < 0)'))) return -1;
  if (!(yield* folio_ref_try_add_rcu(k, head, refs, at(fn, 'if (unlikely(!page_cache_add_speculative(head, refs)))')))) return -1;
  return head;
}

/** the fix: "So now that the head page is stable, recheck that the pages still belong together." */
function* try_get_compound_head_fixed(k: K, page: number, refs: number): Path<number> {
  const fn = 'try_get_compound_head';
  const head = yield* page_folio(k, page, at(fn, 'struct page *head = compound_head(page)'));
  const count = yield* folio_ref_count(k, head, at(fn, 'if (WARN_ON_ONCE(page_ref_count(head) < 0))'));
  if (yield* WARN_ON_ONCE(count < 0, 'page_ref_count(head) < 0', at(fn, 'WARN_ON_ONCE(page_ref_count(head) < 0)'))) return -1;
  if (!(yield* folio_ref_try_add_rcu(k, head, refs, at(fn, 'if (unlikely(!page_cache_add_speculative(head, refs)))')))) return -1;
  if ((yield* page_folio(k, page, at(fn, 'if (unlikely(compound_head(page) != head))'))) !== head) {
    yield* folio_put_refs(k, head, refs, at(fn, 'put_page_refs(head, refs)'));
    return -1;
  }
  return head;
}

export default definePatch({
  name: 'recheck-head',
  description: 'mm/gup: fix try_grab_compound_head() race with split_huge_page()',
  kernel: 'v5.13 (Jann Horn, June 2021)',
  variants: { try_get_folio: try_get_compound_head_fixed },
  baseline: { try_get_folio: try_get_compound_head_v5_12 },
  scenarios: [gupTailVsSplit],
});
