import { describe, expect, test } from 'vitest';
import { Machine } from './machine.js';
import type { Label } from './op.js';

const l: Label = { fn: 't', stmt: 's' };
const layout = { nameOf: (x: number) => `m${x}`, formatValue: (_: number, v: number) => String(v) };

describe('machine: IPIs and irqs-off CPUs', () => {
  test('an IPI waits for a CPU with irqs off until it re-enables them', () => {
    const m = new Machine(2, 4, layout, null, {});
    m.apply(1, { kind: 'irq_disable', label: l });
    m.apply(0, { kind: 'ipi_send', label: l });
    expect(m.enabled(0, { kind: 'ipi_wait', label: l })).toBe(false);
    m.apply(1, { kind: 'irq_enable', label: l });
    expect(m.enabled(0, { kind: 'ipi_wait', label: l })).toBe(true);
  });

  test('a CPU with irqs on takes the IPI at once; disabling irqs later does not hold it', () => {
    const m = new Machine(2, 4, layout, null, {});
    m.apply(0, { kind: 'ipi_send', label: l });
    m.apply(1, { kind: 'irq_disable', label: l });
    expect(m.enabled(0, { kind: 'ipi_wait', label: l })).toBe(true);
  });

  test('an RCU grace period waits for read-side sections and irqs-off regions', () => {
    const m = new Machine(3, 4, layout, null, {});
    m.apply(1, { kind: 'rcu_read_lock', label: l });
    m.apply(2, { kind: 'irq_disable', label: l });
    m.apply(0, { kind: 'gp_start', label: l });
    expect(m.enabled(0, { kind: 'gp_wait', label: l })).toBe(false);
    m.apply(1, { kind: 'rcu_read_unlock', label: l });
    expect(m.enabled(0, { kind: 'gp_wait', label: l })).toBe(false);
    m.apply(2, { kind: 'irq_enable', label: l });
    expect(m.enabled(0, { kind: 'gp_wait', label: l })).toBe(true);
  });

  test('spin_lock blocks while held and rmw returns the old value', () => {
    const m = new Machine(2, 4, layout, null, {});
    m.apply(0, { kind: 'lock', loc: 1, label: l });
    expect(m.enabled(1, { kind: 'lock', loc: 1, label: l })).toBe(false);
    expect(m.apply(1, { kind: 'rmw', loc: 2, rmw: 'add_unless', a: 1, b: 0, order: 'success', label: l })).toBe(0);
    expect(m.mem[2]).toBe(0); // add_unless(0) fails on a zero count
  });
});
