/**
 * Scenarios for testing the tool itself, deliberately NOT in the registry (src/scenarios/index.ts):
 * a global deadlock, a runaway retry loop, a spin-wait written both ways, and models that are
 * nondeterministic in the ways real models go wrong. Built only from the primitives, as real
 * paths are.
 */
import type { Scenario } from '../src/scenarios/scenario.js';
import type { Path } from '../src/core/op.js';
import {
  at, local_irq_restore, local_irq_save, READ_ONCE, smp_call_function_wait, smp_cond_load_acquire, spin_lock, spin_unlock,
  VM_BUG_ON, WRITE_ONCE,
} from '../src/kernel/primitives.js';
import { MM_FLAGS, MM_TLB_FLUSH_PENDING } from '../src/kernel/world.js';

const base = {
  kernel: 'test',
  geometry: { nrPages: 4, ptrsPerPte: 2, ptrsPerPmd: 2 },
  knownRaces: [],
  cleanConfigs: [],
};

/**
 * The classic lock/IPI deadlock: CPU0 holds a page-table lock and waits for its TLB-shootdown
 * IPI (smp_call_function(..., wait=1)); CPU1 disabled irqs and spins on that same lock, so it
 * can never take the IPI. Why the kernel forbids waiting for an IPI under a lock that is taken
 * with irqs off.
 */
export const ipiDeadlock: Scenario = {
  ...base,
  name: 'test-ipi-deadlock',
  description: 'test only: a CPU waits for its IPI while holding a lock that an irqs-off CPU spins on',
  world: (b) => b.pageTable(0, 1),
  threads: (k) => [
    {
      name: 'spin_lock(ptl); flush_tlb (IPI, wait); spin_unlock(ptl)',
      *start() {
        yield* spin_lock(k.L.ptl(1), at('zap_pte_range', 'spin_lock(ptl)'));
        yield* smp_call_function_wait(at('flush_tlb_mm_range', 'on_each_cpu_cond_mask(..., wait=true)'));
        yield* spin_unlock(k.L.ptl(1), at('zap_pte_range', 'spin_unlock(ptl)'));
      },
    },
    {
      name: 'local_irq_save; spin_lock(ptl); spin_unlock(ptl); local_irq_restore',
      *start() {
        yield* local_irq_save(at('irqs_off_user', 'local_irq_save(flags)'));
        yield* spin_lock(k.L.ptl(1), at('irqs_off_user', 'spin_lock(ptl)'));
        yield* spin_unlock(k.L.ptl(1), at('irqs_off_user', 'spin_unlock(ptl)'));
        yield* local_irq_restore(at('irqs_off_user', 'local_irq_restore(flags)'));
      },
    },
  ],
};

/** `goto again` on a condition no other CPU will ever change: runs into the step bound. */
export const runaway: Scenario = {
  ...base,
  name: 'test-runaway',
  description: 'test only: a retry loop whose exit condition never becomes true',
  world: (b) => b,
  maxSteps: 60,
  threads: (k) => [
    {
      name: 'again: if (!READ_ONCE(mm->flags)) goto again',
      *start() {
        for (;;) {
          if ((yield* READ_ONCE(k.L.mm(MM_FLAGS), at('retry_forever', 'again: if (!READ_ONCE(mm->flags)) goto again'))) !== 0) return;
        }
      },
    },
    {
      name: 'READ_ONCE(mm->tlb_flush_pending)',
      *start() {
        yield* READ_ONCE(k.L.mm(MM_TLB_FLUSH_PENDING), at('bystander', 'READ_ONCE(mm->tlb_flush_pending)'));
      },
    },
  ],
};

/**
 * One CPU waits for a flag another CPU sets, written as a plain re-reading loop (`spin: 'loop'`)
 * or as an await step (`spin: 'await'`, smp_cond_load_acquire). The loop version runs away under
 * the non-preemptive schedule (the spinner never yields); the await version is explored
 * exhaustively in a handful of executions. With `writer: false` nobody sets the flag: the await
 * version is then a global deadlock.
 */
export function spinScenario(spin: 'loop' | 'await', writer = true): Scenario {
  return {
    ...base,
    name: `test-spin-${spin}${writer ? '' : '-no-writer'}`,
    description: `test only: wait for a flag another CPU sets, as a ${spin}`,
    world: (b) => b,
    maxSteps: 200,
    threads: (k) => [
      {
        name: 'wait for mm->flags',
        *start() {
          const flag = k.L.mm(MM_FLAGS);
          if (spin === 'await') {
            yield* smp_cond_load_acquire(flag, 'ne', 0, at('waiter', 'smp_cond_load_acquire(&mm->flags, VAL != 0)'));
          } else {
            while ((yield* READ_ONCE(flag, at('waiter', 'while (!READ_ONCE(mm->flags)) cpu_relax()'))) === 0) {
              /* cpu_relax() */
            }
          }
          yield* WRITE_ONCE(k.L.mm(MM_TLB_FLUSH_PENDING), 1, at('waiter', 'WRITE_ONCE(mm->tlb_flush_pending, 1)'));
        },
      },
      {
        name: writer ? 'WRITE_ONCE(mm->flags, 1)' : 'READ_ONCE(mm->tlb_flush_pending)',
        *start() {
          yield* READ_ONCE(k.L.mm(MM_TLB_FLUSH_PENDING), at('setter', 'READ_ONCE(mm->tlb_flush_pending)'));
          if (writer) yield* WRITE_ONCE(k.L.mm(MM_FLAGS), 1, at('setter', 'WRITE_ONCE(mm->flags, 1)'));
        },
      },
    ],
  };
}

/** How a model goes nondeterministic. */
export type Nondet = 'module-state' | 'math-random' | 'clock' | 'violation-from-state';

/**
 * A model whose CPU0 branches on something other than the values its operations returned. Each
 * call builds a fresh module-level-like counter so tests do not disturb each other.
 */
export function nondeterministic(how: Nondet): Scenario {
  let executions = 0; // state kept across executions: exactly the bug being detected
  const coin = (): boolean => {
    switch (how) {
      case 'module-state':
      case 'violation-from-state':
        return ++executions % 2 === 0;
      case 'math-random':
        return Math.random() < 0.5;
      case 'clock':
        return (process.hrtime.bigint() & 1n) === 1n;
    }
  };
  return {
    ...base,
    name: `test-nondet-${how}`,
    description: `test only: a model that depends on ${how}`,
    world: (b) => b,
    threads: (k) => [
      {
        name: 'nondeterministic',
        *start(): Path<void> {
          const v = yield* READ_ONCE(k.L.mm(MM_FLAGS), at('nondet', 'v = READ_ONCE(mm->flags)'));
          if (how === 'violation-from-state') {
            // the third execution "finds a bug" that no replay can reproduce
            yield* VM_BUG_ON(++executions === 3, 'hidden_state == 3', at('nondet', 'VM_BUG_ON(hidden_state == 3)'));
          } else if (coin()) {
            yield* WRITE_ONCE(k.L.mm(MM_TLB_FLUSH_PENDING), v + 1, at('nondet', 'WRITE_ONCE(mm->tlb_flush_pending, v + 1)'));
          } else {
            yield* READ_ONCE(k.L.mm(MM_TLB_FLUSH_PENDING), at('nondet', 'READ_ONCE(mm->tlb_flush_pending)'));
          }
          yield* READ_ONCE(k.L.mm(MM_FLAGS), at('nondet', 'READ_ONCE(mm->flags)'));
        },
      },
      {
        name: 'writer',
        *start() {
          yield* WRITE_ONCE(k.L.mm(MM_FLAGS), 1, at('writer', 'WRITE_ONCE(mm->flags, 1)'));
          yield* WRITE_ONCE(k.L.mm(MM_FLAGS), 2, at('writer', 'WRITE_ONCE(mm->flags, 2)'));
        },
      },
    ],
  };
}

export const TEST_SCENARIOS: readonly Scenario[] = [ipiDeadlock, runaway, spinScenario('loop'), spinScenario('await'), spinScenario('await', false)];

/** A model bug the machine refuses (spin_unlock of a lock not held): a model error, deterministic. */
export const unbalancedUnlock: Scenario = {
  ...base,
  name: 'test-unbalanced-unlock',
  description: 'test only: spin_unlock of a lock this CPU does not hold',
  world: (b) => b.pageTable(0, 1),
  threads: (k) => [
    {
      name: 'READ_ONCE(mm->flags); spin_unlock(ptl)',
      *start() {
        yield* READ_ONCE(k.L.mm(MM_FLAGS), at('unbalanced', 'READ_ONCE(mm->flags)'));
        yield* spin_unlock(k.L.ptl(1), at('unbalanced', 'spin_unlock(ptl)'));
      },
    },
    {
      name: 'WRITE_ONCE(mm->flags, 1)',
      *start() {
        yield* WRITE_ONCE(k.L.mm(MM_FLAGS), 1, at('writer', 'WRITE_ONCE(mm->flags, 1)'));
      },
    },
  ],
};
