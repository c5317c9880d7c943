import { describe, expect, test } from 'vitest';
import { Machine } from '../core/machine.js';
import { explore } from '../core/explore.js';
import type { Program } from '../core/execution.js';
import type { Label, Op } from '../core/op.js';
import { UsageError } from '../core/errors.js';
import { DporStrategy } from './dpor.js';
import { DfsStrategy } from './dfs.js';
import { crossCheckProgram } from './cross-check.js';
import { formatSchedule } from './schedule.js';
import { ablate, newSurvey, parsePointKey, pointKey, pointSlug, surveying, type SyncPoint } from './ablation.js';

const lbl = (fn: string, stmt: string): Label => ({ fn, stmt });
const machine = (n: number) => () => new Machine<unknown>(n, 8, { nameOf: (x) => `x${x}`, formatValue: (_l, v) => String(v) }, {}, {});

// memory: 0 lock word, 1 counter, 2 seq, 3 data
const LOCK = lbl('inc', 'spin_lock(&lock)');
function* increment(): Generator<Op, void, number> {
  yield { kind: 'lock', loc: 0, label: LOCK };
  const v = yield { kind: 'load', loc: 1, order: 'plain', label: lbl('inc', 'v = counter') };
  yield { kind: 'store', loc: 1, value: v + 1, order: 'plain', label: lbl('inc', 'counter = v + 1') };
  yield { kind: 'unlock', loc: 0, label: lbl('inc', 'spin_unlock(&lock)') };
}
/** two locked increments; the counter must end at 2 (checked by the last CPU to finish) */
const lostUpdate: Program = {
  threads: [0, 1].map((t) => ({
    name: `inc${t}`,
    *start() {
      yield* increment();
      const done = yield { kind: 'rmw', loc: 4, rmw: 'add', a: 1, b: 0, order: 'full', label: lbl('inc', 'atomic_inc_return(&done)') };
      if (done === 1) {
        const c = yield { kind: 'load', loc: 1, order: 'once', label: lbl('check', 'READ_ONCE(counter)') };
        yield { kind: 'check', ok: c === 2, what: 'WARN_ON(counter != 2)', label: lbl('check', 'WARN_ON(counter != 2)') };
      }
    },
  })),
  newMachine: machine(2),
  invariants: [],
  maxSteps: 100,
};

const RECHECK = lbl('reader', 'if (seq != READ_ONCE(s->seq))');
/** a seqcount: the writer makes seq odd, writes data, makes it even; the reader re-checks seq */
const seqcount: Program = {
  threads: [
    {
      name: 'reader',
      *start() {
        const a = yield { kind: 'load', loc: 2, order: 'once', label: lbl('reader', 'seq = READ_ONCE(s->seq)') };
        if (a % 2 === 1) return;
        const d = yield { kind: 'load', loc: 3, order: 'once', label: lbl('reader', 'd = READ_ONCE(s->data)') };
        const b = yield { kind: 'load', loc: 2, order: 'once', label: RECHECK };
        if (a === b) yield { kind: 'check', ok: d === a / 2, what: 'WARN_ON(d != seq / 2)', label: lbl('reader', 'WARN_ON(d != seq / 2)') };
      },
    },
    {
      name: 'writer',
      *start() {
        yield { kind: 'store', loc: 2, value: 1, order: 'once', label: lbl('writer', 'WRITE_ONCE(s->seq, 1)') };
        yield { kind: 'store', loc: 3, value: 1, order: 'once', label: lbl('writer', 'WRITE_ONCE(s->data, 1)') };
        yield { kind: 'store', loc: 2, value: 2, order: 'once', label: lbl('writer', 'WRITE_ONCE(s->seq, 2)') };
      },
    },
  ],
  newMachine: machine(2),
  invariants: [],
  maxSteps: 100,
};

const verdict = <W>(p: Program<W>, s: DporStrategy | DfsStrategy) => {
  const r = explore(p, s, { maxExecutions: 10_000 });
  return { v: r.failing?.violation?.invariant ?? null, exhaustive: r.exhaustive, schedule: r.failing === null ? null : formatSchedule('t', r.failing.choices) };
};

function surveyOf(p: Program) {
  const s = newSurvey();
  explore(surveying(p, s), new DporStrategy(), { maxExecutions: 10_000 });
  return s;
}

describe('sync ablation', () => {
  test('the survey lists the lock, and removing it lets the lost update through (DPOR and full DFS agree)', () => {
    const s = surveyOf(lostUpdate);
    const lock = s.points.get('lock@inc: spin_lock(&lock)');
    expect(lock?.cpus).toEqual(new Set([0, 1]));
    expect(s.ordered.get('inc: atomic_inc_return(&done)')).toBe('full');
    expect(verdict(lostUpdate, new DporStrategy())).toMatchObject({ v: null, exhaustive: true });
    const without = ablate(lostUpdate, lock!.point);
    const d = verdict(without, new DporStrategy());
    expect(d.v, `DPOR schedule ${d.schedule}`).toBe('WARN_ON');
    expect(verdict(without, new DfsStrategy()).v).toBe('WARN_ON');
    const cc = crossCheckProgram(without, 'lost update without its lock', 't');
    expect(cc.disagreements, cc.disagreements.join('\n')).toEqual([]);
  });

  test('a re-read of a location is a recheck point; forced to pass, the seqcount reader sees torn data', () => {
    const s = surveyOf(seqcount);
    expect([...s.points.keys()]).toEqual([pointKey({ kind: 'recheck', label: RECHECK })]);
    expect(verdict(seqcount, new DporStrategy())).toMatchObject({ v: null, exhaustive: true });
    const counter = { matched: 0 };
    const without = ablate(seqcount, s.points.get(pointKey({ kind: 'recheck', label: RECHECK }))!.point, counter);
    const d = verdict(without, new DporStrategy());
    expect(d.v, `DPOR schedule ${d.schedule}`).toBe('WARN_ON');
    expect(counter.matched).toBeGreaterThan(0);
    const cc = crossCheckProgram(without, 'seqcount without its re-check', 't');
    expect(cc.disagreements, cc.disagreements.join('\n')).toEqual([]);
  });

  test('the read half of a non-atomic read-modify-write, and a read after the CPU\'s own write, are not recheck points', () => {
    const p: Program = {
      threads: [{
        name: 'setter',
        *start() {
          yield { kind: 'load', loc: 5, order: 'plain', label: lbl('f', 'if (PageFoo(page))') };
          const v = yield { kind: 'load', loc: 5, order: 'plain', label: lbl('__SetPageBar', 'page->flags') };
          yield { kind: 'store', loc: 5, value: v | 2, order: 'plain', label: lbl('__SetPageBar', 'page->flags |= PG_bar') };
          // after its own write the CPU reads what it wrote: not a re-check of another CPU's change
          yield { kind: 'load', loc: 5, order: 'plain', label: lbl('g', 'if (PageBar(page))') };
        },
      }],
      newMachine: machine(1),
      invariants: [],
      maxSteps: 10,
    };
    expect([...surveyOf(p).points.keys()]).toEqual([]);
  });

  test('removing an outer section keeps the inner one and its close: sections pair by nesting', () => {
    const outer = lbl('a', 'rcu_read_lock() /* outer */');
    const ops: Op[] = [
      { kind: 'rcu_read_lock', label: outer },
      { kind: 'rcu_read_lock', label: lbl('b', 'rcu_read_lock()') },
      { kind: 'rcu_read_unlock', label: lbl('b', 'rcu_read_unlock()') },
      { kind: 'rcu_read_unlock', label: lbl('a', 'rcu_read_unlock()') },
      { kind: 'irq_disable', label: lbl('a', 'local_irq_disable()') },
      { kind: 'irq_enable', label: lbl('a', 'local_irq_enable()') },
    ];
    const p: Program = { threads: [{ name: 't', *start() { for (const op of ops) yield op; } }], newMachine: machine(1), invariants: [], maxSteps: 10 };
    const seen = (point: SyncPoint) => {
      const g = ablate(p, point).threads[0]!.start();
      const out: string[] = [];
      for (let r = g.next(0); r.done !== true; r = g.next(0)) out.push(`${r.value.kind}@${r.value.label.fn}`);
      return out;
    };
    expect(seen({ kind: 'rcu', label: outer })).toEqual(['rcu_read_lock@b', 'rcu_read_unlock@b', 'irq_disable@a', 'irq_enable@a']);
    expect(seen({ kind: 'irq', label: lbl('a', 'local_irq_disable()') })).toEqual(['rcu_read_lock@a', 'rcu_read_lock@b', 'rcu_read_unlock@b', 'rcu_read_unlock@a']);
  });

  test('point keys round-trip, name their kind, and bad ones say what is expected', () => {
    const p: SyncPoint = { kind: 'recheck', label: lbl('gup_pte_range', 'unlikely(pte_val(pte) != pte_val(ptep_get(ptep))))') };
    expect(parsePointKey(pointKey(p))).toEqual(p);
    expect(() => parsePointKey('gup_pte_range: x')).toThrow(UsageError);
    expect(() => parsePointKey('barrier@f: smp_mb()')).toThrow(/KIND one of lock, irq, rcu/);
    expect(pointSlug(pointKey(p))).toMatch(/^recheck_gup_pte_range_[A-Za-z0-9_]*-[0-9a-f]{8}$/);
    expect(pointSlug('lock@f: a')).not.toBe(pointSlug('lock@f: b'));
  });
});
