/**
 * PCT and sharded exploration. PCT's counterexamples replay from the one schedule string; the
 * shards of a run partition its space (every DFS execution in exactly one shard, the same
 * verdicts), DPOR shards reach every final state DFS reaches, `racewalk merge` combines shard
 * reports into one verdict, and --jobs worker threads give the unsharded result.
 */
import { describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../src/core/machine.js';
import { runExecution, type Program } from '../src/core/execution.js';
import type { Invariant } from '../src/core/invariant.js';
import type { Label, Path } from '../src/core/op.js';
import { explore } from '../src/core/explore.js';
import { check, replayRecorded } from '../src/run.js';
import { findScenario } from '../src/scenarios/index.js';
import { findStrategy } from '../src/sched/index.js';
import { PctStrategy } from '../src/sched/pct.js';
import { parseSchedule, formatSchedule } from '../src/sched/schedule.js';
import { createShardStrategy, mergeSummaries, summarize, parseShard } from '../src/sched/shard.js';
import { checkParallel } from '../src/sched/parallel.js';
import type { Strategy } from '../src/sched/strategy.js';
import { main } from '../src/cli/main.js';
import { describeFailure } from './helpers.js';

// ------------------------------------------------------------------ small generated programs

type Leaf = { k: 'load' | 'store' | 'add'; x: number };
type Instr = Leaf | { k: 'locked'; l: number; body: Leaf[] };
const l: Label = { fn: 'gen', stmt: 'op' };
const leaf: fc.Arbitrary<Leaf> = fc.record({ k: fc.constantFrom('load' as const, 'store' as const, 'add' as const), x: fc.nat({ max: 2 }) });
const instr: fc.Arbitrary<Instr> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), l: fc.nat({ max: 1 }), body: fc.array(leaf, { minLength: 1, maxLength: 1 }) }) },
);
const programArb = fc.oneof(
  fc.array(fc.array(instr, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 2 }),
  fc.array(fc.array(instr, { minLength: 1, maxLength: 2 }), { minLength: 3, maxLength: 3 }),
);

function* run(code: readonly Instr[], t: number): Path<void> {
  let seen = 0;
  for (const i of code) {
    if (i.k === 'load') seen = yield { kind: 'load', loc: i.x, order: 'once', label: l };
    else if (i.k === 'store') yield { kind: 'store', loc: i.x, value: seen * 10 + t + 1, order: 'once', label: l };
    else if (i.k === 'add') seen = yield { kind: 'rmw', loc: i.x, rmw: 'add', a: 1, b: 0, order: 'full', label: l };
    else if (i.k === 'locked') {
      yield { kind: 'lock', loc: 3 + i.l, label: l };
      yield* run(i.body, t);
      yield { kind: 'unlock', loc: 3 + i.l, label: l };
    }
  }
}

/** x0 must never reach 3: some generated programs violate it under some interleavings only */
const x0Below3: Invariant<unknown> = {
  name: 'x0-below-3',
  description: 'test invariant',
  start: (m) => ({ step: () => (m.mem[0] === 3 ? 'x0 reached 3' : null) }),
};

const layout = { nameOf: (x: number) => `x${x}`, formatValue: (_: number, v: number) => String(v) };
function toProgram(code: readonly (readonly Instr[])[], invariants: Invariant<unknown>[] = []): Program<unknown> {
  return {
    threads: code.map((c, t) => ({ name: `t${t}`, start: () => run(c, t) as Path<unknown> })),
    newMachine: () => new Machine<unknown>(code.length, 5, layout, {}, {}),
    invariants,
    maxSteps: 200,
  };
}

/** every execution a strategy completes: its choices, final memory, and whether it violated */
function collect(p: Program<unknown>, s: Strategy): { runs: string[]; finals: Set<string>; violations: number } {
  const runs: string[] = [];
  const finals = new Set<string>();
  let violations = 0;
  let m: Machine<unknown> | null = null;
  const q: Program<unknown> = { ...p, newMachine: () => (m = p.newMachine()) };
  while (s.nextExecution()) {
    const r = runExecution(q, s);
    s.endExecution(r);
    if ((r as { aborted?: boolean }).aborted === true) continue;
    runs.push(r.choices.join(''));
    if (r.violation !== null) violations++;
    else finals.add(Array.from(m!.mem).join(','));
  }
  return { runs, finals, violations };
}

const sopts = { seed: 1, preemptions: Infinity };

// ------------------------------------------------------------------ PCT

describe('PCT', () => {
  test('every known race of gup-fast-vs-zap is found, and its schedule string replays to the same violation', () => {
    const s = findScenario('gup-fast-vs-zap')!;
    for (const race of s.knownRaces) {
      const r = check({ scenario: s, variants: race.variants, env: race.env, strategy: 'pct', maxExecutions: 20_000 });
      expect(r.explored.verdict, `PCT did not find ${JSON.stringify(race.variants)}`).toBe('violation');
      const again = replayRecorded(r.program, parseSchedule(r.report.schedule!).choices);
      expect(again.violation?.invariant, describeFailure(r.program, again)).toBe(r.report.invariant);
      // and the raw (unminimized) PCT execution replays too
      const raw = replayRecorded(r.program, parseSchedule(formatSchedule(s.name, r.explored.failing!.choices)).choices);
      expect(raw.violation?.invariant, describeFailure(r.program, raw)).toBe(r.explored.failing!.violation!.invariant);
    }
  });

  ptest.prop([fc.nat({ max: 2 ** 31 }), fc.integer({ min: 1, max: 5 })], { numRuns: 15 })('a seed determines the run: same seed, same executions and counterexample', (seed, depth) => {
    const a = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' }, strategy: 'pct', seed, pctDepth: depth, maxExecutions: 300, minimize: false });
    const b = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' }, strategy: 'pct', seed, pctDepth: depth, maxExecutions: 300, minimize: false });
    expect(b.explored.executions).toBe(a.explored.executions);
    expect(b.report.schedule).toBe(a.report.schedule);
    if (a.report.schedule !== null) {
      const again = replayRecorded(a.program, parseSchedule(a.report.schedule).choices);
      expect(again.violation?.invariant, describeFailure(a.program, again)).toBe(a.report.invariant);
    }
  });

  ptest.prop([programArb, fc.nat()], { numRuns: 60 })('depth 1 never preempts: a CPU runs until it finishes or blocks', (code, seed) => {
    const p = toProgram(code);
    const s = new PctStrategy(seed, { depth: 1 });
    for (let i = 0; i < 5; i++) {
      s.nextExecution();
      const r = runExecution(p, s);
      s.endExecution(r);
      // priorities are fixed for the execution: a switch only when the running CPU cannot go on
      const seen = new Set<number>();
      let prev = -1;
      runExecution(p, {
        choose: (v) => {
          const i = v.stepIndex;
          const t = r.choices[i]!;
          if (prev >= 0 && t !== prev && v.enabled.includes(prev)) throw new Error(`PCT depth 1 preempted cpu${prev} at step ${i}: ${r.choices.join('')}`);
          if (t !== prev && seen.has(t) && !code.some((c) => c.some((x) => x.k === 'locked'))) throw new Error(`cpu${t} resumed although nothing can block: ${r.choices.join('')}`);
          seen.add(t);
          prev = t;
          return t;
        },
      });
    }
  });

  test('PCT with a bad depth is refused', () => {
    expect(() => new PctStrategy(1, { depth: 0 })).toThrow(/depth/);
  });
});

// ------------------------------------------------------------------ shards

describe('shards', () => {
  ptest.prop([programArb, fc.integer({ min: 2, max: 5 })], { numRuns: 60 })('the shards of a DFS run partition its executions, with the same verdicts', (code, n) => {
    const p = toProgram(code, [x0Below3]);
    const whole = collect(p, findStrategy('dfs').create(sopts));
    const parts = Array.from({ length: n }, (_, i) => collect(p, createShardStrategy(p, findStrategy('dfs'), sopts, { index: i + 1, count: n })));
    const union = parts.flatMap((x) => x.runs);
    expect(union.length).toBe(whole.runs.length);
    expect(new Set(union).size).toBe(union.length); // disjoint
    expect([...union].sort()).toEqual([...whole.runs].sort());
    expect(parts.reduce((a, x) => a + x.violations, 0)).toBe(whole.violations);
  });

  ptest.prop([programArb, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 })], { numRuns: 40 })('the shards of a worker split (--shard i/n with --jobs J) partition it too', (code, n, jobs) => {
    const p = toProgram(code);
    const whole = collect(p, findStrategy('dfs').create(sopts)).runs;
    const union: string[] = [];
    for (let i = 1; i <= n; i++) {
      for (let w = 0; w < jobs; w++) union.push(...collect(p, createShardStrategy(p, findStrategy('dfs'), sopts, { index: i, count: n, worker: { index: w, count: jobs } })).runs);
    }
    expect([...union].sort()).toEqual([...whole].sort());
  });

  ptest.prop([programArb, fc.integer({ min: 2, max: 4 })], { numRuns: 40 })('iterative-deepening shards cover every interleaving', (code, n) => {
    const p = toProgram(code);
    const whole = new Set(collect(p, findStrategy('dfs').create(sopts)).runs);
    const union = new Set<string>();
    for (let i = 1; i <= n; i++) for (const r of collect(p, createShardStrategy(p, findStrategy('iterative'), sopts, { index: i, count: n })).runs) union.add(r);
    expect([...union].sort()).toEqual([...whole].sort());
  });

  ptest.prop([programArb, fc.integer({ min: 2, max: 4 })], { numRuns: 60 })('DPOR shards reach every final state and every violation DFS reaches', (code, n) => {
    const p = toProgram(code, [x0Below3]);
    const whole = collect(p, findStrategy('dfs').create(sopts));
    const finals = new Set<string>();
    let violations = 0;
    for (let i = 1; i <= n; i++) {
      const part = collect(p, createShardStrategy(p, findStrategy('dpor'), sopts, { index: i, count: n }));
      for (const f of part.finals) finals.add(f);
      violations += part.violations;
    }
    expect([...finals].sort()).toEqual([...whole.finals].sort());
    expect(violations > 0).toBe(whole.violations > 0);
  });

  ptest.prop([programArb, fc.integer({ min: 1, max: 4 }), fc.nat({ max: 3 })], { numRuns: 40 })('a sharded run is clean only if every shard is, and a missing shard makes it non-exhaustive', (code, n, drop) => {
    const p = toProgram(code, [x0Below3]);
    const whole = explore(p, findStrategy('dfs').create(sopts), { maxExecutions: 1e7 });
    const parts = Array.from({ length: n }, (_, i) => summarize(explore(p, createShardStrategy(p, findStrategy('dfs'), sopts, { index: i + 1, count: n }), { maxExecutions: 1e7 })));
    const m = mergeSummaries(parts, n);
    expect(m.verdict).toBe(whole.verdict);
    if (whole.verdict === 'clean') expect(m.executions).toBe(whole.executions);
    if (n > 1 && whole.verdict === 'clean') {
      const some = parts.filter((_, i) => i !== drop % n);
      const partial = mergeSummaries(some, n, [`${(drop % n) + 1}/${n}`]);
      expect(partial.verdict).toBe('no-violation-found');
      expect(partial.exhaustive).toBe(false);
      expect(partial.bounds.join(' ')).toMatch(/only \d+ of \d+ shards/);
    }
  });

  test('--shard is parsed 1-based and checked', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/out of range/);
    expect(() => parseShard('5/4')).toThrow(/out of range/);
    expect(() => parseShard('two')).toThrow(/malformed/);
  });
});

// ------------------------------------------------------------------ CLI and worker threads

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

describe('racewalk explore --shard and racewalk merge', () => {
  test('the merged shards of a clean run give the unsharded verdict and execution count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-shard-'));
    const whole = JSON.parse((await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--strategy', 'dfs', '--preemptions', '1', '--out', dir, '--json'])).out);
    expect(whole.verdict).toBe('no-violation-found'); // bounded by --preemptions
    for (const i of [1, 2, 3]) {
      const r = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--strategy', 'dfs', '--preemptions', '1', '--shard', `${i}/3`, '--out', dir, '--json']);
      expect(r.code, r.err).toBe(0);
    }
    const shards = readdirSync(dir).filter((f) => /--shard-\d-of-3\.json$/.test(f)).map((f) => join(dir, f));
    expect(shards).toHaveLength(3);
    const m = await cli(['merge', ...shards, '--out', dir, '--json']);
    expect(m.code, m.err).toBe(0);
    const merged = JSON.parse(m.out);
    expect(merged.executions).toBe(whole.executions);
    expect(merged.verdict).toBe('no-violation-found');
    expect(merged.bounds).toContain('preemptions <= 1');
    // two of three shards: not a verdict about the whole run
    const partial = JSON.parse((await cli(['merge', shards[0]!, shards[2]!, '--out', dir, '--json'])).out);
    expect(partial.exhaustive).toBe(false);
    expect(partial.bounds.join(' ')).toMatch(/only 2 of 3 shards/);
    // shards of different runs do not merge
    await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--strategy', 'dfs', '--preemptions', '2', '--shard', '1/3', '--out', join(dir, 'other'), '--json']);
    const bad = await cli(['merge', shards[1]!, join(dir, 'other', 'gup-fast-vs-zap--shard-1-of-3.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/different run.*preemptions 1 vs 2/);
    const dup = await cli(['merge', shards[0]!, shards[0]!]);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/given twice/);
  });

  test('a violation found by one shard is the merged verdict, and it replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-shard-'));
    const codes = [];
    for (const i of [1, 2]) codes.push((await cli(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--shard', `${i}/2`, '--out', dir, '--json'])).code);
    expect(codes).toContain(1);
    const shards = readdirSync(dir).filter((f) => /--shard-\d-of-2\.json$/.test(f)).map((f) => join(dir, f));
    const m = await cli(['merge', ...shards, '--out', dir, '--json']);
    expect(m.code, m.err).toBe(1);
    const merged = JSON.parse(m.out);
    expect(merged.invariant).toBe('gup-returns-mapped-page');
    const replay = await cli(['replay', merged.report]);
    expect(replay.code, replay.err).toBe(1);
  });

  test('bad --shard and --jobs are usage errors', async () => {
    for (const [argv, msg] of [
      [['explore', '--shard', '3/2'], /--shard 3\/2 is out of range/],
      [['explore', '--shard', 'x'], /--shard 'x' is malformed/],
      [['explore', '--jobs', '0'], /--jobs 0 is out of range/],
      [['explore', '--pct-depth', '0'], /--pct-depth 0 is out of range/],
      [['merge'], /merge needs the shard reports/],
    ] as const) {
      const r = await cli([...argv]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('--jobs (worker threads loading TypeScript through tsx)', () => {
  test('two workers exhaust a run with the unsharded execution count, and find a race that replays', async () => {
    const one = check({ scenario: 'smaps-walk-vs-split', strategy: 'dfs' });
    expect(one.explored.verdict).toBe('clean');
    const two = await checkParallel({ scenario: 'smaps-walk-vs-split', strategy: 'dfs' }, 2);
    expect(two.explored.verdict).toBe('clean');
    expect(two.explored.exhaustive).toBe(true);
    expect(two.explored.executions).toBe(one.explored.executions);
    // a race found within a few dozen executions: --jobs explores every part below the one that
    // violates (deterministic counts), so a race deep in the order costs the whole prefix
    const race = await checkParallel({ scenario: 'gup-fast-vs-munmap-free-pgtables', variants: { tlb_remove_table: 'mm-users-shortcut' } }, 2);
    expect(race.explored.verdict).toBe('violation');
    const again = replayRecorded(race.program, parseSchedule(race.report.schedule!).choices);
    expect(again.violation?.invariant, describeFailure(race.program, again)).toBe(race.report.invariant);
    expect(race.report.invariant).toBe('page-table-not-freed-under-walker');
  }, 400_000);
});
