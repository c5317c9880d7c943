/**
 * Every option is honoured or refused in every command and mode (issue 16): this walks the
 * option table of every command (src/cli/*.ts, the same declarations that parse and print
 * help) against each mode of the command, runs the option, and checks either its effect or that
 * it is refused with exit 2 naming it. An option added to a table without an entry here fails
 * the test: say how it is honoured, or refuse it in that mode.
 */
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, main } from '../src/cli/main.js';
import { allOptions, commandHelp } from '../src/cli/options.js';
import { listData } from '../src/cli/list.js';
import { check } from '../src/run.js';

// --jobs is honoured when worker threads are started: count them
const workers = vi.hoisted(() => ({ created: 0 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class CountingWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      workers.created++;
    }
  }
  return { ...real, default: { ...real, Worker: CountingWorker }, Worker: CountingWorker };
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-opt-'));
const CLEAN_PATCH = join(ROOT, 'examples/patches/gup-compound-head.ts');
const RACY_PATCH = join(ROOT, 'examples/patches/gup-compound-head-no-recheck.ts');
const ESC = '\x1b[';

type Args = Record<string, string | readonly string[] | true>;
interface Outcome {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}
interface Probe {
  readonly args: Args;
  readonly env?: NodeJS.ProcessEnv;
  readonly effect: (o: Outcome) => void;
}
/** refused: given with these arguments, exit 2 naming the option */
interface Refusal {
  readonly refused: Args;
}
interface Mode {
  readonly command: string;
  readonly name: string;
  /** the option that selects this mode (not probed on its own) */
  readonly modeOption?: string;
  readonly base: () => Args;
  readonly positionals?: () => readonly string[];
  /** loads a patch file through module hooks: a real child process */
  readonly child?: boolean;
  readonly probes: Record<string, Probe | Refusal>;
}

function argv(m: Mode, extra: Args): string[] {
  const all = { ...m.base(), ...extra };
  const out = [m.command, ...(m.positionals?.() ?? [])];
  for (const [k, v] of Object.entries(all)) {
    if (v === true) out.push(`--${k}`);
    else for (const x of typeof v === 'string' ? [v] : v) out.push(`--${k}`, x);
  }
  return out;
}

function outcome(code: number | null, out: string, err: string): Outcome {
  return { code, out, err, json: () => JSON.parse(out) };
}

async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env, command: 'racewalk' });
  return outcome(code, out, err);
}

function child(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    delete base.NO_COLOR;
    delete base.FORCE_COLOR;
    const p = spawn(process.execPath, ['bin/racewalk.mjs', ...args], { cwd: ROOT, env: { ...base, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => void (out += b));
    p.stderr.on('data', (b) => void (err += b));
    const t = setTimeout(() => p.kill('SIGKILL'), 240_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve(outcome(code, out, err));
    });
  });
}

// what every command's run must show for the options all commands share
const help = (cmd: string): Probe => ({ args: { help: true }, effect: (o) => expect(o.out).toBe(commandHelp(COMMANDS.find((c) => c.decl.name === cmd)!.decl)) });
const color: Probe = { args: { color: true }, effect: (o) => expect(o.out).toContain(ESC) };
const noColor: Probe = { args: { 'no-color': true }, env: { FORCE_COLOR: '1' }, effect: (o) => expect(o.out).not.toContain(ESC) };
const readReport = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
/**
 * --no-commuting-adds: the faithful gup-fast-vs-zap explored exhaustively without the
 * reduction, as the library's `commute: false` explores it; the reduction must matter there
 * (else the probe could not tell the option honoured from ignored)
 */
const zapExecutions = (commute: boolean): number => {
  const run = (c: boolean) => check({ scenario: 'gup-fast-vs-zap', commute: c, minimize: false, determinismEvery: 0 }).explored;
  const on = run(true);
  const off = run(false);
  expect(on.exhaustive && off.exhaustive).toBe(true);
  expect(off.executions).toBeGreaterThan(on.executions);
  return commute ? on.executions : off.executions;
};

const PTE_RECHECK = 'recheck@gup_pte_range: unlikely(pte_val(pte) != pte_val(ptep_get(ptep))))';
let schedule = '';
let report = '';
let shards: string[] = [];
let patchZap: { verdict: string; executions: number } = { verdict: '', executions: 0 };
// a scenario exercising gup_pte_range with a non-faithful variant of another path, for --variant next to a patch of gup_pte_range
const other = (() => {
  const d = listData();
  for (const s of d.scenarios.filter((x) => x.paths.includes('gup_pte_range'))) {
    for (const p of s.paths.filter((x) => x !== 'gup_pte_range')) {
      const v = d.paths.find((x) => x.name === p)?.variants.find((x) => x.name !== 'faithful');
      if (v !== undefined) return { scenario: s.name, variant: `${p}=${v.name}` };
    }
  }
  throw new Error('no scenario with a variant of a path beside gup_pte_range');
})();

beforeAll(async () => {
  const d = tmp();
  const r = (await inProcess(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--out', d, '--json'])).json();
  schedule = r.schedule;
  report = r.report;
  shards = [];
  for (const i of [1, 2]) shards.push((await inProcess(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--shard', `${i}/2`, '--out', d, '--json'])).json().report);
  // the patch file's exhaustive run with the reduction, for --no-commuting-adds to exceed
  patchZap = (await child(['explore', '--variant-file', CLEAN_PATCH, '--scenario', 'gup-fast-vs-zap', '--out', d, '--max-executions', '5000', '--json'])).json().scenarios[0];
}, 120_000);

const MODES: Mode[] = [
  {
    command: 'list',
    name: 'list',
    base: () => ({}),
    probes: {
      json: { args: { json: true }, effect: (o) => expect(o.json().scenarios.length).toBeGreaterThan(0) },
      markdown: { args: { markdown: true }, effect: (o) => expect(o.out).toMatch(/^\| scenario \| drives \|/) },
      help: help('list'),
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
    },
  },
  {
    command: 'explore',
    name: 'explore a scenario',
    modeOption: undefined,
    base: () => ({ out: tmp(), 'max-executions': '60' }),
    probes: {
      scenario: { args: { scenario: 'gup-fast-vs-migration', json: true }, effect: (o) => expect(o.json().scenario).toBe('gup-fast-vs-migration') },
      variant: { args: { variant: 'gup_pte_range=no-pte-recheck', 'max-executions': '5000', json: true }, effect: (o) => expect(o.json()).toMatchObject({ variants: { gup_pte_range: 'no-pte-recheck' }, verdict: 'violation' }) },
      env: { args: { env: 'tlb=ipi', json: true }, effect: (o) => expect(o.json().env.tlb).toBe('ipi') },
      kernel: { args: { kernel: 'v4.5', json: true }, effect: (o) => expect(o.json().variants).toEqual({ gup_pte_range: 'v4.5-compound-head' }) },
      'variant-file': { args: { 'variant-file': '/nonexistent/p.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/p.ts: no such file/) },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      strategy: { args: { strategy: 'random', json: true }, effect: (o) => expect(o.json().strategy).toBe('random') },
      seed: { args: { strategy: 'random', seed: '7', json: true }, effect: (o) => expect(readReport(o.json().report).seed).toBe(7) },
      preemptions: { args: { preemptions: '0', json: true }, effect: (o) => expect(o.json().bounds.join(' ')).toMatch(/preemption/) },
      'max-executions': { args: { 'max-executions': '3', json: true }, effect: (o) => expect(o.json().executions).toBe(3) },
      'max-steps': { args: { 'max-steps': '5', json: true }, effect: (o) => expect(o.json().invariant).toBe('max-steps') },
      'pct-depth': { args: { strategy: 'pct', 'pct-depth': '2', json: true }, effect: (o) => expect(o.json().bounds).toContain('PCT sampling (depth 2)') },
      'no-commuting-adds': { args: { 'no-commuting-adds': true, scenario: 'gup-fast-vs-zap', 'max-executions': '5000', json: true }, effect: (o) => expect(o.json()).toMatchObject({ verdict: 'clean', executions: zapExecutions(false) }) },
      shard: { args: { shard: '1/2', json: true }, effect: (o) => expect(readReport(o.json().report).shard).toMatchObject({ index: 1, count: 2 }) },
      jobs: {
        args: { jobs: '2', json: true },
        effect: (o) => {
          expect(o.json().executions).toBeGreaterThan(0);
          expect(workers.created).toBeGreaterThanOrEqual(2);
        },
      },
      out: { args: { out: join(tmpdir(), `racewalk-opt-out-${process.pid}`), json: true }, effect: (o) => expect(readdirSync(join(tmpdir(), `racewalk-opt-out-${process.pid}`)).sort()).toEqual(['gup-fast-vs-zap.html', 'gup-fast-vs-zap.json', 'gup-fast-vs-zap.md', 'gup-fast-vs-zap.txt']) },
      format: { args: { format: 'md' }, effect: (o) => expect(o.out).toMatch(/^### racewalk: /) },
      json: { args: { json: true }, effect: (o) => expect(o.json().verdict).toBe('no-violation-found') },
      quiet: { args: { quiet: true }, effect: (o) => expect(o.out).toMatch(/^no violation found within the bounds .*\n$/) },
      color,
      'no-color': noColor,
      'cross-check': { args: { 'cross-check': true, scenario: 'pagewalk-vs-file-zap' }, effect: (o) => expect(o.out).toMatch(/cross-check: \d+ cases .*, 0 disagreements/) },
      ablate: { args: { ablate: PTE_RECHECK, 'max-executions': '5000', json: true }, effect: (o) => expect(o.json()).toMatchObject({ verdict: 'violation', report: expect.stringMatching(/--ablate-recheck_gup_pte_range_\w*-[0-9a-f]{8}\.json$/) }) },
      help: help('explore'),
    },
  },
  {
    command: 'explore',
    name: 'explore a patch file',
    modeOption: 'variant-file',
    child: true,
    base: () => ({ 'variant-file': CLEAN_PATCH, scenario: 'gup-fast-vs-zap', out: tmp(), 'max-executions': '60' }),
    probes: {
      scenario: { args: { scenario: 'gup-fast-vs-migration', json: true }, effect: (o) => expect(o.json().scenarios.map((s: { scenario: string }) => s.scenario)).toEqual(['gup-fast-vs-migration']) },
      variant: { args: { scenario: other.scenario, variant: other.variant, json: true }, effect: (o) => expect(Object.entries(o.json().scenarios[0].variants).map(([k, v]) => `${k}=${v}`)).toContain(other.variant) },
      env: { args: { env: 'tlb=ipi', json: true }, effect: (o) => expect(o.json().scenarios[0].env.tlb).toBe('ipi') },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      kernel: { refused: { kernel: 'v4.5' } },
      strategy: { args: { strategy: 'random', json: true }, effect: (o) => expect(o.json().scenarios[0].strategy).toBe('random') },
      seed: { args: { strategy: 'random', seed: '7', json: true }, effect: (o) => expect(readReport(o.json().scenarios[0].report).seed).toBe(7) },
      preemptions: { args: { preemptions: '0', json: true }, effect: (o) => expect(o.json().scenarios[0].bounds.join(' ')).toMatch(/preemption/) },
      'max-executions': { args: { 'max-executions': '3', json: true }, effect: (o) => expect(o.json().scenarios[0].executions).toBe(3) },
      'max-steps': { args: { 'max-steps': '5', json: true }, effect: (o) => expect(`${o.out}${o.err}`).toMatch(/max-steps|past 5 steps/) },
      'pct-depth': { args: { strategy: 'pct', 'pct-depth': '2', json: true }, effect: (o) => expect(o.json().scenarios[0].bounds).toContain('PCT sampling (depth 2)') },
      'no-commuting-adds': {
        args: { 'no-commuting-adds': true, 'max-executions': '5000', json: true },
        effect: (o) => {
          expect(patchZap.verdict).toBe('clean');
          expect(o.json().scenarios[0].verdict).toBe('clean');
          expect(o.json().scenarios[0].executions).toBeGreaterThan(patchZap.executions);
        },
      },
      shard: { refused: { shard: '1/2' } },
      // a child process: its workers cannot be counted here; the merge of the workers' parts
      // states the execution bound in its own words (one thread: "stopped after 60 executions")
      jobs: { args: { jobs: '2', json: true }, effect: (o) => expect(o.json().scenarios[0].bounds).toEqual(['stopped at --max-executions']) },
      out: { args: { json: true }, effect: (o) => expect(readdirSync(join(o.json().scenarios[0].report, '..')).filter((f) => !f.startsWith('.')).length).toBe(4) },
      format: { args: { format: 'md' }, effect: (o) => expect(o.out).toMatch(/^### racewalk: /) },
      json: { args: { json: true }, effect: (o) => expect(o.json().patch).toBe('gup-compound-head') },
      quiet: { args: { quiet: true }, effect: (o) => expect(o.out.trim().split('\n').length).toBe(2) },
      color,
      'no-color': noColor,
      'cross-check': { refused: { 'cross-check': true } },
      ablate: { refused: { ablate: PTE_RECHECK } },
      help: help('explore'),
    },
  },
  {
    command: 'replay',
    name: 'replay a schedule',
    modeOption: 'schedule',
    base: () => ({ schedule, variant: 'gup_pte_range=no-pte-recheck' }),
    probes: {
      scenario: { args: { scenario: 'gup-fast-vs-migration' }, effect: (o) => expect(o.err).toMatch(/recorded for scenario 'gup-fast-vs-zap', not 'gup-fast-vs-migration'/) },
      variant: { args: { variant: 'gup_pte_range=faithful' }, effect: (o) => expect(o.code).toBe(0) },
      // the schedule was recorded with tlb=broadcast: with ipi the model takes other steps, so it diverges
      env: { args: { env: 'tlb=ipi' }, effect: (o) => expect(o.err).toMatch(/replay diverged at step \d+/) },
      'variant-file': { args: { 'variant-file': '/nonexistent/p.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/p.ts: no such file/) },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      'max-steps': { args: { 'max-steps': '5' }, effect: (o) => expect(o.out).toMatch(/VIOLATION of max-steps/) },
      format: { args: { format: 'md' }, effect: (o) => expect(o.out).toMatch(/^### racewalk: /) },
      json: { args: { json: true }, effect: (o) => expect(o.json().format).toBe('racewalk-report') },
      // a point the no-pte-recheck code never runs: the header names it, stderr says it was never met
      ablate: {
        args: { ablate: 'lock@nowhere: spin_lock(x)' },
        effect: (o) => {
          expect(o.out).toContain('ablated: lock@nowhere: spin_lock(x)');
          expect(o.err).toContain('never ran the ablated point');
        },
      },
      color,
      'no-color': noColor,
      help: help('replay'),
    },
  },
  {
    command: 'replay',
    name: 'replay a report file',
    base: () => ({}),
    positionals: () => [report],
    probes: {
      schedule: { refused: { schedule } },
      scenario: { refused: { scenario: 'gup-fast-vs-zap' } },
      variant: { refused: { variant: 'gup_pte_range=faithful' } },
      env: { refused: { env: 'tlb=ipi' } },
      ablate: { refused: { ablate: PTE_RECHECK } },
      'variant-file': { args: { 'variant-file': '/nonexistent/p.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/p.ts: no such file/) },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      'max-steps': { args: { 'max-steps': '5' }, effect: (o) => expect(o.out).toMatch(/VIOLATION of max-steps/) },
      format: { args: { format: 'md' }, effect: (o) => expect(o.out).toMatch(/^### racewalk: /) },
      json: { args: { json: true }, effect: (o) => expect(o.json().format).toBe('racewalk-report') },
      color,
      'no-color': noColor,
      help: help('replay'),
    },
  },
  {
    command: 'merge',
    name: 'merge',
    base: () => ({ out: tmp() }),
    positionals: () => shards,
    probes: {
      out: { args: { out: join(tmpdir(), `racewalk-opt-merge-${process.pid}`) }, effect: () => expect(readdirSync(join(tmpdir(), `racewalk-opt-merge-${process.pid}`)).filter((f) => f.includes('--merged.')).length).toBe(4) },
      json: { args: { json: true }, effect: (o) => expect(o.json().shards.count).toBe(2) },
      quiet: { args: { quiet: true }, effect: (o) => expect(o.out).toMatch(/^VIOLATION of gup-returns-mapped-page .*\n {2}replay: racewalk replay .*\n$/) },
      color,
      'no-color': noColor,
      help: help('merge'),
    },
  },
  {
    command: 'check-patch',
    name: 'check-patch',
    child: true,
    base: () => ({ scenario: 'gup-fast-vs-zap', out: tmp(), 'max-executions': '3000' }),
    positionals: () => [RACY_PATCH],
    probes: {
      baseline: { args: { baseline: 'gup_pte_range=no-pte-recheck', json: true }, effect: (o) => expect(o.json().rows[0].status).toBe('still-violating') },
      scenario: { args: { scenario: 'gup-fast-vs-migration', json: true }, effect: (o) => expect(o.json().rows.map((r: { scenario: string }) => r.scenario)).toEqual(['gup-fast-vs-migration']) },
      env: { args: { env: 'tlb=ipi', json: true }, effect: (o) => expect(o.json().rows[0].env.tlb).toBe('ipi') },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      strategy: { args: { strategy: 'random', json: true }, effect: (o) => expect(o.json().bounds).toMatch(/^strategy random/) },
      seed: { args: { strategy: 'random', seed: '7', json: true }, effect: (o) => expect(o.json().rows[0].patched.seed).toBe(7) },
      preemptions: { args: { preemptions: '0', json: true }, effect: (o) => expect(o.json().bounds).toMatch(/preemption/) },
      'max-executions': { args: { strategy: 'random', 'max-executions': '2', json: true }, effect: (o) => expect(o.json().rows[0].baseline.executions).toBeLessThanOrEqual(2) },
      'max-steps': { args: { 'max-steps': '5', json: true }, effect: (o) => expect(`${o.out}${o.err}`).toMatch(/max-steps 5|past 5 steps/) },
      // the faithful gup_pte_range as the baseline: a clean, exhaustive run whose count shows the reduction off
      'no-commuting-adds': { args: { 'no-commuting-adds': true, baseline: 'gup_pte_range=faithful', json: true }, effect: (o) => expect(o.json().rows[0].baseline).toMatchObject({ verdict: 'clean', executions: zapExecutions(false) }) },
      out: { args: { json: true }, effect: (o) => expect(readdirSync(join(o.json().reports[0], '..')).filter((f) => !f.startsWith('.')).sort().map((f) => f.replace(/.*\./, ''))).toEqual(['json', 'txt']) },
      json: { args: { json: true }, effect: (o) => expect(o.json().introduced).toBe(true) },
      help: help('check-patch'),
    },
  },
  {
    command: 'ablate',
    name: 'ablate',
    base: () => ({ out: tmp(), 'max-executions': '60' }),
    probes: {
      scenario: { args: { scenario: 'gup-fast-vs-munmap-free-pgtables', json: true }, effect: (o) => expect(o.json().scenario).toBe('gup-fast-vs-munmap-free-pgtables') },
      'scenario-file': { args: { 'scenario-file': '/nonexistent/s.ts' }, effect: (o) => expect(o.err).toMatch(/\/nonexistent\/s.ts: no such file/) },
      path: { args: { path: 'try_get_folio', json: true }, effect: (o) => expect(o.json().points.map((p: { fn: string }) => p.fn)).toEqual(['try_get_folio']) },
      variant: { args: { variant: 'gup_pte_range=no-pte-recheck', 'max-executions': '5000' }, effect: (o) => expect(o.out).toContain('already fails: nothing to ablate') },
      env: { args: { env: 'tlb=ipi', json: true }, effect: (o) => expect(o.json().env.tlb).toBe('ipi') },
      kernel: { args: { kernel: 'v4.5', json: true }, effect: (o) => expect(o.json().variants).toEqual({ gup_pte_range: 'v4.5-compound-head' }) },
      strategy: { args: { strategy: 'random', json: true }, effect: (o) => expect(o.json().baseline.strategy).toBe('random') },
      seed: { args: { strategy: 'random', seed: '7', json: true }, effect: (o) => expect(o.json().baseline.seed).toBe(7) },
      preemptions: { args: { preemptions: '0', json: true }, effect: (o) => expect(o.json().baseline.bounds.join(' ')).toMatch(/preemption/) },
      'max-executions': { args: { 'max-executions': '3', json: true }, effect: (o) => expect(o.json().baseline.executions).toBe(3) },
      'max-steps': { args: { 'max-steps': '5', json: true }, effect: (o) => expect(o.json().baseline.invariant).toBe('max-steps') },
      out: { args: { out: join(tmpdir(), `racewalk-opt-ablate-${process.pid}`), json: true }, effect: () => expect(readdirSync(join(tmpdir(), `racewalk-opt-ablate-${process.pid}`)).filter((f) => f.includes('.ablate.')).sort()).toEqual(['gup-fast-vs-zap.ablate.json', 'gup-fast-vs-zap.ablate.md']) },
      json: { args: { json: true }, effect: (o) => expect(o.json()).toMatchObject({ format: 'racewalk-ablation', version: 1 }) },
      quiet: { args: { quiet: true }, effect: (o) => expect(o.out).toMatch(/^gup-fast-vs-zap: \d+ of \d+ points load-bearing/) },
      help: help('ablate'),
    },
  },
  {
    command: 'litmus',
    name: 'litmus',
    base: () => ({}),
    positionals: () => [join(ROOT, 'litmus', 'SB-xchg.litmus')],
    probes: {
      json: { args: { json: true }, effect: (o) => expect(o.json().tests[0].result).toBe('Never') },
      'check-result': { args: { 'check-result': true }, effect: (o) => expect(o.out).toContain('Judged: agrees with Result: Never') },
      help: help('litmus'),
    },
  },
];

describe('the option table against every command and mode', () => {
  test('every command has its modes here, and every probe names a declared option', () => {
    for (const c of COMMANDS) expect(MODES.some((m) => m.command === c.decl.name), `no mode of '${c.decl.name}' in this test`).toBe(true);
    for (const m of MODES) {
      const names = allOptions(COMMANDS.find((c) => c.decl.name === m.command)!.decl).map(([n]) => n);
      for (const p of Object.keys(m.probes)) expect(names, `${m.name}: probe of an undeclared option --${p}`).toContain(p);
    }
  });

  for (const m of MODES) {
    const decl = COMMANDS.find((c) => c.decl.name === m.command)!.decl;
    const options = allOptions(decl).map(([n]) => n).filter((n) => n !== m.modeOption);
    test(`${m.name}: ${options.map((o) => `--${o}`).join(' ')} each honoured or refused`, async () => {
      const missing = options.filter((o) => m.probes[o] === undefined);
      expect(missing, `${m.name}: say how these are honoured (a probe) or refuse them in this mode`).toEqual([]);
      const run = (a: string[], env?: NodeJS.ProcessEnv) => (m.child ? child(a, env) : inProcess(a, env));
      // a few at a time: child processes load tsx, and the machine is shared
      const results: [string, Outcome][] = [];
      for (let i = 0; i < options.length; i += m.child ? 3 : 1) {
        const batch = options.slice(i, i + (m.child ? 3 : 1));
        results.push(
          ...(await Promise.all(
            batch.map(async (o) => {
              const p = m.probes[o]!;
              return [o, await run(argv(m, 'refused' in p ? p.refused : p.args), 'refused' in p ? undefined : p.env)] as [string, Outcome];
            }),
          )),
        );
      }
      for (const [o, r] of results) {
        const p = m.probes[o]!;
        if ('refused' in p) {
          expect(r.code, `${m.name} --${o}: ${r.err}`).toBe(2);
          expect(r.err, `${m.name} --${o}`).toContain(`--${o}`);
        } else {
          expect([0, 1, 2], `${m.name} --${o}: exit ${r.code}: ${r.err}`).toContain(r.code);
          try {
            p.effect(r);
          } catch (e) {
            throw new Error(`${m.name}: --${o} was not honoured (exit ${r.code}): ${(e as Error).message}\nstdout: ${r.out.slice(0, 600)}\nstderr: ${r.err.slice(0, 600)}`);
          }
        }
      }
    }, 400_000);
  }
});
