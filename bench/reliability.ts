/**
 * The reliability table (README "Reliability"), regenerated from real runs: faults injected into
 * real `racewalk` processes and into the CLI in-process, each case checked against what the
 * README promises. `npm run bench -- --sections=reliability` runs it (bench/run.ts); every case
 * that does not hold is printed with what it saw, and the table counts it.
 *
 * - signals at random times: SIGINT or SIGTERM at a uniformly random moment of a run that finds,
 *   minimizes and writes a counterexample, or of a clean search, from the moment the command
 *   probes its output folder (Node's own start-up comes before any handler can exist) to its
 *   exit: the process ends by its own exit code (0 or 1), never
 *   by the signal, and leaves no report or the whole set (JSON, text, Markdown, HTML), whose JSON
 *   is the stdout summary's.
 * - a signal as the run ends (its last 150 ms and the teardown after it): never killed by it.
 * - a signal inside one long execution (a spin loop at --max-steps 10000000): exit 0, verdict
 *   interrupted, the report written; the time from signal to exit is measured.
 * - a write that fails (ENOSPC, EROFS, EACCES, EIO at each of the four report files, through the
 *   CLI's file writer): a violation stays exit 1, its schedule and replay command are on stdout,
 *   the file that failed is named on stderr, every other file is written.
 * - concurrent runs into one folder: every run ends with its verdict, the folder holds one whole
 *   set, no temporary file.
 * - worker threads: `--jobs 2` against one thread on every scenario's known races and faithful
 *   configuration (same verdict and invariant).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.js';
import { check } from '../src/run.js';
import { checkJobs } from '../src/sched/parallel.js';
import { SCENARIOS } from '../src/scenarios/index.js';

export interface ReliabilityClass {
  readonly what: string;
  readonly cases: number;
  readonly failures: number;
  /** what the class measured besides pass/fail (latencies, counts) */
  readonly detail: string;
}
export interface ReliabilityBench {
  readonly classes: readonly ReliabilityClass[];
  readonly failed: readonly string[];
  readonly secs: number;
}

const ROOT = resolve(import.meta.dirname, '..');
const SET = ['html', 'json', 'md', 'txt'];
/** a race found, minimized and written in about a second: its HTML report is ~90 KB */
const RACE = ['explore', '--scenario', 'gup-fast-vs-split-pmd-mapped-thp', '--variant', 'split_huge_page_to_list=no-refcount-check'];
/** a clean exhaustive search of 3,453 executions (a few seconds) */
const CLEAN = ['explore', '--scenario', 'gup-fast-vs-split-pmd-mapped-thp'];
const SPIN = join(ROOT, 'properties', 'fixtures', 'spin-forever.ts');

/** mulberry32: the signal times are the same on every run of the benchmark */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Child {
  code: number | null; sig: NodeJS.Signals | null; out: string; err: string;
  /** seconds from the signal (or, with no signal, from `startedWhen` appearing, else from spawn) to exit */
  secs: number;
}

/**
 * A real racewalk process; `signal` is sent `afterMs` after `startedWhen` exists (the output
 * folder, probed once the command runs: its handlers are in place) or after spawn.
 */
function run(argv: readonly string[], o: { signal?: NodeJS.Signals; afterMs?: number; startedWhen?: string } = {}): Promise<Child> {
  return new Promise((done) => {
    let from = performance.now();
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'racewalk.mjs'), ...argv], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '' } });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => void out.push(b));
    p.stderr.on('data', (b) => void (err += b));
    const timers: NodeJS.Timeout[] = [];
    const started = () => {
      from = performance.now();
      if (o.signal !== undefined) {
        timers.push(setTimeout(() => {
          from = performance.now();
          p.kill(o.signal!);
        }, o.afterMs ?? 0));
      }
    };
    if (o.startedWhen === undefined) started();
    else {
      const poll = setInterval(() => {
        if (existsSync(o.startedWhen!)) {
          clearInterval(poll);
          started();
        }
      }, 5);
      timers.push(poll);
    }
    timers.push(setTimeout(() => p.kill('SIGKILL'), 300_000));
    p.on('close', (code, sig) => {
      for (const t of timers) clearTimeout(t);
      done({ code, sig, out: Buffer.concat(out).toString('utf8'), err, secs: (performance.now() - from) / 1000 });
    });
  });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-reliability-'));

/** '' when the folder holds no report or one whole set matching stdout's summary; else what is wrong */
export function wholeSetOrNone(dir: string, stdout: string): string {
  if (!existsSync(dir)) return '';
  const files = readdirSync(dir);
  if (files.some((f) => f.endsWith('.tmp'))) return `temporary file left: ${files.join(', ')}`;
  if (files.length === 0) return '';
  const kinds = files.map((f) => f.replace(/.*\./, '')).sort();
  if (kinds.join() !== SET.join()) return `partial set: ${files.join(', ')}`;
  let s: { report: string | null; verdict: string };
  try {
    s = JSON.parse(stdout);
  } catch {
    return `stdout is not the whole JSON summary (${stdout.length} bytes)`;
  }
  if (s.report === null) return 'the summary names no report although the set was written';
  const j = JSON.parse(readFileSync(s.report, 'utf8'));
  return j.verdict === s.verdict ? '' : `report verdict ${j.verdict}, summary ${s.verdict}`;
}

export async function benchReliability(quick: boolean, log: (s: string) => void = console.log): Promise<ReliabilityBench> {
  const t0 = performance.now();
  const failed: string[] = [];
  const classes: ReliabilityClass[] = [];
  const fail = (cls: string, what: string) => {
    failed.push(`${cls}: ${what}`);
    log(`  FAILED ${cls}: ${what}`);
  };

  // signals at random times over a whole run (start-up, search, minimization, writing)
  {
    const cls = 'signal at a random time of a run';
    // two runs: a race found, minimized and written, and a clean search of 3,453 executions
    const kinds = [RACE, CLEAN];
    const spans: number[] = [];
    for (const argv of kinds) {
      const out = join(tmp(), 'out');
      spans.push((await run([...argv, '--out', out, '--json'], { startedWhen: out })).secs * 1000);
    }
    const n = quick ? 4 : 24;
    const r = rng(18);
    let f = 0;
    let stoppedEarly = 0;
    for (let i = 0; i < n; i++) {
      const k = i % 2;
      const at = Math.floor(r() * spans[k]!);
      const signal = r() < 0.5 ? 'SIGINT' : 'SIGTERM';
      const out = join(tmp(), 'out');
      const c = await run([...kinds[k]!, '--out', out, '--json'], { signal, afterMs: at, startedWhen: out });
      const wrong = c.sig !== null ? `killed by ${c.sig}` : ![0, 1].includes(c.code ?? -1) ? `exit ${c.code}: ${c.err.slice(0, 300)}` : wholeSetOrNone(out, c.out);
      if (c.code === 0) stoppedEarly++;
      if (wrong !== '') {
        f++;
        fail(cls, `${signal} at ${at} ms: ${wrong}`);
      }
    }
    classes.push({ what: cls, cases: n, failures: f, detail: `uniformly over the search, minimization and writing (from the output folder's probe to exit) of a run that finds a race (${spans[0]!.toFixed(0)} ms) and of a clean search (${spans[1]!.toFixed(0)} ms); ${stoppedEarly} ended as interrupted or clean (exit 0), ${n - stoppedEarly} with the race (exit 1)` });
  }

  // a signal as the run ends: the last 150 ms before exit and the teardown after it
  {
    const cls = 'signal while the process ends';
    const out0 = join(tmp(), 'out');
    const span = (await run([...RACE, '--out', out0, '--json'], { startedWhen: out0 })).secs * 1000;
    const n = quick ? 4 : 40;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const at = Math.max(0, Math.floor(span - 150 + (200 * i) / n));
      const out = join(tmp(), 'out');
      const c = await run([...RACE, '--out', out, '--json'], { signal: 'SIGINT', afterMs: at, startedWhen: out });
      const wrong = c.sig !== null ? `killed by ${c.sig}` : ![0, 1].includes(c.code ?? -1) ? `exit ${c.code}` : wholeSetOrNone(out, c.out);
      if (wrong !== '') {
        f++;
        fail(cls, `SIGINT at ${at} ms of a ${span.toFixed(0)} ms run: ${wrong}`);
      }
    }
    classes.push({ what: cls, cases: n, failures: f, detail: `SIGINT from 150 ms before the end of a ${span.toFixed(0)} ms run to 50 ms after it (a natural exit closed the handlers first: 2 of 40 killed before the fix)` });
  }

  // a signal inside one 10,000,000-step execution
  {
    const cls = 'signal inside one long execution';
    const n = quick ? 1 : 4;
    const latencies: number[] = [];
    let f = 0;
    for (let i = 0; i < n; i++) {
      const out = join(tmp(), 'out');
      const signal = i % 2 === 0 ? 'SIGINT' : 'SIGTERM';
      const c = await run(['explore', '--scenario-file', SPIN, '--max-steps', '10000000', '--out', out, '--json'], { signal, afterMs: 1000 + 500 * i, startedWhen: out });
      latencies.push(c.secs);
      let wrong = c.sig !== null ? `killed by ${c.sig}` : c.code !== 0 ? `exit ${c.code}: ${c.err.slice(0, 300)}` : wholeSetOrNone(out, c.out);
      if (wrong === '' && !(JSON.parse(c.out).bounds as string[]).includes('interrupted')) wrong = 'not reported as interrupted';
      if (wrong !== '') {
        f++;
        fail(cls, `${signal}: ${wrong}`);
      }
    }
    latencies.sort((a, b) => a - b);
    classes.push({ what: cls, cases: n, failures: f, detail: `signal to exit ${latencies[0]!.toFixed(2)}-${latencies.at(-1)!.toFixed(2)} s (the execution alone runs ~100 s)` });
  }

  // a report write that fails, at each file, with each error
  {
    const cls = 'a report write fails (disk full, read-only, permission, I/O)';
    const errnos = ['ENOSPC', 'EROFS', 'EACCES', 'EIO'];
    let n = 0;
    let f = 0;
    for (const code of quick ? errnos.slice(0, 1) : errnos) {
      for (const ext of SET) {
        n++;
        const dir = tmp();
        let out = '';
        let err = '';
        const written: string[] = [];
        const rc = await main([...RACE, '--out', dir], {
          out: (s) => void (out += s),
          err: (s) => void (err += s),
          isTTY: false,
          writeFile: (path) => {
            if (path.endsWith(`.${ext}`)) throw Object.assign(new Error(`${code}: injected, write '${path}'`), { code });
            written.push(path);
          },
        });
        const problems = [
          rc !== 1 && `exit ${rc}`,
          !/rw1:gup-fast-vs-split-pmd-mapped-thp:/.test(out) && 'no schedule on stdout',
          !/replay/.test(out) && 'no replay command on stdout',
          !new RegExp(`could not write '[^']*\\.${ext}'`).test(err) && 'the failed file is not named on stderr',
          written.length !== SET.length - 1 && `${written.length} of the other ${SET.length - 1} files written`,
        ].filter((x) => x !== false);
        if (problems.length > 0) {
          f++;
          fail(cls, `${code} on .${ext}: ${problems.join('; ')}`);
        }
      }
    }
    classes.push({ what: cls, cases: n, failures: f, detail: 'injected through the CLI\'s file writer at each of the four files' });
  }

  // concurrent runs into one folder
  {
    const cls = 'concurrent runs into one folder';
    const rounds = quick ? 1 : 3;
    const width = 4;
    let f = 0;
    for (let i = 0; i < rounds; i++) {
      const out = join(tmp(), 'out');
      const cs = await Promise.all(Array.from({ length: width }, () => run([...RACE, '--out', out, '--json'])));
      const wrong = cs.map((c) => (c.sig !== null ? `killed by ${c.sig}` : c.code !== 1 ? `exit ${c.code}` : '')).filter((x) => x !== '');
      const set = wholeSetOrNone(out, cs[0]!.out);
      if (set !== '' || readdirSync(out).length !== SET.length) wrong.push(set || `${readdirSync(out).length} files`);
      if (wrong.length > 0) {
        f++;
        fail(cls, `round ${i + 1}: ${wrong.join('; ')}`);
      }
    }
    classes.push({ what: cls, cases: rounds * width, failures: f, detail: `${rounds} round${rounds === 1 ? '' : 's'} of ${width} processes writing the same report` });
  }

  // --jobs 2 against one thread
  {
    const cls = '--jobs 2 against one thread';
    let n = 0;
    let f = 0;
    let compared = 0;
    const configs = SCENARIOS.flatMap((s) => [{ s, variants: {}, env: {} }, ...s.knownRaces.map((r) => ({ s, variants: r.variants ?? {}, env: r.env ?? {} }))]);
    for (const c of quick ? configs.slice(0, 4) : configs) {
      n++;
      const opts = { scenario: c.s.name, variants: c.variants, env: c.env, maxExecutions: 20_000, minimize: false };
      const one = check(opts).report;
      const two = (await checkJobs(2, opts)).report;
      // a capped run may stop at different places; a verdict either found or exhausted must agree
      const comparable = one.verdict !== 'no-violation-found' && two.verdict !== 'no-violation-found';
      if (comparable) compared++;
      if (comparable && (one.verdict !== two.verdict || one.invariant !== two.invariant)) {
        f++;
        fail(cls, `${c.s.name} ${JSON.stringify(c.variants)}: one thread ${one.verdict} ${one.invariant ?? ''}, --jobs 2 ${two.verdict} ${two.invariant ?? ''}`);
      }
    }
    classes.push({ what: cls, cases: n, failures: f, detail: `every scenario's faithful configuration and known races at most 20,000 executions each; ${compared} reached a verdict both ways and were compared` });
  }

  const secs = (performance.now() - t0) / 1000;
  log(`\nreliability (${quick ? 'quick' : 'full'}), ${secs.toFixed(0)} s:`);
  log('| fault | cases | failures | measured |');
  log('| --- | --- | --- | --- |');
  for (const c of classes) log(`| ${c.what} | ${c.cases} | ${c.failures} | ${c.detail} |`);
  return { classes, failed, secs };
}
