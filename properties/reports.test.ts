/**
 * reports/ is generated from the code (`npm run reports`): the committed files must be exactly
 * what the code generates now, every known race's report must replay to its violation, the
 * JSON must match the published schema, and the counterexamples must be minimal.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, generateAll } from '../src/report/generate.js';
import { main } from '../src/cli/main.js';
import { schemaError } from '../src/report/schema.js';
import { check } from '../src/run.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { minimizeSchedule, countPreemptions } from '../src/report/minimize.js';
import { runExecution } from '../src/core/execution.js';
import { ReplayStrategy } from '../src/sched/replay.js';
import { MD_WIDTH } from '../src/report/markdown.js';
import type { Report } from '../src/report/trace.js';
import { program } from './helpers.js';

const REPORTS = CORPUS_DIR;

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const generated = generateAll();
const races = generated.reports;

describe('reports/', () => {
  test('the committed reports are what the code generates now (else run `npm run reports`)', () => {
    const stale: string[] = [];
    const files = new Map<string, string>(generated.index);
    for (const g of races) for (const [f, c] of g.files) files.set(f, c);
    for (const [f, c] of files) {
      const p = join(REPORTS, f);
      if (!existsSync(p)) stale.push(`${f}: missing`);
      else if (readFileSync(p, 'utf8') !== c) stale.push(`${f}: differs`);
    }
    // a committed report no known race produces any more
    if (existsSync('.git')) {
      const tracked = execFileSync('git', ['ls-files', REPORTS], { encoding: 'utf8' }).split('\n').filter((x) => x !== '');
      for (const t of tracked) if (!files.has(t.slice(REPORTS.length + 1))) stale.push(`${t}: no known race generates it`);
    }
    expect(stale, `reports/ is out of date with the code; run \`npm run reports\`:\n${stale.join('\n')}`).toEqual([]);
  });

  for (const g of races) {
    const name = `${g.scenario.name} ${g.stem}`;
    test(`${name}: found by exploration, minimized, schema-valid, replays to ${g.race.invariant}`, async () => {
      const r = g.report;
      expect(r.verdict, `the known race was not found; schedule: ${r.schedule}`).toBe('violation');
      expect(r.invariant).toBe(g.race.invariant);
      expect(schemaError(r)).toBeNull();
      const m = r.minimization!;
      expect(m).toBeTruthy();
      expect(m.minimized.preemptions).toBeLessThanOrEqual(m.original.preemptions);
      if (m.minimized.preemptions === m.original.preemptions) expect(m.minimized.steps).toBeLessThanOrEqual(m.original.steps);
      expect(m.minimized.steps).toBe(r.trace.length);
      // within the budget the preemption count is proved minimal (every schedule with fewer was run)
      expect(m.fewestPreemptions, `schedule: ${r.schedule}`).toBe(true);
      // replay the JSON file as a user would; the violation and every step must reproduce
      const dir = mkdtempSync(join(tmpdir(), 'racewalk-rep-'));
      const path = join(dir, `${g.stem}.json`);
      writeFileSync(path, g.files.get(`${g.stem}.json`)!);
      const rep = await cli(['replay', path, '--format', 'json']);
      expect(rep.code, `${rep.err}\nschedule: ${r.schedule}`).toBe(1);
      const again = JSON.parse(rep.out) as Report;
      expect(again.invariant, `schedule: ${r.schedule}`).toBe(g.race.invariant);
      expect(again.trace).toEqual(r.trace);
    });

    test(`${name}: the Markdown fits ${MD_WIDTH} columns`, () => {
      const md = g.files.get(`${g.stem}.md`)!;
      const long = md.split('\n').filter((l) => l.length > MD_WIDTH && !l.startsWith('  --schedule '));
      expect(long, `schedule: ${g.report.schedule}`).toEqual([]);
    });
  }
});

describe('minimization', () => {
  // every minimized schedule is 1-minimal: dropping any one switch point loses the violation or costs more
  for (const g of races) {
    // (a race not found at all fails the 'found by exploration' test above)
    test.skipIf(g.report.minimization == null)(`${g.stem}: no single switch point can be dropped`, () => {
      const p = program(g.scenario.name, { variants: g.race.variants, env: g.race.env });
      const pts = g.report.minimization!.points;
      for (let i = 0; i < pts.length; i++) {
        const without = pts.filter((_, j) => j !== i);
        const choices = pointsToChoices(p, without);
        const r = runExecution(p, new ReplayStrategy(choices));
        const pre = countPreemptions(p, choices);
        const keeps = r.violation?.invariant === g.race.invariant && (pre < g.report.minimization!.minimized.preemptions || (pre === g.report.minimization!.minimized.preemptions && r.steps <= g.report.trace.length));
        expect(keeps, `dropping point ${JSON.stringify(pts[i])} still violates; schedule: ${g.report.schedule}`).toBe(false);
      }
    });
  }

  test('a random-walk counterexample shrinks, deterministically, to the same invariant', () => {
    // a race that needs a preemption, so the random walk's many switches have something to shrink
    const cands = SCENARIOS.flatMap((s) => s.knownRaces.map((r) => ({ s, r }))).filter(({ s, r }) => (races.find((g) => g.scenario === s && g.race === r)?.report.minimization?.minimized.preemptions ?? 0) > 0);
    const found = cands.flatMap((c) => [1, 2, 3].map((seed) => ({ ...c, seed }))).find(({ s, r, seed }) => check({ scenario: s, variants: r.variants, env: r.env, strategy: 'random', seed, maxExecutions: 3000, minimize: false }).explored.verdict === 'violation');
    expect(found, 'no preemption-needing known race is found by the random walk (seeds 1-3, 3000 executions)').toBeDefined();
    const { s, r, seed } = found!;
    const a = check({ scenario: s, variants: r.variants, env: r.env, strategy: 'random', seed, maxExecutions: 3000 });
    const b = check({ scenario: s, variants: r.variants, env: r.env, strategy: 'random', seed, maxExecutions: 3000 });
    expect(a.minimization!.original.preemptions).toBeGreaterThan(a.minimization!.minimized.preemptions);
    expect(a.report.schedule).toBe(b.report.schedule);
    const m = a.minimization!;
    expect(a.report.invariant).toBe(a.explored.failing!.violation!.invariant);
    expect(m.minimized.preemptions, `as found: ${m.original.preemptions}; schedule ${a.report.schedule}`).toBeLessThanOrEqual(m.original.preemptions);
    const again = minimizeSchedule(a.program, a.explored.failing!);
    expect(again!.choices).toEqual(m.choices);
  });
});

describe('replay names the step where a changed model diverges', () => {
  test('an edited step is reported with its index', async () => {
    const g = races.find((x) => x.report.trace.length > 3);
    expect(g).toBeDefined();
    const r = JSON.parse(g!.files.get(`${g!.stem}.json`)!) as { trace: { stmt: string }[] };
    r.trace[3]!.stmt = 'something_else()';
    const path = join(mkdtempSync(join(tmpdir(), 'racewalk-div-')), 'r.json');
    writeFileSync(path, JSON.stringify(r));
    const out = await cli(['replay', path]);
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/diverged from the report at step 3/);
  });

  test('a report that breaks the schema names the field', async () => {
    const g = races[0]!;
    const r = JSON.parse(g.files.get(`${g.stem}.json`)!) as { trace: { cpus?: unknown }[] };
    r.trace[0]!.cpus = 'all of them';
    const path = join(mkdtempSync(join(tmpdir(), 'racewalk-sch-')), 'r.json');
    writeFileSync(path, JSON.stringify(r));
    const out = await cli(['replay', path]);
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/trace\[0\]\.cpus: must be array/);
  });
});

/** The choices a list of switch points makes (the minimizer's own semantics). */
function pointsToChoices(p: ReturnType<typeof program>, points: readonly { at: number; cpu: number }[]): number[] {
  const byStep = new Map(points.map((q) => [q.at, q.cpu]));
  const r = runExecution(p, {
    choose(view) {
      const want = byStep.get(view.stepIndex);
      if (want !== undefined && view.enabled.includes(want)) return want;
      return view.enabled.includes(view.current) ? view.current : view.enabled[0]!;
    },
  });
  return [...r.choices];
}

describe('explore and replay output', () => {
  test('--format md prints the Markdown, and all four report files are written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-fmt-'));
    const g = races.find((x) => x.report.trace.length > 0)!;
    const args = ['explore', '--scenario', g.scenario.name, ...Object.entries(g.race.variants).flatMap(([p, v]) => ['--variant', `${p}=${v}`]), ...Object.entries(g.race.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]), '--out', dir];
    const r = await cli([...args, '--format', 'md']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^### racewalk: /);
    expect(r.out).toContain('```');
    for (const ext of ['txt', 'md', 'html', 'json']) expect(readdirSync(dir).some((f) => f.endsWith(`.${ext}`)), ext).toBe(true);
    // not a TTY: no status line, one summary line on stderr
    expect(r.err).not.toContain('\r');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/executions in .* s .*max depth \d+, violations 1; minimized: \d+ preemptions?( \(the fewest possible\))?, \d+ steps/);
  });

  test('a TTY gets a live status line with executions, rate, depth and violations', async () => {
    let err = '';
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-tty-'));
    const code = await main(['explore', '--strategy', 'random', '--max-executions', '2500', '--out', dir], { out: () => {}, err: (s) => void (err += s), isTTY: true });
    expect(code, err).toBe(0);
    expect(err).toMatch(/\r {2}\d+ executions, \d+\/s, depth \d+, violations 0/);
  });

  test.each([
    [['replay', '--schedule', 'rw1:gup-fast-vs-zap:0x3', '--format', 'pdf'], /--format 'pdf' is not a format: expected one of text, md, html, json/],
    [['explore', '--json', '--format', 'md'], /--json prints the one-line summary/],
  ])('bad format %j is a clear error', async (argv, msg) => {
    const r = await cli(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });
});
