/**
 * Lockless fast GUP, following Linux v6.6 mm/gup.c:
 *   lockless_pages_from_mm -> gup_pgd_range (folded) -> gup_pmd_range -> gup_pte_range / gup_huge_pmd,
 *   try_grab_folio -> try_get_folio.
 * Renamed since: v6.10 gup_fast_pte_range, gup_fast_pmd_leaf, try_grab_folio_fast,
 * gup_fast_folio_allowed. The slow-path fallback (__gup_longterm_locked) is not modelled: a
 * caller that gets fewer pages would retry under mmap_lock.
 *
 * From the comment above gup_pte_range():
 *   "To pin the page, fast-gup needs to do below in order:
 *    (1) pin the page (by prefetching pte), then (2) check pte not changed.
 *    For the rest of pgtable operations where pgtable updates can be racy
 *    with fast-gup, we need to do (1) clear pte, then (2) check whether page
 *    is pinned."
 */
import type { Path } from '../../core/op.js';
import {
  at, atomic_add, ghost, local_irq_restore, local_irq_save, READ_ONCE, set_bit, smp_mb__after_atomic,
  smp_rmb, test_bit, WARN_ON_ONCE, VM_BUG_ON, load,
} from '../primitives.js';
import {
  folio_put_refs, folio_ref_count, folio_ref_count_below, folio_ref_try_add_rcu, folio_test_large, page_folio, pmd_addr_end,
  pmd_offset, pmdp_get_lockless, pte_offset, pte_offset_map, pte_unmap, ptep_get, ptep_get_lockless, type K,
} from '../mm.js';
import {
  pmd_access_permitted, pmd_pfn, pmd_present, pmd_protnone, pmd_trans_huge, pmd_write, pte_access_permitted,
  pte_devmap, pte_pfn, pte_protnone, pte_special, pte_write,
} from '../pgtable.js';
import {
  GUP_PIN_COUNTING_BIAS, MM_FLAGS, MM_WRITE_PROTECT_SEQ, MMF_HAS_PINNED, PAGE_MAPPING_ANON, PAGE_MAPPING_FLAGS, PG_anon_exclusive, PG_lru,
  PG_referenced, SECRETMEM_MAPPING, SHMEM_MAPPING,
} from '../world.js';
import { kernelSource } from '../replaceable.js';
import { PageAnon } from './rmap.js';

const replaceable = kernelSource('mm/gup.c');

// include/linux/mm.h
export const FOLL_WRITE = 0x01;
export const FOLL_GET = 0x04;
export const FOLL_LONGTERM = 0x100;
export const FOLL_PIN = 0x40000;

/** pages[] as GUP fills it: the subpages it returns, each holding one reference on its folio */
export interface GupResult {
  nr: number;
  pages: number[];
}

/**
 * try_get_folio(): the speculative reference.
 * "CAUTION: Don't use compound_head() on the page before this point" — the folio is unstable
 * until we hold a reference, so page_folio() is re-checked after folio_ref_try_add_rcu().
 */
export const try_get_folio = replaceable(function* try_get_folio(k: K, page: number, refs: number): Path<number> {
  const fn = 'try_get_folio';
  for (;;) {
    const folio = yield* page_folio(k, page, at(fn, 'retry: folio = page_folio(page)'));
    const negative = yield* folio_ref_count_below(k, folio, 0, at(fn, 'if (WARN_ON_ONCE(folio_ref_count(folio) < 0))'));
    if (yield* WARN_ON_ONCE(negative, 'folio_ref_count(folio) < 0', at(fn, 'WARN_ON_ONCE(folio_ref_count(folio) < 0)'))) return -1;
    if (!(yield* folio_ref_try_add_rcu(k, folio, refs, at(fn, 'if (unlikely(!folio_ref_try_add_rcu(folio, refs))) return NULL')))) return -1;
    // The folio may have been split or freed and reused under us: re-check after the ref.
    if ((yield* page_folio(k, page, at(fn, 'if (unlikely(page_folio(page) != folio))'))) !== folio) {
      yield* folio_put_refs(k, folio, refs, at(fn, 'folio_put_refs(folio, refs); goto retry'));
      continue;
    }
    return folio;
  }
}, {
  aliases: ['try_get_compound_head (v5.x)'],
  description: 'page_folio, folio_ref_try_add_rcu, page_folio re-check (retry if the folio changed)',
});

/** try_grab_folio() (v6.6; v6.10+: try_grab_folio_fast): FOLL_GET takes a ref, FOLL_PIN a pin */
export const try_grab_folio = replaceable(function* try_grab_folio(k: K, page: number, refs: number, flags: number): Path<number> {
  const fn = 'try_grab_folio';
  if (flags & FOLL_GET) return yield* try_get_folio(k, page, refs);
  // FOLL_PIN (the zero page is not modelled)
  const folio = yield* try_get_folio(k, page, refs);
  if (folio < 0) return -1;
  // "When pinning a large folio, use an exact count to track it. However, be sure to *also*
  //  increment the normal folio refcount field at least once, so that the folio really is pinned."
  if (yield* folio_test_large(k, folio, at(fn, 'if (folio_test_large(folio))'))) {
    yield* atomic_add(k.L.pincount(folio), refs, at(fn, 'atomic_add(refs, &folio->_pincount)'));
  } else {
    yield* atomic_add(k.L.refcount(folio), refs * (GUP_PIN_COUNTING_BIAS - 1), at(fn, 'folio_ref_add(folio, refs * (GUP_PIN_COUNTING_BIAS - 1))'));
  }
  // "Adjust the pincount before re-checking the PTE for changes. This is essentially a
  //  smp_mb() and is paired with a memory barrier in page_try_share_anon_rmap()."
  yield* smp_mb__after_atomic(at(fn, 'smp_mb__after_atomic()'));
  return folio;
}, {
  aliases: ['try_grab_folio_fast (v6.10+)', 'try_grab_compound_head (v5.7-v5.19)'],
  description: 'FOLL_GET: try_get_folio; FOLL_PIN: also _pincount or GUP_PIN_COUNTING_BIAS, then smp_mb__after_atomic',
});

/** gup_put_folio(): undo try_grab_folio() */
export const gup_put_folio = replaceable(function* gup_put_folio(k: K, folio: number, refs: number, flags: number, stmt = 'gup_put_folio(folio, 1, flags)'): Path<void> {
  const fn = 'gup_put_folio';
  if (flags & FOLL_PIN) {
    if (yield* folio_test_large(k, folio, at(fn, 'if (folio_test_large(folio))'))) {
      yield* atomic_add(k.L.pincount(folio), -refs, at(fn, 'atomic_sub(refs, &folio->_pincount)'));
    } else {
      refs *= GUP_PIN_COUNTING_BIAS;
    }
  }
  yield* folio_put_refs(k, folio, refs, at(fn, stmt));
}, {
  description: 'gup_put_folio(): undo try_grab_folio()',
});

/**
 * gup_must_unshare(NULL, flags, page): for an R/O FOLL_PIN of an anon page, the pin is only
 * allowed while the page is PageAnonExclusive (mm/internal.h). FOLL_GET never needs to unshare.
 */
export const gup_must_unshare = replaceable(function* gup_must_unshare(k: K, flags: number, page: number): Path<boolean> {
  const fn = 'gup_must_unshare';
  if ((flags & (FOLL_WRITE | FOLL_PIN)) !== FOLL_PIN) return false;
  // "Note: PageAnon(page) is stable until the page is actually getting freed." PageAnon() is
  // folio_test_anon(page_folio(page)): a tail's own ->mapping is TAIL_MAPPING
  if (!(yield* PageAnon(k, page, fn))) return false; // file pages: only FOLL_LONGTERM, not modelled
  // "Paired with a memory barrier in page_try_share_anon_rmap()."
  yield* smp_rmb(at(fn, 'smp_rmb()'));
  return !(yield* test_bit(PG_anon_exclusive, k.L.flags(page), at(fn, 'return !PageAnonExclusive(page)')));
}, {
  description: 'gup_must_unshare(NULL, flags, page): for an R/O FOLL_PIN of an anon page, the pin is only allowed while the page is PageAnonExclusive (mm/internal.h).',
});

/**
 * folio_is_secretmem(), v6.6 include/linux/secretmem.h (CONFIG_SECRETMEM=y; the =n stub returns
 * false). memfd_secret() folios are gone from the direct map, so GUP-fast must not hand them to
 * a caller that would read or write them through it. v6.6's early exit on !folio_test_lru() is
 * the bug that 65291dcfcf89 "mm/secretmem: fix GUP-fast succeeding on secretmem folios" (v6.9,
 * backported to stable) removed: a secretmem folio in a per-CPU folio batch, or isolated from
 * the LRU for a moment, has PG_lru clear. The two plain loads of folio->mapping are one load
 * here (the compiler may merge them).
 */
export const folio_is_secretmem = kernelSource('include/linux/secretmem.h')(function* folio_is_secretmem(k: K, folio: number): Path<boolean> {
  const fn = 'folio_is_secretmem';
  if (k.env.secretmem === 'n') return false;
  // "Using folio_mapping() is quite slow because of the actual call instruction. We know that
  //  secretmem pages are not compound and LRU so we can save a couple of cycles here."
  if (yield* folio_test_large(k, folio, at(fn, 'if (folio_test_large(folio) ||'))) return false;
  if (!(yield* test_bit(PG_lru, k.L.flags(folio), at(fn, '    !folio_test_lru(folio)) return false')))) return false;
  const raw = yield* load(k.L.mapping(folio), at(fn, 'mapping = (struct address_space *)((unsigned long)folio->mapping & ~PAGE_MAPPING_FLAGS)'));
  const mapping = raw & ~PAGE_MAPPING_FLAGS;
  if (mapping === 0 || mapping !== raw) return false; // "if (!mapping || mapping != folio->mapping)"
  return mapping === SECRETMEM_MAPPING; // "return mapping->a_ops == &secretmem_aops"
}, {
  description: 'folio_is_secretmem(): false for a large or non-LRU folio, else whether folio->mapping is a secretmem address_space (v6.6, with the !folio_test_lru early exit)',
});

/**
 * folio_fast_pin_allowed(), v6.6 mm/gup.c (v6.10+: gup_fast_folio_allowed, which also absorbed
 * folio_is_secretmem): "Writing to pinned file-backed dirty tracked folios is inherently
 * problematic ... We therefore try to avoid the most egregious case of a long-term mapping doing
 * so." Only FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE reads anything. PG_slab and PG_hugetlb are not
 * modelled (no slab or hugetlb folio is GUP-fast-pinned here): their tests read folio->flags
 * and find them clear.
 */
export const folio_fast_pin_allowed = replaceable(function* folio_fast_pin_allowed(k: K, folio: number, flags: number): Path<boolean> {
  const fn = 'folio_fast_pin_allowed';
  // "If we aren't pinning then no problematic write can occur. A long term pin is the most
  //  egregious case so this is the one we disallow."
  if ((flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) !== (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) return true;
  // "The folio is pinned, so we can safely access folio fields."
  yield* load(k.L.flags(folio), at(fn, 'if (WARN_ON_ONCE(folio_test_slab(folio))) return false'));
  // "hugetlb mappings do not require dirty-tracking."
  yield* load(k.L.flags(folio), at(fn, 'if (folio_test_hugetlb(folio)) return true'));
  // "However, there may be operations which _alter_ the mapping, so ensure we read it once and
  //  only once."
  const mapping = yield* READ_ONCE(k.L.mapping(folio), at(fn, 'mapping = READ_ONCE(folio->mapping)'));
  // "The mapping may have been truncated, in any case we cannot determine if this mapping is
  //  safe - fall back to slow path to determine how to proceed."
  if (mapping === 0) return false;
  // "Anonymous folios pose no problem."
  const mapping_flags = mapping & PAGE_MAPPING_FLAGS;
  if (mapping_flags !== 0) return (mapping_flags & PAGE_MAPPING_ANON) !== 0;
  // "The only remaining whitelisted file system is shmem."
  return mapping === SHMEM_MAPPING; // shmem_mapping(mapping): mapping->a_ops == &shmem_aops
}, {
  description: 'folio_fast_pin_allowed(): FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE of a file folio other than shmem falls back to the slow path (reads folio->mapping once)',
});

/** gup_pte_range(), v6.6 (v6.10+: gup_fast_pte_range). Returns 1 when the whole range was grabbed. */
export const gup_pte_range = replaceable(function* gup_pte_range(k: K, pmd: number, pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pte_range';
  let ret = 0;
  const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = ptep = pte_offset_map(&pmd, addr)'));
  if (ptem < 0) return 0;
  do {
    const ptep = pte_offset(k, ptem, addr);
    const pte = yield* ptep_get_lockless(k, ptep, at(fn, 'pte_t pte = ptep_get_lockless(ptep)'));
    if (pte_protnone(pte)) break;
    if (!pte_access_permitted(pte, (flags & FOLL_WRITE) !== 0)) break;
    if (pte_devmap(pte) || pte_special(pte)) break;
    const page = pte_pfn(pte);
    yield* VM_BUG_ON(page >= k.geo.nrPages, '!pfn_valid(pte_pfn(pte))', at(fn, 'VM_BUG_ON(!pfn_valid(pte_pfn(pte)))'));
    yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
    const folio = yield* try_grab_folio(k, page, 1, flags);
    if (folio < 0) break;
    if (yield* folio_is_secretmem(k, folio)) {
      yield* gup_put_folio(k, folio, 1, flags);
      break;
    }
    // Re-check the PMD (khugepaged may have cleared it to collapse, 2022) and the PTE (zap,
    // split, migration clear it before checking for pins): only then is the reference ours.
    if (
      pmd !== (yield* READ_ONCE(pmdp, at(fn, 'if (unlikely(pmd_val(pmd) != pmd_val(*pmdp)) ||'))) ||
      pte !== (yield* ptep_get(k, ptep, at(fn, '    unlikely(pte_val(pte) != pte_val(ptep_get(ptep))))')))
    ) {
      yield* gup_put_folio(k, folio, 1, flags);
      break;
    }
    if (!(yield* folio_fast_pin_allowed(k, folio, flags))) {
      yield* gup_put_folio(k, folio, 1, flags);
      break;
    }
    if (!pte_write(pte) && (yield* gup_must_unshare(k, flags, page))) {
      yield* gup_put_folio(k, folio, 1, flags);
      break;
    }
    yield* set_bit(PG_referenced, k.L.flags(folio), at(fn, 'folio_set_referenced(folio)'));
    r.pages.push(page);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr, pfn: page, folio }, at(fn, 'pages[*nr] = page; (*nr)++'));
    addr++;
  } while (addr !== end);
  if (addr === end) ret = 1;
  yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
  return ret;
}, {
  aliases: ['gup_fast_pte_range (v6.10+)'],
  description: 'GUP-fast over the PTEs of one page table: speculative reference, folio_is_secretmem, PMD and PTE re-check, folio_fast_pin_allowed, gup_must_unshare',
});

/** record_subpages() + gup_huge_pmd(), v6.6 (v6.10+: gup_fast_pmd_leaf) */
export const gup_huge_pmd = replaceable(function* gup_huge_pmd(k: K, orig: number, pmdp: number, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_huge_pmd';
  if (!pmd_access_permitted(orig, (flags & FOLL_WRITE) !== 0)) return 0;
  const page = pmd_pfn(orig) + (addr % k.geo.ptrsPerPte);
  const refs = end - addr; // record_subpages(page, addr, end, pages + *nr)
  const folio = yield* try_grab_folio(k, page, refs, flags);
  if (folio < 0) return 0;
  if (orig !== (yield* READ_ONCE(pmdp, at(fn, 'if (unlikely(pmd_val(orig) != pmd_val(*pmdp))) {')))) {
    yield* gup_put_folio(k, folio, refs, flags, 'gup_put_folio(folio, refs, flags)');
    return 0;
  }
  if (!(yield* folio_fast_pin_allowed(k, folio, flags))) {
    yield* gup_put_folio(k, folio, refs, flags, 'gup_put_folio(folio, refs, flags)');
    return 0;
  }
  if (!pmd_write(orig) && (yield* gup_must_unshare(k, flags, folio))) {
    yield* gup_put_folio(k, folio, refs, flags, 'gup_put_folio(folio, refs, flags)');
    return 0;
  }
  for (let i = 0; i < refs; i++) {
    r.pages.push(page + i);
    r.nr++;
    yield* ghost({ type: 'gup_hold', addr: addr + i, pfn: page + i, folio }, at(fn, '*nr += refs'));
  }
  yield* set_bit(PG_referenced, k.L.flags(folio), at(fn, 'folio_set_referenced(folio)'));
  return 1;
}, {
  aliases: ['gup_fast_pmd_leaf (v6.10+)'],
  description: 'GUP-fast of a PMD-mapped THP: record_subpages, try_grab_folio, PMD re-check',
});

/** gup_pmd_range() (gup_pgd_range with the upper levels folded) */
export const gup_pmd_range = replaceable(function* gup_pmd_range(k: K, addr: number, end: number, flags: number, r: GupResult): Path<number> {
  const fn = 'gup_pmd_range';
  do {
    const pmdp = pmd_offset(k, addr);
    const pmd = yield* pmdp_get_lockless(k, pmdp, at(fn, 'pmd_t pmd = pmdp_get_lockless(pmdp)'));
    const next = pmd_addr_end(k, addr, end);
    if (!pmd_present(pmd)) return 0;
    if (pmd_trans_huge(pmd)) {
      // "NUMA hinting faults need to be handled in the GUP slowpath for accounting purposes"
      if (pmd_protnone(pmd)) return 0;
      if (!(yield* gup_huge_pmd(k, pmd, pmdp, addr, next, flags, r))) return 0;
    } else if (!(yield* gup_pte_range(k, pmd, pmdp, addr, next, flags, r))) {
      return 0;
    }
    addr = next;
  } while (addr !== end);
  return 1;
}, {
  description: 'gup_pmd_range() (gup_pgd_range with the upper levels folded)',
});

/**
 * lockless_pages_from_mm(), v6.6. IRQs off over the walk: blocks IPI TLB flushes and
 * tlb_remove_table_sync_one(), and is an RCU read-side section, so page tables cannot be
 * freed under the walk. FOLL_PIN brackets the walk with mm->write_protect_seq against fork.
 */
export const lockless_pages_from_mm = replaceable(function* lockless_pages_from_mm(k: K, start: number, end: number, gup_flags: number): Path<GupResult> {
  const fn = 'lockless_pages_from_mm';
  const r: GupResult = { nr: 0, pages: [] };
  let seq = 0;
  if (gup_flags & FOLL_PIN) {
    seq = yield* READ_ONCE(k.mm(MM_WRITE_PROTECT_SEQ), at(fn, 'seq = raw_read_seqcount(&current->mm->write_protect_seq)'));
    if (seq & 1) return r;
  }
  yield* local_irq_save(at(fn, 'local_irq_save(flags)'));
  yield* gup_pmd_range(k, start, end, gup_flags, r);
  yield* local_irq_restore(at(fn, 'local_irq_restore(flags)'));
  if (gup_flags & FOLL_PIN) {
    yield* smp_rmb(at(fn, 'read_seqcount_retry(): smp_rmb()'));
    const now = yield* READ_ONCE(k.mm(MM_WRITE_PROTECT_SEQ), at(fn, 'if (read_seqcount_retry(&current->mm->write_protect_seq, seq))'));
    if (now !== seq) {
      // unpin_user_pages_lockless(): fork ran concurrently, drop every pin taken
      for (const page of r.pages) yield* unpin_user_page(k, page, 'unpin_user_pages_lockless');
      r.pages.length = 0;
      r.nr = 0;
    }
  }
  return r;
}, {
  aliases: ['gup_fast (v6.10+)'],
  description: 'write_protect_seq bracket (FOLL_PIN), local_irq_save over the walk',
});

/** unpin_user_page() / put_page() of a page GUP returned, by its caller */
export const unpin_user_page = replaceable(function* unpin_user_page(k: K, page: number, fn = 'unpin_user_page'): Path<void> {
  yield* ghost({ type: 'gup_release', pfn: page }, at(fn, 'release'));
  const folio = yield* page_folio(k, page, at(fn, 'folio = page_folio(page)'));
  yield* gup_put_folio(k, folio, 1, FOLL_PIN, 'gup_put_folio(folio, 1, FOLL_PIN)');
}, {
  description: 'unpin_user_page() / put_page() of a page GUP returned, by its caller',
});
export const put_user_page = replaceable(function* put_user_page(k: K, page: number): Path<void> {
  const fn = 'put_page';
  yield* ghost({ type: 'gup_release', pfn: page }, at(fn, 'release'));
  const folio = yield* page_folio(k, page, at(fn, 'folio = page_folio(page)'));
  yield* folio_put_refs(k, folio, 1, at(fn, 'folio_put(folio)'));
});

/**
 * The GUP-fast caller: get_user_pages_fast()/pin_user_pages_fast() over [start, start+nr_pages),
 * use the pages, then release them (put_page / unpin_user_pages).
 */
/**
 * mm_set_has_pinned_flag() (v6.6 mm/gup.c, unchanged since v5.13): "Set the MMF_HAS_PINNED if
 * not set yet; after set it'll be there for the mm's lifecycle. Avoid setting the bit unless
 * necessary, or it might cause write cache bouncing on large SMP machines for concurrent pinned
 * gups." fork's page_needs_cow_for_dma() tests it before it looks at the page's pins.
 */
export function* mm_set_has_pinned_flag(k: K): Path<void> {
  const fn = 'mm_set_has_pinned_flag';
  if (!(yield* test_bit(MMF_HAS_PINNED, k.mm(MM_FLAGS), at(fn, 'if (!test_bit(MMF_HAS_PINNED, mm_flags))')))) {
    yield* set_bit(MMF_HAS_PINNED, k.mm(MM_FLAGS), at(fn, 'set_bit(MMF_HAS_PINNED, mm_flags)'));
  }
}

export const get_user_pages_fast = replaceable(function* get_user_pages_fast(k: K, start: number, nr_pages: number, gup_flags: number): Path<GupResult> {
  // internal_get_user_pages_fast(), folded in: "if (gup_flags & FOLL_PIN)
  // mm_set_has_pinned_flag(&current->mm->flags);" before the lockless walk
  if (gup_flags & FOLL_PIN) yield* mm_set_has_pinned_flag(k);
  yield* ghost({ type: 'gup_fast_begin', start, nr: nr_pages, write: (gup_flags & FOLL_WRITE) !== 0 ? 1 : 0, pin: (gup_flags & FOLL_PIN) !== 0 ? 1 : 0, longterm: (gup_flags & FOLL_LONGTERM) !== 0 ? 1 : 0, pgd: k.pmdTable }, at('get_user_pages_fast', 'begin'));
  const r = yield* lockless_pages_from_mm(k, start, start + nr_pages, gup_flags);
  yield* ghost({ type: 'gup_fast_end', nr: r.nr }, at('get_user_pages_fast', `return ${r.nr}`));
  for (const page of r.pages) {
    if (gup_flags & FOLL_PIN) yield* unpin_user_page(k, page);
    else yield* put_user_page(k, page);
  }
  return r;
}, {
  description: 'The GUP-fast caller: get_user_pages_fast()/pin_user_pages_fast() over [start, start+nr_pages), use the pages, then release them (put_page / unpin_user_pages).',
});
