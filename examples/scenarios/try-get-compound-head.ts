/**
 * try_get_compound_head() before and after Jann Horn's "mm/gup: fix try_grab_compound_head()
 * race with split_huge_page()" (June 2021, read from the patch as posted to linux-mm, Fixes:
 * 7aef4172c795; its mainline commit id is not verified here), transcribed in the v6.6 model's
 * vocabulary: page_folio() for compound_head(), folio_ref_try_add_rcu() for
 * page_cache_add_speculative(). Both replace the modelled try_get_folio() (what the function is
 * called since the folio conversion), so both are typed `typeof try_get_folio`.
 */
import { at, folio_put_refs, folio_ref_count, folio_ref_try_add_rcu, page_folio, WARN_ON_ONCE, type try_get_folio } from 'racewalk/model';

/** v5.12: the head is looked up before the reference is taken, and never again */
export const try_get_compound_head_v5_12: typeof try_get_folio = function* (k, page, refs) {
  const fn = 'try_get_compound_head';
  const head = yield* page_folio(k, page, at(fn, 'struct page *head = compound_head(page)'));
  const count = yield* folio_ref_count(k, head, at(fn, 'if (WARN_ON_ONCE(page_ref_count(head) < 0))'));
  if (yield* WARN_ON_ONCE(count < 0, 'page_ref_count(head) < 0', at(fn, 'WARN_ON_ONCE(page_ref_count(head) < 0)'))) return -1;
  if (!(yield* folio_ref_try_add_rcu(k, head, refs, at(fn, 'if (unlikely(!page_cache_add_speculative(head, refs)))')))) return -1;
  return head;
};

/**
 * The fix: "At this point we have a stable reference to the head page; but it could be that
 * between the compound_head() lookup and the refcount increment, the compound page was split,
 * in which case we'd end up holding a reference on a page that has nothing to do with the page
 * we were given anymore. So now that the head page is stable, recheck that the pages still
 * belong together."
 */
export const try_get_compound_head_fixed: typeof try_get_folio = function* (k, page, refs) {
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
};
