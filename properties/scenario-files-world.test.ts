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
import { definePageFlag, describeFlags, MM_USERS, pageFlags, PG_locked } from '../src/kernel/world.js';
import { main } from '../src/cli/main.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('page flags a user file declares (definePageFlag)', () => {
  const FILE = 'properties/fixtures/user-page-flag.ts';
  const cli = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
    return { code, out, err };
  };

  test('a fresh bit, named in traces without PG_; an undeclared bit is shown as such, never dropped', () => {
    const bit = definePageFlag('PG_test_fresh', { meaning: 'test only: a fresh flag' });
    expect(pageFlags().filter((f) => f.builtin).every((f) => (f.bit & bit) === 0)).toBe(true);
    expect(definePageFlag('PG_test_fresh', { meaning: 'test only: a fresh flag' })).toBe(bit); // a file loaded twice
    expect(describeFlags(PG_locked | bit)).toBe('locked|test_fresh');
    expect(describeFlags(1 << 29)).toMatch(/^(bit29|\w+)$/);
    const unnamed = 31 - Math.clz32(~pageFlags().reduce((a, f) => a | f.bit, 0) & 0x3fffffff & -(~pageFlags().reduce((a, f) => a | f.bit, 0) & 0x3fffffff));
    expect(describeFlags(1 << unnamed)).toBe(`bit${unnamed}`);
  });

  test('a built-in name, a second meaning and a malformed name are refused, each saying why', () => {
    expect(() => definePageFlag('PG_locked', { meaning: 'mine' })).toThrow(/PG_locked is a page flag of racewalk's kernel model \(the folio lock/);
    definePageFlag('PG_test_twice', { meaning: 'one meaning' });
    expect(() => definePageFlag('PG_test_twice', { meaning: 'another' })).toThrow(/already declared with another meaning \(one meaning\)/);
    expect(() => definePageFlag('mlocked', { meaning: 'x' })).toThrow(/expected the kernel's, PG_ and lower case/);
    expect(() => definePageFlag('PG_test_nomeaning', { meaning: ' ' })).toThrow(/give its meaning/);
  });

  test('explore --scenario-file: the violation\'s trace shows the flag by name; list shows it with its meaning', async () => {
    const d = mkdtempSync(join(tmpdir(), 'racewalk-flag-'));
    const r = await cli(['explore', '--scenario-file', FILE, '--out', d, '--no-color']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/folio_test_mlocked\(folio\)/);
    expect(r.out).toMatch(/\+mlocked/);
    const l = await cli(['list', '--scenario-file', FILE]);
    expect(l.code, l.err).toBe(0);
    expect(l.out).toMatch(/PG_mlocked +the folio is mlock\(\)ed \(on the unevictable LRU\) +\[declared by the file\]/);
    const j = JSON.parse((await cli(['list', '--scenario-file', FILE, '--json'])).out);
    expect(j.pageFlags).toContainEqual({ name: 'PG_mlocked', mask: expect.any(Number), meaning: 'the folio is mlock()ed (on the unevictable LRU)', builtin: false });
  });
});
