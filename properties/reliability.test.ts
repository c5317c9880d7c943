/**
 * Tests of the tool itself (issue 8): determinism and its detection, runaway and stuck models,
 * atomic report writes, fuzzing of the report loader and the schedule parser, and the replay
 * round trip for every strategy. CLI-level checks (bad input table, signals) are in
 * reliability-cli.test.ts.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, replayRecorded } from '../src/run.js';
import { UsageError } from '../src/core/errors.js';
import { Machine } from '../src/core/machine.js';
import { NondeterminismError } from '../src/core/determinism.js';
import { STRATEGIES } from '../src/sched/index.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { formatSchedule, parseSchedule } from '../src/sched/schedule.js';
import { toReportSteps, type Report } from '../src/report/trace.js';
import { ensureWritableDir, writeFileAtomic } from '../src/report/write.js';
import { loadReport, validateReport } from '../src/cli/replay.js';
import { main } from '../src/cli/main.js';
import { ipiDeadlock, nondeterministic, runaway, spinScenario, unbalancedUnlock, type Nondet } from './reliability-scenarios.js';
import { describeFailure } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-rel-'));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

/** A clear error: one paragraph, no stack trace. */
function expectClear(err: string): void {
  expect(err).toMatch(/^racewalk: /);
  expect(err).not.toMatch(/\n\s+at /);
  expect(err.trim()).not.toMatch(/\n\s*\n/);
}

describe('determinism: a nondeterministic model is a model error naming the first differing step', () => {
  test.each<[Nondet, number]>([
    ['module-state', 1],
    ['math-random', 1],
    ['clock', 1],
    ['violation-from-state', 1],
    ['violation-from-state', 0], // caught on the counterexample alone, without periodic replays
  ])('%s (replay every %d executions)', (how, every) => {
    const r = check({ scenario: nondeterministic(how), strategy: 'random', seed: 1, maxExecutions: 300, determinismEvery: every });
    expect(r.explored.verdict).toBe('model-error');
    expect(r.report.verdict).toBe('model-error');
    const m = /nondeterministic model: the same schedule ran differently the second time; first difference at step (\d+): the (first run|replay)/.exec(r.report.message ?? '');
    expect(m, r.report.message ?? '').not.toBeNull();
    const step = Number(m![1]);
    expect(r.report.violationStep).toBe(step);
    expect(r.report.message).toContain(`Schedule: ${r.report.schedule}`);
    // the trace shown ends at the step that differed
    expect(r.report.trace.at(-1)?.step).toBe(step);
    expect((r.explored.failing?.modelError?.error as Error)).toBeInstanceOf(NondeterminismError);
  });

  test('a deterministic model error (an op the machine refuses) is reported as itself, not as nondeterminism', () => {
    for (const strategy of ['iterative', 'random']) {
      const r = check({ scenario: unbalancedUnlock, strategy, determinismEvery: 1 });
      expect(r.report.verdict).toBe('model-error');
      expect(r.report.message, strategy).toMatch(/unbalanced: spin_unlock of page\[1\].ptl not held by this CPU/);
    }
  });

  test('with the default options a short, exhaustive search is checked too (executions 1, 2, 4, ...)', () => {
    const r = check({ scenario: nondeterministic('module-state') });
    expect(r.explored.executions).toBeLessThan(1000);
    expect(r.report.verdict, r.report.message ?? '').toBe('model-error');
    expect(r.report.message).toMatch(/first difference at step \d+: the first run had cpu0 nondet: /);
  });

  test('the faithful models of every scenario replay identically and never run away (random and PCT, every execution re-run)', () => {
    for (const s of SCENARIOS) {
      for (const strategy of ['random', 'pct']) {
        const r = check({ scenario: s.name, strategy, seed: 3, maxExecutions: 40, determinismEvery: 1, minimize: false });
        expect(r.explored.verdict, `${s.name} (${strategy}): ${r.report.message}`).not.toBe('model-error');
        // the kernel's retry loops (goto again, pmd_trans_unstable, spin_lock) stay bounded
        expect(r.report.invariant, `${s.name} (${strategy}): ${r.report.message}\n  replay: ${r.report.schedule}`).not.toBe('max-steps');
        expect(r.report.invariant, `${s.name} (${strategy}): ${r.report.message}\n  replay: ${r.report.schedule}`).not.toBe('no-deadlock');
      }
    }
  });

  test('same command, same seed: byte-identical reports (random, pct, iterative; with and without a violation)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constantFrom('random', 'pct', 'iterative'),
        fc.constantFrom<Record<string, string>>({}, { gup_pte_range: 'no-pte-recheck' }),
        (seed, strategy, variants) => {
          const run = () => JSON.stringify(check({ scenario: 'gup-fast-vs-zap', variants, strategy, seed, maxExecutions: 150 }).report);
          expect(run()).toBe(run());
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('runaway and stuck models', () => {
  test('a retry loop that never succeeds hits the step bound, with its trace, and replays', () => {
    const r = check({ scenario: runaway });
    expect(r.report.verdict).toBe('violation');
    expect(r.report.invariant).toBe('max-steps');
    expect(r.report.message).toMatch(/execution exceeded 60 steps/);
    expect(r.report.trace.length).toBe(60);
    expect(r.report.trace[0]!.stmt).toBe('again: if (!READ_ONCE(mm->flags)) goto again');
    const again = replayRecorded(r.program, parseSchedule(r.report.schedule!).choices);
    expect(again.violation?.invariant, describeFailure(r.program, again)).toBe('max-steps');
  });

  test('a spin-wait written as a re-reading loop runs away; as an await step it is explored exhaustively', () => {
    const loop = check({ scenario: spinScenario('loop') });
    expect(loop.report.invariant).toBe('max-steps');
    const wait = check({ scenario: spinScenario('await') });
    expect(wait.report.verdict, wait.report.message ?? '').toBe('clean');
    expect(wait.explored.exhaustive).toBe(true);
    expect(wait.explored.executions).toBeLessThanOrEqual(3);
  });

  test('an await nobody can satisfy is a global deadlock, reported with what the CPU waits for', () => {
    const r = check({ scenario: spinScenario('await', false) });
    expect(r.report.invariant).toBe('no-deadlock');
    expect(r.report.message).toMatch(/cpu0 \(wait for mm->flags\) spinning until mm.flags satisfies VAL != 0 \(it is 0\) at waiter/);
  });

  test('IPI to an irqs-off CPU that spins on the sender\'s lock: a reported deadlock with its trace', () => {
    for (const strategy of ['iterative', 'dfs', 'dpor']) {
      if (!STRATEGIES.some((s) => s.name === strategy)) continue;
      const r = check({ scenario: ipiDeadlock, strategy });
      expect(r.report.verdict, strategy).toBe('violation');
      expect(r.report.invariant).toBe('no-deadlock');
      expect(r.report.message).toMatch(/cpu0 .* waiting for its IPI to be taken by cpu1 \(irqs off there\) at flush_tlb_mm_range; cpu1 .* spinning on page\[1\].ptl held by cpu0 at irqs_off_user/);
      const ops = r.report.trace.map((s) => `cpu${s.cpu} ${s.stmt}`);
      expect(ops).toContain('cpu1 local_irq_save(flags)');
      expect(ops).toContain('cpu0 spin_lock(ptl)');
      expect(ops).toContain('cpu0 on_each_cpu_cond_mask(..., wait=true)');
    }
  });

  test('the await op: enabled only while its condition holds, returns the value read', () => {
    const layout = { nameOf: (x: number) => `m${x}`, formatValue: (_: number, v: number) => String(v) };
    const m = new Machine(2, 4, layout, null, {});
    const l = { fn: 'f', stmt: 's' };
    const op = { kind: 'await', loc: 1, cmp: 'and_zero', value: 0x4, order: 'acquire', label: l } as const;
    m.mem[1] = 0x6;
    expect(m.enabled(0, op)).toBe(false);
    expect(m.blockedOn(0, op)).toBe('spinning until m1 satisfies (VAL & 0x4) == 0 (it is 6)');
    m.apply(1, { kind: 'store', loc: 1, value: 0x2, order: 'once', label: l });
    expect(m.enabled(0, op)).toBe(true);
    expect(m.apply(0, op)).toBe(0x2);
  });
});

describe('atomic report writes', () => {
  const leftovers = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

  test('a write leaves the complete file and no temp file', () => {
    const d = tmp();
    writeFileAtomic(join(d, 'sub', 'r.json'), 'x'.repeat(100_000));
    expect(readFileSync(join(d, 'sub', 'r.json'), 'utf8')).toHaveLength(100_000);
    expect(leftovers(join(d, 'sub'))).toEqual([]);
  });

  test('a failed rename (the target is a folder) is a UsageError and leaves no temp file', () => {
    const d = tmp();
    mkdirSync(join(d, 'r.json'));
    expect(() => writeFileAtomic(join(d, 'r.json'), 'data')).toThrow(UsageError);
    expect(() => writeFileAtomic(join(d, 'r.json'), 'data')).toThrow(/cannot write the report '.*r.json': .*Choose a writable folder with --out DIR/);
    expect(leftovers(d)).toEqual([]);
  });

  test('an existing report is replaced whole or not at all', () => {
    const d = tmp();
    writeFileAtomic(join(d, 'r.json'), 'old');
    mkdirSync(join(d, 'blocker'));
    writeFileAtomic(join(d, 'r.json'), 'new');
    expect(readFileSync(join(d, 'r.json'), 'utf8')).toBe('new');
    expect(leftovers(d)).toEqual([]);
  });

  test.each([['/proc/racewalk-x/r.json'], ['/proc/r.json']])('an unwritable place (%s) is a UsageError', (path) => {
    expect(() => writeFileAtomic(path, 'x')).toThrow(UsageError);
  });

  test('the up-front writability probe leaves nothing behind', () => {
    const d = tmp();
    ensureWritableDir(join(d, 'a', 'b'));
    expect(readdirSync(join(d, 'a', 'b'))).toEqual([]);
    expect(() => ensureWritableDir('/proc')).toThrow(/cannot write to the output folder '\/proc'/);
  });
});

/** A real report with a counterexample, written by the explorer. */
function realReport(): { report: Report; text: string } {
  const r = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' }, maxExecutions: 50_000 });
  expect(r.report.verdict).toBe('violation');
  const text = JSON.stringify(r.report, null, 2) + '\n';
  return { report: JSON.parse(text) as Report, text };
}

describe('the report loader never crashes', () => {
  const { text, report } = realReport();

  test('any JSON value is rejected with a UsageError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          validateReport(v, 'fuzz.json');
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect((e as Error).message).toMatch(/fuzz.json/);
          return;
        }
        throw new Error(`accepted ${JSON.stringify(v)}`);
      }),
      { numRuns: 500 },
    );
  });

  test('every truncation of a real report is a UsageError saying it may be truncated', () => {
    const d = tmp();
    fc.assert(
      fc.property(fc.nat({ max: text.length - 2 }), (n) => {
        const f = join(d, 'cut.json');
        writeFileSync(f, text.slice(0, n));
        try {
          loadReport(f);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          // a cut that leaves valid JSON (only whitespace gone) cannot happen before the last '}'
          expect((e as Error).message).toMatch(/is not valid JSON \(.*\); it may be truncated/);
          return;
        }
        throw new Error(`accepted a report cut at ${n} of ${text.length}`);
      }),
      { numRuns: 300 },
    );
  });

  test('a report with any field replaced by any JSON value replays or is rejected clearly (exit 0, 1 or 2; never 3)', async () => {
    const d = tmp();
    const keys = Object.keys(report);
    const stepKeys = Object.keys(report.trace[0]!);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ where: fc.constant('top' as const), key: fc.constantFrom(...keys), value: fc.jsonValue({ maxDepth: 2 }) }),
          fc.record({ where: fc.constant('step' as const), key: fc.constantFrom(...stepKeys), value: fc.jsonValue({ maxDepth: 2 }), at: fc.nat({ max: report.trace.length - 1 }) }),
          fc.record({ where: fc.constant('drop' as const), key: fc.constantFrom(...keys), value: fc.constant(null) }),
        ),
        async (m) => {
          const r: Record<string, unknown> = structuredClone(report) as unknown as Record<string, unknown>;
          if (m.where === 'top') r[m.key] = m.value;
          else if (m.where === 'drop') delete r[m.key];
          else (r.trace as Record<string, unknown>[])[(m as { at: number }).at]![m.key] = m.value;
          const f = join(d, 'mutated.json');
          writeFileSync(f, JSON.stringify(r));
          const out = await cli(['replay', f]);
          expect([0, 1, 2], `${JSON.stringify(m)}\n${out.err}`).toContain(out.code);
          if (out.code === 2) expectClear(out.err);
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('the schedule parser never crashes', () => {
  const valid = formatSchedule('gup-fast-vs-zap', [0, 0, 0, 1, 1, 0, 1, 1, 1, 0]);

  test('any edit of a valid schedule string parses or is a UsageError', () => {
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.nat({ max: 3 }), fc.string({ maxLength: 4 }), (at, del, ins) => {
        const s = valid.slice(0, at) + ins + valid.slice(at + del);
        try {
          const p = parseSchedule(s);
          expect(formatSchedule(p.scenario, p.choices)).toBe(formatSchedule(p.scenario, parseSchedule(formatSchedule(p.scenario, p.choices)).choices));
        } catch (e) {
          expect(e, s).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('replaying any schedule string exits 0, 1 or 2 with a clear error, never 3', async () => {
    const sched = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(fc.tuple(fc.nat({ max: 3 }), fc.integer({ min: 0, max: 120 })), { maxLength: 8 }).map((runs) => `rw1:gup-fast-vs-zap:${runs.map(([c, n]) => `${c}x${n}`).join(',')}`),
    );
    await fc.assert(
      fc.asyncProperty(sched, async (s) => {
        const out = await cli(['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', s]);
        expect([0, 1, 2], `${s}\n${out.err}`).toContain(out.code);
        if (out.code === 2) expectClear(out.err);
      }),
      { numRuns: 150 },
    );
  });
});

describe('replay round trip for every strategy: find -> save -> load -> replay gives the identical trace', () => {
  // known races, hardest first; every strategy must find at least one (the last fails without
  // concurrency: v4.4's tail-page-ref was that, but it is refused in gup-fast-vs-zap now, an era mix)
  const races: { scenario: string; variants: Record<string, string> }[] = [
    { scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' } },
    { scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'x86-get_page' } },
    { scenario: 'pagewalk-vs-file-zap', variants: { walk_pte_range: 'no-action-again' } },
  ];

  for (const def of STRATEGIES) {
    test(`${def.name}`, async () => {
      const seeds = def.name === 'random' || def.name === 'pct' ? fc.sample(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { numRuns: 3, seed: 42 }) : [1];
      for (const seed of seeds) {
        let found = null;
        for (const { scenario, variants } of races) {
          const r = check({ scenario, variants, strategy: def.name, seed, maxExecutions: 3000 });
          if (r.report.verdict === 'violation') {
            found = r;
            break;
          }
        }
        expect(found, `${def.name} (seed ${seed}) found none of the known races`).not.toBeNull();
        const d = tmp();
        const file = join(d, 'r.json');
        writeFileAtomic(file, JSON.stringify(found!.report, null, 2) + '\n');
        const loaded = loadReport(file);
        expect(loaded).toEqual(JSON.parse(JSON.stringify(found!.report)));
        const again = replayRecorded(found!.program, parseSchedule(loaded.schedule!).choices);
        expect(again.violation?.invariant, describeFailure(found!.program, again)).toBe(loaded.invariant);
        const steps = JSON.parse(JSON.stringify(toReportSteps(again.trace!, found!.program.k.L, found!.program.threads.length)));
        expect(steps).toEqual(loaded.trace);
        const out = await cli(['replay', file, '--json']);
        expect(out.code, out.err).toBe(1);
        expect(JSON.parse(out.out).trace).toEqual(loaded.trace);
      }
    });
  }
});
