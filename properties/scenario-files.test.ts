/**
 * Issue 12 item 1: a user's own interaction is a first-class input. A scenario file
 * (defineScenario) is explored, replayed with the command it prints, listed and checked
 * against a patch from the CLI, with no file under src/ edited; a patch may carry its own
 * scenarios; mistakes in a scenario file come back as file:line, exit 2.
 *
 * The worked example (examples/scenarios/, docs/scenarios.md) is Jann Horn's 2021 GUP-fast race
 * on a THP's tail page against split_huge_page(): found from scratch in its buggy form, clean
 * in its fixed form.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { racewalk } from './cli-process.js';
import { SCENARIOS } from '../src/scenarios/index.js';

const repo = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'racewalk-scenario-files-'));

const SCEN = 'examples/scenarios/gup-tail-vs-split.ts';
const BUGGY = 'examples/scenarios/try-get-folio-v5.12.ts';
const FIX = 'examples/scenarios/try-get-folio-recheck.ts';

describe('a scenario file from the CLI', () => {
  test('explore: the faithful v6.6 code is clean in the new interaction, exhaustively', async () => {
    const r = await racewalk(['explore', '--scenario-file', SCEN, '--out', out, '--quiet']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^CLEAN/);
    expect(r.out).toMatch(/exhaustive/);
  }, 300_000);

  test('explore: the v5.12 try_get_compound_head() is found racing from scratch, and the printed replay command reproduces it', async () => {
    const r = await racewalk(['explore', '--variant-file', BUGGY, '--scenario-file', SCEN, '--scenario', 'gup-tail-vs-split', '--out', out, '--quiet']);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/gup-tail-vs-split: VIOLATION of refcount-covers-mapcount-and-pins/);
    const replay = /replay: (?:npx )?racewalk (replay [^\n]+)/.exec(r.out)?.[1];
    expect(replay, r.out).toBeDefined();
    expect(replay).toContain(`--scenario-file ${SCEN}`);
    expect(replay).toContain(`--variant-file ${BUGGY}`);
    const again = await racewalk(replay!.split(' '));
    expect(again.code, again.out + again.err).toBe(1);
    expect(again.out).toMatch(/refcount-covers-mapcount-and-pins/);
  }, 300_000);

  test('check-patch: the fix, with the scenario it carries, turns the violation into a clean exhaustive run', async () => {
    const r = await racewalk(['check-patch', FIX, '--scenario', 'gup-tail-vs-split', '--out', out, '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.rows).toHaveLength(1);
    expect(d.rows[0]).toMatchObject({ scenario: 'gup-tail-vs-split', status: 'fixed', reaches: ['try_get_folio'] });
    expect(d.rows[0].baseline.invariant).toBe('refcount-covers-mapcount-and-pins');
    expect(d.rows[0].patched).toMatchObject({ verdict: 'clean', exhaustive: true });
    // every built-in scenario is accounted for: skipped, with why
    expect(d.skipped.length).toBe(SCENARIOS.length);
    for (const s of d.skipped) expect(s.reason).toMatch(/reaches none of try_get_folio|not selected/);
  }, 300_000);

  test("list --scenario-file: the file's scenarios, with what each reaches (found by exploring it)", async () => {
    const r = await racewalk(['list', '--scenario-file', SCEN, '--json']);
    expect(r.code, r.err).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.scenarios.map((s: { name: string }) => s.name)).toEqual(['gup-tail-vs-split']);
    expect(d.scenarios[0].paths).toEqual(expect.arrayContaining(['try_get_folio', 'split_huge_page_to_list', 'zap_pte_range']));
  }, 300_000);
});

describe('--jobs and --shard with a scenario file and a patch file (each worker loads the files again)', () => {
  const summary = (r: { code: number | null; out: string; err: string }) => {
    const lines = r.out.trim().split('\n');
    return lines.map((l) => JSON.parse(l) as { verdict: string; invariant: string | null; counterexampleSteps?: number; exhaustive: boolean; scenarios?: { scenario: string; verdict: string; invariant: string | null; counterexampleSteps: number; exhaustive: boolean }[] });
  };
  test('the patch in the file\'s interaction: the same violation and minimal counterexample on 2 workers as on one', async () => {
    const argv = ['explore', '--variant-file', BUGGY, '--scenario-file', SCEN, '--scenario', 'gup-tail-vs-split', '--out', out, '--json'];
    const [one, two] = [await racewalk([...argv, '--jobs', '1']), await racewalk([...argv, '--jobs', '2'])];
    expect(one.code, one.err).toBe(1);
    expect(two.code, two.err).toBe(1);
    const pick = (r: typeof one) => summary(r)[0]!.scenarios!.map(({ scenario, verdict, invariant, counterexampleSteps }) => ({ scenario, verdict, invariant, counterexampleSteps }));
    expect(pick(two)).toEqual(pick(one));
    expect(pick(one)[0]).toMatchObject({ scenario: 'gup-tail-vs-split', verdict: 'violation', invariant: 'refcount-covers-mapcount-and-pins' });
  }, 300_000);

  test('a scenario file alone: clean and exhaustive on 2 workers as on one; its two shards merge to the same verdict', async () => {
    const file = 'examples/scenarios/hugetlb-two-mms.ts';
    const argv = ['explore', '--scenario-file', file, '--variant', 'follow_page_mask=no-walk-bracket', '--out', out, '--json'];
    const [one, two] = [await racewalk([...argv, '--jobs', '1']), await racewalk([...argv, '--jobs', '2'])];
    expect(one.code, one.err).toBe(0);
    expect(two.code, two.err).toBe(0);
    expect(summary(two)[0]).toMatchObject({ verdict: 'clean', exhaustive: true });
    expect(summary(one)[0]).toMatchObject({ verdict: 'clean', exhaustive: true });
    const d = mkdtempSync(join(tmpdir(), 'racewalk-file-shards-'));
    const reports: string[] = [];
    for (const i of [1, 2]) {
      const r = await racewalk(['explore', '--scenario-file', file, '--variant', 'follow_page_mask=no-walk-bracket', '--shard', `${i}/2`, '--out', d, '--json']);
      expect(r.code, r.err).toBe(0);
      reports.push(JSON.parse(r.out).report);
    }
    const m = await racewalk(['merge', ...reports, '--json']);
    expect(m.code, m.err).toBe(0);
    expect(JSON.parse(m.out)).toMatchObject({ verdict: 'clean', exhaustive: true });
  }, 300_000);
});

describe('mistakes in a scenario file: file:line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'racewalk-bad-scenarios-'));
  const write = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    return join(dir, name);
  };
  const head = "import { defineScenario, get_user_pages_fast, FOLL_GET } from 'racewalk/model';\n";
  const ok = (extra: string) => `${head}export default defineScenario({
  name: 'mine',
  description: 'one GUP',
  kernel: 'v6.6',
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(3, 0, 1, 0),
  threads: (k) => [{ name: 'gup', *start() { return yield* get_user_pages_fast(k, 0, 1, FOLL_GET); } }],
  ${extra}
});
`;
  const cases: [string, string, RegExp, number | null][] = [
    ['world-throws.ts', ok('').replace('b.pageTable(0, 1)', 'b.pageTable(0, 99)'), /world-throws\.ts:\d+: scenario 'mine': building the world and threads threw: .*99/, null],
    ['no-export.ts', `${head}const x = 1;\n`, /no-export\.ts(:\d+)?: no scenario exported/, null],
    ['plain-object.ts', `export default { name: 'x', world: () => 0, threads: () => [] };\n`, /plain-object\.ts:1: export 'default' looks like a scenario but was not made with defineScenario/, 1],
    ['builtin-name.ts', ok('').replace("name: 'mine'", "name: 'gup-fast-vs-zap'"), /builtin-name\.ts:3: scenario 'gup-fast-vs-zap': 'gup-fast-vs-zap' is the name of a built-in scenario/, 3],
    ['bad-geometry.ts', ok('').replace('nrPages: 6, ', ''), /bad-geometry\.ts:6: scenario 'mine': geometry must be/, 6],
    ['bad-env.ts', ok("env: { tlb: 'ipl' },"), /bad-env\.ts:\d+: scenario 'mine': env: --env tlb=ipl is not a choice/, null],
    ['bad-race.ts', ok("knownRaces: [{ variants: { gup_pte_range: 'no-such' }, invariant: 'x', note: '' }],"), /bad-race\.ts:\d+: scenario 'mine': knownRaces: gup_pte_range has no built-in variant 'no-such'/, null],
    ['syntax.ts', `${head}export default defineScenario({ name: 'x' ;\n`, /syntax\.ts:2:\d+: syntax error/, 2],
  ];
  test.each(cases)('%s', async (name, body, message, line) => {
    const f = write(name, body);
    const r = await racewalk(['explore', '--scenario-file', f, '--out', out]);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.err).toMatch(message);
    if (line !== null) expect(r.err).toContain(`${name}:${line}`);
  }, 120_000);

  test('a scenario file whose thread throws during exploration: the line in the file, exit 2', async () => {
    const f = write('throws-later.ts', `${head}export default defineScenario({
  name: 'throws-later',
  description: 'a thread that throws after its GUP',
  kernel: 'v6.6',
  geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b.pageTable(0, 1).anonFolioPteMapped(3, 0, 1, 0),
  threads: (k) => [{ name: 'gup', *start() { yield* get_user_pages_fast(k, 0, 1, FOLL_GET); throw new Error('boom'); } }],
});
`);
    const r = await racewalk(['explore', '--scenario-file', f, '--out', out]);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.err).toMatch(/throws-later\.ts:8:\d+: scenario 'throws-later' threw at step \d+ of an execution: boom/);
  }, 120_000);
});

describe('in the library', () => {
  test('a scenario made with defineScenario names its file, so the replay command of its report works from the CLI', async () => {
    const { check } = await import('../src/run.js');
    // the example imports racewalk/model, which resolves to the built dist/: the same classes, but
    // declared twice as far as the type checker is concerned
    const scenario = (await import('../examples/scenarios/gup-tail-vs-split.js')).default as unknown as import('../src/scenarios/scenario.js').Scenario;
    const { replayCommand } = await import('../src/report/text.js');
    const r = check({ scenario, minimize: false });
    expect(r.report.scenarioFile).toBe(SCEN);
    expect(r.report.verdict).toBe('clean');
    // a counterexample of it: the printed command names the file, and the CLI runs it
    const path = join(out, 'library-report.json');
    const { try_get_compound_head_v5_12 } = await import('../examples/scenarios/try-get-compound-head.js');
    const bad = check({ scenario, variants: { try_get_folio: 'v5.12' }, extraVariants: { try_get_folio: [{ name: 'v5.12', description: '', kernel: 'v5.12', range: { from: 'v5.12', to: 'v5.12' }, fn: try_get_compound_head_v5_12 }] } });
    expect(bad.report.verdict).toBe('violation');
    expect(replayCommand(bad.report)).toContain(`racewalk replay --scenario-file ${SCEN} --scenario gup-tail-vs-split`);
    // the faithful code on the same schedule: the report's own file is loaded (no "unknown scenario")
    writeFileSync(path, JSON.stringify({ ...bad.report, variants: {}, trace: [] }));
    const again = await racewalk(['replay', path]);
    expect(again.err).not.toMatch(/unknown scenario/);
    expect([0, 1]).toContain(again.code);
    expect(readFileSync(path, 'utf8')).toContain('"scenarioFile"');
  }, 300_000);
});

describe('docs/scenarios.md', () => {
  const doc = readFileSync(join(repo, 'docs', 'scenarios.md'), 'utf8');
  const commands: [string, number][] = [];
  for (const block of doc.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\$ racewalk (.*)$/.exec(lines[i]!);
      if (m === null) continue;
      const exit = /^# exit (\d+)$/.exec(lines[i + 1] ?? '');
      if (exit === null) throw new Error(`docs/scenarios.md: '${lines[i]}' has no '# exit N' line after it`);
      commands.push([m[1]!, Number(exit[1])]);
    }
  }
  test('documents commands', () => expect(commands.length).toBeGreaterThanOrEqual(5));
  test.each(commands)('racewalk %s  (exit %i)', async (cmd, code) => {
    const args = cmd.split(' ');
    if (args[0] === 'explore' || args[0] === 'check-patch') args.push('--out', out);
    const r = await racewalk(args);
    expect(r.code, r.out + r.err).toBe(code);
  }, 300_000);
  test('the abridged file shown is the example file, field for field', () => {
    const file = readFileSync(join(repo, 'examples', 'scenarios', 'gup-tail-vs-split.ts'), 'utf8');
    for (const line of ["name: 'gup-tail-vs-split',", 'world: (b) => b.pageTable(0, 1).anonFolioPteMapped(4, 1, 1, 0).extraRef(4, 1),', 'yield* huge_memory.split_huge_page_caller(k, 4, 0);', 'yield* zap_page_range_single(k, 1, 1);']) {
      expect(file).toContain(line);
      expect(doc).toContain(line);
    }
  });
});
