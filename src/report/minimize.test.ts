import { describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { Machine } from '../core/machine.js';
import { runExecution, type Program, type SchedView } from '../core/execution.js';
import type { Label, Path } from '../core/op.js';
import { countPreemptions, minimizeSchedule } from './minimize.js';

const l = (stmt: string): Label => ({ fn: 'f', stmt });
const layout = { nameOf: (x: number) => `m${x}`, formatValue: (_: number, v: number) => String(v) };

/**
 * cpu0 does `pad` unrelated steps, reads x twice and checks both reads agree; cpu1 does `pad`
 * steps and writes x. The check fails only when cpu1's write lands between the two reads: one
 * preemption at one point, and at least 2 + 1 + pad (cpu1's own steps) + ... steps.
 */
function torn(pad: number): Program<null> {
  return {
    maxSteps: 1000,
    newMachine: () => new Machine(2, 4, layout, null, {}),
    invariants: [
      {
        name: 'reads-agree',
        description: 'both reads of x return the same value',
        start: () => ({ ghost: (_tid, ev) => (ev.type === 'reads' && ev.a !== ev.b ? `torn: ${String(ev.a)} then ${String(ev.b)}` : null) }),
      },
    ],
    threads: [
      {
        name: 'reader',
        *start(): Path<void> {
          for (let i = 0; i < pad; i++) yield { kind: 'store', loc: 2, value: i, order: 'once', label: l('pad0') };
          const a = yield { kind: 'load', loc: 0, order: 'once', label: l('a = READ_ONCE(x)') };
          const b = yield { kind: 'load', loc: 0, order: 'once', label: l('b = READ_ONCE(x)') };
          yield { kind: 'ghost', event: { type: 'reads', a, b }, label: l('check') };
        },
      },
      {
        name: 'writer',
        *start(): Path<void> {
          for (let i = 0; i < pad; i++) yield { kind: 'store', loc: 3, value: i, order: 'once', label: l('pad1') };
          yield { kind: 'store', loc: 0, value: 1, order: 'once', label: l('WRITE_ONCE(x, 1)') };
        },
      },
    ],
  };
}

/** a random walk from a seed made of fast-check's choices */
function walk(p: Program<null>, picks: readonly number[]) {
  let i = 0;
  return runExecution(p, { choose: (v: SchedView) => v.enabled[(picks[i++] ?? 0) % v.enabled.length]! });
}

describe('minimizeSchedule', () => {
  ptest.prop([fc.integer({ min: 0, max: 6 }), fc.array(fc.nat({ max: 7 }), { minLength: 10, maxLength: 40 })])(
    'any violating walk shrinks to one preemption and the fewest steps, deterministically',
    (pad, picks) => {
      const p = torn(pad);
      const r = walk(p, picks);
      fc.pre(r.violation !== null);
      const m = minimizeSchedule(p, r)!;
      expect(m.minimized.preemptions).toBe(1);
      expect(m.fewestPreemptions).toBe(true); // every 0-preemption schedule was run: none tears
      // the reader must run pad + 1 steps, the writer all pad + 1, then the second read
      expect(m.minimized.steps).toBe(2 * pad + 3);
      expect(m.original.steps).toBe(r.steps);
      expect(m.original.preemptions).toBe(countPreemptions(p, r.choices));
      expect(m.minimized.preemptions).toBeLessThanOrEqual(m.original.preemptions);
      const again = runExecution(p, { choose: ((i) => () => m.choices[i.n++]!)({ n: 0 }) });
      expect(again.violation?.invariant).toBe('reads-agree');
      expect(minimizeSchedule(p, r)!.choices).toEqual(m.choices);
    },
  );

  test('a run without a violation is not minimized', () => {
    const p = torn(1);
    const r = runExecution(p, { choose: (v) => v.enabled[0]! });
    expect(r.violation).toBeNull();
    expect(minimizeSchedule(p, r)).toBeNull();
  });

  test('the step budget stops the search, deterministically, and says so', () => {
    const p = torn(5);
    const r = walk(p, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]); // reader and writer alternate: 11 preemptions
    expect(r.violation).not.toBeNull();
    const a = minimizeSchedule(p, r, { maxSteps: 40 })!;
    const b = minimizeSchedule(p, r, { maxSteps: 40 })!;
    expect(a.budgetExhausted).toBe(true);
    expect(a.choices).toEqual(b.choices);
  });
});
