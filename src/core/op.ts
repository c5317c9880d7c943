/**
 * Operations as plain data. A path is a generator that yields one Op per access to shared
 * state and receives the result; `core/machine.ts` is the only place that applies them.
 *
 * Every op carries a Label (kernel function + C statement) so a trace reads like the C, and an
 * ordering class as the kernel defines it, so a weak-memory layer can be added later without
 * rewriting paths. Execution is sequentially consistent for now.
 */

/** Ordering class of an access, in the kernel's own terms (Documentation/atomic_t.txt). */
export type Ordering =
  | 'plain' // plain C access
  | 'once' // READ_ONCE / WRITE_ONCE: single-copy atomic, unordered
  | 'acquire' // smp_load_acquire, spin_lock
  | 'release' // smp_store_release, spin_unlock, atomic_set_release
  | 'relaxed' // non-value-returning RMW: atomic_add, set_bit, atomic_inc
  | 'full' // value-returning RMW: atomic_dec_and_test, atomic_add_return, xchg
  | 'success'; // ordered only on success: atomic_add_unless, atomic_cmpxchg

export type FenceKind = 'smp_mb' | 'smp_rmb' | 'smp_wmb' | 'smp_mb__after_atomic' | 'smp_mb__before_atomic';

/** Where an op comes from: the kernel function and the C statement it models. */
export interface Label {
  readonly fn: string;
  readonly stmt: string;
}

/** Read-modify-write flavours; the machine returns the OLD value for all of them. */
export type RmwKind =
  | 'add' // *loc += a
  | 'add_unless' // if (*loc != b) *loc += a  (atomic_add_unless / page_ref_add_unless)
  | 'cmpxchg' // if (*loc == a) *loc = b   (atomic_cmpxchg, folio_ref_freeze)
  | 'xchg' // *loc = a
  | 'or' // *loc |= a   (set_bit, test_and_set_bit)
  | 'andnot'; // *loc &= ~a (clear_bit, test_and_clear_bit)

/**
 * What the primitive that issued a load or RMW hands back to its caller, as a function of the
 * value the step read (`old`), for traces only: the machine and the scheduler ignore it. A raw
 * read is shown as a read; `returns` lets a trace also show the C function's value where it is
 * not the raw read (`test_bit()` returns false, `atomic_add_unless()` returns true).
 * - 'bit': (old & bit) != 0 (test_bit, test_and_set_bit, folio_test_clear_lru)
 * - 'no-bit': (old & bit) == 0 (trylock_page / folio_trylock took the lock)
 * - 'new': old + a (atomic_add_return)
 * - 'new-zero' / 'new-negative': old + a == 0 / < 0 (atomic_sub_and_test, atomic_add_negative)
 * - 'old-not': old != value (atomic_add_unless succeeded)
 * - 'old-is': old == value (a cmpxchg that expected value succeeded)
 * - 'gt' / 'ge' / 'lt': old > value / old >= value / old < value (`atomic_read(&x) > 0`)
 * - 'tagged': a pointer whose low bit tags it: an odd old names object (old - 1) / 2, an even
 *   one the object `self` itself; shown as `name[i]` (page_folio() of a page's compound_head)
 */
export type Returns =
  | { readonly kind: 'bit' | 'no-bit'; readonly bit: number }
  | { readonly kind: 'new' | 'new-zero' | 'new-negative' }
  | { readonly kind: 'old-not' | 'old-is' | 'gt' | 'ge' | 'lt'; readonly value: number }
  | { readonly kind: 'tagged'; readonly self: number; readonly name: string };

export interface LoadOp {
  readonly kind: 'load'; readonly loc: number; readonly order: Ordering; readonly label: Label; readonly returns?: Returns;
  /**
   * The path gets only the comparison `returns` names (1 or 0), never the value read: a read
   * such as `folio_ref_count(folio) < 0` whose caller uses nothing else. To DPOR it is a read
   * like any other (sched/footprint.ts `commuting` says why it does not commute with adds).
   */
  readonly blind?: boolean;
}
export interface StoreOp { readonly kind: 'store'; readonly loc: number; readonly value: number; readonly order: Ordering; readonly label: Label }
export interface RmwOp {
  readonly kind: 'rmw'; readonly loc: number; readonly rmw: RmwKind; readonly a: number; readonly b: number;
  readonly order: Ordering; readonly label: Label; readonly returns?: Returns;
  /**
   * The path gets only the C function's result (`blindResult`: 1 or 0 for a boolean `returns`,
   * 0 without one, as for atomic_add()), never the value the RMW read. Two blind `add` or
   * `add_unless` steps on one location that both changed it, with the same operands and the same
   * result, commute (DPOR does not reverse them, sched/dpor.ts): every order of them leaves the
   * same values in memory after each step and gives each path the same result.
   */
  readonly blind?: boolean;
}

/** What a blind load or RMW hands back to its path (`blind`): the C result, not the value read. */
export function blindResult(op: LoadOp | RmwOp, old: number): number {
  const r = op.returns;
  if (r === undefined) return 0;
  const a = op.kind === 'rmw' ? op.a : 0;
  switch (r.kind) {
    case 'bit':
      return (old & r.bit) !== 0 ? 1 : 0;
    case 'no-bit':
      return (old & r.bit) === 0 ? 1 : 0;
    case 'new':
      return old + a;
    case 'new-zero':
      return old + a === 0 ? 1 : 0;
    case 'new-negative':
      return old + a < 0 ? 1 : 0;
    case 'old-not':
      return old !== r.value ? 1 : 0;
    case 'old-is':
      return old === r.value ? 1 : 0;
    case 'gt':
      return old > r.value ? 1 : 0;
    case 'ge':
      return old >= r.value ? 1 : 0;
    case 'lt':
      return old < r.value ? 1 : 0;
    case 'tagged':
      return old;
  }
}

/** The value the primitive returned, as C prints it ('true', 'false', a number), or null when `returns` is not given. */
export function returnedValue(op: LoadOp | RmwOp, old: number): string | null {
  const r = op.returns;
  if (r === undefined) return null;
  const a = op.kind === 'rmw' ? op.a : 0;
  switch (r.kind) {
    case 'bit':
      return String((old & r.bit) !== 0);
    case 'no-bit':
      return String((old & r.bit) === 0);
    case 'new':
      return String(old + a);
    case 'new-zero':
      return String(old + a === 0);
    case 'new-negative':
      return String(old + a < 0);
    case 'old-not':
      return String(old !== r.value);
    case 'old-is':
      return String(old === r.value);
    case 'gt':
      return String(old > r.value);
    case 'ge':
      return String(old >= r.value);
    case 'lt':
      return String(old < r.value);
    case 'tagged':
      return `${r.name}[${old % 2 === 1 ? (old - 1) / 2 : r.self}]`;
  }
}
export interface FenceOp { readonly kind: 'fence'; readonly fence: FenceKind; readonly label: Label }
/** spin_lock: enabled only while the lock word is 0; acquire. */
export interface LockOp { readonly kind: 'lock'; readonly loc: number; readonly label: Label }
/** spin_unlock: release. */
export interface UnlockOp { readonly kind: 'unlock'; readonly loc: number; readonly label: Label }
/** local_irq_save/disable and local_irq_restore/enable on the thread's own CPU. */
export interface IrqOp { readonly kind: 'irq_disable' | 'irq_enable'; readonly label: Label }
/** rcu_read_lock / rcu_read_unlock on the thread's own CPU. */
export interface RcuOp { readonly kind: 'rcu_read_lock' | 'rcu_read_unlock'; readonly label: Label }
/**
 * Send an IPI to every other CPU (smp_call_function), or to the CPUs in `targets` (a bitmask:
 * smp_call_function_many(mask), as a TLB shootdown to the mm's mm_cpumask). CPUs with irqs
 * enabled take it at once; CPUs with irqs off hold it pending until they re-enable irqs.
 */
export interface IpiSendOp { readonly kind: 'ipi_send'; readonly label: Label; readonly targets?: number }
/** Wait until every CPU targeted by this thread's last ipi_send has taken it (wait=1). */
export interface IpiWaitOp { readonly kind: 'ipi_wait'; readonly label: Label }
/** Start an RCU grace period: every CPU now in a read-side section (incl. irqs off) must leave it. */
export interface GpStartOp { readonly kind: 'gp_start'; readonly label: Label }
/** Wait for the grace period started by this thread's last gp_start to end. */
export interface GpWaitOp { readonly kind: 'gp_wait'; readonly label: Label }
/**
 * A kernel-world operation that is not a plain memory access (page allocator, TLB). Applied by
 * the handler the world registers for `name`; `args` is plain data.
 */
export interface WorldOp { readonly kind: 'world'; readonly name: string; readonly args: readonly number[]; readonly label: Label }

/**
 * A spin-wait on one shared location: `while (!(READ_ONCE(*loc) <cmp> value)) cpu_relax();`,
 * smp_cond_load_acquire(), atomic_cond_read_acquire(). One step, enabled only while the
 * condition holds (as GenMC's and loom's spin-loop handling): the failed iterations read
 * without side effects, so they are not explored, and a CPU that would spin forever is
 * blocked — a global deadlock if no other CPU can write the location. Returns the value read.
 * Fairness assumed: a spinning CPU eventually re-reads the location after another CPU writes it.
 */
export interface AwaitOp {
  readonly kind: 'await'; readonly loc: number; readonly cmp: AwaitCmp; readonly value: number;
  readonly order: Ordering; readonly label: Label;
}
/** `and_zero`: (*loc & value) == 0; `and_nonzero`: (*loc & value) != 0 */
export type AwaitCmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and_zero' | 'and_nonzero';

export function awaitHolds(cmp: AwaitCmp, v: number, value: number): boolean {
  switch (cmp) {
    case 'eq':
      return v === value;
    case 'ne':
      return v !== value;
    case 'lt':
      return v < value;
    case 'le':
      return v <= value;
    case 'gt':
      return v > value;
    case 'ge':
      return v >= value;
    case 'and_zero':
      return (v & value) === 0;
    case 'and_nonzero':
      return (v & value) !== 0;
  }
}

/** The C condition an await waits for, e.g. `VAL == 0`, `(VAL & 0x1) == 0`. */
export function awaitCondText(cmp: AwaitCmp, value: number): string {
  const ops: Record<AwaitCmp, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', and_zero: '', and_nonzero: '' };
  if (cmp === 'and_zero') return `(VAL & 0x${value.toString(16)}) == 0`;
  if (cmp === 'and_nonzero') return `(VAL & 0x${value.toString(16)}) != 0`;
  return `VAL ${ops[cmp]} ${value}`;
}

/** VM_BUG_ON / WARN_ON in the modelled C: a local check, not a scheduling point. */
export interface CheckOp { readonly kind: 'check'; readonly ok: boolean; readonly what: string; readonly label: Label }
/**
 * Instrumentation for invariants (what GUP returned, what it holds): not a kernel access and
 * not a scheduling point. Processed atomically with the thread's preceding shared step.
 */
export interface GhostOp { readonly kind: 'ghost'; readonly event: GhostEvent; readonly label: Label }
/**
 * A ghost event as the engine carries it: a type name and fields, nothing more. The engine does
 * not know what any type means; the world that emits them declares them and checks them (the
 * kernel model: src/kernel/ghosts.ts, whose `ghost()` and `isGhost()` are typed).
 */
export interface GhostEvent { readonly type: string; readonly [key: string]: unknown }

export type SharedOp =
  | LoadOp | StoreOp | RmwOp | FenceOp | LockOp | UnlockOp | IrqOp | RcuOp
  | IpiSendOp | IpiWaitOp | GpStartOp | GpWaitOp | WorldOp | AwaitOp;
export type LocalOp = CheckOp | GhostOp;
export type Op = SharedOp | LocalOp;

/** A path: yields ops, receives each op's result (a number; 0 for ops without a value). */
export type Path<R = void> = Generator<Op, R, number>;

export function isLocal(op: Op): op is LocalOp {
  return op.kind === 'check' || op.kind === 'ghost';
}

/** Whether an op writes the location it names (for dependence and traces). */
export function isWrite(op: SharedOp): boolean {
  return op.kind === 'store' || op.kind === 'rmw' || op.kind === 'lock' || op.kind === 'unlock';
}
