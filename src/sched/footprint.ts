/**
 * Dependence between operations, computed from the operations' data. Two operations commute
 * unless they touch a common resource and at least one writes it. Each kernel primitive gets its
 * own rule, through the resources it touches:
 * - memory: the location (a no-op RMW such as a failed atomic_add_unless is a read);
 * - spinlocks: the lock word (acquires race with acquires; see dpor.ts for release->acquire);
 * - irqs: `local_irq_disable/enable` write the CPU's IRQ resource; an IPI send or wait reads
 *   every other CPU's IRQ resource (the IPI cannot complete while a target has irqs off);
 * - RCU: `rcu_read_lock/unlock` write the CPU's RCU resource; a grace period reads every CPU's
 *   RCU and IRQ resources (irqs-off regions are read-side sections);
 * - the page allocator: alloc/free write ALLOC (the free list) and the page fields they set;
 * - a broadcast TLB invalidation writes TLB.
 *
 * An operation not yet executed has a static, conservative footprint: world operations may
 * write any memory (ALL_MEMORY). An executed step's footprint (`stepFootprint`) is exact and
 * also holds everything the step's world handler, invariant checks and ghost deliveries read or
 * wrote (Machine.reads / Machine.touched): an invariant that tells two orders of events apart
 * reads something one of them writes, so DPOR orders them (soundness by construction, with
 * no per-invariant reasoning).
 */
import type { SharedOp } from '../core/op.js';
import { ALL_MEMORY } from '../core/machine.js';
import { ADD_COMMUTES, clearArray, NOT_BLIND } from '../core/execution.js';
import type { Returns, RmwOp } from '../core/op.js';
export { NOT_BLIND };

const IRQ = (c: number) => -1 - c;
const RCU = (c: number) => -100 - c;
const IPIQ = (c: number) => -200 - c;
const GPQ = (c: number) => -300 - c;
const ALLOC = -400;
const TLB = -401;
export { ALL_MEMORY };

export interface Footprint {
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  /**
   * A blind add step (core/op.ts RmwOp.blind) that changed its location: the location (also in
   * `writes`), the op, the C result its path got, and whether it may commute at all (false when
   * a check looked at which CPU ran it).
   */
  readonly commute?: { readonly loc: number; readonly op: RmwOp; readonly result: number; readonly commutes: boolean };
}

const EMPTY: Footprint = { reads: [], writes: [] };

function others(ncpu: number, self: number, f: (c: number) => number): number[] {
  const out: number[] = [];
  for (let c = 0; c < ncpu; c++) if (c !== self) out.push(f(c));
  return out;
}

/**
 * Footprint of `op` run by CPU `tid`. With `writes` (the locations the step really wrote) the
 * footprint is exact; without, it is the static over-approximation.
 */
export function footprint(op: SharedOp, tid: number, ncpu: number, writes?: readonly number[]): Footprint {
  switch (op.kind) {
    case 'load':
    case 'await': // a spin-wait's successful read (core/op.ts AwaitOp)
      return { reads: [op.loc], writes: [] };
    case 'store':
      return { reads: [], writes: [op.loc] };
    case 'rmw':
      if (writes !== undefined && !writes.includes(op.loc)) return { reads: [op.loc], writes: [] };
      return { reads: [op.loc], writes: [op.loc] };
    case 'lock':
    case 'unlock':
      return { reads: [], writes: [op.loc] };
    case 'fence':
      return EMPTY;
    case 'irq_disable':
    case 'irq_enable':
      return { reads: [], writes: [IRQ(tid)] };
    case 'rcu_read_lock':
    case 'rcu_read_unlock':
      return { reads: [], writes: [RCU(tid)] };
    case 'ipi_send':
      // only the targeted CPUs' irq state decides who must take it
      return { reads: op.targets === undefined ? others(ncpu, tid, IRQ) : others(ncpu, tid, IRQ).filter((_, i) => (op.targets! >> (i < tid ? i : i + 1)) & 1), writes: [IPIQ(tid)] };
    case 'ipi_wait':
      return { reads: [IPIQ(tid), ...others(ncpu, tid, IRQ)], writes: [] };
    case 'gp_start':
      return { reads: [...others(ncpu, tid, IRQ), ...others(ncpu, tid, RCU)], writes: [GPQ(tid)] };
    case 'gp_wait':
      return { reads: [GPQ(tid), ...others(ncpu, tid, IRQ), ...others(ncpu, tid, RCU)], writes: [] };
    case 'world':
      if (op.name === 'tlbi_broadcast') return { reads: [], writes: [TLB] };
      // A free may free a page table that a lockless walker (GUP-fast) still reads: what
      // protects the walker is only its irqs-off / RCU section, so a free is ordered against
      // every other CPU's irq and RCU state (invariant page-table-not-freed-under-walker).
      if (op.name === 'free_pages') {
        return { reads: [...others(ncpu, tid, IRQ), ...others(ncpu, tid, RCU)], writes: writes === undefined ? [ALLOC, ALL_MEMORY] : [ALLOC, ...writes] };
      }
      return { reads: [], writes: writes === undefined ? [ALLOC, ALL_MEMORY] : [ALLOC, ...writes] };
  }
}

const overlaps = (a: readonly number[], b: readonly number[]): boolean => {
  for (const x of a) {
    for (const y of b) {
      if (x === y) return true;
      if ((x === ALL_MEMORY && y >= 0) || (y === ALL_MEMORY && x >= 0)) return true;
    }
  }
  return false;
};

/**
 * Whether the executed steps `earlier` and then `later` (of two CPUs) commute although both
 * add to one location, the rest of their footprints being independent (DPOR's race detection
 * does not reverse them; `dependent`, sleep sets and shards still see two writes): two blind
 * adds of one tag (the same RMW, operands, ordering and C result; neither looked at by a check
 * that knows its CPU). Whichever goes first, memory after each step and every result are the
 * same: the adds of one tag that no other access to the location orders visit the same values
 * in any order, and each gave the same answer at one of them. The relation is symmetric and
 * survives the swap (the swapped adds have the same tag), so the classes it defines are the
 * Mazurkiewicz classes of a conditional independence (brute-forced in properties/dpor.test.ts).
 *
 * Not here: a threshold read (`WARN_ON_ONCE(folio_ref_count(folio) < 0)`) and an add that keeps
 * its answer. Pairwise it commutes, but two such adds together can flip the answer (x < 2 at 0
 * with two adds of 1). Judging the read against every subset of the adds concurrent with it
 * (tried 2026-12-04) is not enough either: the independence holds only for the values of that
 * execution, and once a non-add write (a cmpxchg) is reordered into the stretch, DPOR's reversal
 * lets the read move across an add whose delta now flips it, and an outcome is lost (the two
 * programs of properties/dpor.test.ts "reductions that failed" are the counterexamples). A sound
 * rule needs value-aware equivalence (reads-value-from DPOR), not a pairwise independence.
 */
export function commuting(earlier: Footprint, later: Footprint): boolean {
  const ac = earlier.commute;
  const bc = later.commute;
  if (ac === undefined || bc === undefined || !ac.commutes || !bc.commutes || ac.loc !== bc.loc || ac.result !== bc.result) return false;
  const x = ac.op;
  const y = bc.op;
  if (x.rmw !== y.rmw || x.a !== y.a || x.b !== y.b || x.order !== y.order || !sameReturns(x.returns, y.returns)) return false;
  return !dependentBeyond(earlier, later, ac.loc);
}

function sameReturns(x: Returns | undefined, y: Returns | undefined): boolean {
  if (x === y) return true;
  if (x === undefined || y === undefined || x.kind !== y.kind) return false;
  // two equal returns written as two literals (each call of a primitive builds its own): the
  // fields of every Returns kind, compared without building anything (DPOR asks per race candidate)
  const a = x as Partial<Record<'value' | 'bit' | 'self' | 'name', unknown>>;
  const b = y as typeof a;
  return a.value === b.value && a.bit === b.bit && a.self === b.self && a.name === b.name;
}

/** whether a and b conflict on some resource other than `except` (a lock word, a commuting location) */
export function dependentBeyond(a: Footprint, b: Footprint, except: number): boolean {
  return overlapsBeyond(a.writes, b.writes, except) || overlapsBeyond(a.writes, b.reads, except) || overlapsBeyond(a.reads, b.writes, except);
}

/** `overlaps` ignoring `except` on either side (without copying the arrays: DPOR asks this per race candidate) */
function overlapsBeyond(a: readonly number[], b: readonly number[], except: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x === except) continue;
    for (let j = 0; j < b.length; j++) {
      const y = b[j]!;
      if (y === except) continue;
      if (x === y || (x === ALL_MEMORY && y >= 0) || (y === ALL_MEMORY && x >= 0)) return true;
    }
  }
  return false;
}

/** Two footprints conflict: a common resource, at least one side writing it. */
export function dependent(a: Footprint, b: Footprint): boolean {
  if (a.writes.length === 0 && b.writes.length === 0) return false;
  return overlaps(a.writes, b.writes) || overlaps(a.writes, b.reads) || overlaps(a.reads, b.writes);
}

/**
 * The exact footprint of an executed step: the op's own, plus the resources its world handler,
 * the invariant checks after it and the ghost events delivered with it read (`reads`) and wrote
 * (`writes`, which includes the op's own memory writes).
 */
export function stepFootprint(op: SharedOp, tid: number, ncpu: number, writes: readonly number[], reads: readonly number[], add = NOT_BLIND, result = 0): Footprint {
  const own = footprint(op, tid, ncpu, writes);
  const commute = op.kind === 'rmw' && add !== NOT_BLIND ? { commute: { loc: op.loc, op, result, commutes: add === ADD_COMMUTES } } : {};
  if (reads.length === 0 && writes.length === 0) return { ...own, ...commute };
  const w = own.writes.slice();
  for (const x of writes) if (!w.includes(x)) w.push(x);
  const r: number[] = [];
  for (const x of own.reads) if (!w.includes(x)) r.push(x);
  for (const x of reads) if (!w.includes(x) && !r.includes(x)) r.push(x);
  return { reads: r, writes: w, ...commute };
}


/**
 * Interning of exact step footprints without building one per step: `stepFootprint` computed
 * into scratch arrays, hashed, and looked up among the footprints seen before. A long run
 * keeps one Footprint object per distinct footprint, and a step whose footprint was seen
 * before allocates nothing (issue 15: DPOR allocated most of the garbage per step).
 */
export class FootprintInterner {
  private readonly r: number[] = [];
  private readonly w: number[] = [];
  private readonly buckets = new Map<number, Footprint[]>();
  private size = 0;

  constructor(private readonly limit = 100_000) {}

  /** the same footprint as `stepFootprint(op, tid, ncpu, writes, reads)`, shared between equal ones */
  step(op: SharedOp, tid: number, ncpu: number, writes: readonly number[], reads: readonly number[], add = NOT_BLIND, result = 0): Footprint {
    const own = footprint(op, tid, ncpu, writes);
    // a blind step's footprint is not shared (few steps are blind; each carries its own part)
    if (op.kind === 'rmw' && add !== NOT_BLIND) return stepFootprint(op, tid, ncpu, writes, reads, add, result);
    if (reads.length === 0 && writes.length === 0) return this.intern(own.reads, own.writes, own);
    const w = this.w;
    const r = this.r;
    clearArray(w);
    clearArray(r);
    for (let i = 0; i < own.writes.length; i++) w.push(own.writes[i]!);
    for (let i = 0; i < writes.length; i++) if (!w.includes(writes[i]!)) w.push(writes[i]!);
    for (let i = 0; i < own.reads.length; i++) if (!w.includes(own.reads[i]!)) r.push(own.reads[i]!);
    for (let i = 0; i < reads.length; i++) {
      const x = reads[i]!;
      if (!w.includes(x) && !r.includes(x)) r.push(x);
    }
    return this.intern(r, w, null);
  }

  private intern(r: readonly number[], w: readonly number[], made: Footprint | null): Footprint {
    let h = 0x811c9dc5;
    for (let i = 0; i < r.length; i++) h = Math.imul(h ^ r[i]!, 0x01000193);
    h = Math.imul(h ^ 0x5bd1e995, 0x01000193);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const f = bucket[b]!;
        if (sameList(f.reads, r) && sameList(f.writes, w)) return f;
      }
    }
    const fp = made ?? { reads: r.slice(), writes: w.slice() };
    if (this.size < this.limit) {
      this.size++;
      if (bucket === undefined) this.buckets.set(h, [fp]);
      else bucket.push(fp);
    }
    return fp;
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
