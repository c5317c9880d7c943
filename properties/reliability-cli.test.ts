/**
 * The CLI end to end (issue 8): every bad input gets one clear paragraph and exit 2; an internal
 * error exit 3 and a request for a bug report; a deadlocking or runaway model is a violation
 * (exit 1) with its report; an interrupted run (SIGTERM, SIGINT to a real child process) stops
 * cleanly and still writes its summary; the same command gives byte-identical output.
 *
 * The test-only scenarios are added to the registry by mocking it in this file only: they are
 * not part of racewalk.
 */
import { describe, expect, test, vi } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { BAD_INPUTS, fixtureReports, makeFixtures, resolveArgv, runChild } from './bad-inputs.js';

vi.mock('../src/scenarios/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/scenarios/index.js')>();
  const { ipiDeadlock, runaway, nondeterministic } = await import('./reliability-scenarios.js');
  const all = [...real.SCENARIOS, ipiDeadlock, runaway, nondeterministic('module-state')];
  return { ...real, SCENARIOS: all, findScenario: (name: string) => all.find((s) => s.name === name) };
});

// `list --crash-for-test` stands in for a bug anywhere in racewalk
vi.mock('../src/cli/list.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/cli/list.js')>();
  const decl = { ...real.LIST.decl, options: { ...real.LIST.decl.options, 'crash-for-test': { kind: 'flag' as const, help: 'test only' } } };
  return {
    ...real,
    LIST: {
      ...real.LIST,
      decl,
      run: (p: { values: Record<string, unknown> }, io: Parameters<typeof real.LIST.run>[1]) => {
        if (p.values['crash-for-test'] === true) (null as unknown as { x: number }).x = 1;
        return real.LIST.run(p as Parameters<typeof real.LIST.run>[0], io);
      },
    },
  };
});

const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-cli-'));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

function expectClear(err: string): void {
  expect(err).toMatch(/^racewalk: /);
  expect(err).not.toMatch(/\n\s+at /); // no stack trace
  expect(err.trim()).not.toMatch(/\n\s*\n/); // one paragraph
}

describe('bad input: one clear paragraph and exit 2 (the README "Bad input" table)', async () => {
  const { good, clean } = await fixtureReports();
  const d = makeFixtures(good, clean);

  test.each(BAD_INPUTS.filter((b) => b.child !== true).map((b) => [b.what, b] as const))('%s', async (_what, b) => {
    const r = await cli(resolveArgv(b.argv, d));
    expect(r.code, r.err).toBe(b.exit ?? 2);
    expect(r.err).toMatch(b.expect);
    expectClear(r.err);
  });

  test('variant files that do not compile, throw, or misbehave (real child processes)', async () => {
    const cases = BAD_INPUTS.filter((b) => b.child === true);
    const outs = await Promise.all(cases.map((b) => runChild(resolveArgv(b.argv, d))));
    cases.forEach((b, i) => {
      const r = outs[i]!;
      expect(r.code, `${b.what}: ${r.err}`).toBe(b.exit ?? 2);
      expect(r.err, b.what).toMatch(b.expect);
      expectClear(r.err);
    });
  });

  test('a real child process answers bad input the same way (no stack trace on stderr)', async () => {
    const r = await runChild(['explore', '--max-executions', '-5']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("racewalk: --max-executions '-5' is not a whole number: expected --max-executions N with 1 <= N <= 1000000000\n");
  });
});

describe('internal errors and model errors', () => {
  test('a bug in racewalk is exit 3 with a request for a bug report', async () => {
    const r = await cli(['list', '--crash-for-test']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^racewalk: internal error: TypeError/);
    expect(r.err).toMatch(/This is a bug in racewalk; please report it with the command line you ran/);
  });

  test('a nondeterministic model is a model error (exit 3) naming the first step that differed', async () => {
    const d = tmp();
    const r = await cli(['explore', '--scenario', 'test-nondet-module-state', '--strategy', 'random', '--max-executions', '2000', '--out', d, '--json']);
    expect(r.code, r.err).toBe(3);
    const s = JSON.parse(r.out);
    expect(s.verdict).toBe('model-error');
    expect(s.message).toMatch(/nondeterministic model: .*first difference at step \d+/);
    expect(JSON.parse(readFileSync(s.report, 'utf8')).verdict).toBe('model-error');
  });
});

describe('stuck and runaway models through the CLI', () => {
  test('a global deadlock (IPI to an irqs-off CPU spinning on the sender\'s lock) is exit 1 with its report, and replays', async () => {
    const d = tmp();
    const r = await cli(['explore', '--scenario', 'test-ipi-deadlock', '--out', d, '--json']);
    expect(r.code, r.err).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ verdict: 'violation', invariant: 'no-deadlock' });
    expect(s.message).toMatch(/no CPU can make progress: cpu0 .* waiting for its IPI to be taken by cpu1 \(irqs off there\).*cpu1 .* spinning on page\[1\].ptl held by cpu0/);
    const report = JSON.parse(readFileSync(s.report, 'utf8'));
    // minimized: irqs off on cpu1, the lock on cpu0, the IPI; then nobody can move
    const steps = report.trace.map((t: { cpu: number; stmt: string }) => `cpu${t.cpu} ${t.stmt}`);
    expect([...steps].sort()).toEqual(['cpu0 on_each_cpu_cond_mask(..., wait=true)', 'cpu0 spin_lock(ptl)', 'cpu1 local_irq_save(flags)']);
    expect(steps.at(-1)).toBe('cpu0 on_each_cpu_cond_mask(..., wait=true)');
    expect(readFileSync(s.report.replace(/\.json$/, '.txt'), 'utf8')).toMatch(/no-deadlock/);
    const again = await cli(['replay', s.report]);
    expect(again.code, again.err).toBe(1);
    expect(again.out).toMatch(/no-deadlock/);
  });

  test('a path that loops forever is exit 1, max-steps, with the trace', async () => {
    const d = tmp();
    const r = await cli(['explore', '--scenario', 'test-runaway', '--out', d, '--json']);
    expect(r.code, r.err).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ verdict: 'violation', invariant: 'max-steps', counterexampleSteps: 60 });
  });
});

/**
 * A real `racewalk` process sent `signal` `afterMs` after its output folder exists (explore
 * probes it right before the search), SIGKILLed after `killAfterMs` if it has not ended.
 */
async function interruptedRun(argv: readonly string[], out_: string, signal: NodeJS.Signals, afterMs: number, killAfterMs: number) {
  const child = spawn(process.execPath, ['bin/racewalk.mjs', ...argv, '--out', out_, '--json'], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => void (out += b));
  child.stderr.on('data', (b) => void (err += b));
  const done = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, sig })));
  // tsx startup takes a while on a loaded machine
  for (let waited = 0; !existsSync(out_) && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const { code, sig } = await done;
  clearTimeout(killer);
  return { code, sig, out, err };
}

describe('nothing lost: an interrupted run stops between executions and writes its summary', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to a real \`racewalk explore\` process`, async () => {
      const d = tmp();
      const out_ = join(d, 'out');
      const { code, sig, out, err } = await interruptedRun(['explore', '--strategy', 'random', '--max-executions', '1000000000'], out_, signal, 1000, 30_000);
      expect(sig, `the process died of a signal instead of stopping cleanly: ${err}`).toBeNull();
      expect(code, err).toBe(0);
      const s = JSON.parse(out);
      expect(s.verdict).toBe('no-violation-found');
      expect(s.bounds).toContain('interrupted');
      expect(s.bounds.join(' ')).not.toMatch(/--max-executions/);
      expect(s.executions).toBeGreaterThan(0);
      const report = JSON.parse(readFileSync(s.report, 'utf8'));
      expect(report).toMatchObject({ verdict: 'no-violation-found', executions: s.executions, steps: s.steps });
      expect(report.bounds).toContain('interrupted');
      expect(readdirSync(out_).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(readdirSync(out_).sort()).toEqual(['gup-fast-vs-zap.html', 'gup-fast-vs-zap.json', 'gup-fast-vs-zap.md', 'gup-fast-vs-zap.txt']);
    });
  }
});

describe('a signal reaches the search inside one long execution (the search runs on a worker thread)', () => {
  // one execution of this file runs 10,000,000 steps (about two minutes): before the search ran
  // on a worker thread, the JS signal handler waited for it to end (71 s measured)
  const SPIN = join(ROOT, 'properties', 'fixtures', 'spin-forever.ts');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during a 10,000,000-step execution: interrupted, exit 0, the report written`, async () => {
      const d = tmp();
      const out_ = join(d, 'out');
      // 1.5 s after the probe it is inside the execution; the run itself would take minutes:
      // ending well before that is the signal having been seen
      const { code, sig, out, err } = await interruptedRun(['explore', '--scenario-file', SPIN, '--max-steps', '10000000'], out_, signal, 1500, 45_000);
      expect(sig, `the process did not stop on ${signal} within 45 s (or died of it): ${err}`).toBeNull();
      expect(code, err).toBe(0);
      const s = JSON.parse(out);
      expect(s).toMatchObject({ verdict: 'no-violation-found', executions: 0, scenario: 'spin-forever' });
      expect(s.bounds).toContain('interrupted');
      expect(JSON.parse(readFileSync(s.report, 'utf8')).bounds).toContain('interrupted');
      expect(readdirSync(out_).sort()).toEqual(['spin-forever.html', 'spin-forever.json', 'spin-forever.md', 'spin-forever.txt']);
    });
  }
});

describe('a signal stops `racewalk litmus` inside a long test, with every decided test printed', () => {
  /** an RCU chain of `readers` read-side sections, a grace period and a writer: 2^(2·readers+2) candidates */
  const chain = (readers: number): string => {
    const n = readers + 1;
    const x = (i: number) => `x${i % n}`;
    const ps = [`P0(int *x0, int *x1)\n{\n\tint r1;\n\tint r2;\n\n\tr1 = READ_ONCE(*x0);\n\tsynchronize_rcu();\n\tr2 = READ_ONCE(*x1);\n}\n`];
    for (let t = 1; t <= readers; t++) ps.push(`P${t}(int *${x(t)}, int *${x(t + 1)})\n{\n\tint r1;\n\tint r2;\n\n\trcu_read_lock();\n\tr1 = READ_ONCE(*${x(t)});\n\tr2 = READ_ONCE(*${x(t + 1)});\n\trcu_read_unlock();\n}\n`);
    const all = Array.from({ length: n }, (_, i) => `int *x${i}`).join(', ');
    ps.push(`P${readers + 1}(${all})\n{\n${Array.from({ length: n }, (_, i) => `\tWRITE_ONCE(*x${i}, 1);\n`).join('')}}\n`);
    return `C rcu-chain-${readers}\n\n{}\n\n${ps.join('\n')}\nexists (0:r1=1 /\\ 0:r2=0)\n`;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal}: exit 130, the test before printed in full, the long one "interrupted", the rest named as not run`, async () => {
      const d = tmp();
      const long = join(d, 'rcu-chain-7.litmus');
      writeFileSync(long, chain(7)); // 65,536 candidates: tens of seconds
      const first = join(ROOT, 'litmus', 'SB-xchg.litmus');
      const last = join(ROOT, 'litmus', 'SB-xchg-relaxed.litmus');
      const child = spawn(process.execPath, ['bin/racewalk.mjs', 'litmus', first, long, last], { cwd: ROOT });
      let out = '';
      let err = '';
      child.stdout.on('data', (b) => void (out += b));
      child.stderr.on('data', (b) => void (err += b));
      const done = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, sig })));
      // the first test is printed as soon as it is decided; then the long one is running
      for (let waited = 0; !out.includes('Observation SB-xchg ') && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const { code, sig } = await done;
      clearTimeout(killer);
      expect(sig, `the process did not stop on ${signal} within 30 s (or died of it): ${err}`).toBeNull();
      expect(code, err).toBe(130);
      expect(out).toContain('Observation SB-xchg Never 0 3');
      expect(out).toMatch(/Test rcu-chain-7: interrupted \(interrupted after [0-9]+ candidate executions\): no result/);
      expect(out).not.toContain('Observation rcu-chain-7');
      expect(err).toContain(`racewalk: interrupted: 1 of 3 litmus file(s) decided; not run: ${last}`);
    });
  }
});

describe('determinism of the command line', () => {
  test('the same command twice: byte-identical stdout and reports', async () => {
    const d = tmp();
    for (const argv of [
      ['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--strategy', 'pct', '--seed', '7', '--out', d],
      ['explore', '--strategy', 'random', '--seed', '11', '--max-executions', '300', '--out', d, '--json'],
    ]) {
      const a = await cli(argv);
      const filesA = Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
      const b = await cli(argv);
      const filesB = Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
      expect(b.code).toBe(a.code);
      expect(b.out).toBe(a.out);
      expect(filesB).toEqual(filesA);
    }
  });
});
