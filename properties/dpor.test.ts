/**
 * DPOR against brute force. On small generated programs (random mixes of reads, writes, RMWs,
 * spinlock sections, irqs-off sections with IPIs, RCU read sections and grace periods over a
 * few locations), exhaustive DFS enumerates every interleaving and its Mazurkiewicz class; DPOR
 * must reach exactly the same set of outcomes (final memory, values read, deadlocks), explore
 * each class exactly once among its completed executions, and never more executions than DFS.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { Machine } from '../src/core/machine.js';
import { runExecution, type Chooser, type ExecResult, type Program, type SchedView } from '../src/core/execution.js';
import type { Label, Path, SharedOp } from '../src/core/op.js';
import { DfsStrategy } from '../src/sched/dfs.js';
import { DporStrategy } from '../src/sched/dpor.js';
import { commuting, dependent, footprint, stepFootprint, type Footprint } from '../src/sched/footprint.js';
import type { Strategy } from '../src/sched/strategy.js';
import { buildProgram } from '../src/scenarios/scenario.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { explore } from '../src/core/explore.js';

type Instr =
  | { k: 'load'; x: number }
  | { k: 'store'; x: number; v: number }
  | { k: 'add'; x: number }
  | { k: 'cas'; x: number; v: number }
  | { k: 'locked'; l: number; body: Instr[] }
  | { k: 'irqoff'; body: Instr[] }
  | { k: 'ipi' }
  | { k: 'rcu'; body: Instr[] }
  | { k: 'sync_rcu' }
  // blind RMWs and loads (core/op.ts RmwOp.blind, LoadOp.blind): the path gets only the C result
  | { k: 'badd'; x: number; d: number }
  | { k: 'bunless'; x: number }
  | { k: 'bsubtest'; x: number }
  | { k: 'bthr'; x: number; cmp: 'gt' | 'ge' | 'lt'; v: number };

const NLOC = 3;
const LOCK0 = NLOC; // lock words live after the data locations
const l: Label = { fn: 'gen', stmt: 'op' };

const leaf: fc.Arbitrary<Instr> = fc.oneof(
  fc.record({ k: fc.constant('load' as const), x: fc.nat({ max: NLOC - 1 }) }),
  fc.record({ k: fc.constant('store' as const), x: fc.nat({ max: NLOC - 1 }), v: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('add' as const), x: fc.nat({ max: NLOC - 1 }) }),
  fc.record({ k: fc.constant('cas' as const), x: fc.nat({ max: NLOC - 1 }), v: fc.integer({ min: 1, max: 3 }) }),
);
const instr: fc.Arbitrary<Instr> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), l: fc.nat({ max: 1 }), body: fc.array(leaf, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('irqoff' as const), body: fc.array(leaf, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'ipi' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rcu' as const), body: fc.array(leaf, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'sync_rcu' as const }) },
);
const programArb = fc.array(fc.array(instr, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });

function* exec(code: Instr[], seen: number[]): Path<void> {
  for (const i of code) {
    switch (i.k) {
      case 'load':
        seen.push(yield { kind: 'load', loc: i.x, order: 'once', label: l });
        break;
      case 'store':
        // the value depends on what this CPU read, so reads matter to the outcome
        yield { kind: 'store', loc: i.x, value: i.v + 10 * (seen.at(-1) ?? 0), order: 'once', label: l };
        break;
      case 'add':
        seen.push(yield { kind: 'rmw', loc: i.x, rmw: 'add', a: 1, b: 0, order: 'full', label: l });
        break;
      case 'cas':
        seen.push(yield { kind: 'rmw', loc: i.x, rmw: 'cmpxchg', a: 0, b: i.v, order: 'success', label: l });
        break;
      case 'locked':
        yield { kind: 'lock', loc: LOCK0 + i.l, label: l };
        yield* exec(i.body, seen);
        yield { kind: 'unlock', loc: LOCK0 + i.l, label: l };
        break;
      case 'irqoff':
        yield { kind: 'irq_disable', label: l };
        yield* exec(i.body, seen);
        yield { kind: 'irq_enable', label: l };
        break;
      case 'ipi':
        yield { kind: 'ipi_send', label: l };
        yield { kind: 'ipi_wait', label: l };
        break;
      case 'rcu':
        yield { kind: 'rcu_read_lock', label: l };
        yield* exec(i.body, seen);
        yield { kind: 'rcu_read_unlock', label: l };
        break;
      case 'sync_rcu':
        yield { kind: 'gp_start', label: l };
        yield { kind: 'gp_wait', label: l };
        break;
      case 'badd': // atomic_add / atomic_sub
        yield { kind: 'rmw', loc: i.x, rmw: 'add', a: i.d, b: 0, order: 'relaxed', label: l, blind: true };
        break;
      case 'bunless': // atomic_add_unless(x, 1, 0), folio_ref_try_add_rcu
        seen.push(yield { kind: 'rmw', loc: i.x, rmw: 'add_unless', a: 1, b: 0, order: 'success', label: l, returns: { kind: 'old-not', value: 0 }, blind: true });
        break;
      case 'bsubtest': // atomic_dec_and_test
        seen.push(yield { kind: 'rmw', loc: i.x, rmw: 'add', a: -1, b: 0, order: 'full', label: l, returns: { kind: 'new-zero' }, blind: true });
        break;
      case 'bthr': // WARN_ON_ONCE(atomic_read(x) < v)
        seen.push(yield { kind: 'load', loc: i.x, order: 'once', label: l, returns: { kind: i.cmp, value: i.v }, blind: true });
        break;
    }
  }
}

interface Outcome {
  key: string;
  cls: string;
}

function makeProgram(threads: Instr[][], seen: number[][]): Program<null> {
  const layout = { nameOf: (x: number) => `m${x}`, formatValue: (_: number, v: number) => String(v) };
  return {
    threads: threads.map((code, t) => ({
      name: `t${t}`,
      start: () => {
        seen[t] = [];
        return exec(code, seen[t]!);
      },
    })),
    newMachine: () => new Machine<null>(threads.length, NLOC + 2, layout, null, {}),
    invariants: [],
    maxSteps: 500,
  };
}

/** Wraps a strategy to record each step's exact footprint, for the Mazurkiewicz class. */
class Recorder implements Chooser {
  readonly wantsWrites = true;
  events: { tid: number; fp: Footprint }[] = [];
  /** commute: classes under DPOR's commuting relation (blind adds of one tag) */
  constructor(readonly inner: Strategy, private readonly n: number, private readonly commute = false) {}
  choose(v: SchedView): number {
    return this.inner.choose(v);
  }
  onStep(tid: number, op: SharedOp, v: SchedView): void {
    this.events.push({ tid, fp: this.commute ? stepFootprint(op, tid, this.n, v.lastWrites.slice(), v.lastReads.slice(), v.lastAdd, v.lastResult) : footprint(op, tid, this.n, v.lastWrites.slice()) });
    this.inner.onStep?.(tid, op, v);
  }
  /**
   * the class: for every dependent pair of events of different CPUs, which came first (with
   * `commute`, not for a pair DPOR lets commute: `commuting` of the two in execution order)
   */
  classKey(): string {
    const local = new Map<number, number>();
    const ids = this.events.map((e) => {
      const k = (local.get(e.tid) ?? 0) + 1;
      local.set(e.tid, k);
      return `${e.tid}.${k}`;
    });
    const pairs: string[] = [];
    for (let j = 0; j < this.events.length; j++)
      for (let i = j + 1; i < this.events.length; i++)
        if (this.events[i]!.tid !== this.events[j]!.tid && dependent(this.events[j]!.fp, this.events[i]!.fp) && !(this.commute && commuting(this.events[j]!.fp, this.events[i]!.fp))) pairs.push(`${ids[j]}<${ids[i]}`);
    return `${ids.slice().sort().join(',')}|${pairs.sort().join(',')}`;
  }
}

function enumerate(threads: Instr[][], strategy: Strategy, cap: number, commute = false) {
  const seen: number[][] = [];
  const p = makeProgram(threads, seen);
  const outcomes: Outcome[] = [];
  let executions = 0;
  let aborted = 0;
  while (executions < cap && strategy.nextExecution()) {
    const rec = new Recorder(strategy, threads.length, commute);
    const r: ExecResult = runExecution(p, rec);
    strategy.endExecution(r);
    executions++;
    if (r.aborted) {
      aborted++;
      continue;
    }
    const m = r.violation?.invariant ?? 'ok';
    outcomes.push({ key: `${m}|${JSON.stringify(seen)}`, cls: rec.classKey() });
  }
  return { outcomes, executions, aborted, complete: strategy.complete };
}

const STATS = { classes: 0, dpor: 0, dfs: 0, worst: 0 };

describe('DPOR cross-checked against exhaustive DFS', () => {
  afterAll(() => {
    console.log(`DPOR cross-check: ${STATS.dpor} DPOR executions for ${STATS.classes} Mazurkiewicz classes (ratio ${(STATS.dpor / Math.max(1, STATS.classes)).toFixed(3)}, worst program ${STATS.worst.toFixed(2)}); naive DFS: ${STATS.dfs} executions`);
  });

  ptest.prop([programArb], { numRuns: 120 })('same outcomes, every class reached, within 2x the class count', (threads) => {
    const dfs = enumerate(threads, new DfsStrategy(), 4_000);
    fc.pre(dfs.complete); // DFS itself must have finished for the comparison to mean anything
    const dpor = enumerate(threads, new DporStrategy(), 20_000);
    expect(dpor.complete).toBe(true);
    const dfsKeys = new Set(dfs.outcomes.map((o) => o.key));
    const dporKeys = new Set(dpor.outcomes.map((o) => o.key));
    expect([...dporKeys].sort()).toEqual([...dfsKeys].sort());
    const classes = new Set(dfs.outcomes.map((o) => o.cls));
    const dporClasses = dpor.outcomes.map((o) => o.cls);
    // every class reached
    expect(new Set(dporClasses)).toEqual(classes);
    // A failed RMW (atomic_add_unless on 0, a failed cmpxchg) is a read for race detection but a
    // sleeping RMW must conservatively be taken as a write, so an equivalent ordering can be
    // re-explored: DPOR stays within a stated factor of the class count, never above DFS.
    STATS.classes += classes.size;
    STATS.dpor += dpor.executions;
    STATS.dfs += dfs.executions;
    STATS.worst = Math.max(STATS.worst, dpor.executions / classes.size);
    expect(dpor.executions).toBeLessThanOrEqual(Math.max(2 * classes.size, classes.size + 2));
    expect(dpor.executions).toBeLessThanOrEqual(dfs.executions);
  });

  test('a deadlock (an IPI sender holding a lock a CPU with irqs off spins on) is found by both', () => {
    // cpu0 holds lock 0 around an IPI; cpu1 has irqs off and takes lock 0
    const withDeadlock: Instr[][] = [
      [{ k: 'locked', l: 0, body: [{ k: 'ipi' }] }],
      [{ k: 'irqoff', body: [{ k: 'locked', l: 0, body: [{ k: 'load', x: 1 }] }] }],
    ];
    const dfs = enumerate(withDeadlock, new DfsStrategy(), 10_000);
    const dpor = enumerate(withDeadlock, new DporStrategy(), 10_000);
    expect(dfs.outcomes.some((o) => o.key.startsWith('no-deadlock'))).toBe(true);
    expect(dpor.outcomes.some((o) => o.key.startsWith('no-deadlock'))).toBe(true);
  });
});

/**
 * Blind adds of one tag (core/op.ts RmwOp.blind) commute in DPOR's race detection
 * (sched/footprint.ts `commuting`). Brute force decides whether that loses anything: on
 * programs where most steps are blind RMWs and blind threshold reads of two counters, mixed with
 * plain loads, stores, RMWs and lock sections, DPOR with the reduction reaches every outcome DFS
 * reaches (final memory, every C result each CPU got) and every class under the commuting
 * relation; without it, every class under plain read/write dependence, as before.
 */
const blindLeaf: fc.Arbitrary<Instr> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('badd' as const), x: fc.nat({ max: 1 }), d: fc.constantFrom(1, -1, 2) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('bunless' as const), x: fc.nat({ max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bsubtest' as const), x: fc.nat({ max: 1 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('bthr' as const), x: fc.nat({ max: 1 }), cmp: fc.constantFrom('gt' as const, 'ge' as const, 'lt' as const), v: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 2, arbitrary: leaf },
);
const blindInstr: fc.Arbitrary<Instr> = fc.oneof(
  { weight: 8, arbitrary: blindLeaf },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), l: fc.nat({ max: 1 }), body: fc.array(blindLeaf, { minLength: 1, maxLength: 2 }) }) },
);
const blindProgramArb = fc.array(fc.array(blindInstr, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 3 });
const BLIND = { classes: 0, on: 0, off: 0, dfs: 0, programs: 0 };

describe('DPOR with commuting blind adds cross-checked against exhaustive DFS', () => {
  afterAll(() => {
    console.log(`commuting blind adds: ${BLIND.programs} programs, ${BLIND.classes} classes under the commuting relation; DPOR ${BLIND.on} executions with the reduction, ${BLIND.off} without; naive DFS ${BLIND.dfs}`);
  });

  ptest.prop([blindProgramArb], { numRuns: 150 })('same outcomes with and without the reduction, every commuting class reached', (threads) => {
    const dfs = enumerate(threads, new DfsStrategy(), 4_000, true);
    fc.pre(dfs.complete);
    const on = enumerate(threads, new DporStrategy(), 20_000, true);
    const off = enumerate(threads, new DporStrategy({ commute: false }), 20_000);
    expect(on.complete && off.complete).toBe(true);
    const dfsKeys = [...new Set(dfs.outcomes.map((o) => o.key))].sort();
    expect([...new Set(on.outcomes.map((o) => o.key))].sort()).toEqual(dfsKeys);
    expect([...new Set(off.outcomes.map((o) => o.key))].sort()).toEqual(dfsKeys);
    const classes = new Set(dfs.outcomes.map((o) => o.cls));
    expect(new Set(on.outcomes.map((o) => o.cls))).toEqual(classes);
    expect(on.executions).toBeLessThanOrEqual(dfs.executions);
    BLIND.programs++;
    BLIND.classes += classes.size;
    BLIND.on += on.executions;
    BLIND.off += off.executions;
    BLIND.dfs += dfs.executions;
  });

  test('reductions that failed: a blind read judged against its concurrent adds loses these outcomes; DPOR as it is keeps them', () => {
    // found on 2026-12-04 by this property (with 3-4 threads) against a reduction that let a
    // blind threshold read commute with the concurrent blind adds that could not flip it
    // (sched/footprint.ts `commuting` says why it fails); kept so that any such rule meets them
    const programs: Instr[][][] = [
      // two atomic_dec_and_test() and `x >= 0`, true only before both: judged one add at a time
      [[{ k: 'bsubtest', x: 1 }], [{ k: 'bsubtest', x: 1 }, { k: 'add', x: 0 }], [{ k: 'bthr', x: 1, cmp: 'ge', v: 0 }]],
      // `x > 0` is true only after the cmpxchg and before the atomic_sub: every subset of adds
      // alike at first, until the cmpxchg is reordered between them
      [[{ k: 'bthr', x: 0, cmp: 'gt', v: 0 }, { k: 'badd', x: 0, d: 1 }], [{ k: 'cas', x: 1, v: 1 }, { k: 'badd', x: 0, d: -1 }], [{ k: 'bsubtest', x: 1 }, { k: 'cas', x: 0, v: 1 }, { k: 'cas', x: 0, v: 1 }]],
    ];
    for (const threads of programs) {
      const keys = (o: { outcomes: Outcome[] }) => [...new Set(o.outcomes.map((x) => x.key))].sort();
      const dfs = enumerate(threads, new DfsStrategy(), 30_000, true);
      expect(dfs.complete).toBe(true);
      expect(keys(enumerate(threads, new DporStrategy(), 20_000, true)), JSON.stringify(threads)).toEqual(keys(dfs));
      expect(keys(enumerate(threads, new DporStrategy({ commute: false }), 20_000)), JSON.stringify(threads)).toEqual(keys(dfs));
    }
  });
  test('atomic_inc() on three CPUs: one order with the reduction, all six without', () => {
    const threads: Instr[][] = [0, 1, 2].map(() => [{ k: 'badd', x: 0, d: 1 }]);
    const on = enumerate(threads, new DporStrategy(), 1_000, true);
    const off = enumerate(threads, new DporStrategy({ commute: false }), 1_000);
    expect(on.complete && off.complete).toBe(true);
    expect(on.executions).toBe(1);
    expect(off.executions).toBe(6);
  });
});

/**
 * Budgets: every invariant's reads are DPOR footprint now, so some configurations have tens of
 * thousands of classes (gup-fast-pin-vs-fork). A configuration that does not finish within the
 * budget is logged, and must still show no violation; the full-size runs are in
 * `npm run bench` (bench/cross-check.ts).
 */
const KERNEL_CAP = 4_000;
/**
 * The capped DPOR run of each clean configuration, kept for the comparison with DFS below: for a
 * configuration with no violation, the run that stops at its first violation and the run that
 * collects every violation are the same run, so it is explored once (it was, twice, the largest
 * cost of this file).
 */
const cleanRuns = new Map<string, { executions: number; complete: boolean; violation: string | null }>();

describe('DPOR on the kernel scenarios', () => {
  const unfinished: string[] = [];
  for (const s of SCENARIOS) {
    for (const clean of s.cleanConfigs) {
      const label = Object.entries({ ...clean.variants, ...clean.env }).map(([p, v]) => `${p}=${v}`).join(' ') || 'faithful';
      test(`${s.name} ${label}: clean (exhaustive where it finishes within the budget)`, () => {
        const p = buildProgram(s, { variants: clean.variants, env: clean.env });
        const r = explore(p, new DporStrategy(), { maxExecutions: KERNEL_CAP });
        cleanRuns.set(`${s.name} ${label}`, { executions: r.executions, complete: r.exhaustive, violation: r.failing?.violation?.invariant ?? null });
        expect(r.failing?.violation ?? null, `DPOR found a violation in a clean configuration after ${r.executions} executions`).toBeNull();
        if (r.executions < KERNEL_CAP) {
          expect(r.verdict).toBe('clean');
          expect(r.exhaustive).toBe(true);
        } else unfinished.push(`${s.name} ${label}`);
        console.log(`${s.name} ${label}: ${r.verdict}: ${r.executions} DPOR executions, ${r.steps} steps, ${r.sleepBlocked} sleep-set blocked`);
      });
    }
  }
  test('most clean configurations finish within the budget', () => {
    console.log(`not exhausted within ${KERNEL_CAP} executions: ${unfinished.join('; ') || 'none'}`);
    // a scale canary, not a verdict (an unfinished configuration is never reported clean): since
    // every invariant's reads are footprint (dpor-soundness.test.ts), the fork, split, migration
    // and split-and-zap configurations have more classes than this cap; 18 measured (issue 15)
    expect(unfinished.length).toBeLessThanOrEqual(20);
  });
});


/**
 * DPOR against brute force on the kernel scenarios themselves, in every known race and clean
 * configuration: whenever DFS bounded to one preemption finds a violation, DPOR (which covers
 * every class) finds one too; where naive DFS can finish, both agree on whether the
 * configuration is clean.
 *
 * Which invariant is reported can differ: an execution stops at its first violation, and two
 * linearizations of the same trace can hit different invariants first (the same bug seen as
 * no-ref-on-free-page or as gup-returns-mapped-page). Those differences are logged. Every
 * invariant's reads are part of DPOR's footprint (soundness by construction,
 * properties/dpor-soundness.test.ts), and this is the brute-force check of that.
 */
describe('DPOR against DFS on the kernel scenarios', () => {
  const DFS_CAP = 6_000;
  const FULL_DFS_MAX_DPOR = 100;
  const tooBig: string[] = [];
  const compared: string[] = [];
  const renamed: string[] = [];
  const inconclusive: string[] = [];
  const outcomes = (p: ReturnType<typeof buildProgram>, s: Strategy, cap: number, stopAtFirst = false) => {
    const found = new Set<string>();
    let executions = 0;
    while (executions < cap && s.nextExecution()) {
      const r = runExecution(p, s);
      s.endExecution(r);
      executions++;
      if (r.violation !== null) found.add(r.violation.invariant);
      if (r.modelError !== null) found.add(`model-error: ${String(r.modelError.error)}`);
      if (stopAtFirst && found.size > 0) break;
    }
    return { found: [...found].sort(), executions, complete: s.complete };
  };
  for (const s of SCENARIOS) {
    const configs = [
      ...s.cleanConfigs.map((c) => ({ variants: c.variants, env: c.env })),
      ...s.knownRaces.map((r) => ({ variants: r.variants, env: r.env })),
    ];
    for (const c of configs) {
      const label = Object.entries({ ...c.variants, ...c.env }).map(([p, v]) => `${p}=${v}`).join(' ') || 'faithful';
      test(`${s.name} ${label}: DPOR finds a violation wherever DFS does`, () => {
        const p = buildProgram(s, { variants: c.variants, env: c.env });
        const bounded = outcomes(p, new DfsStrategy(1), KERNEL_CAP, true);
        const ran = cleanRuns.get(`${s.name} ${label}`);
        const dpor = ran !== undefined && ran.violation === null && bounded.found.length === 0 ? { found: [] as string[], executions: ran.executions, complete: ran.complete } : outcomes(p, new DporStrategy(), KERNEL_CAP, bounded.found.length > 0);
        if (bounded.found.length > 0) {
          if (dpor.complete || dpor.found.length > 0) expect(dpor.found.length, `DFS with <= 1 preemption violates ${bounded.found.join(', ')}; DPOR (${dpor.executions} executions, complete) found nothing`).toBeGreaterThan(0);
          else inconclusive.push(`${s.name} ${label}: DFS(1) violates ${bounded.found.join(', ')}, DPOR not done after ${dpor.executions}`);
        }
        const missing = bounded.found.filter((inv) => !dpor.found.includes(inv));
        if (missing.length > 0 && dpor.found.length > 0) renamed.push(`${s.name} ${label}: DFS first hits [${bounded.found.join(', ')}], DPOR [${dpor.found.join(', ')}]`);
        // A clean configuration whose complete DPOR run took more than FULL_DFS_MAX_DPOR executions
        // has more Mazurkiewicz classes than that, each with many interleavings: full DFS cannot
        // finish within DFS_CAP there (the largest DPOR count among those it finishes is 11), so it
        // is not run, and only the comparison it could not have made is lost.
        if (dpor.complete && dpor.found.length === 0 && dpor.executions > FULL_DFS_MAX_DPOR) {
          tooBig.push(`${s.name} ${label} (${dpor.executions} DPOR executions)`);
          return;
        }
        const full = outcomes(p, new DfsStrategy(), DFS_CAP);
        if (full.complete && (dpor.complete || dpor.found.length > 0)) {
          expect(dpor.found.length > 0, `DFS (${full.executions} executions) found [${full.found.join(', ')}], DPOR (${dpor.executions}) found [${dpor.found.join(', ')}]`).toBe(full.found.length > 0);
          compared.push(`${s.name} ${label}: ${full.executions} DFS vs ${dpor.executions} DPOR executions, violations [${dpor.found.join(', ')}]`);
        }
      });
    }
  }
  test('enough configurations were small enough for the full comparison', () => {
    console.log(`DPOR and full DFS agree (DFS within ${DFS_CAP} executions):\n  ${compared.join('\n  ')}\nfirst-violation names that differ:\n  ${renamed.join('\n  ') || 'none'}\nnot decided within ${KERNEL_CAP} DPOR executions:\n  ${inconclusive.join('\n  ') || 'none'}\nfull DFS not run (more than ${FULL_DFS_MAX_DPOR} DPOR executions, clean): ${tooBig.length} configurations`);
    expect(compared.length).toBeGreaterThanOrEqual(6);
    expect(inconclusive.length).toBeLessThanOrEqual(2);
  });
});
