/**
 * mm helpers shared by the paths (include/linux/mm.h, page_ref.h, pgtable.h, mm/pgtable-generic.c),
 * following v6.6. Each takes the caller's Label, since in C they are inlined into the caller and
 * a trace should name the caller's statement.
 */
import type { Label, Path } from '../core/op.js';
import {
  atomic_add_return, atomic_cmpxchg, atomic_set_release, smp_cond_load_acquire,
  atomic_add_unless, atomic_sub_and_test, at, load, READ_ONCE, rcu_read_lock, rcu_read_unlock,
  smp_call_function_many, smp_call_function_wait, spin_lock, spin_unlock, test_bit, worldOp, ghost, store, xchg,
} from './primitives.js';
import type { Geometry, KernelLayout } from './world.js';
import { ALL_CPUS, decodeCompoundHead, MM_MMAP_LOCK, PG_head, USE_CODE } from './world.js';
import { is_pmd_migration_entry, pmd_bad, pmd_none, pmd_pgtable, pmd_trans_huge } from './pgtable.js';

/** Environment choices the races depend on (see README "Environment"). */
export interface Env {
  /**
   * How flush_tlb_range() reaches other CPUs: `ipi` waits until every CPU with irqs off has
   * taken the IPI (x86 native); `broadcast` does not wait (arm64 TLBI broadcast, PV hypercall).
   */
  readonly tlb: 'ipi' | 'broadcast';
  /**
   * How page-table pages are freed: `rcu` (MMU_GATHER_RCU_TABLE_FREE: call_rcu), `ipi`
   * (tlb_remove_table_sync_one() then free), `immediate` (pre-2018 tlb_remove_table with mm_users < 2).
   */
  readonly pt_free: 'rcu' | 'ipi' | 'immediate';
  /**
   * CONFIG_SECRETMEM (memfd_secret(); default y where the arch has set_direct_map, as x86-64
   * and arm64 do): with `n`, folio_is_secretmem() is the stub that returns false without a read.
   */
  readonly secretmem: 'y' | 'n';
}

export const DEFAULT_ENV: Env = { tlb: 'broadcast', pt_free: 'rcu', secretmem: 'n' };

export const ENV_CHOICES: { readonly [K in keyof Env]: { readonly values: readonly Env[K][]; readonly description: string } } = {
  tlb: {
    values: ['broadcast', 'ipi'],
    description: "flush_tlb_range(): 'ipi' waits for CPUs with irqs off (x86 native); 'broadcast' does not (arm64 TLBI, paravirt)",
  },
  pt_free: {
    values: ['rcu', 'ipi', 'immediate'],
    description: "page-table freeing: 'rcu' (call_rcu / pte_free_defer), 'ipi' (tlb_remove_table_sync_one), 'immediate'",
  },
  secretmem: {
    values: ['y', 'n'],
    description: "CONFIG_SECRETMEM: 'y' (x86-64/arm64 default) makes GUP-fast read each small folio's flags and mapping in folio_is_secretmem(); 'n' compiles it out",
  },
};

/** What a path sees of the kernel: layout, geometry, environment and the selected variants. */
export interface K {
  readonly L: KernelLayout;
  readonly geo: Geometry;
  readonly env: Env;
  /** current->mm's PMD table (PGD..PUD folded) */
  readonly pmdTable: number;
  /** mm_cpumask(current->mm), a bitmask of CPUs (WorldBuilder.mmCpumask; default every CPU) */
  readonly mm_cpumask?: number;
  /** the location of current->mm's mm_struct field `f` (MM_WRITE_PROTECT_SEQ, MM_FLAGS, ...) */
  mm(f: number): number;
  /**
   * The same kernel with current->mm the world's mm named `name` (WorldBuilder.addMm): the
   * paths a thread runs with it walk that mm's page tables, take its mmap_lock and page_table_lock,
   * and flush its mm_cpumask.
   */
  forMm(name: string): K;
  /**
   * The implementation of modelled function `name` selected for this run: `faithful` unless a
   * variant (built-in or user-written) overrides it. Callers use this for every modelled call,
   * so a variant of gup_pte_range is what lockless_pages_from_mm really calls.
   */
  impl<F>(name: string, faithful: F): F;
}

// ---- addresses (in pages: addr = pmd_index * PTRS_PER_PTE + pte_index) ----
export const pmd_index = (k: K, addr: number): number => Math.floor(addr / k.geo.ptrsPerPte);
export const pte_index = (k: K, addr: number): number => addr % k.geo.ptrsPerPte;
/** pmd_offset(): address of the PMD entry covering addr */
export const pmd_offset = (k: K, addr: number): number => k.L.entry(k.pmdTable, pmd_index(k, addr));
/** pmd_addr_end() */
export const pmd_addr_end = (k: K, addr: number, end: number): number =>
  Math.min((pmd_index(k, addr) + 1) * k.geo.ptrsPerPte, end);
/** address of the PTE for addr in the table `pt` (pte_offset_map's result) */
export const pte_offset = (k: K, pt: number, addr: number): number => k.L.entry(pt, pte_index(k, addr));
export const fmtAddr = (addr: number): string => `0x${(addr * 0x1000).toString(16)}`;

// ---- struct page / folio ----
/** page_folio(page) / compound_head(page): one READ_ONCE of page->compound_head */
export function* page_folio(k: K, page: number, l: Label): Path<number> {
  // _compound_head(): one READ_ONCE of page->compound_head; a tail's holds (head | 1)
  const head = yield { kind: 'load', loc: k.L.compound_head(page), order: 'once', label: l, returns: { kind: 'tagged', self: page, name: 'page' } };
  return decodeCompoundHead(page, head);
}
export function* folio_ref_count(k: K, folio: number, l: Label): Path<number> {
  return yield* READ_ONCE(k.L.refcount(folio), l);
}
/**
 * `folio_ref_count(folio) < n` where the caller uses only the comparison (WARN_ON_ONCE): a blind
 * READ_ONCE (LoadOp.blind) that the path sees as the comparison alone, as C does.
 */
export function* folio_ref_count_below(k: K, folio: number, n: number, l: Label): Path<boolean> {
  return (yield { kind: 'load', loc: k.L.refcount(folio), order: 'once', label: l, returns: { kind: 'lt', value: n }, blind: true }) === 1;
}
/** folio_ref_try_add_rcu() (!CONFIG_TINY_RCU) = page_ref_add_unless(&folio->page, count, 0) */
export function* folio_ref_try_add_rcu(k: K, folio: number, count: number, l: Label): Path<boolean> {
  return yield* atomic_add_unless(k.L.refcount(folio), count, 0, l);
}
/** folio_test_large() = folio_test_head(): test_bit(PG_head, &folio->flags) */
export function* folio_test_large(k: K, folio: number, l: Label): Path<boolean> {
  return yield* test_bit(PG_head, k.L.flags(folio), l);
}

/** folio_put_refs(): drop refs; the last reference frees the folio (__folio_put) */
export function* folio_put_refs(k: K, folio: number, refs: number, l: Label): Path<void> {
  if (yield* atomic_sub_and_test(k.L.refcount(folio), refs, l)) yield* __folio_put(k, folio);
}
export function* folio_put(k: K, folio: number, l: Label): Path<void> {
  yield* folio_put_refs(k, folio, 1, l);
}
/** put_page(): folio_put(page_folio(page)) */
export function* put_page(k: K, page: number, l: Label): Path<void> {
  const folio = yield* page_folio(k, page, l);
  yield* folio_put(k, folio, l);
}

/**
 * __folio_put(): the last reference is gone. Large folios go through destroy_large_folio()
 * -> free_the_page(page, folio_order(folio)); small ones through free_unref_page(page, 0).
 * (LRU removal and memcg uncharge are not modelled: no other CPU can reach the folio here.)
 */
export function* __folio_put(k: K, folio: number): Path<void> {
  const fn = '__folio_put';
  let order = 0;
  if (yield* folio_test_large(k, folio, at(fn, 'if (unlikely(folio_test_large(folio)))'))) {
    order = yield* load(k.L.folio_order(folio), at('destroy_large_folio', 'free_the_page(&folio->page, folio_order(folio))'));
  }
  yield* free_the_page(k, folio, order, at(order > 0 ? 'destroy_large_folio' : '__folio_put_small', `free_the_page(page, ${order})`));
}

export function* free_the_page(k: K, page: number, order: number, l: Label): Path<void> {
  yield* worldOp('free_pages', [page, order], l);
}

/** alloc_pages(): returns the head pfn, -1 when out of memory */
export function* alloc_pages(k: K, order: number, use: 'anon' | 'file' | 'pagetable', l: Label): Path<number> {
  return yield* worldOp('alloc_pages', [order, USE_CODE[use]], l);
}

// ---- page tables ----
export function* pmdp_get_lockless(k: K, pmdp: number, l: Label): Path<number> {
  return yield* READ_ONCE(pmdp, l);
}
export function* ptep_get_lockless(k: K, ptep: number, l: Label): Path<number> {
  return yield* READ_ONCE(ptep, l);
}
export function* ptep_get(k: K, ptep: number, l: Label): Path<number> {
  return yield* READ_ONCE(ptep, l);
}
export function* set_pte_at(k: K, ptep: number, pte: number, l: Label): Path<void> {
  yield* store(ptep, pte, l, 'once');
}
/**
 * ptep_get_and_clear_full(): x86 SMP is an xchg (one atomic step). The kernel does not promise
 * a barrier after it (see __folio_try_share_anon_rmap()).
 */
export function* ptep_get_and_clear(k: K, ptep: number, l: Label): Path<number> {
  return yield* xchg(ptep, 0, l);
}

/**
 * pte_offset_map() as GUP-fast calls it (v6.5+): maps the table named by the caller's *copy*
 * of the PMD, inside rcu_read_lock(); returns the table's pfn, or -1 (NULL) when the copy is
 * not a page table. Reading the copy is not a shared access.
 */
export function* pte_offset_map(k: K, pmdval: number, l: Label): Path<number> {
  yield* rcu_read_lock(at('__pte_offset_map', 'rcu_read_lock()'));
  if (pmd_none(pmdval) || is_pmd_migration_entry(pmdval) || pmd_trans_huge(pmdval) || pmd_bad(pmdval)) {
    yield* rcu_read_unlock(at('__pte_offset_map', 'nomap: rcu_read_unlock()'));
    return -1;
  }
  yield* ghost({ type: 'pt_map', pt: pmd_pgtable(pmdval) }, l);
  return pmd_pgtable(pmdval);
}
/** pte_unmap(): leaves the RCU read-side section pte_offset_map() entered */
export function* pte_unmap(k: K, pt: number, l: Label): Path<void> {
  yield* ghost({ type: 'pt_unmap', pt }, l);
  yield* rcu_read_unlock(l);
}

/**
 * pte_offset_map_lock() (v6.5+, mm/pgtable-generic.c): read the PMD locklessly, take the table's
 * PTL, and re-check `pmd_same(pmdval, pmdp_get_lockless(pmd))` under it, retrying if the PMD
 * changed. Returns the table's pfn (the PTL held, RCU read-side section entered) or -1.
 */
export function* pte_offset_map_lock(k: K, pmdp: number, l: Label): Path<number> {
  const fn = 'pte_offset_map_lock';
  for (;;) {
    yield* rcu_read_lock(at('__pte_offset_map', 'rcu_read_lock()'));
    const pmdval = yield* pmdp_get_lockless(k, pmdp, at('__pte_offset_map', 'pmdval = pmdp_get_lockless(pmd)'));
    if (pmd_none(pmdval) || is_pmd_migration_entry(pmdval) || pmd_trans_huge(pmdval) || pmd_bad(pmdval)) {
      yield* rcu_read_unlock(at('__pte_offset_map', 'nomap: rcu_read_unlock()'));
      return -1;
    }
    const pt = pmd_pgtable(pmdval);
    yield* ghost({ type: 'pt_map', pt }, l);
    yield* spin_lock(k.L.ptl(pt), at(fn, 'spin_lock(ptl)'));
    const again = yield* pmdp_get_lockless(k, pmdp, at(fn, 'if (likely(pmd_same(pmdval, pmdp_get_lockless(pmd))))'));
    if (again === pmdval) return pt;
    yield* spin_unlock(k.L.ptl(pt), at(fn, 'pte_unmap_unlock(pte, ptl)'));
    yield* pte_unmap(k, pt, at(fn, 'pte_unmap_unlock(pte, ptl); goto again'));
  }
}
export function* pte_unmap_unlock(k: K, pt: number, l: Label): Path<void> {
  yield* spin_unlock(k.L.ptl(pt), l);
  yield* pte_unmap(k, pt, l);
}

/**
 * flush_tlb_range()/flush_tlb_mm(): with `tlb: ipi` an IPI every other CPU of mm_cpumask(mm)
 * must take (so it waits for those with irqs off); with `tlb: broadcast` a TLBI that waits for nobody.
 */
export function* flush_tlb_range(k: K, l: Label): Path<void> {
  // x86 flush_tlb_mm_range() -> flush_tlb_multi(mm_cpumask(mm), info): only the mm's CPUs
  if (k.env.tlb === 'ipi') yield* (k.mm_cpumask === undefined || k.mm_cpumask === ALL_CPUS ? smp_call_function_wait(l) : smp_call_function_many(k.mm_cpumask, l));
  else yield* worldOp('tlbi_broadcast', [], l);
  yield* ghost({ type: 'tlb_flushed' }, l);
}

// ---- mmap_lock (include/linux/mmap_lock.h over kernel/locking/rwsem.c) ----
// An rw_semaphore as one counter: a reader waits while a writer holds it (smp_cond_load_acquire
// is one blocking step), then adds itself with a cmpxchg that fails only if another CPU changed
// the count in between; a writer needs the count at 0. The rwsem's wait queue, handoff and
// optimistic spinning are not modelled: only the exclusion the mm code relies on.

/** mmap_read_lock(mm): down_read(&mm->mmap_lock) */
export function* mmap_read_lock(k: K, label: Label): Path<void> {
  const loc = k.mm(MM_MMAP_LOCK);
  for (;;) {
    const v = yield* smp_cond_load_acquire(loc, 'ge', 0, label);
    if ((yield* atomic_cmpxchg(loc, v, v + 1, label)) === v) return;
  }
}
/** mmap_read_unlock(mm): up_read(&mm->mmap_lock) */
export function* mmap_read_unlock(k: K, label: Label): Path<void> {
  yield* atomic_add_return(k.mm(MM_MMAP_LOCK), -1, label, 'release');
}
/** mmap_write_trylock(mm): down_write_trylock(&mm->mmap_lock), one cmpxchg 0 -> -1 */
export function* mmap_write_trylock(k: K, label: Label): Path<boolean> {
  return (yield* atomic_cmpxchg(k.mm(MM_MMAP_LOCK), 0, -1, label)) === 0;
}
/** mmap_write_lock(mm): down_write(&mm->mmap_lock) */
export function* mmap_write_lock(k: K, label: Label): Path<void> {
  const loc = k.mm(MM_MMAP_LOCK);
  for (;;) {
    yield* smp_cond_load_acquire(loc, 'eq', 0, label);
    if ((yield* atomic_cmpxchg(loc, 0, -1, label)) === 0) return;
  }
}
/** mmap_write_unlock(mm): up_write(&mm->mmap_lock) */
export function* mmap_write_unlock(k: K, label: Label): Path<void> {
  yield* atomic_set_release(k.mm(MM_MMAP_LOCK), 0, label);
}
