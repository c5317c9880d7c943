/**
 * RCU callbacks (kernel/rcu/tree.c): call_rcu() and the grace-period kthread that invokes them,
 * just enough for RCU-deferred page-table freeing (tlb_remove_table_free() -> call_rcu(),
 * pte_free_defer() -> call_rcu(pte_free_now)).
 *
 * Why a thread and not an addition to core/machine.ts: a callback runs on some CPU after a grace
 * period, i.e. at a point the scheduler must be free to choose, interleaved with everything else.
 * A thread whose body is gp_start/gp_wait/free gets exactly that from the existing machinery
 * (and DPOR sees its steps as ordinary ops), where a machine-side callback queue would need a new
 * kind of scheduling point. The callback queue itself is kernel state changed only by world ops
 * (call_rcu, rcu_gp_init), so every change of it is a step.
 *
 * Simplification: one grace period per rcu thread. rcu_gp_init() takes the callbacks queued so
 * far; callbacks queued after it are never invoked in this execution (a leak of a page-table
 * page, never a use-after-free), as when the next grace period comes after the observed window.
 */
import type { Path } from '../../core/op.js';
import type { ThreadSpec } from '../../core/execution.js';
import { at, worldOp } from '../primitives.js';
import { registerWorldHandler, type KernelMachine } from '../world.js';
import type { K } from '../mm.js';
import { kernelSource } from '../replaceable.js';

const replaceable = kernelSource('kernel/rcu/tree.c');

/** rcu_head callbacks we model, by the function call_rcu() was given */
export const RCU_CB = {
  /** tlb_remove_table_rcu(): free a batch of page tables (mm/mmu_gather.c) */
  tlb_remove_table_rcu: 0,
  /** pte_free_now(): free one PTE table (mm/pgtable-generic.c, v6.6) */
  pte_free_now: 1,
} as const;
export type RcuCallback = (typeof RCU_CB)[keyof typeof RCU_CB];
const CB_NAMES = ['tlb_remove_table_rcu', 'pte_free_now'];

interface RcuState {
  /** queued by call_rcu, not yet claimed by a grace period */
  queued: number[];
  /** claimed by the grace period in progress, invoked after it */
  waiting: number[];
}
const rcuState = new WeakMap<KernelMachine, RcuState>();
function state(m: KernelMachine): RcuState {
  let s = rcuState.get(m);
  if (s === undefined) {
    s = { queued: [], waiting: [] };
    rcuState.set(m, s);
  }
  return s;
}
const encode = (cb: number, pfn: number): number => cb * 1_000_000 + pfn;
const decode = (v: number): [number, number] => [Math.floor(v / 1_000_000), v % 1_000_000];

registerWorldHandler('call_rcu', (m, tid, [cb, pfn]) => {
  state(m).queued.push(encode(cb!, pfn!));
  m.note(`rcu.callbacks`, '-', `cpu${tid} queued ${CB_NAMES[cb!]}(page[${pfn}])`);
  return 0;
});
/** rcu_gp_init(): the callbacks queued so far wait for the grace period starting now */
registerWorldHandler('rcu_gp_init', (m) => {
  const s = state(m);
  s.waiting.push(...s.queued.splice(0));
  if (s.waiting.length > 0) m.note('rcu.callbacks', 'queued', `${s.waiting.length} waiting for this grace period`);
  return s.waiting.length;
});
/** rcu_do_batch(): take the next callback whose grace period has ended, or -1 */
registerWorldHandler('rcu_do_batch', (m) => {
  const v = state(m).waiting.shift();
  return v === undefined ? -1 : v;
});

/** call_rcu(head, func): queue `func(pfn)` to run after a grace period */
export const call_rcu = replaceable(function* call_rcu(k: K, cb: RcuCallback, pfn: number, fn: string, stmt: string): Path<void> {
  void k;
  yield* worldOp('call_rcu', [cb, pfn], at(fn, stmt));
}, {
  description: 'call_rcu(head, func): queue `func(pfn)` to run after a grace period',
});

/**
 * The RCU grace-period kthread plus callback invocation (rcu_gp_kthread + rcu_do_batch): wait
 * for every CPU in a read-side section when the grace period starts -- which includes CPUs with
 * irqs off, such as GUP-fast ("We use the sched RCU variant, as that guarantees that IRQ/preempt
 * disabling holds off grace periods", mm/mmu_gather.c) -- then invoke the callbacks.
 */
export const rcu_gp_kthread = replaceable(function* rcu_gp_kthread(k: K, invoke: (cb: number, pfn: number) => Path<void>): Path<number> {
  const n = yield* worldOp('rcu_gp_init', [], at('rcu_gp_init', 'rcu_seq_start(&rcu_state.gp_seq)'));
  if (n === 0) return 0;
  yield { kind: 'gp_start', label: at('rcu_gp_init', 'grace period starts: wait for CPUs in read-side sections') };
  yield { kind: 'gp_wait', label: at('rcu_gp_kthread', 'rcu_gp_fqs_loop(): wait for quiescent states') };
  let done = 0;
  for (;;) {
    const v = yield* worldOp('rcu_do_batch', [], at('rcu_do_batch', 'f = rhp->func; f(rhp)'));
    if (v < 0) break;
    const [cb, pfn] = decode(v);
    yield* invoke(cb, pfn);
    done++;
  }
  void k;
  return done;
}, {
  description: 'The RCU grace-period kthread plus callback invocation (rcu_gp_kthread + rcu_do_batch): wait for every CPU in a read-side section when the grace period ...',
});

/** The `rcu` thread a scenario adds when page tables are freed by RCU. */
export function rcuThread(k: K, invoke: (cb: number, pfn: number) => Path<void>): ThreadSpec {
  return {
    name: 'rcu: grace period, then callbacks',
    *start() {
      return yield* rcu_gp_kthread(k, invoke);
    },
  };
}
