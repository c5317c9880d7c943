/**
 * mm invariants, checked by the explorer after every step and at the end of every execution.
 * Each is a property the kernel promises (or relies on); the message of a violation says what
 * broke in kernel terms. Ghost events (`gup_hold`, `gup_pte_read`, ...) come from the paths.
 */
import type { Checker, Invariant, StepInfo } from '../core/invariant.js';
import type { GhostEvent } from '../core/op.js';
import type { KernelMachine, KernelState } from './world.js';
import {
  F_ENTRIES, F_MAPCOUNT, F_NR_PAGES_MAPPED, F_PINCOUNT, F_REFCOUNT, F_COMPOUND_HEAD, isTailValue, decodeCompoundHead,
} from './world.js';
import {
  is_migration_entry, pmd_pgtable, pmd_trans_huge, pte_access_permitted, pte_pfn, pte_present, pmd_present, pmd_pfn,
  pmd_none, swp_offset_pfn,
} from './pgtable.js';
import { fmtAddr } from './mm.js';

export type KernelInvariant = Invariant<KernelState>;

const isMemWrite = (s: StepInfo): boolean => s.op.kind === 'store' || s.op.kind === 'rmw';
const locOf = (s: StepInfo): number => (s.op as { loc: number }).loc;
const cpu = (tid: number): string => `cpu${tid}`;

export const countsNonNegative: KernelInvariant = {
  name: 'refcount-nonnegative',
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
  description: 'No reference is taken on a page whose _refcount is 0 (free, or frozen by split/migration): only get_page_unless_zero-style gets may race with freeing.',
  start(m) {
    const L = m.world.L;
    return {
      step(s) {
        if (s.op.kind !== 'rmw' || s.op.rmw !== 'add' || s.op.a <= 0) return null;
        if (L.fieldOf(s.op.loc) !== F_REFCOUNT || s.before !== 0) return null;
        const pfn = L.pfnOf(s.op.loc);
        const state = m.world.pages[pfn]!.use === 'free' ? 'free' : 'frozen or being freed';
        return `${cpu(s.tid)} ${s.op.label.fn}: ${s.op.label.stmt} incremented page[${pfn}]._refcount from 0: the page is ${state}`;
      },
    };
  },
};

export const noRefOnTail: KernelInvariant = {
  name: 'no-ref-on-tail-page',
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

/** per-thread set of pages GUP returned and has not yet released */
class Holds {
  readonly byPfn = new Map<number, { tid: number; addr: number }[]>();
  hold(tid: number, pfn: number, addr: number): void {
    const list = this.byPfn.get(pfn) ?? [];
    list.push({ tid, addr });
    this.byPfn.set(pfn, list);
  }
  release(tid: number, pfn: number): void {
    const list = this.byPfn.get(pfn);
    if (list === undefined) return;
    const i = list.findIndex((h) => h.tid === tid);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPfn.delete(pfn);
  }
}

export const gupPageNotFreed: KernelInvariant = {
  name: 'gup-page-not-freed',
  description: 'A page returned by GUP is not freed (or reused) while the GUP caller holds it.',
  start(m) {
    const holds = new Holds();
    return {
      ghost(tid, ev) {
        if (ev.type === 'gup_hold') holds.hold(tid, ev.pfn as number, ev.addr as number);
        else if (ev.type === 'gup_release') holds.release(tid, ev.pfn as number);
        return null;
      },
      step(s) {
        if (s.op.kind !== 'world' || s.op.name !== 'free_pages') return null;
        const [pfn, order] = s.op.args as [number, number];
        for (let p = pfn; p < pfn + (1 << order); p++) {
          const h = holds.byPfn.get(p);
          if (h !== undefined && h.length > 0) {
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
  description: 'GUP keeps a reference only on the page the PTE it read mapped: a page freed and reused after the PTE read must not be returned (the PTE re-check after the speculative reference).',
  start(m) {
    const stamps = new Map<string, number>();
    return {
      ghost(tid, ev: GhostEvent) {
        if (ev.type === 'gup_pte_read') {
          stamps.set(`${tid}:${ev.addr as number}`, m.world.pages[ev.pfn as number]!.gen);
          return null;
        }
        if (ev.type !== 'gup_hold') return null;
        const pfn = ev.pfn as number;
        const addr = ev.addr as number;
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

export const gupFastProgress: KernelInvariant = {
  name: 'gup-fast-progress',
  description: 'On a mapping no other CPU touches during the call, with every PTE present and permitted, GUP-fast returns every page.',
  start(m) {
    const L = m.world.L;
    // "Touched" means GUP accessed a location (PMD, PTE, the folio's _refcount or
    // compound_head) after another CPU wrote it during the call. Defined through GUP's own
    // accesses so that every interleaving of the same trace gives the same verdict.
    let active: { tid: number; nr: number; touched: boolean; allPresent: boolean; start: number; written: Set<number> } | null = null;
    return {
      ghost(tid, ev) {
        if (ev.type === 'gup_fast_begin') {
          const start = ev.start as number;
          const nr = ev.nr as number;
          let allPresent = true;
          for (let a = start; a < start + nr; a++) {
            const pmd = m.mem[L.entry(m.world.pmdTable, Math.floor(a / m.world.geo.ptrsPerPte))]!;
            if (pmd_trans_huge(pmd)) {
              if (!pte_access_permitted(pmd, ev.write === 1)) allPresent = false;
              continue;
            }
            if (pmd_none(pmd) || !pmd_present(pmd)) {
              allPresent = false;
              continue;
            }
            if (!pte_access_permitted(m.mem[L.entry(pmd_pgtable(pmd), a % m.world.geo.ptrsPerPte)]!, ev.write === 1)) allPresent = false;
          }
          active = { tid, nr, touched: false, allPresent, start, written: new Set() };
          return null;
        }
        if (ev.type === 'gup_fast_end' && active !== null && active.tid === tid) {
          const a = active;
          active = null;
          if (!a.touched && a.allPresent && (ev.nr as number) < a.nr) {
            return `GUP-fast on ${cpu(tid)} returned ${ev.nr as number} of ${a.nr} pages at ${fmtAddr(a.start)} although no other CPU touched the mapping during the call and every PTE was present and permitted`;
          }
        }
        return null;
      },
      step(s) {
        if (active === null) return null;
        const k = s.op.kind;
        if (k !== 'load' && k !== 'store' && k !== 'rmw') return null;
        const loc = locOf(s);
        if (s.tid !== active.tid) {
          if (k !== 'load') {
            const f = L.fieldOf(loc);
            if (L.entryOwner(loc) >= 0 || f === F_REFCOUNT || f === F_COMPOUND_HEAD) active.written.add(loc);
          }
        } else if (active.written.has(loc)) {
          active.touched = true;
        }
        return null;
      },
    };
  },
};

export const tlbFlushBeforeFree: KernelInvariant = {
  name: 'tlb-flush-before-free',
  description: 'A page whose PTE/PMD a CPU cleared is not freed before that CPU flushes the TLB: another CPU could still access it through a stale TLB entry.',
  start(m) {
    const L = m.world.L;
    // per clearing CPU: pfn -> step at which its entry was cleared; that CPU's flush retires them
    const stale = new Map<number, Map<number, number>>();
    const staleOf = (tid: number) => {
      let s = stale.get(tid);
      if (s === undefined) stale.set(tid, (s = new Map()));
      return s;
    };
    return {
      ghost(tid, ev) {
        if (ev.type === 'tlb_flushed') stale.get(tid)?.clear();
        return null;
      },
      step(s) {
        if (isMemWrite(s)) {
          const loc = locOf(s);
          const pt = L.entryOwner(loc);
          if (pt < 0) return null;
          const before = s.before;
          const after = m.mem[loc]!;
          if (pt === m.world.pmdTable) {
            if (pmd_trans_huge(before) && pmd_present(before) && pmd_pfn(after) !== pmd_pfn(before)) {
              for (let i = 0; i < m.world.geo.ptrsPerPte; i++) staleOf(s.tid).set(pmd_pfn(before) + i, s.index);
            }
          } else if (pte_present(before) && (!pte_present(after) || pte_pfn(after) !== pte_pfn(before))) {
            staleOf(s.tid).set(pte_pfn(before), s.index);
          }
          return null;
        }
        if (s.op.kind === 'world' && s.op.name === 'free_pages') {
          const [pfn, order] = s.op.args as [number, number];
          for (let p = pfn; p < pfn + (1 << order); p++) {
            for (const [t, set] of stale) {
              const at = set.get(p);
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

/** Mappings of every page, counted from the page tables (for the end-of-execution balance). */
function countMappings(m: KernelMachine): { pte: number[]; pmd: number[]; migration: number } {
  const { geo, L, pages } = m.world;
  const pte = new Array<number>(geo.nrPages).fill(0);
  const pmd = new Array<number>(geo.nrPages).fill(0);
  let migration = 0;
  for (let i = 0; i < geo.ptrsPerPmd; i++) {
    const v = m.mem[L.entry(m.world.pmdTable, i)]!;
    if (pmd_trans_huge(v)) pmd[pmd_pfn(v)]!++;
    else if (is_migration_entry(v)) migration++;
  }
  for (let pt = 0; pt < geo.nrPages; pt++) {
    if (pages[pt]!.use !== 'pagetable') continue;
    for (let i = 0; i < geo.ptrsPerPte; i++) {
      const v = m.mem[L.entry(pt, i)]!;
      if (pte_present(v)) pte[pte_pfn(v)]!++;
      else if (is_migration_entry(v)) {
        migration++;
        void swp_offset_pfn(v);
      }
    }
  }
  return { pte, pmd, migration };
}

export const referencesBalanced: KernelInvariant = {
  name: 'references-balanced',
  description: 'At the end every folio\'s _refcount equals its mappings plus the references its owners account for, _mapcount matches the page tables, no pin or GUP reference is left, and free pages have _refcount 0.',
  start(m) {
    const held = new Holds();
    const extra = new Map<number, number>(m.world.extraRefs);
    return {
      ghost(tid, ev) {
        if (ev.type === 'gup_hold') held.hold(tid, ev.pfn as number, ev.addr as number);
        else if (ev.type === 'gup_release') held.release(tid, ev.pfn as number);
        else if (ev.type === 'extra_ref') extra.set(ev.pfn as number, (extra.get(ev.pfn as number) ?? 0) + (ev.delta as number));
        return null;
      },
      end() {
        const { geo, L, pages } = m.world;
        for (const [pfn, h] of held.byPfn) if (h.length > 0) return `${cpu(h[0]!.tid)} ended still holding page[${pfn}] from GUP`;
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
          const n = 1 << meta.order;
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

/** Documented here so `racewalk list` shows them; raised by the paths' own VM_BUG_ON/WARN checks. */
export const kernelAssertions: { name: string; description: string }[] = [
  { name: 'VM_BUG_ON', description: 'A VM_BUG_ON()/VM_BUG_ON_PAGE() in the modelled C fired.' },
  { name: 'WARN_ON', description: 'A WARN_ON_ONCE() in the modelled C fired.' },
  { name: 'no-deadlock', description: 'Some CPU can always make progress (no CPU spinning on a lock, an IPI or a grace period that can never come).' },
  { name: 'max-steps', description: 'An execution ends within the step bound (a path that retries forever is reported, not hung on).' },
];

export const DEFAULT_INVARIANTS: readonly KernelInvariant[] = [
  countsNonNegative,
  noGetOnFreePage,
  noRefOnTail,
  noPageTableUseAfterFree,
  gupPageNotFreed,
  gupReturnsMappedPage,
  tlbFlushBeforeFree,
  gupFastProgress,
  referencesBalanced,
];

void F_ENTRIES;
