/**
 * Issue 12 item 3, TLB flush targeting: x86's flush_tlb_mm_range() IPIs the CPUs of
 * mm_cpumask(mm), not every CPU. Before, the model's flush waited for every CPU with irqs off,
 * so a CPU running another mm with irqs off held up (and so ordered) every flush: schedules real
 * x86 has were missing. Here, exhaustively both ways, the schedule "mm A's flush completes while
 * a CPU of mm B still has irqs off" exists only with the targeted IPI.
 */
import { describe, expect, test } from 'vitest';
import { check } from '../src/run.js';
import { defineScenario } from '../src/scenarios/define.js';
import { at, local_irq_restore, local_irq_save, WRITE_ONCE } from '../src/kernel/primitives.js';
import { flush_tlb_range } from '../src/kernel/mm.js';
import { MM_USERS } from '../src/kernel/world.js';
import type { KernelInvariant } from '../src/kernel/invariants.js';
import type { WorldBuilder } from '../src/kernel/world.js';

// a free mm field to signal "cpu1 is past its flush"
const DONE = (L: { mm(f: number): number }) => L.mm(MM_USERS);

const flushedUnderIrqsOff: KernelInvariant = {
  name: 'flush-waits-for-irqs-off-cpu',
  description: 'an IPI sent while cpu0 (mm B) has irqs off is not taken before cpu0 re-enables them',
  start(m) {
    // the IPI was sent while cpu0 already had irqs off: it must wait until cpu0 re-enables them
    let sentWhileOff = false;
    return {
      step: (s) => {
        if (s.op.kind === 'ipi_send' && m.irqOff[0] === 1) sentWhileOff = true;
        return sentWhileOff && m.irqOff[0] === 1 && m.mem[DONE(m.world.L)] === 2 ? "mm A's flush completed while cpu0 (mm B) still had the irqs off it had when the IPI was sent" : null;
      },
      ghost: () => null,
      end: () => null,
    };
  },
};

const scenario = (world: (b: WorldBuilder) => WorldBuilder) => defineScenario({
  name: 'flush-vs-other-mm-irqs-off',
  description: 'cpu1 (mm A) flushes its TLB range with an IPI while cpu0 runs mm B with irqs off',
  kernel: 'v6.6',
  geometry: { nrPages: 4, ptrsPerPte: 2, ptrsPerPmd: 2 },
  env: { tlb: 'ipi' },
  world,
  invariants: [flushedUnderIrqsOff],
  threads: (k) => [
    {
      name: 'mm B: local_irq_save(); ...; local_irq_restore()',
      *start() {
        yield* local_irq_save(at('mm B', 'local_irq_save(flags)'));
        yield* local_irq_restore(at('mm B', 'local_irq_restore(flags)'));
      },
    },
    {
      name: 'mm A: flush_tlb_range()',
      *start() {
        yield* flush_tlb_range(k, at('zap_pte_range', 'tlb_flush_mmu(tlb)'));
        yield* WRITE_ONCE(DONE(k.L), 2, at('mm A', 'after the flush'));
      },
    },
  ],
});

describe('TLB flush targeting (mm_cpumask)', () => {
  test('the flush IPI of mm A reaches only mm A\'s CPUs: its completion under cpu0\'s irqs-off section is found', () => {
    const r = check({ scenario: scenario((b) => b.mmCpumask([1])), minimize: true });
    expect(r.explored.verdict).toBe('violation');
    expect(r.report.invariant).toBe('flush-waits-for-irqs-off-cpu');
  });
  test('with every CPU in mm_cpumask (the model before) no schedule has it: the IPI waits for cpu0', () => {
    const r = check({ scenario: scenario((b) => b), minimize: false });
    expect(r.explored.verdict).toBe('clean');
    expect(r.explored.exhaustive).toBe(true);
  });
  test('a bad CPU number in mmCpumask is the scenario\'s error', () => {
    expect(() => check({ scenario: scenario((b) => b.mmCpumask([-1])) })).toThrow(/mmCpumask: cpu -1/);
  });
});
