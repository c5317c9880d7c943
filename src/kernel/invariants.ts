/**
 * mm invariants, checked by the explorer after every step and at the end of every execution.
 * Each is a property the kernel promises (or relies on); the message of a violation says what
 * broke in kernel terms. Ghost events (`gup_hold`, `gup_pte_read`, ...) come from the paths.
 *
 * Soundness under DPOR (README "Exploration"): every invariant here is `state: 'tracked'`. What
 * a checker reads of memory (`m.mem`) and page metadata (`m.world.pages[pfn].use`/`.gen`) is
 * recorded into the footprint of the step it checks; what it remembers about another CPU's
 * events lives in a GhostMap, whose accesses are footprint too. Plain Maps are kept only for
 * state one CPU writes and only that CPU's own calls read (keyed by tid, noted at each), or
 * state read only at the end from commutative updates, or state written only at a write of a
 * memory location and read only at an access of that same location (gup-fast-progress's last
 * writer), which adds no order DPOR does not already keep between those two accesses.
 */
import type { Invariant, StepInfo } from '../core/invariant.js';
import { blindResult, type GhostEvent } from '../core/op.js';
import { isGhost } from './ghosts.js';
import { GhostMap } from '../core/ghost.js';
import { ModelError } from '../core/machine.js';
import type { KernelMachine, KernelState } from './world.js';
import {
  F_MAPCOUNT, F_NR_PAGES_MAPPED, F_PINCOUNT, F_REFCOUNT, F_COMPOUND_HEAD, isTailValue, decodeCompoundHead,
  F_FLAGS, PG_anon_exclusive, PAGE_MAPPING_ANON, PG_head, MM_WRITE_PROTECT_SEQ, SECRETMEM_MAPPING, SHMEM_MAPPING,
} from './world.js';
import {
  is_migration_entry, pmd_pgtable, pmd_trans_huge, pte_access_permitted, pte_pfn, pte_present, pmd_present, pmd_pfn,
  pmd_none,
} from './pgtable.js';
import { fmtAddr } from './mm.js';

export type KernelInvariant = Invariant<KernelState>;

const isMemWrite = (s: StepInfo): boolean => s.op.kind === 'store' || s.op.kind === 'rmw';
const locOf = (s: StepInfo): number => (s.op as { loc: number }).loc;
const cpu = (tid: number): string => `cpu${tid}`;

export const countsNonNegative: KernelInvariant = {
  name: 'refcount-nonnegative',
  state: 'tracked',
  stepKinds: ['store', 'rmw'],
  description: 'No _refcount or _pincount below zero, no _mapcount below -1 (an over-dropped reference or mapping).',
  start(m) {
    const L = m.world.L;
    return {
      step(s) {
        if (!isMemWrite(s)) return null;
        const loc = locOf(s);
        const f = L.fieldOf(loc);
        const v = m.mem[loc]!;
        if ((f === F_REFCOUNT || f === F_PINCOUNT || f === F_NR_PAGES_MAPPED) && v < 0) return `${L.nameOf(loc)} went to ${v} (${s.op.label.fn}: ${s.op.label.stmt})`;
        if (f === F_MAPCOUNT && v < -1) return `${L.nameOf(loc)} went to ${v} (${s.op.label.fn}: ${s.op.label.stmt})`;
        return null;
      },
    };
  },
};

export const noGetOnFreePage: KernelInvariant = {
  name: 'no-ref-on-free-page',
  state: 'tracked',
  stepKinds: ['store', 'rmw'],
  description: 'No reference is taken on a page whose _refcount is 0 (free, or frozen by split/migration): only get_page_unless_zero-style gets may race with freeing.',
  start(m) {
    const L = m.world.L;
    // folio_ref_freeze() (a cmpxchg to 0) by a CPU: that CPU's own page_ref_inc()/page_ref_add()
    // from 0 is its unfreeze (__split_huge_page() restores the head's count so), not a get
    const frozenBy = new GhostMap<number, number>(m, 'no-ref-on-free-page:frozenBy');
    return {
      step(s) {
        if ((s.op.kind === 'rmw' || s.op.kind === 'store') && L.fieldOf(s.op.loc) === F_REFCOUNT) {
          const pfn = L.pfnOf(s.op.loc);
          if (s.op.kind === 'rmw' && s.op.rmw === 'cmpxchg' && s.before !== 0 && m.mem[s.op.loc] === 0) frozenBy.set(pfn, s.tid);
          else if (s.op.kind === 'store') frozenBy.delete(pfn);
        }
        if (s.op.kind !== 'rmw' || s.op.rmw !== 'add' || s.op.a <= 0) return null;
        if (L.fieldOf(s.op.loc) !== F_REFCOUNT || s.before !== 0) return null;
        const pfn = L.pfnOf(s.op.loc);
        if (frozenBy.get(pfn) === s.tid) {
          frozenBy.delete(pfn);
          return null;
        }
        const state = m.world.pages[pfn]!.use === 'free' ? 'free' : 'frozen or being freed';
        return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} incremented page[${pfn}]._refcount from 0: the page is ${state}`;
      },
    };
  },
};

export const noRefOnTail: KernelInvariant = {
  name: 'no-ref-on-tail-page',
  state: 'tracked',
  stepKinds: ['rmw'],
  description: 'References are taken on the folio (compound head), never on a tail page: a tail page\'s _refcount stays 0.',
  start(m) {
    const L = m.world.L;
    return {
      step(s) {
        if (s.op.kind !== 'rmw' || (s.op.rmw !== 'add' && s.op.rmw !== 'add_unless') || s.op.a <= 0) return null;
        if (L.fieldOf(s.op.loc) !== F_REFCOUNT) return null;
        if (m.mem[s.op.loc] === s.before) return null; // add_unless failed
        const pfn = L.pfnOf(s.op.loc);
        if (!isTailValue(m.mem[L.compound_head(pfn)]!)) return null;
        return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} took a reference on tail page[${pfn}] (its head is page[${decodeCompoundHead(pfn, m.mem[L.compound_head(pfn)]!)}])`;
      },
    };
  },
};

/**
 * The pages GUP returned and a CPU has not yet released, kept per CPU: one GhostMap per CPU, so
 * two CPUs taking or dropping holds write different ghost resources and DPOR does not order
 * them against each other (they commute); a reader of a page's holders reads that page's key in
 * every CPU's map, so it is still ordered against every hold and release of the page.
 */
class Holds<T extends { readonly tid: number }> {
  private readonly perCpu: GhostMap<number, readonly T[]>[] = [];
  constructor(m: Pick<KernelMachine, 'observe' | 'touch'>, ncpu: number, name: string) {
    for (let t = 0; t < ncpu; t++) this.perCpu.push(new GhostMap(m, `${name}:cpu${t}`));
  }
  private mine(tid: number): GhostMap<number, readonly T[]> {
    const map = this.perCpu[tid];
    if (map === undefined) throw new Error(`GUP hold by cpu${tid}, beyond the ${this.perCpu.length} CPUs of the program`);
    return map;
  }
  hold(pfn: number, h: T): void {
    const map = this.mine(h.tid);
    map.set(pfn, [...(map.get(pfn) ?? []), h]);
  }
  release(tid: number, pfn: number): void {
    const map = this.mine(tid);
    const list = map.get(pfn);
    if (list === undefined) return;
    if (list.length <= 1) map.delete(pfn);
    else map.set(pfn, list.slice(1));
  }
  /** every CPU's holds on page `pfn`, by CPU */
  get(pfn: number): readonly T[] {
    let out: readonly T[] = [];
    for (const map of this.perCpu) {
      const list = map.get(pfn);
      if (list !== undefined) out = out.length === 0 ? list : [...out, ...list];
    }
    return out;
  }
  /** every held page with its holders, by CPU */
  *entries(): IterableIterator<[number, readonly T[]]> {
    const pfns = new Set<number>();
    for (const map of this.perCpu) for (const [pfn] of map) pfns.add(pfn);
    for (const pfn of [...pfns].sort((a, b) => a - b)) yield [pfn, this.get(pfn)];
  }
}
type Hold = { readonly tid: number; readonly addr: number };
type FolioHold = { readonly tid: number; readonly folio: number; readonly addr: number };

export const gupPageNotFreed: KernelInvariant = {
  name: 'gup-page-not-freed',
  state: 'tracked',
  stepKinds: ['world'],
  description: 'A page returned by GUP is not freed (or reused) while the GUP caller holds it.',
  start(m) {
    const holds = new Holds<Hold>(m, m.ncpu, 'gup-page-not-freed:holds');
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_hold')) holds.hold(ev.pfn, { tid, addr: ev.addr });
        else if (isGhost(ev, 'gup_release')) holds.release(tid, ev.pfn);
        return null;
      },
      step(s) {
        if (s.op.kind !== 'world' || s.op.name !== 'free_pages') return null;
        const [pfn, order] = s.op.args as [number, number];
        for (let p = pfn; p < pfn + (1 << order); p++) {
          const h = holds.get(p);
          if (h.length > 0) {
            return `page[${p}] was freed by ${cpu(s.tid)} (${s.op.label.fn}) while ${cpu(h[0]!.tid)} holds it from GUP (returned for ${fmtAddr(h[0]!.addr)})`;
          }
        }
        return null;
      },
    };
  },
};

export const gupReturnsMappedPage: KernelInvariant = {
  name: 'gup-returns-mapped-page',
  state: 'tracked',
  description: 'GUP keeps a reference only on the page the PTE it read mapped: a page freed and reused after the PTE read must not be returned (the PTE re-check after the speculative reference).',
  start(m) {
    const stamps = new Map<string, number>(); // keyed by tid: written and read by that CPU's own ghosts
    return {
      ghost(tid, ev: GhostEvent) {
        if (isGhost(ev, 'gup_pte_read')) {
          stamps.set(`${tid}:${ev.addr}`, m.world.pages[ev.pfn]!.gen);
          return null;
        }
        if (!isGhost(ev, 'gup_hold')) return null;
        const pfn = ev.pfn;
        const addr = ev.addr;
        const then = stamps.get(`${tid}:${addr}`);
        const now = m.world.pages[pfn]!.gen;
        if (then !== undefined && then !== now) {
          return `GUP on ${cpu(tid)} returned page[${pfn}] for ${fmtAddr(addr)}, but page[${pfn}] was freed and reallocated (generation ${then} -> ${now}) after GUP read the PTE: the caller now holds a reference on a page that is not mapped at ${fmtAddr(addr)}`;
        }
        return null;
      },
    };
  },
};

/** gup-fast-progress: the last writer of a location that a blind RMW wrote (no CPU's call) */
const BLIND_WRITER = -1_000_000;

export const gupFastProgress: KernelInvariant = {
  name: 'gup-fast-progress',
  state: 'tracked',
  stepKinds: ['load', 'store', 'rmw'],
  description: 'GUP-fast that sees only the mapping as it was before any CPU ran (every PTE present and permitted), and none of its accesses reads a value written since, returns every page.',
  start(m) {
    const L = m.world.L;
    // Defined through GUP's own reads-from, which every interleaving of one trace shares, so the
    // verdict needs no footprint beyond GUP's own accesses: "the mapping GUP saw" is the memory
    // before any CPU ran, and a call is disturbed when one of its accesses reads a location last
    // written by another CPU, or by its own CPU outside the call. `lastWriter` changes only at a
    // write of the location and is read only at an access of it, which DPOR orders already.
    // (Before: "another CPU wrote it during the call" made every write of other CPUs read which
    // call was active, which ordered it against GUP's begin and end and multiplied executions.)
    const initial = m.cells.slice();
    const lastWriter = new Map<number, number>(); // loc -> call serial of the writer, or -1 - tid outside a call
    const mine = new Map<number, { serial: number; nr: number; disturbed: boolean; allPresent: boolean; start: number }>();
    let serial = 0;
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_fast_begin')) {
          const start = ev.start;
          const nr = ev.nr;
          // the PMD table of the mm the call walks: which mm's mapping "as it was" is meant
          if (ev.pgd === undefined && m.world.mms.length > 1) {
            throw new ModelError(`${cpu(tid)}: gup_fast_begin without pgd in a world of ${m.world.mms.length} mms: emit pgd: k.pmdTable, the PMD table of the mm the call walks`);
          }
          const pgd = ev.pgd ?? m.world.pmdTable;
          let allPresent = true;
          for (let a = start; a < start + nr; a++) {
            const pmd = initial[L.entry(pgd, Math.floor(a / m.world.geo.ptrsPerPte))]!;
            if (pmd_trans_huge(pmd)) {
              if (!pte_access_permitted(pmd, ev.write === 1)) allPresent = false;
              continue;
            }
            if (pmd_none(pmd) || !pmd_present(pmd)) {
              allPresent = false;
              continue;
            }
            const pte = initial[L.entry(pmd_pgtable(pmd), a % m.world.geo.ptrsPerPte)]!;
            if (!pte_access_permitted(pte, ev.write === 1)) allPresent = false;
            else {
              const mapping = initial[L.mapping(pte_pfn(pte))]!;
              // pages GUP-fast is to refuse, leaving them to the slow path: a memfd_secret() page
              // (folio_is_secretmem), and under FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE a file page
              // other than shmem (folio_fast_pin_allowed)
              if (mapping === SECRETMEM_MAPPING) allPresent = false;
              else if (ev.pin === 1 && ev.longterm === 1 && ev.write === 1 && (mapping & PAGE_MAPPING_ANON) === 0 && mapping !== SHMEM_MAPPING) allPresent = false;
            }
          }
          // serials only need to differ between calls of one execution
          mine.set(tid, { serial: ++serial * 64 + tid, nr, disturbed: false, allPresent, start });
          return null;
        }
        if (isGhost(ev, 'gup_fast_end')) {
          const a = mine.get(tid);
          if (a === undefined) return null;
          mine.delete(tid);
          if (!a.disturbed && a.allPresent && ev.nr < a.nr) {
            return `GUP-fast on ${cpu(tid)} returned ${ev.nr} of ${a.nr} pages at ${fmtAddr(a.start)} although every PTE was present and permitted and none of its reads saw a value another CPU wrote: it fails without concurrency`;
          }
        }
        return null;
      },
      step(s) {
        const op = s.op;
        const k = op.kind;
        if (k !== 'load' && k !== 'store' && k !== 'rmw') return null;
        if ((op.kind === 'load' || op.kind === 'rmw') && op.blind === true) {
          // A blind access (the path learns only the C result): the call is disturbed when that
          // result is not the one the memory before any CPU ran gives. Neither which CPU wrote
          // the location last nor its value is looked at, so DPOR may commute it with another
          // CPU's blind add (core/execution.ts StepCell); `tid` is read only to mark the call.
          if (mine.size > 0 && blindResult(op, initial[op.loc]!) !== s.result) {
            const a = mine.get(s.tid);
            if (a !== undefined) a.disturbed = true;
          }
          // a later plain access of what a blind RMW wrote counts as disturbed, whoever wrote it
          if (op.kind === 'rmw' && m.cells[op.loc] !== s.before) lastWriter.set(op.loc, BLIND_WRITER);
          return null;
        }
        const loc = locOf(s);
        const a = mine.get(s.tid);
        const w = lastWriter.get(loc);
        if (a !== undefined && w !== undefined && w !== a.serial) a.disturbed = true;
        if (k === 'load' || (k === 'rmw' && m.cells[loc] === s.before)) return null;
        lastWriter.set(loc, a !== undefined ? a.serial : -1 - s.tid);
        return null;
      },
    };
  },
};

export const tlbFlushBeforeFree: KernelInvariant = {
  name: 'tlb-flush-before-free',
  state: 'tracked',
  stepKinds: ['store', 'rmw', 'world'],
  description: 'A page whose PTE/PMD a CPU cleared is not freed before that CPU flushes the TLB: another CPU could still access it through a stale TLB entry.',
  start(m) {
    const L = m.world.L;
    // Shared: `${tid}:${pfn}` -> step at which that CPU cleared the page's entry (read by any
    // CPU's free); the CPU's own list of its keys is thread-local, to retire them at its flush.
    const stale = new GhostMap<string, number>(m, 'tlb-flush-before-free:stale');
    const staleKeys = new Map<number, Set<string>>();
    const markStale = (tid: number, pfn: number, at: number) => {
      const key = `${tid}:${pfn}`;
      stale.set(key, at);
      let ks = staleKeys.get(tid);
      if (ks === undefined) staleKeys.set(tid, (ks = new Set()));
      ks.add(key);
    };
    // A PTE table unlinked from its PMD and flushed since (pmdp_collapse_flush) cannot be walked
    // by the MMU any more: clearing its PTEs afterwards leaves no stale TLB entry.
    const unlinking = new Map<number, Set<number>>(); // thread-local: tid -> tables it unlinked, not yet flushed
    const unreachable = new GhostMap<number, true>(m, 'tlb-flush-before-free:unreachable');
    const isTable = (v: number): boolean => !pmd_none(v) && !pmd_trans_huge(v) && !is_migration_entry(v);
    // every mm's PMD table: unlinking a PTE table from any of them makes it unreachable after the flush
    const pmdTables = new Set(m.world.mms.map((d) => d.pmdTable));
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'tlb_flushed')) {
          for (const key of staleKeys.get(tid) ?? []) stale.delete(key);
          staleKeys.delete(tid);
          for (const pt of unlinking.get(tid) ?? []) unreachable.set(pt, true);
          unlinking.delete(tid);
        }
        return null;
      },
      step(s) {
        if (isMemWrite(s)) {
          const loc = locOf(s);
          const pt = L.entryOwner(loc);
          if (pt < 0) return null;
          const before = s.before;
          const after = m.mem[loc]!;
          if (pmdTables.has(pt)) {
            if (isTable(after)) unreachable.delete(pmd_pgtable(after));
            if (isTable(before) && (!isTable(after) || pmd_pgtable(after) !== pmd_pgtable(before))) {
              let u = unlinking.get(s.tid);
              if (u === undefined) unlinking.set(s.tid, (u = new Set()));
              u.add(pmd_pgtable(before));
            }
            if (pmd_trans_huge(before) && pmd_present(before) && pmd_pfn(after) !== pmd_pfn(before)) {
              for (let i = 0; i < m.world.geo.ptrsPerPte; i++) markStale(s.tid, pmd_pfn(before) + i, s.index);
            }
          } else if (unreachable.has(pt)) {
            return null;
          } else if (pte_present(before) && (!pte_present(after) || pte_pfn(after) !== pte_pfn(before))) {
            markStale(s.tid, pte_pfn(before), s.index);
          }
          return null;
        }
        if (s.op.kind === 'world' && s.op.name === 'free_pages') {
          const [pfn, order] = s.op.args as [number, number];
          for (let p = pfn; p < pfn + (1 << order); p++) {
            for (let t = 0; t < m.ncpu; t++) {
              const at = stale.get(`${t}:${p}`);
              if (at !== undefined) return `page[${p}] freed by ${cpu(s.tid)} (${s.op.label.fn}) while a TLB may still map it: ${cpu(t)} cleared its PTE at step ${at} and has not flushed the TLB since`;
            }
          }
        }
        return null;
      },
    };
  },
};

export const noPageTableUseAfterFree: KernelInvariant = {
  name: 'no-page-table-use-after-free',
  state: 'tracked',
  stepKinds: ['load', 'store', 'rmw'],
  description: 'No CPU reads or writes an entry of a page-table page that has been freed (or reused for something else).',
  start(m) {
    const L = m.world.L;
    return {
      step(s) {
        const k = s.op.kind;
        if (k !== 'load' && k !== 'store' && k !== 'rmw') return null;
        const pt = L.entryOwner(locOf(s));
        if (pt < 0) return null;
        const use = m.world.pages[pt]!.use;
        if (use === 'pagetable' || use === 'pmd-table') return null;
        return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} accessed ${L.nameOf(locOf(s))}, but page[${pt}] is no longer a page table (it is ${use}): use-after-free of a page table`;
      },
    };
  },
};

export const pageTableNotFreedUnderWalker: KernelInvariant = {
  name: 'page-table-not-freed-under-walker',
  state: 'tracked',
  stepKinds: ['world'],
  description: 'A page-table page is not freed while some CPU still has it mapped (between pte_offset_map() and pte_unmap()): lockless walkers such as GUP-fast rely on the IPI, RCU or TLB-flush protocol that delays the free.',
  start(m) {
    // per CPU: pt -> how many times that CPU has it mapped. One map per CPU, so two walkers
    // mapping the same table write different ghost resources (they commute); the free reads
    // the table's key in every CPU's map.
    const mapped = Array.from({ length: m.ncpu }, (_, t) => new GhostMap<number, number>(m, `page-table-not-freed-under-walker:mapped:cpu${t}`));
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'pt_map')) {
          const mine = mapped[tid]!;
          mine.set(ev.pt, (mine.get(ev.pt) ?? 0) + 1);
        } else if (isGhost(ev, 'pt_unmap')) {
          const mine = mapped[tid]!;
          const n = mine.get(ev.pt) ?? 0;
          if (n > 1) mine.set(ev.pt, n - 1);
          else if (n === 1) mine.delete(ev.pt);
        }
        return null;
      },
      step(s) {
        if (s.op.kind !== 'world' || s.op.name !== 'free_pages') return null;
        const [pfn, order] = s.op.args as [number, number];
        for (let p = pfn; p < pfn + (1 << order); p++) {
          const walkers: number[] = [];
          for (let t = 0; t < mapped.length; t++) for (let k = mapped[t]!.get(p) ?? 0; k > 0; k--) walkers.push(t);
          if (walkers.length > 0) {
            return `page table page[${p}] was freed by ${cpu(s.tid)} (${s.op.label.fn}: ${s.op.label.stmt}) while ${walkers.map(cpu).join(', ')} still walks it (mapped by pte_offset_map, not yet pte_unmap'ed)`;
          }
        }
        return null;
      },
    };
  },
};

export const gupFastRejectsSecretmem: KernelInvariant = {
  name: 'gup-fast-rejects-secretmem',
  state: 'tracked',
  description: 'GUP-fast never returns a page of a memfd_secret() folio ("GUP-fast must reject all secretmem folios", mm/gup.c since v6.9): secretmem folios are removed from the direct map, and the GUP caller would access them through it.',
  start(m) {
    const L = m.world.L;
    // whether this CPU is inside get_user_pages_fast(): one CPU's own state, read by its own calls
    const inFast: boolean[] = [];
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_fast_begin')) inFast[tid] = true;
        else if (isGhost(ev, 'gup_fast_end')) inFast[tid] = false;
        else if (isGhost(ev, 'gup_hold') && inFast[tid] === true && m.mem[L.mapping(ev.folio)] === SECRETMEM_MAPPING) {
          return `GUP-fast on ${cpu(tid)} returned page[${ev.pfn}] for ${fmtAddr(ev.addr)}, a page of a secretmem folio (folio->mapping is a memfd_secret() file): folio_is_secretmem() did not reject it`;
        }
        return null;
      },
    };
  },
};

export const gupPageNotCollapsed: KernelInvariant = {
  name: 'gup-page-not-collapsed',
  state: 'tracked',
  description: 'khugepaged never collapses a page a GUP caller holds: __collapse_huge_page_isolate()\'s refcount check must see every GUP reference, or data written through it is lost when the copy replaces the page.',
  start(m) {
    const holds = new Holds<Hold>(m, m.ncpu, 'gup-page-not-collapsed:holds');
    const copied = new GhostMap<number, number>(m, 'gup-page-not-collapsed:copied'); // pfn -> page generation when collapse copied it
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_release')) holds.release(tid, ev.pfn);
        else if (isGhost(ev, 'gup_hold')) {
          const pfn = ev.pfn;
          holds.hold(pfn, { tid, addr: ev.addr });
          if (copied.get(pfn) === m.world.pages[pfn]!.gen) {
            return `GUP on ${cpu(tid)} returned page[${pfn}] for ${fmtAddr(ev.addr)} after khugepaged copied it into the new THP and unmapped it: writes through this reference are lost`;
          }
        } else if (isGhost(ev, 'collapse_copy') || isGhost(ev, 'collapse_replaced')) {
          // at the copy, and again when collapse drops the page's reference (ordered against
          // GUP's get and put of it, so DPOR cannot reorder the race away)
          const pfn = ev.pfn;
          copied.set(pfn, m.world.pages[pfn]!.gen);
          const h = holds.get(pfn);
          if (h.length > 0) {
            return `khugepaged on ${cpu(tid)} copied page[${pfn}] into a new THP and unmapped it while ${cpu(h[0]!.tid)} holds it from GUP (returned for ${fmtAddr(h[0]!.addr)}): the refcount check missed the GUP reference`;
          }
        }
        return null;
      },
    };
  },
};

export const pinnedPageNotCowShared: KernelInvariant = {
  name: 'pinned-page-not-cow-shared',
  state: 'tracked',
  stepKinds: ['store', 'rmw'],
  description: 'A page pinned by FOLL_PIN GUP (pins the call returned) stays PageAnonExclusive while pinned: fork never shares it COW with the child (it copies it instead), so a later write fault cannot replace it under the pin.',
  start(m) {
    const L = m.world.L;
    const provisional = new Map<number, number[]>(); // thread-local: tid -> pages pinned during its walk
    const returned = new GhostMap<number, number>(m, 'pinned-page-not-cow-shared:returned'); // pfn -> tid holding a returned pin
    const exclusive = (p: number): boolean => (m.mem[L.flags(p)]! & PG_anon_exclusive) !== 0;
    // PageAnon(): the folio's mapping (a tail's own is TAIL_MAPPING)
    const isAnon = (p: number): boolean => (m.mem[L.mapping(decodeCompoundHead(p, m.mem[L.compound_head(p)]!))]! & PAGE_MAPPING_ANON) !== 0;
    // only FOLL_PIN calls pin: a FOLL_GET reference does not keep a page exclusive (migration
    // and split share it legitimately), so only holds inside a pinning call count
    const pinning = new Set<number>();
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_fast_begin')) {
          if (ev.pin === 1) pinning.add(tid);
          else pinning.delete(tid);
          return null;
        }
        if (!pinning.has(tid)) return null;
        if (isGhost(ev, 'gup_hold')) provisional.set(tid, [...(provisional.get(tid) ?? []), ev.pfn]);
        else if (isGhost(ev, 'gup_release')) {
          const list = provisional.get(tid);
          const i = list?.indexOf(ev.pfn) ?? -1;
          if (i >= 0) list!.splice(i, 1);
          else if (returned.get(ev.pfn) === tid) returned.delete(ev.pfn);
        } else if (isGhost(ev, 'gup_fast_end')) {
          for (const p of provisional.get(tid) ?? []) {
            returned.set(p, tid);
            if (isAnon(p) && !exclusive(p)) return `FOLL_PIN GUP on ${cpu(tid)} returned page[${p}] pinned while it is not PageAnonExclusive: it is shared COW (fork duplicated its mapping), so a write fault will replace it under the pin`;
          }
          provisional.delete(tid);
        }
        return null;
      },
      step(s) {
        if (!isMemWrite(s) || L.fieldOf(locOf(s)) !== F_FLAGS) return null;
        const p = L.pfnOf(locOf(s));
        const t = returned.get(p);
        if (t === undefined || exclusive(p) || !isAnon(p)) return null;
        return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} cleared PageAnonExclusive of page[${p}] while ${cpu(t)} holds a FOLL_PIN pin on it: the pinned page is now shared COW with the child`;
      },
    };
  },
};

/** Mappings of every page, counted from the page tables (for the end-of-execution balance). */
function countMappings(m: KernelMachine): { pte: number[]; pmd: number[]; migration: number } {
  const { geo, L, pages } = m.world;
  const pte = new Array<number>(geo.nrPages).fill(0);
  const pmd = new Array<number>(geo.nrPages).fill(0);
  let migration = 0;
  // every mm's PMD table: a folio mapped in two mms has a mapping in each
  for (const mm of m.world.mms) {
    for (let i = 0; i < geo.ptrsPerPmd; i++) {
      const v = m.mem[L.entry(mm.pmdTable, i)]!;
      if (pmd_trans_huge(v)) pmd[pmd_pfn(v)]!++;
      else if (is_migration_entry(v)) migration++;
    }
  }
  for (let pt = 0; pt < geo.nrPages; pt++) {
    if (pages[pt]!.use !== 'pagetable') continue;
    for (let i = 0; i < geo.ptrsPerPte; i++) {
      const v = m.mem[L.entry(pt, i)]!;
      if (pte_present(v)) pte[pte_pfn(v)]!++;
      else if (is_migration_entry(v)) migration++;
    }
  }
  return { pte, pmd, migration };
}

export const referencesBalanced: KernelInvariant = {
  name: 'references-balanced',
  state: 'tracked',
  description: 'At the end every folio\'s _refcount equals its mappings plus the references its owners account for, _mapcount matches the page tables, no pin or GUP reference is left, and free pages have _refcount 0.',
  start(m) {
    // read only at the end, from updates that commute (holds and releases per CPU, added
    // deltas): the same in every order of independent events, so no footprint is needed
    const held = new Holds<Hold>({ observe() {}, touch() {} }, m.ncpu, 'references-balanced:held');
    const extra = new Map<number, number>(m.world.extraRefs);
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'gup_hold')) held.hold(ev.pfn, { tid, addr: ev.addr });
        else if (isGhost(ev, 'gup_release')) held.release(tid, ev.pfn);
        else if (isGhost(ev, 'extra_ref')) extra.set(ev.pfn, (extra.get(ev.pfn) ?? 0) + ev.delta);
        return null;
      },
      end() {
        const { geo, L, pages } = m.world;
        for (const [pfn, h] of held.entries()) if (h.length > 0) return `${cpu(h[0]!.tid)} ended still holding page[${pfn}] from GUP`;
        const maps = countMappings(m);
        if (maps.migration > 0) return `${maps.migration} migration entries are left in the page tables at the end`;
        for (let p = 0; p < geo.nrPages; p++) {
          const meta = pages[p]!;
          const ref = m.mem[L.refcount(p)]!;
          if (meta.use === 'free') {
            if (ref !== 0) return `free page[${p}] has _refcount ${ref}`;
            continue;
          }
          if (meta.use !== 'anon' && meta.use !== 'file') continue;
          if (isTailValue(m.mem[L.compound_head(p)]!)) continue;
          // the folio's size as memory says now (a split leaves order-0 pages behind)
          const n = (m.mem[L.flags(p)]! & PG_head) !== 0 ? 1 << m.mem[L.folio_order(p)]! : 1;
          let mapped = maps.pmd[p]!;
          for (let i = 0; i < n; i++) mapped += maps.pte[p + i]!;
          const want = mapped + (extra.get(p) ?? 0);
          if (ref !== want) {
            return `page[${p}] ends with _refcount ${ref}, but ${mapped} mapping(s) and ${extra.get(p) ?? 0} other reference(s) account for ${want}: a reference was ${ref > want ? 'leaked' : 'dropped twice'}`;
          }
          if (n > 1 && m.mem[L.pincount(p)] !== 0) return `folio page[${p}] ends with _pincount ${m.mem[L.pincount(p)]}`;
          for (let i = 0; i < n; i++) {
            const mc = m.mem[L.mapcount(p + i)]! + 1;
            if (mc !== maps.pte[p + i]!) return `page[${p + i}]._mapcount says ${mc} PTE mapping(s) but the page tables hold ${maps.pte[p + i]}`;
          }
        }
        return null;
      },
    };
  },
};

/**
 * Page-table walkers (mm/pagewalk.c, follow_page_pte): a PMD value is used as a page-table
 * pointer only if it is a table, and only while the PMD still points to that table unless the
 * use sits in an RCU/irq-off section whose freeing side defers (then a stale table is still
 * memory, and the walker re-validates later). Paths report uses with ghost events:
 * `pmd_table_use {pmdp, pmdval, how}` (how: 'ptl' = pmd_same() under the PTL, 'rcu', 'none' =
 * relies on mmap_lock alone) and `pmd_table_done {pmdp}`. The "still points" check runs at the
 * walker's own accesses to the table, so it does not depend on how independent steps interleave.
 */
export const pmdTableUseValidated: KernelInvariant = {
  name: 'pmd-table-use-validated',
  state: 'tracked',
  stepKinds: ['load', 'store', 'rmw'],
  description: 'A walker uses a PMD value as a page-table pointer only if it is a table, and accesses that table only while the PMD still points to it (unless inside an RCU/irq-off section whose freeing side defers).',
  start(m) {
    const L = m.world.L;
    const active = new Map<number, { pmdp: number; pmdval: number; pt: number; how: string }[]>(); // thread-local: tid -> its uses
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'pmd_table_use')) {
          const pmdp = ev.pmdp;
          const pmdval = ev.pmdval;
          if (pmd_none(pmdval) || pmd_trans_huge(pmdval) || !pmd_present(pmdval) || is_migration_entry(pmdval)) {
            return `${cpu(tid)} used ${L.nameOf(pmdp)} = ${L.formatValue(pmdp, pmdval)} as a page-table pointer: it is not a page table (an unstable PMD was not re-validated)`;
          }
          const list = active.get(tid) ?? [];
          list.push({ pmdp, pmdval, pt: pmd_pgtable(pmdval), how: ev.how });
          active.set(tid, list);
        } else if (isGhost(ev, 'pmd_table_done')) {
          const list = active.get(tid);
          if (list !== undefined) {
            const i = list.findIndex((u) => u.pmdp === ev.pmdp);
            if (i >= 0) list.splice(i, 1);
          }
        }
        return null;
      },
      step(s) {
        const k = s.op.kind;
        if (k !== 'load' && k !== 'store' && k !== 'rmw') return null;
        // which CPU stepped is looked at only for an access of a page-table entry (a blind add
        // of a refcount may then commute with another CPU's, core/execution.ts StepCell)
        const pt = L.entryOwner(locOf(s));
        if (pt < 0) return null;
        const list = active.get(s.tid);
        if (list === undefined || list.length === 0) return null;
        for (const u of list) {
          if (u.pt !== pt || u.how === 'rcu') continue;
          const now = m.mem[u.pmdp]!;
          if (now !== u.pmdval) {
            return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} accessed ${L.nameOf(locOf(s))}, but ${L.nameOf(u.pmdp)} no longer points to pt${u.pt} (it is ${L.formatValue(u.pmdp, now)}): the PMD it read (validated: ${u.how}) changed under the walk`;
          }
        }
        return null;
      },
    };
  },
};

/**
 * walk_page_range(): every address of the walked range is handed to exactly one callback
 * (pte_entry, pmd_entry, pte_hole, hugetlb_entry) or skipped by a documented rule, once.
 * Ghosts: `walk_begin {start, end}`, `walk_visit {start, end, by}`, `walk_end {err}` (a walk that
 * returns a callback's error is not required to cover its range).
 */
export const walkVisitsOnce: KernelInvariant = {
  name: 'walk-visits-once',
  state: 'tracked',
  description: 'A page-table walk hands every address of its range to exactly one callback (or skips it by rule) exactly once: a range is neither skipped silently nor visited twice.',
  start() {
    const walks = new Map<number, { start: number; end: number; seen: number[]; by: string[][] }>(); // thread-local: tid -> its walk
    return {
      ghost(tid, ev) {
        if (isGhost(ev, 'walk_begin')) {
          const start = ev.start;
          const end = ev.end;
          walks.set(tid, { start, end, seen: new Array<number>(end - start).fill(0), by: Array.from({ length: end - start }, () => []) });
        } else if (isGhost(ev, 'walk_visit')) {
          const w = walks.get(tid);
          if (w === undefined) return null;
          for (let a = ev.start; a < ev.end; a++) {
            if (a < w.start || a >= w.end) continue;
            w.seen[a - w.start]!++;
            w.by[a - w.start]!.push(ev.by);
            if (w.seen[a - w.start]! > 1) return `${cpu(tid)}'s walk handed ${fmtAddr(a)} to its callbacks twice (${w.by[a - w.start]!.join(', ')})`;
          }
        } else if (isGhost(ev, 'walk_end')) {
          const w = walks.get(tid);
          walks.delete(tid);
          // a callback's error aborts the walk by design: only a completed walk must cover its range
          if (w === undefined || ev.err !== 0) return null;
          const missed = w.seen.findIndex((n) => n === 0);
          if (missed >= 0) return `${cpu(tid)}'s walk of [${fmtAddr(w.start)}, ${fmtAddr(w.end)}) returned without handing ${fmtAddr(w.start + missed)} to any callback: the range was skipped silently`;
        }
        return null;
      },
    };
  },
};

/**
 * get_user_pages() on a mapped address in a valid VMA either returns the page or faults and
 * retries: an error (-EBUSY, -EFAULT) there is spurious. Ghost: `gup_slow_result {addr, err}`.
 */
export const gupNoSpuriousError: KernelInvariant = {
  name: 'gup-no-spurious-error',
  state: 'tracked',
  description: 'get_user_pages() on an address inside a valid VMA does not fail with an error a retry would not give (e.g. -EBUSY because a PMD changed under FOLL_SPLIT_PMD).',
  start() {
    return {
      ghost(tid, ev) {
        if (!isGhost(ev, 'gup_slow_result') || ev.err === 0) return null;
        return `get_user_pages() on ${cpu(tid)} failed with ${ev.errname} for ${fmtAddr(ev.addr)} inside a valid VMA: a racing change of the PMD made it fail where a retry would succeed`;
      },
    };
  },
};

/** Documented here so `racewalk list` shows them; raised by the paths' own VM_BUG_ON/WARN checks. */
export const kernelAssertions: { name: string; description: string }[] = [
  { name: 'VM_BUG_ON', description: 'A VM_BUG_ON()/VM_BUG_ON_PAGE() in the modelled C fired.' },
  { name: 'WARN_ON', description: 'A WARN_ON_ONCE() in the modelled C fired.' },
  { name: 'no-deadlock', description: 'Some CPU can always make progress (no CPU spinning on a lock, an IPI or a grace period that can never come).' },
  { name: 'max-steps', description: 'An execution ends within the step bound (a path that retries forever is reported, not hung on).' },
];

/** who holds what from GUP: pfn -> [{tid, folio, addr}] (the folio the reference was taken on) */
/** the gup_hold/gup_release ghost events of every CPU, with the folio each hold's reference is on */
class FolioHolds extends Holds<FolioHold> {
  ghost(tid: number, ev: GhostEvent): void {
    if (isGhost(ev, 'gup_hold')) this.hold(ev.pfn, { tid, folio: ev.folio, addr: ev.addr });
    else if (isGhost(ev, 'gup_release')) this.release(tid, ev.pfn);
  }
}

export const gupFolioNotSplit: KernelInvariant = {
  name: 'gup-folio-not-split',
  state: 'tracked',
  stepKinds: ['store', 'rmw'],
  description: 'A folio is not split while a GUP caller holds a reference or pin on it: split_huge_page()\'s folio_ref_freeze() at the expected count must fail, else the tails become independent pages whose references the GUP caller does not hold (its unpin/put goes to the wrong page).',
  start(m) {
    const L = m.world.L;
    const holds = new FolioHolds(m, m.ncpu, 'gup-folio-not-split:holds');
    return {
      ghost(tid, ev) {
        holds.ghost(tid, ev);
        return null;
      },
      step(s) {
        if (!isMemWrite(s)) return null;
        const loc = locOf(s);
        const f = L.fieldOf(loc);
        const pfn = L.pfnOf(loc);
        if (f === F_COMPOUND_HEAD) {
          const now = decodeCompoundHead(pfn, m.mem[loc]!);
          for (const h of holds.get(pfn)) {
            if (h.folio !== now) return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} made page[${pfn}] a page of its own while ${cpu(h.tid)} holds it from GUP (${fmtAddr(h.addr)}) with its reference on folio page[${h.folio}]: a GUP-pinned or referenced folio was split`;
          }
        } else if (f === F_FLAGS && (s.before & PG_head) !== 0 && (m.mem[loc]! & PG_head) === 0) {
          for (const [p, list] of holds.entries()) {
            const h = list.find((x) => x.folio === pfn);
            if (h !== undefined) return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} split folio page[${pfn}] while ${cpu(h.tid)} holds page[${p}] of it from GUP (${fmtAddr(h.addr)})`;
          }
        }
        return null;
      },
    };
  },
};

export const gupPageNotMigrated: KernelInvariant = {
  name: 'gup-page-not-migrated',
  state: 'tracked',
  description: 'Migration never copies away a page a GUP caller holds: the expected-refcount check (or the PageAnonExclusive share protocol for pins) must see the GUP reference, else what the caller writes through it lands in the old page while the process maps the copy.',
  start(m) {
    const holds = new FolioHolds(m, m.ncpu, 'gup-page-not-migrated:holds');
    const copied = new GhostMap<number, number>(m, 'gup-page-not-migrated:copied'); // src pfn -> its generation when migration copied it
    const copiedTo = new GhostMap<number, number>(m, 'gup-page-not-migrated:copiedTo'); // src pfn -> dst pfn
    return {
      ghost(tid, ev) {
        holds.ghost(tid, ev);
        if (isGhost(ev, 'gup_hold') && copied.get(ev.pfn) === m.world.pages[ev.pfn]!.gen) {
          return `GUP on ${cpu(tid)} returned page[${ev.pfn}] for ${fmtAddr(ev.addr)} after migration copied it to page[${copiedTo.get(ev.pfn)}]: writes through this reference are lost`;
        }
        if (isGhost(ev, 'folio_copy')) {
          const src = ev.src;
          copied.set(src, m.world.pages[src]!.gen);
          copiedTo.set(src, ev.dst);
          const h = holds.get(src);
          if (h.length > 0) {
            return `migration on ${cpu(tid)} copied page[${src}] to page[${ev.dst}] while ${cpu(h[0]!.tid)} holds it from GUP (${fmtAddr(h[0]!.addr)}): the expected-refcount check missed the GUP reference, and data written through it will be lost`;
          }
        }
        return null;
      },
    };
  },
};


/** world operations that only hand out pages with agreeing counts or take pages back (world.ts, paths/rcu.ts) */
const ALLOCATOR_OPS = new Set(['alloc_pages', 'free_pages', 'tlbi_broadcast', 'call_rcu', 'rcu_gp_init', 'rcu_do_batch']);

export const refcountCoversMapsAndPins: KernelInvariant = {
  name: 'refcount-covers-mapcount-and-pins',
  state: 'tracked',
  stepKinds: ['store', 'rmw', 'world'],
  description: 'No folio\'s _refcount reaches zero (frozen by folio_ref_freeze() or dropped by its last put) while the folio is still mapped (a page\'s _mapcount or the _entire_mapcount is >= 0) or pinned (_pincount of a large folio); and at the end every folio\'s _refcount is at least its mappings plus its pins.',
  start(m) {
    const { L, geo, pages } = m.world;
    const checkFolio = (p: number): string | null => {
      const use = pages[p]!.use;
      if (use !== 'anon' && use !== 'file') return null;
      if (isTailValue(m.mem[L.compound_head(p)]!)) return null;
      const large = (m.mem[L.flags(p)]! & PG_head) !== 0;
      const n = large ? 1 << m.mem[L.folio_order(p)]! : 1;
      let maps = large ? m.mem[L.entire_mapcount(p)]! + 1 : 0;
      for (let i = 0; i < n; i++) maps += m.mem[L.mapcount(p + i)]! + 1;
      const pins = large ? m.mem[L.pincount(p)]! : 0;
      const ref = m.mem[L.refcount(p)]!;
      if (ref < maps + pins) {
        return `page[${p}]._refcount is ${ref}, below its ${maps} mapping(s) plus ${pins} pin(s): a reference was dropped (or the count frozen) while the folio is still mapped or pinned`;
      }
      return null;
    };
    return {
      // Looked at only where the kernel's rule bites: a folio whose _refcount reaches zero is
      // frozen or about to be freed, and must not be mapped or pinned then (split and migration
      // freeze only after unmapping, and refuse a pinned folio). A transient dip that does not
      // reach zero is not a state the kernel acts on; a lost reference that persists is caught
      // when the count later reaches zero under a mapping, or at the end. So a step is looked
      // at only when it lowers a _refcount to 0, which keeps the footprint to that folio at
      // that step: checking the counts after every step (the old definition, gated on no
      // page-table lock being held) made every lockless get/put of GUP read the mapcounts
      // split and zap write, and multiplied the executions DPOR must run by 10 to 60.
      step(s) {
        if (s.op.kind === 'world') {
          // allocator operations hand out pages with agreeing counts or take free pages back
          if (ALLOCATOR_OPS.has(s.op.name)) return null;
          for (let p = 0; p < geo.nrPages; p++) {
            if (m.mem[L.refcount(p)] !== 0) continue;
            const msg = checkFolio(p);
            if (msg !== null) return `after ${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt}: ${msg}`;
          }
          return null;
        }
        const loc = locOf(s);
        if (L.fieldOf(loc) !== F_REFCOUNT || m.cells[loc] !== 0 || s.before <= 0) return null;
        const msg = checkFolio(L.pfnOf(loc));
        return msg === null ? null : `after ${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt}: ${msg}`;
      },
      end() {
        for (let p = 0; p < geo.nrPages; p++) {
          const msg = checkFolio(p);
          if (msg !== null) return msg;
        }
        return null;
      },
    };
  },
};

/**
 * Invariants that are not kernel guarantees but oracles for one historical bug each: a
 * violation means "this regression is back", not "the kernel broke a promise" (racewalk list
 * says so). The kernel promises neither that GUP-fast makes progress (it may always fall back
 * to the slow path) nor that get_user_pages() never fails transiently.
 */
export const REGRESSION_ORACLES: Readonly<Record<string, string>> = {
  'gup-fast-progress': 'the v4.4 GUP-fast that could never take a reference on a PTE-mapped THP tail page (fixed in v4.5)',
  'gup-no-spurious-error': 'the v6.4 FOLL_SPLIT_PMD -EBUSY on the huge zero page (fixed in v6.5)',
};

export const DEFAULT_INVARIANTS: readonly KernelInvariant[] = [
  pinnedPageNotCowShared,
  countsNonNegative,
  noGetOnFreePage,
  noRefOnTail,
  noPageTableUseAfterFree,
  pageTableNotFreedUnderWalker,
  gupPageNotCollapsed,
  gupPageNotFreed,
  gupReturnsMappedPage,
  tlbFlushBeforeFree,
  gupFastProgress,
  referencesBalanced,
  pmdTableUseValidated,
  walkVisitsOnce,
  gupNoSpuriousError,
  gupFolioNotSplit,
  gupPageNotMigrated,
  refcountCoversMapsAndPins,
  gupFastRejectsSecretmem,
];

