/**
 * `npm run bench` (`-- --quick` for a fast pass): how fast racewalk explores, measured, never
 * asserted. Prints tables; writes its results as JSON only where asked (`-- --out FILE`; the
 * committed bench/results.json is rewritten only by `-- --out bench/results.json`).
 * `-- --sections=startup,ceiling,...` runs only those sections (names: SECTIONS below).
 *
 * - CLI start-up: `racewalk list` (built, and through tsx as before the build) against `node -e 0`;
 * - the ceiling: a bare generator loop (bench/bare-loop.mjs) timed in a worker thread of its own,
 *   flat and at racewalk's measured generator depth (resumptions per step of a built-JS run), and
 *   racewalk's own steps/s (built JS, a child process) against both in the same run;
 * - scaling: N GUP-fast threads (N = 1, 2, 3) against zap + fault, and 3 and 4 CPUs mixing
 *   GUP-fast, split and zap, each size time-capped in a child process: executions, wall, CPU, peak
 *   RSS and the growth factor;
 * - per scenario and strategy: executions, steps, steps/s, executions/s, sleep-set-blocked;
 * - every known-buggy variant: time and executions to the first counterexample, by the default
 *   strategy (and by PCT and random walk);
 * - every faithful configuration: time to exhaust it with the default strategy;
 * - naive DFS's executions against DPOR's (DFS capped: "> cap" when it did not finish);
 * - DPOR's executions against the Mazurkiewicz classes counted by brute force on small
 *   generated programs;
 * - --jobs 2 against one thread; peak memory;
 * - litmus timing, the cross-check at full size (bench/cross-check.ts) and the reliability table:
 *   faults injected into real runs (bench/reliability.ts).
 *
 * Every search is bounded by time and executions so the default run stays near 3 minutes.
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/scenarios/index.js'; // first: see the import-cycle note in src/index.ts
import { check, type CheckOptions } from '../src/run.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { buildProgram, type Scenario } from '../src/scenarios/scenario.js';
import { DEFAULT_STRATEGY, STRATEGIES, findStrategy } from '../src/sched/index.js';
import { checkParallel } from '../src/sched/parallel.js';
import { Machine } from '../src/core/machine.js';
import { runExecution, type Program, type SchedView } from '../src/core/execution.js';
import type { Label, Op, Path, SharedOp } from '../src/core/op.js';
import { dependent, footprint, type Footprint } from '../src/sched/footprint.js';
import { DfsStrategy } from '../src/sched/dfs.js';
import { Prng } from '../src/sched/prng.js';
import type { Strategy } from '../src/sched/strategy.js';

const SECTIONS = ['startup', 'ceiling', 'scaling', 'throughput', 'exhaust', 'races', 'mazurkiewicz', 'jobs', 'litmus', 'cross-check', 'reliability'] as const;
type Section = (typeof SECTIONS)[number];

/** The command line: --quick, --scenario=NAME, --out FILE (or --out=FILE), --sections=a,b. */
function parseBenchArgs(argv: readonly string[]) {
  let quick = false;
  let only: string | undefined;
  let out: string | null = null;
  let sections: Set<Section> = new Set(SECTIONS);
  const fail = (m: string): never => {
    console.error(`bench: ${m}. Usage: npm run bench -- [--quick] [--scenario=NAME] [--out FILE] [--sections=${SECTIONS.join(',')}]`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a.startsWith('--scenario=')) only = a.slice('--scenario='.length);
    else if (a === '--out') out = argv[++i] ?? fail('--out needs a file name');
    else if (a.startsWith('--out=')) out = a.slice('--out='.length);
    else if (a.startsWith('--sections=')) {
      const names = a.slice('--sections='.length).split(',').filter((x) => x !== '');
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (bad.length > 0 || names.length === 0) fail(`unknown section '${bad[0] ?? ''}'`);
      sections = new Set(names as Section[]);
    } else fail(`unknown option '${a}'`);
  }
  return { quick, only, out, sections };
}

const args = parseBenchArgs(process.argv.slice(2));
const { quick, only } = args;
const want = (s: Section) => args.sections.has(s);
const C = quick
  ? { bareSecs: 0.3, rateSecs: 0.25, dfsSecs: 0.5, dfsCap: 5_000, raceSecs: 3, otherRaceSecs: 0.5, exhaustSecs: 5, exhaust3Secs: 10, mazPrograms: 30, jobsSecs: 3, startupRuns: 3, scaleSecs: 5, ceilingSecs: 3 }
  : { bareSecs: 1.5, rateSecs: 0.4, dfsSecs: 2.5, dfsCap: 100_000, raceSecs: 10, otherRaceSecs: 1, exhaustSecs: 10, exhaust3Secs: 60, mazPrograms: 150, jobsSecs: 8, startupRuns: 7, scaleSecs: 60, ceilingSecs: 10 };
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const benchStart = performance.now();
const load0 = loadavg();
let heapPeak = 0;
const sampleHeap = () => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};

// ---------------------------------------------------------------------------------------------
// the ceiling: a bare generator loop

const L: Label = { fn: 'bare', stmt: 'op' };

/** The bare generator loop, timed in a fresh worker thread (bench/bare-loop.mjs). */
function bareLoop(secs: number, depth: number): Promise<{ steps: number; secs: number }> {
  return new Promise((done, fail) => {
    const w = new Worker(new URL('./bare-loop.mjs', import.meta.url), { workerData: { secs, depth } });
    w.once('message', (m: { steps: number; secs: number }) => done(m));
    w.once('error', fail);
  });
}

/** One run of the built racewalk in a child process (bench/child.mjs), its JSON result. */
interface ChildRun {
  scenario: string; cpus: number; strategy: string; verdict: string; exhaustive: boolean; bounds: string[];
  executions: number; steps: number; wallSecs: number; cpuSecs: number; maxRssMB: number; stopped: boolean; resumesPerStep?: number;
}
function child(mode: 'run' | 'depth', spec: Record<string, unknown>): ChildRun {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bench', 'child.mjs'), mode, JSON.stringify(spec)], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`bench/child.mjs ${mode} ${JSON.stringify(spec)} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildRun;
}

/** dist/ is what the CLI runs; build it when a source file is newer (dist/ is not tracked). */
async function ensureBuilt(): Promise<void> {
  const { distIsCurrent } = (await import(resolve(ROOT, 'bin', 'dist-current.mjs'))) as { distIsCurrent: () => boolean };
  if (distIsCurrent()) return;
  console.log('(dist/ is older than the sources: npm run build)');
  const b = spawnSync(process.execPath, [resolve(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: ROOT });
  if (b.status !== 0) throw new Error('npm run build failed');
}

/** Median wall time of `runs` runs of a command, in seconds (output discarded). */
function startupSecs(cmd: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
    times.push((performance.now() - t0) / 1000);
  }
  return [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
}

// ---------------------------------------------------------------------------------------------
// one bounded search

interface Run {
  scenario: string;
  config: string;
  strategy: string;
  verdict: string;
  invariant: string | null;
  executions: number;
  steps: number;
  secs: number;
  stepsPerSec: number;
  execsPerSec: number;
  sleepBlocked: number;
  exhaustive: boolean;
  bounds: readonly string[];
}

function search(s: Scenario, strategy: string, secs: number, extra: Partial<CheckOptions> = {}, maxExecutions = 10_000_000): Run {
  const until = performance.now() + secs * 1000;
  const t0 = performance.now();
  const r = check({ scenario: s, strategy, maxExecutions, shouldStop: () => performance.now() > until, minimize: false, ...extra });
  const dt = (performance.now() - t0) / 1000;
  sampleHeap();
  const e = r.explored;
  return {
    scenario: s.name,
    config: label(extra.variants ?? {}, extra.env ?? {}),
    strategy,
    verdict: e.verdict,
    invariant: r.report.invariant,
    executions: e.executions,
    steps: e.steps,
    secs: dt,
    stepsPerSec: e.steps / dt,
    execsPerSec: e.executions / dt,
    sleepBlocked: e.sleepBlocked,
    exhaustive: e.exhaustive,
    bounds: e.bounds,
  };
}

function label(variants: Readonly<Record<string, string>>, env: Readonly<Record<string, string>>): string {
  return Object.entries({ ...variants, ...env }).map(([k, v]) => `${k}=${v}`).join(' ') || 'faithful';
}

// ---------------------------------------------------------------------------------------------
// Mazurkiewicz classes by brute force on small generated programs

type Leaf = { k: 'load' | 'store' | 'add'; x: number };
type Instr = Leaf | { k: 'locked'; l: number; body: Instr[] };

function genProgram(rng: Prng): Instr[][] {
  const leaf = (): Leaf => ({ k: (['load', 'store', 'add'] as const)[rng.below(3)]!, x: rng.below(3) });
  const threads = 2 + rng.below(2);
  return Array.from({ length: threads }, () =>
    Array.from({ length: 1 + rng.below(threads === 2 ? 4 : 3) }, () => (rng.below(5) === 0 ? { k: 'locked' as const, l: rng.below(2), body: [leaf()] } : leaf())),
  );
}

function* runInstrs(code: Instr[], t: number): Path<void> {
  let seen = 0;
  for (const i of code) {
    if (i.k === 'load') seen = yield { kind: 'load', loc: i.x, order: 'once', label: L };
    else if (i.k === 'store') yield { kind: 'store', loc: i.x, value: seen * 10 + t + 1, order: 'once', label: L };
    else if (i.k === 'add') seen = yield { kind: 'rmw', loc: i.x, rmw: 'add', a: 1, b: 0, order: 'full', label: L };
    else if (i.k === 'locked') {
      yield { kind: 'lock', loc: 3 + i.l, label: L };
      yield* runInstrs(i.body, t);
      yield { kind: 'unlock', loc: 3 + i.l, label: L };
    }
  }
}

const layout = { nameOf: (x: number) => `x${x}`, formatValue: (_: number, v: number) => String(v) };
function toProgram(code: Instr[][]): Program {
  return {
    threads: code.map((c, t) => ({ name: `t${t}`, start: () => runInstrs(c, t) as Path<unknown> as Generator<Op, unknown, number> })),
    newMachine: () => new Machine<unknown>(code.length, 5, layout, {}, {}),
    invariants: [],
    maxSteps: 200,
  };
}

/** DFS over every interleaving; the class of each is its lexicographic normal form under dependence. */
function countClasses(p: Program): { interleavings: number; classes: number } {
  const dfs = new DfsStrategy();
  const classes = new Set<string>();
  let interleavings = 0;
  let tids: number[] = [];
  let fps: Footprint[] = [];
  const rec = {
    wantsWrites: true,
    choose: (v: SchedView) => dfs.choose(v),
    onStep: (tid: number, op: SharedOp, v: SchedView) => {
      tids.push(tid);
      fps.push(footprint(op, tid, v.threadCount, v.lastWrites.slice()));
    },
  };
  while (dfs.nextExecution()) {
    tids = [];
    fps = [];
    const r = runExecution(p, rec);
    dfs.endExecution(r);
    interleavings++;
    classes.add(normalForm(tids, fps) + (r.violation !== null ? '!' : ''));
  }
  return { interleavings, classes: classes.size };
}

function normalForm(choices: readonly number[], fps: readonly Footprint[]): string {
  const n = choices.length;
  const preds = new Array<number>(n).fill(0);
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < j; i++) {
      if (choices[i] === choices[j] || dependent(fps[i]!, fps[j]!)) {
        preds[j]!++;
        succ[i]!.push(j);
      }
    }
  }
  const out: number[] = [];
  const done = new Array<boolean>(n).fill(false);
  for (let k = 0; k < n; k++) {
    let best = -1;
    for (let j = 0; j < n; j++) if (!done[j] && preds[j] === 0 && (best < 0 || choices[j]! < choices[best]!)) best = j;
    done[best] = true;
    out.push(choices[best]!);
    for (const s of succ[best]!) preds[s]!--;
  }
  return out.join('');
}

function countStrategy(p: Program, s: Strategy): { executions: number; blocked: number } {
  let executions = 0;
  while (s.nextExecution()) {
    const r = runExecution(p, s);
    s.endExecution(r);
    if ((r as { aborted?: boolean }).aborted !== true) executions++;
  }
  return { executions, blocked: s.sleepBlocked ?? 0 };
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number) => (Number.isInteger(n) || n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
function table(title: string, head: string[], rows: (string | number)[][]): void {
  if (rows.length === 0) return; // a section not run (--sections)
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  console.log('  ' + head.map((h, i) => pad(h, w[i]!)).join('  '));
  for (const r of cells) console.log('  ' + r.map((c, i) => pad(c, w[i]!)).join('  '));
}

const scenarios = SCENARIOS.filter((s) => only === undefined || s.name === only);
const hasDpor = STRATEGIES.some((s) => s.name === 'dpor');
const exhaustiveDefault = findStrategy(DEFAULT_STRATEGY).exhaustive ? DEFAULT_STRATEGY : 'dfs';
console.log(`racewalk bench${quick ? ' --quick' : ''}: ${scenarios.length} scenarios, strategies ${STRATEGIES.map((s) => s.name).join(', ')} (default ${DEFAULT_STRATEGY}); node ${process.version}, ${cpus().length} cores, load ${load0.map((x) => x.toFixed(1)).join(' ')}`);

// 0. CLI start-up against `node -e 0`: the built CLI, and the sources through tsx (how the CLI
// started before there was a build; the "before" of the packaging issue)
await ensureBuilt();
const results: Record<string, unknown> = {};
if (want('startup')) {
  const node0 = startupSecs([process.execPath, '-e', '0'], C.startupRuns);
  const built = startupSecs([process.execPath, 'bin/racewalk.mjs', 'list'], C.startupRuns);
  const viaTsx = startupSecs([process.execPath, '--input-type=module', '-e', "import { register } from 'tsx/esm/api'; register(); const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(['list']);"], C.startupRuns);
  table(`CLI start-up (median of ${C.startupRuns} runs, wall)`, ['command', 'seconds', 'vs node -e 0'], [
    ['node -e 0', node0, '1.00x'],
    ['racewalk list (dist/, no loader)', built, `${(built / node0).toFixed(2)}x`],
    ['racewalk list through tsx (before the build)', viaTsx, `${(viaTsx / node0).toFixed(2)}x`],
  ]);
  results.startup = { runs: C.startupRuns, nodeSecs: node0, builtSecs: built, tsxSecs: viaTsx, builtRatio: built / node0, tsxRatio: viaTsx / node0 };
}

// 1. the ceiling, in worker threads, and racewalk's own steps/s (built JS, DPOR exhausting one
// scenario in a child process) against it in the same run
const CEILING_SCENARIO = 'gup-fast-vs-split-huge-page';
let bareRate = NaN;
let bareNestedRate = NaN;
let NEST = 1;
if (want('ceiling') || want('throughput')) {
  const depth = child('depth', { scenario: CEILING_SCENARIO, capSecs: C.ceilingSecs / 2 });
  NEST = Math.max(1, Math.round(depth.resumesPerStep ?? 1));
  const bare = await bareLoop(C.bareSecs, 1);
  const bareNested = await bareLoop(C.bareSecs, NEST);
  bareRate = bare.steps / bare.secs;
  bareNestedRate = bareNested.steps / bareNested.secs;
  const rw = child('run', { scenario: CEILING_SCENARIO, capSecs: C.ceilingSecs });
  const rwRate = rw.steps / rw.cpuSecs;
  console.log(`\nbare generator loop (worker thread): ${fmt(bareRate)} steps/s flat, ${fmt(bareNestedRate)} steps/s with ops ${NEST} yield* levels deep`);
  console.log(`  (${NEST} = racewalk's measured generator resumptions per step, ${depth.resumesPerStep?.toFixed(2)}, over ${fmt(depth.steps)} steps of dpor on ${CEILING_SCENARIO})`);
  console.log(`racewalk (dist/, dpor, ${CEILING_SCENARIO}, ${rw.exhaustive ? 'exhausted' : `not finished in ${C.ceilingSecs} s`}): ${fmt(rw.executions)} executions, ${fmt(rw.steps)} steps, ${fmt(rwRate)} steps per CPU-second = ${((100 * rwRate) / bareRate).toFixed(1)}% of the flat loop, ${((100 * rwRate) / bareNestedRate).toFixed(1)}% of the ${NEST}-deep loop`);
  results.ceiling = { flatStepsPerSec: bareRate, nestedDepth: NEST, nestedStepsPerSec: bareNestedRate, measuredResumesPerStep: depth.resumesPerStep, racewalk: { ...rw, stepsPerCpuSec: rwRate, ratioToFlat: rwRate / bareRate, ratioToNested: rwRate / bareNestedRate } };
}

// 2. scaling: more CPUs, each size capped, in a child process of its own (peak RSS per size)
if (want('scaling')) {
  const sizes = [
    { what: 'gup-fast-vs-zap, 1 GUP-fast thread', scenario: 'gup-fast-vs-zap', extraGups: 0 },
    { what: 'gup-fast-vs-zap, 2 GUP-fast threads', scenario: 'gup-fast-vs-zap', extraGups: 1 },
    { what: 'gup-fast-vs-zap, 3 GUP-fast threads', scenario: 'gup-fast-vs-zap', extraGups: 2 },
    { what: 'gup-fast-vs-split-and-zap, 3 CPUs', scenario: 'gup-fast-vs-split-and-zap', extraGups: 0 },
    { what: 'gup-fast-vs-split-and-zap, 4 CPUs (2 GUP-fast)', scenario: 'gup-fast-vs-split-and-zap', extraGups: 1 },
  ];
  // each size twice: with DPOR's commuting of blind adds (the default) and without it
  const runs = sizes.map((z) => ({ ...z, r: child('run', { scenario: z.scenario, extraGups: z.extraGups, capSecs: C.scaleSecs }), off: child('run', { scenario: z.scenario, extraGups: z.extraGups, capSecs: C.scaleSecs, commute: false }) }));
  const bound = (r: ChildRun) => `${r.exhaustive ? '' : '> '}${fmt(r.executions)}`;
  table(
    `Scaling (dpor, built JS, faithful; each size capped at ${C.scaleSecs} s; growth = executions / the previous size's; the last column is the same run without commuting blind adds)`,
    ['size', 'cpus', 'verdict', 'executions', 'growth', 'steps', 'wall s', 'CPU s', 'steps/CPU-s', 'peak RSS MB', 'executions, no commuting'],
    runs.map(({ what, r, off }, i) => {
      const prev = i > 0 && runs[i - 1]!.scenario === runs[i]!.scenario ? runs[i - 1]!.r : null;
      const done = r.exhaustive;
      // a lower bound only when this size was capped; unknown when the previous one was
      const growth = prev === null ? '-' : !prev.exhaustive ? '? (previous capped)' : `${done ? '' : '> '}x${(r.executions / prev.executions).toFixed(1)}`;
      return [what, String(r.cpus), done ? r.verdict : `not finished in ${C.scaleSecs} s`, bound(r), growth, r.steps, r.wallSecs, r.cpuSecs, r.steps / Math.max(r.cpuSecs, 1e-9), r.maxRssMB, `${bound(off)}${off.exhaustive ? ` (${off.verdict}, ${off.wallSecs.toFixed(2)} s)` : ''}`];
    }),
  );
  results.scaling = { capSecs: C.scaleSecs, runs: runs.map(({ what, r, off }) => ({ what, ...r, noCommute: off })) };
}

// 2. throughput per scenario and strategy (faithful configuration), and naive DFS's count
const rates: Run[] = [];
const dfsRuns = new Map<string, Run>();
for (const s of want('throughput') ? scenarios : []) {
  const base = s.cleanConfigs[0] ?? { variants: {}, env: {} };
  // DFS first: its long run also warms the JIT up for the short time boxes of the others
  for (const def of [...STRATEGIES].sort((a, b) => Number(b.name === 'dfs') - Number(a.name === 'dfs'))) {
    if (def.name === 'dpor') continue; // measured by the exhaust runs below
    const dfs = def.name === 'dfs';
    const r = search(s, def.name, dfs ? C.dfsSecs : C.rateSecs, { variants: base.variants, env: base.env }, dfs ? C.dfsCap : 10_000_000);
    rates.push(r);
    if (dfs) dfsRuns.set(s.name, r);
  }
}

// 3. exhaust every faithful configuration with the default (exhaustive) strategy
const exhausts: (Run & { threads: number })[] = [];
for (const s of want('exhaust') || want('throughput') ? scenarios : []) {
  for (const c of s.cleanConfigs) {
    const threads = buildProgram(s, { variants: c.variants, env: c.env }).threads.length;
    const r = search(s, exhaustiveDefault, threads >= 3 ? C.exhaust3Secs : C.exhaustSecs, { variants: c.variants, env: c.env });
    exhausts.push({ ...r, threads });
  }
}
rates.push(...exhausts.filter((e, i, a) => a.findIndex((x) => x.scenario === e.scenario) === i));

// 4. every known race: time and executions to the first counterexample
const raceStrategies = [DEFAULT_STRATEGY, ...['pct', 'random'].filter((n) => n !== DEFAULT_STRATEGY && STRATEGIES.some((s) => s.name === n))];
const races: Run[] = [];
for (const s of want('races') ? scenarios : []) {
  for (const race of s.knownRaces) {
    for (const strategy of raceStrategies) {
      // the default strategy as a user runs it: search, then minimize the counterexample
      const r = search(s, strategy, strategy === DEFAULT_STRATEGY ? C.raceSecs : C.otherRaceSecs, { variants: race.variants, env: race.env, minimize: strategy === DEFAULT_STRATEGY });
      races.push({ ...r, invariant: r.invariant ?? `(expected ${race.invariant})` });
    }
  }
}

// 5. DPOR against the Mazurkiewicz classes on small generated programs
const maz = { programs: 0, classes: 0, dpor: 0, dporBlocked: 0, interleavings: 0, worst: 0, over12: 0 };
if (hasDpor && want('mazurkiewicz')) {
  const rng = new Prng(20261121);
  const dpor = findStrategy('dpor');
  for (let i = 0; i < C.mazPrograms; i++) {
    const p = toProgram(genProgram(rng));
    const { interleavings, classes } = countClasses(p);
    const d = countStrategy(p, dpor.create({ seed: 1, preemptions: Infinity }));
    maz.programs++;
    maz.classes += classes;
    maz.interleavings += interleavings;
    maz.dpor += d.executions;
    maz.dporBlocked += d.blocked;
    maz.worst = Math.max(maz.worst, d.executions / classes);
    if (d.executions > 1.2 * classes) maz.over12++;
  }
}

const rssBeforeJobsMB = process.resourceUsage().maxRSS / 1024;

// 6. --jobs 2 against one thread: the default strategy exhausting the default scenario, and
// DFS's executions/s on it
const jobs: { what: string; jobs1: Run; jobs2: Run }[] = [];
if (want('jobs')) {
  const s = scenarios[0]!;
  const c = s.cleanConfigs[0] ?? { variants: {}, env: {} };
  const par = async (strategy: string, secs: number, maxExecutions: number): Promise<Run> => {
    const until = performance.now() + secs * 1000;
    const t0 = performance.now();
    const r = await checkParallel({ scenario: s.name, strategy, variants: c.variants, env: c.env, maxExecutions, shouldStop: () => performance.now() > until, minimize: false }, 2);
    const dt = (performance.now() - t0) / 1000;
    const e = r.explored;
    return { scenario: s.name, config: label(c.variants, c.env ?? {}), strategy, verdict: e.verdict, invariant: null, executions: e.executions, steps: e.steps, secs: dt, stepsPerSec: e.steps / dt, execsPerSec: e.executions / dt, sleepBlocked: e.sleepBlocked, exhaustive: e.exhaustive, bounds: e.bounds };
  };
  jobs.push({ what: `exhaust ${s.name} (${exhaustiveDefault})`, jobs1: search(s, exhaustiveDefault, C.exhaust3Secs, { variants: c.variants, env: c.env }), jobs2: await par(exhaustiveDefault, C.exhaust3Secs, 10_000_000) });
  // the same wall time for both: worker start-up counts against --jobs
  jobs.push({ what: `dfs on ${s.name} for ${C.jobsSecs} s`, jobs1: search(s, 'dfs', C.jobsSecs, { variants: c.variants, env: c.env }), jobs2: await par('dfs', C.jobsSecs, 10_000_000) });
}

// ---------------------------------------------------------------------------------------------
// report

const totalSecs = (performance.now() - benchStart) / 1000;
const maxRssMB = process.resourceUsage().maxRSS / 1024;
const verdictOf = (r: Run) => (r.verdict === 'clean' ? 'clean' : r.verdict === 'violation' ? `VIOLATION ${r.invariant}` : r.verdict === 'no-violation-found' ? `not exhausted (${r.bounds.join('; ')})` : r.verdict);

table(
  'Throughput in this process (sources through tsx; faithful configuration; time-boxed, so executions are what fit in the box)',
  ['scenario', 'strategy', 'executions', 'steps', 'steps/s', 'exec/s', 'sleep-blocked', 'vs flat loop', `vs ${NEST}-deep loop`],
  rates.map((r) => [r.scenario, r.strategy, r.executions, r.steps, r.stepsPerSec, r.execsPerSec, r.sleepBlocked, `${((100 * r.stepsPerSec) / bareRate).toFixed(1)}%`, `${((100 * r.stepsPerSec) / bareNestedRate).toFixed(1)}%`]),
);
table(
  `Known races: first counterexample (default strategy ${DEFAULT_STRATEGY}, capped ${C.raceSecs} s; others ${C.otherRaceSecs} s)`,
  ['scenario', 'variant', 'strategy', 'found', 'executions', 'seconds (default: incl. minimizing)'],
  races.map((r) => [r.scenario, r.config, r.strategy, r.verdict === 'violation' ? r.invariant! : `NOT FOUND ${r.invariant}`, r.executions, r.secs]),
);
table(
  `Exhausting the faithful configurations (${exhaustiveDefault}; capped ${C.exhaustSecs} s, ${C.exhaust3Secs} s for 3+ CPUs)`,
  ['scenario', 'config', 'cpus', 'verdict', 'executions', 'sleep-blocked', 'seconds'],
  exhausts.map((r) => [r.scenario, r.config, String(r.threads), verdictOf(r), r.executions, r.sleepBlocked, r.secs]),
);
const reduction = scenarios.filter((s) => dfsRuns.has(s.name)).map((s) => {
  const d = dfsRuns.get(s.name)!;
  const p = exhausts.find((e) => e.scenario === s.name);
  const dfsDone = d.exhaustive;
  const ratio = p === undefined || !p.exhaustive ? null : d.executions / p.executions;
  return { scenario: s.name, threads: p?.threads ?? 0, dfs: d.executions, dfsComplete: dfsDone, dpor: p?.executions ?? null, dporComplete: p?.exhaustive ?? false, ratio, ratioIsLowerBound: !dfsDone };
});
table(
  `Naive DFS vs ${exhaustiveDefault} executions (faithful; DFS capped at ${fmt(C.dfsCap)} executions or ${C.dfsSecs} s)`,
  ['scenario', 'cpus', 'dfs executions', `${exhaustiveDefault} executions`, 'reduction'],
  reduction.map((r) => [r.scenario, String(r.threads), `${r.dfsComplete ? '' : '> '}${fmt(r.dfs)}`, r.dpor === null ? '-' : `${r.dporComplete ? '' : '> '}${fmt(r.dpor)}`, r.ratio === null ? '-' : `${r.ratioIsLowerBound ? '> ' : ''}${r.ratio.toFixed(1)}x`]),
);
if (hasDpor && maz.programs > 0) {
  console.log(`\nDPOR vs Mazurkiewicz classes on ${maz.programs} generated programs (2-3 CPUs, reads/writes/RMWs/locks over 3 locations):`);
  console.log(`  classes ${maz.classes}, DPOR completed executions ${maz.dpor} (${(maz.dpor / maz.classes).toFixed(3)}x), sleep-set blocked ${maz.dporBlocked}, worst program ${maz.worst.toFixed(2)}x, programs over 1.2x: ${maz.over12}; all interleavings ${maz.interleavings}`);
}
table(
  '--jobs 2 vs one thread',
  ['what', 'jobs', 'verdict', 'executions', 'seconds', 'exec/s'],
  jobs.flatMap((j) => [
    [j.what, '1', verdictOf(j.jobs1), j.jobs1.executions, j.jobs1.secs, j.jobs1.execsPerSec],
    [j.what, '2', verdictOf(j.jobs2), j.jobs2.executions, j.jobs2.secs, j.jobs2.execsPerSec],
  ]),
);
const load1 = loadavg();
console.log(`\npeak memory: max RSS ${rssBeforeJobsMB.toFixed(0)} MB single-threaded (${maxRssMB.toFixed(0)} MB once the --jobs worker threads ran), peak heap used ${(heapPeak / 2 ** 20).toFixed(0)} MB; bench took ${totalSecs.toFixed(0)} s; load average ${load0[0]!.toFixed(1)} -> ${load1[0]!.toFixed(1)} on ${cpus().length} cores`);

// the issue's targets, measured
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const defRates = rates.filter((r) => r.strategy === exhaustiveDefault).map((r) => r.stepsPerSec);
const allRates = rates.map((r) => r.stepsPerSec);
const threeGup = reduction.filter((r) => r.threads >= 3 && r.scenario.startsWith('gup'));
const defRaces = races.filter((r) => r.strategy === DEFAULT_STRATEGY);
const threeExhaust = exhausts.filter((e, i, a) => a.findIndex((x) => x.scenario === e.scenario) === i && e.threads >= 3 && e.scenario.startsWith('gup-fast'));
const targets = {
  throughput: { target: '>= 25% of the bare generator loop', medianAllStrategies: median(allRates) / bareRate, medianDefaultStrategy: median(defRates) / bareRate, best: Math.max(...allRates) / bareRate, medianVsNested: median(allRates) / bareNestedRate, bestVsNested: Math.max(...allRates) / bareNestedRate },
  mazurkiewicz: { target: 'DPOR executions <= 1.2x Mazurkiewicz classes', ratio: maz.classes === 0 ? null : maz.dpor / maz.classes, worst: maz.worst },
  dporVsDfs3Gup: { target: '>= 10x fewer than naive DFS on three-thread fast-GUP scenarios', scenarios: threeGup.map((r) => ({ scenario: r.scenario, ratio: r.ratio, lowerBound: r.ratioIsLowerBound })) },
  racesUnder1s: { target: 'every known race in < 1 s with the default strategy', found: defRaces.filter((r) => r.verdict === 'violation').length, total: defRaces.length, slowest: Math.max(0, ...defRaces.map((r) => r.secs)), over1s: defRaces.filter((r) => r.verdict !== 'violation' || r.secs >= 1).map((r) => `${r.scenario} ${r.config}`) },
  exhaust3: { target: 'three-thread faithful fast-GUP scenarios exhausted in < 60 s', runs: threeExhaust.map((e) => ({ scenario: e.scenario, config: e.config, exhaustive: e.exhaustive, secs: e.secs, executions: e.executions })) },
  memory: { target: 'peak memory < 300 MB', maxRssSingleThreadMB: rssBeforeJobsMB, maxRssWithWorkersMB: maxRssMB },
};
if (want('litmus')) results.litmus = (await import('./litmus.js')).benchLitmus(); // LKMM litmus timing (bench/litmus.ts)

if (args.sections.size === SECTIONS.length) {
console.log('\nTargets (issue 5), measured in this run:');
console.log(`  throughput >= 25% of the bare loop: median ${(100 * targets.throughput.medianAllStrategies).toFixed(1)}% (default strategy ${(100 * targets.throughput.medianDefaultStrategy).toFixed(1)}%, best ${(100 * targets.throughput.best).toFixed(1)}%); against the ${NEST}-deep loop median ${(100 * targets.throughput.medianVsNested).toFixed(1)}%, best ${(100 * targets.throughput.bestVsNested).toFixed(1)}%`);
console.log(`  DPOR <= 1.2x Mazurkiewicz classes: ${targets.mazurkiewicz.ratio === null ? 'no dpor' : `${targets.mazurkiewicz.ratio.toFixed(3)}x overall, worst program ${targets.mazurkiewicz.worst.toFixed(2)}x`}`);
console.log(`  DPOR >= 10x fewer than DFS, 3-CPU fast-GUP scenarios: ${threeGup.map((r) => `${r.scenario} ${r.ratio === null ? '-' : `${r.ratioIsLowerBound ? '> ' : ''}${r.ratio.toFixed(1)}x`}`).join(', ')}`);
console.log(`  known races < 1 s (default strategy, incl. minimizing): ${targets.racesUnder1s.found}/${targets.racesUnder1s.total} found, slowest ${targets.racesUnder1s.slowest.toFixed(2)} s${targets.racesUnder1s.over1s.length ? `; over 1 s or missed: ${targets.racesUnder1s.over1s.join(', ')}` : ''}`);
console.log(`  3-CPU faithful fast-GUP scenarios exhausted < 60 s: ${threeExhaust.map((e) => `${e.scenario} ${e.exhaustive ? `${e.secs.toFixed(2)} s (${e.executions} executions)` : 'NOT exhausted'}`).join(', ')}`);
console.log(`  peak memory < 300 MB: ${rssBeforeJobsMB.toFixed(0)} MB max RSS single-threaded, ${maxRssMB.toFixed(0)} MB with 2 worker threads`);
}

// results are written only where asked: a benchmark never rewrites a tracked file on its own
// DPOR against DFS and the other strategies on every scenario and mutant (bench/cross-check.ts)
const crossCheck = want('cross-check') ? (await import('./cross-check.js')).benchCrossCheck(quick) : null;
// faults injected into real runs: signals, failing writes, concurrent runs, workers (bench/reliability.ts)
const reliability = want('reliability') ? await (await import('./reliability.js')).benchReliability(quick) : null;
if (args.out !== null) {
const out = resolve(args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      when: new Date().toISOString(),
      quick,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageStart: load0, loadAverageEnd: load1 },
      defaultStrategy: DEFAULT_STRATEGY,
      caps: C,
      sections: [...args.sections],
      ...results,
      throughput: rates.map((r) => ({ ...r, ratioToBare: r.stepsPerSec / bareRate, ratioToNested: r.stepsPerSec / bareNestedRate })),
      targets,
      knownRaces: races,
      exhaust: exhausts,
      dfsVsDpor: reduction,
      mazurkiewicz: hasDpor ? { ...maz, ratio: maz.dpor / maz.classes } : null,
      jobs,
      memory: { maxRssMB, maxRssSingleThreadMB: rssBeforeJobsMB, heapPeakMB: heapPeak / 2 ** 20 },
      totalSecs,
      crossCheck,
      reliability,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
}
