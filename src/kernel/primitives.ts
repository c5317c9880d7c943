/**
 * The primitives every path is written with. Each yields exactly one operation per shared
 * access, with the kernel's ordering class (Documentation/atomic_t.txt, memory-barriers.txt),
 * and returns what the C returns. Local checks (VM_BUG_ON, WARN_ON_ONCE) and ghost events are
 * not scheduling points.
 */
import type { AwaitCmp, Label, Ordering, Path } from '../core/op.js';
/** `ghost(event, label)`: emit one of the kernel's declared ghost events (src/kernel/ghosts.ts). */
export { ghost } from './ghosts.js';

export const at = (fn: string, stmt: string): Label => ({ fn, stmt });

// ---- plain and marked accesses ----
export function* load(loc: number, label: Label, order: Ordering = 'plain'): Path<number> {
  return yield { kind: 'load', loc, order, label };
}
export function* READ_ONCE(loc: number, label: Label): Path<number> {
  return yield { kind: 'load', loc, order: 'once', label };
}
export function* smp_load_acquire(loc: number, label: Label): Path<number> {
  return yield { kind: 'load', loc, order: 'acquire', label };
}
export function* store(loc: number, value: number, label: Label, order: Ordering = 'plain'): Path<void> {
  yield { kind: 'store', loc, value, order, label };
}
export function* WRITE_ONCE(loc: number, value: number, label: Label): Path<void> {
  yield { kind: 'store', loc, value, order: 'once', label };
}
export function* smp_store_release(loc: number, value: number, label: Label): Path<void> {
  yield { kind: 'store', loc, value, order: 'release', label };
}

// ---- atomic_t ----
export const atomic_read = READ_ONCE;
export function* atomic_set(loc: number, value: number, label: Label): Path<void> {
  yield { kind: 'store', loc, value, order: 'once', label };
}
export function* atomic_set_release(loc: number, value: number, label: Label): Path<void> {
  yield { kind: 'store', loc, value, order: 'release', label };
}
/** atomic_add/atomic_inc/atomic_sub: no return value, unordered */
export function* atomic_add(loc: number, a: number, label: Label): Path<void> {
  yield { kind: 'rmw', loc, rmw: 'add', a, b: 0, order: 'relaxed', label, blind: true };
}
/** atomic_add_return: fully ordered, returns the new value */
export function* atomic_add_return(loc: number, a: number, label: Label, order: Ordering = 'full'): Path<number> {
  const old = yield { kind: 'rmw', loc, rmw: 'add', a, b: 0, order, label, returns: { kind: 'new' } };
  return old + a;
}
/** atomic_add_unless(v, a, u): add a unless the value is u; ordered only on success */
export function* atomic_add_unless(loc: number, a: number, u: number, label: Label): Path<boolean> {
  return (yield { kind: 'rmw', loc, rmw: 'add_unless', a, b: u, order: 'success', label, returns: { kind: 'old-not', value: u }, blind: true }) === 1;
}
/** atomic_sub_and_test / atomic_dec_and_test: fully ordered, true when the result is 0 */
export function* atomic_sub_and_test(loc: number, a: number, label: Label): Path<boolean> {
  return (yield { kind: 'rmw', loc, rmw: 'add', a: -a, b: 0, order: 'full', label, returns: { kind: 'new-zero' }, blind: true }) === 1;
}
/** atomic_add_negative: fully ordered, true when the result is negative */
export function* atomic_add_negative(loc: number, a: number, label: Label): Path<boolean> {
  return (yield { kind: 'rmw', loc, rmw: 'add', a, b: 0, order: 'full', label, returns: { kind: 'new-negative' }, blind: true }) === 1;
}
/** atomic_cmpxchg: returns the old value; ordered only on success */
export function* atomic_cmpxchg(loc: number, expected: number, value: number, label: Label): Path<number> {
  return yield { kind: 'rmw', loc, rmw: 'cmpxchg', a: expected, b: value, order: 'success', label };
}
export function* xchg(loc: number, value: number, label: Label): Path<number> {
  return yield { kind: 'rmw', loc, rmw: 'xchg', a: value, b: 0, order: 'full', label };
}

// ---- bitops on page->flags ----
export function* set_bit(bit: number, loc: number, label: Label): Path<void> {
  yield { kind: 'rmw', loc, rmw: 'or', a: bit, b: 0, order: 'relaxed', label };
}
export function* clear_bit(bit: number, loc: number, label: Label): Path<void> {
  yield { kind: 'rmw', loc, rmw: 'andnot', a: bit, b: 0, order: 'relaxed', label };
}
export function* test_bit(bit: number, loc: number, label: Label): Path<boolean> {
  const v = yield { kind: 'load', loc, order: 'once', label, returns: { kind: 'bit', bit } };
  return (v & bit) !== 0;
}
export function* test_and_set_bit(bit: number, loc: number, label: Label): Path<boolean> {
  const old = yield { kind: 'rmw', loc, rmw: 'or', a: bit, b: 0, order: 'full', label, returns: { kind: 'bit', bit } };
  return (old & bit) !== 0;
}

// ---- barriers ----
export function* smp_mb(label: Label): Path<void> {
  yield { kind: 'fence', fence: 'smp_mb', label };
}
export function* smp_rmb(label: Label): Path<void> {
  yield { kind: 'fence', fence: 'smp_rmb', label };
}
export function* smp_wmb(label: Label): Path<void> {
  yield { kind: 'fence', fence: 'smp_wmb', label };
}
export function* smp_mb__after_atomic(label: Label): Path<void> {
  yield { kind: 'fence', fence: 'smp_mb__after_atomic', label };
}

// ---- locks, irqs, RCU, IPIs ----
export function* spin_lock(loc: number, label: Label): Path<void> {
  yield { kind: 'lock', loc, label };
}
export function* spin_unlock(loc: number, label: Label): Path<void> {
  yield { kind: 'unlock', loc, label };
}
export function* local_irq_save(label: Label): Path<void> {
  yield { kind: 'irq_disable', label };
}
export function* local_irq_restore(label: Label): Path<void> {
  yield { kind: 'irq_enable', label };
}
export function* rcu_read_lock(label: Label): Path<void> {
  yield { kind: 'rcu_read_lock', label };
}
export function* rcu_read_unlock(label: Label): Path<void> {
  yield { kind: 'rcu_read_unlock', label };
}
/**
 * Spin-waits on one location, as one blocking step (core/op.ts AwaitOp): the CPU is not runnable
 * until another CPU's write makes `VAL <cmp> value` hold. For `while (READ_ONCE(x) != v)
 * cpu_relax();`, smp_cond_load_acquire(), atomic_cond_read_acquire() and spin loops that only
 * re-read (fairness assumed: see README "Spin loops and fairness"). Returns the value read.
 */
export function* smp_cond_load_acquire(loc: number, cmp: AwaitCmp, value: number, label: Label): Path<number> {
  return yield { kind: 'await', loc, cmp, value, order: 'acquire', label };
}
export function* smp_cond_load_relaxed(loc: number, cmp: AwaitCmp, value: number, label: Label): Path<number> {
  return yield { kind: 'await', loc, cmp, value, order: 'once', label };
}
/** smp_call_function(func, info, wait=1): IPI every other CPU and wait until each has taken it */
export function* smp_call_function_wait(label: Label): Path<void> {
  yield { kind: 'ipi_send', label };
  yield { kind: 'ipi_wait', label };
}
/**
 * smp_call_function_many(mask, func, info, wait=1): IPI the CPUs in `mask` (a bitmask; the
 * sender is skipped) and wait until each has taken it. A TLB shootdown sends it to the mm's
 * mm_cpumask: a CPU running another mm with irqs off does not hold the flush up.
 */
export function* smp_call_function_many(mask: number, label: Label): Path<void> {
  yield { kind: 'ipi_send', label, targets: mask };
  yield { kind: 'ipi_wait', label };
}
/** synchronize_rcu(): wait for every read-side section (incl. irqs-off regions) in progress */
export function* synchronize_rcu(label: Label): Path<void> {
  yield { kind: 'gp_start', label };
  yield { kind: 'gp_wait', label };
}

// ---- checks and instrumentation (not scheduling points) ----
export function* VM_BUG_ON(cond: boolean, what: string, label: Label): Path<void> {
  yield { kind: 'check', ok: !cond, what: `VM_BUG_ON(${what})`, label };
}
/** WARN_ON_ONCE(cond): reports, and returns cond as the C macro does */
export function* WARN_ON_ONCE(cond: boolean, what: string, label: Label): Path<boolean> {
  yield { kind: 'check', ok: !cond, what: `WARN_ON_ONCE(${what})`, label };
  return cond;
}

/** A world operation (page allocator, TLB) applied by the world's handler. */
export function* worldOp(name: string, args: number[], label: Label): Path<number> {
  return yield { kind: 'world', name, args, label };
}
