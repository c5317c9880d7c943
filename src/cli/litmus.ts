/**
 * `racewalk litmus FILE.litmus...`: decide C litmus tests under the Linux-kernel memory model
 * (src/lkmm/) and print what herd7 prints. Exit 0 when every test's result is computed, 2 when
 * some test is outside the supported subset (or unreadable).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { command, defineCommand } from './options.js';
import { parseLitmus, Unsupported, LitmusSyntaxError } from '../lkmm/parse.js';
import { decide, describeExecution, valueOf, DecideInterrupted, type LitmusResult } from '../lkmm/run.js';
import { interrupted, SIGNAL_EXIT } from './signals.js';
import { executions, type Execution } from '../lkmm/enumerate.js';
import type { Verdict } from '../lkmm/model.js';
import { scLinearization, ScStateLimit } from '../lkmm/sc.js';
import type { Io } from './main.js';

export const LITMUS_DECL = defineCommand({
  name: 'litmus',
  usage: ['litmus FILE.litmus... [--json] [--check-result]'],
  description: `Decides C litmus tests (the format of the kernel's tools/memory-model/litmus-tests/) under
the Linux-kernel memory model (linux-kernel.cat/.bell/.def, lock.cat) and prints what herd7
prints: the states observed, Positive/Negative, flags (data-race), the outcome Never /
Sometimes / Always, and for a reachable condition a witness execution and a schedule.
Constructs outside the subset are reported as "not supported: ...". See docs/lkmm.md.`,
  positionals: { name: 'FILE.litmus', min: 1, max: 100_000, what: 'litmus files' },
  options: {
    json: { kind: 'flag', help: 'print { "tests": [ { file, name, result, states, reason?, judged? } ] } on stdout' },
    'check-result': {
      kind: 'flag',
      help: "judge each test against its own ' * Result:' comment as the kernel's tools/memory-model/scripts/judgelitmus.sh does: the outcome word must be the observed one (Maybe passes, DEADLOCK means no execution at all), and DATARACE in the comment exactly when a data race is flagged; print a summary, exit 1 if any test disagrees",
    },
  },
  exit: '0 every test decided (and, with --check-result, agreeing with its Result:), 1 with --check-result: some test disagrees, 2 some test not supported (or bad usage), 3 internal error, 130 interrupted by SIGINT/SIGTERM (the tests decided before it are printed; the one being decided has no result).',
});

export const LITMUS = command({
  decl: LITMUS_DECL,
  summary: 'decide C litmus tests under the Linux-kernel memory model, as herd7 does',
  // run where a signal is seen during a long test (cli/process.ts): decide() polls interrupted()
  searches: true,
  run: ({ values, positionals }, io) => litmusFiles(positionals, values.json, io, values['check-result'], interrupted),
});

export interface LitmusJson {
  file: string;
  name: string;
  /** 'interrupted': a signal stopped the run while this test was being decided (no outcome) */
  result: 'Never' | 'Sometimes' | 'Always' | 'unsupported' | 'interrupted';
  states: string[];
  reason?: string;
  /** with --check-result: the file's ' * Result:' line and whether the result agrees with it */
  judged?: Judged;
}

export interface Judged {
  /** the Result: comment, e.g. 'Sometimes DATARACE'; absent when the file has none */
  expected?: string;
  ok: boolean;
  /** why not, in judgelitmus.sh's words */
  reason?: string;
}

/**
 * scripts/judgelitmus.sh of tools/memory-model/, for one decided test: the first line matching
 * '^[( ]\* Result: ' names the outcome (its third word); 'Result: ... DATARACE' predicts a
 * data race, which must be flagged exactly when predicted; DEADLOCK means no execution (Never 0 0);
 * Maybe passes; otherwise the observed outcome must be the stated one.
 */
export function judge(src: string, r: LitmusResult): Judged {
  const line = /^[( ]\* Result: (.*)$/m.exec(src);
  if (!line) return { ok: true, reason: "no ' * Result:' comment: nothing to judge against" };
  const expected = line[1]!.trim();
  const outcome = expected.split(/\s+/)[0]!;
  const predicted = /^.* DATARACE/.test(line[1]!);
  const modeled = r.flags.includes('data-race');
  if (predicted && !modeled) return { expected, ok: false, reason: '!!! Predicted data race not modeled' };
  if (!predicted && modeled) return { expected, ok: false, reason: '!!! Unexpected data race modeled' };
  if (outcome === 'DEADLOCK') return r.positive === 0 && r.negative === 0 ? { expected, ok: true } : { expected, ok: false, reason: `!!! Unexpected non-DEADLOCK verification (${r.outcome} ${r.positive} ${r.negative})` };
  if (outcome === 'Maybe' || outcome === r.outcome) return { expected, ok: true };
  return { expected, ok: false, reason: `!!! Unexpected non-${outcome} verification (${r.outcome})` };
}

export function litmusFiles(positionals: readonly string[], json: boolean, io: Io, checkResult = false, shouldStop: () => boolean = () => false): number {
  const tests: LitmusJson[] = [];
  // text mode prints each test as soon as it is decided (a long batch shows progress, and a
  // signal loses nothing decided); --json prints one document at the end
  const emit = (block: string[]) => {
    if (!json) io.out(block.join('\n') + '\n');
  };
  // every file is read before any is decided: an unreadable one is a usage error up front,
  // not after minutes of results
  const sources = positionals.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read litmus file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  let stoppedAt = -1;
  for (const [k, file] of positionals.entries()) {
    if (shouldStop()) {
      stoppedAt = k;
      break;
    }
    const src = sources[k]!;
    try {
      const r = decide(parseLitmus(src), undefined, shouldStop);
      const judged = checkResult ? judge(src, r) : undefined;
      tests.push({ file, name: r.name, result: r.outcome, states: r.states, ...(judged ? { judged } : {}) });
      const block = herdLike(r);
      if (judged) block.splice(block.length - 1, 0, judged.expected === undefined ? `Judged: ${judged.reason}` : judged.ok ? `Judged: agrees with Result: ${judged.expected}` : `Judged: ${judged.reason} against Result: ${judged.expected}`);
      emit(block);
    } catch (e) {
      if (e instanceof DecideInterrupted) {
        const name = testName(src, file);
        tests.push({ file, name, result: 'interrupted', states: [], reason: e.message });
        emit([`Test ${name}: interrupted (${e.message}): no result`, '']);
        stoppedAt = k + 1;
        break;
      }
      if (!(e instanceof Unsupported) && !(e instanceof LitmusSyntaxError)) throw e;
      const reason = e instanceof Unsupported ? `not supported: ${e.message}` : `syntax error: ${e.message}`;
      const name = testName(src, file);
      tests.push({ file, name, result: 'unsupported', states: [], reason });
      emit([`Test ${name}: ${reason}`, '']);
      io.err(`racewalk: ${file}: ${reason}\n`);
    }
  }
  const disagree = tests.filter((t) => t.judged && !t.judged.ok);
  if (checkResult && !json) {
    const judgedN = tests.filter((t) => t.judged?.expected !== undefined).length;
    const text: string[] = [];
    text.push(`Judged ${judgedN} test(s) against their Result: comment: ${judgedN - disagree.length} agree, ${disagree.length} disagree; ${tests.filter((t) => t.result === 'unsupported').length} not supported, ${tests.filter((t) => t.judged && t.judged.expected === undefined).length} without a Result: comment`);
    for (const t of disagree) text.push(`  ${t.file}: ${t.judged!.reason} against Result: ${t.judged!.expected}`);
    text.push('');
    emit(text);
  }
  if (json) io.out(JSON.stringify({ tests }, null, 2) + '\n');
  if (stoppedAt >= 0) {
    const decided = tests.filter((t) => t.result !== 'interrupted').length;
    const notRun = positionals.slice(stoppedAt);
    io.err(`racewalk: interrupted: ${decided} of ${positionals.length} litmus file(s) decided${notRun.length > 0 ? `; not run: ${notRun.join(' ')}` : ''}\n`);
    return SIGNAL_EXIT;
  }
  return tests.some((t) => t.result === 'unsupported') ? 2 : disagree.length > 0 ? 1 : 0;
}

/** a test's name from its `C <name>` line, for a test with no result to take it from (else the file) */
function testName(src: string, file: string): string {
  return /^\s*C\s+(\S+)/.exec(src)?.[1] ?? file;
}

/** herd7's output shape, then the witness execution and a schedule when one exists. */
export function herdLike(r: LitmusResult): string[] {
  const t = r.test;
  const kind = t.quantifier === 'forall' ? 'Required' : 'Allowed';
  const out = [`Test ${r.name} ${kind}`, `States ${r.states.length}`, ...r.states, r.validated ? 'Ok' : 'No', 'Witnesses', `Positive: ${r.positive} Negative: ${r.negative}`];
  for (const f of r.flags) out.push(`Flag ${f}`);
  out.push(`Condition ${t.condText}`, `Observation ${r.name} ${r.outcome} ${r.positive} ${r.negative}`);
  if (r.flags.includes('data-race')) out.push(`(an allowed execution has a data race on plain accesses: the kernel treats such a test's outcome as undefined)`);
  if (r.witness) {
    out.push(`Witness: an execution the LKMM allows that satisfies the condition (${r.candidates} candidate executions examined)`);
    out.push(...describeExecution(r, r.witness));
    out.push(`Schedule: ${schedule(r)}`);
  }
  out.push('');
  return out;
}

/**
 * An interleaving that produces the witness, if one exists (sc.ts `scLinearization`: a
 * topological order of po | rf | co | fr that also respects grace periods and atomic RMWs).
 * Otherwise no schedule of a sequentially consistent machine produces this execution; whether
 * one reaches the same final state is then asked of the other candidates (every SC execution is
 * one), and said to be undecided when a search runs past its limit (a witness is never lost to
 * it).
 */
function schedule(r: LitmusResult): string {
  const x = r.witness!;
  const c = x.cand;
  let seq: number[] | null;
  try {
    seq = scLinearization(c);
  } catch (e) {
    if (!(e instanceof ScStateLimit)) throw e;
    return `not found: the search for an interleaving producing this execution met ${e.message}`;
  }
  if (seq === null) {
    // another candidate with the same final state may be sequentially consistent: every SC
    // execution is a candidate (and allowed by the LKMM), so looking among them is exact
    const want = stateOf(r, x);
    try {
      for (const y of executions(r.test, UNJUDGED)) {
        if (stateOf(r, y) !== want) continue;
        const other = scLinearization(y.cand);
        if (other !== null) return `none for this execution, which is not sequentially consistent; this interleaving reaches the same state in another execution: ${threadsOf(y.cand, other)}`;
      }
    } catch (e) {
      if (!(e instanceof ScStateLimit)) throw e;
      return `none for this execution, which is not sequentially consistent; whether another interleaving reaches the same state is undecided (the search met ${e.message})`;
    }
    return `none: no interleaving of a sequentially consistent machine reaches this state; it needs the reorderings the LKMM allows`;
  }
  return threadsOf(c, seq);
}

/** every candidate, unjudged: the SC question needs no LKMM verdict */
const UNJUDGED = (): Verdict => ({ consistent: true, flags: [] });

function stateOf(r: LitmusResult, x: Execution): string {
  return r.keys.map((k) => `${k}=${valueOf(r.test, x, k)};`).join(' ');
}

/** an interleaving as the threads that take turns in it: `P0 P1 P0` */
function threadsOf(c: Execution['cand'], seq: number[]): string {
  return seq
    .map((i) => `P${c.events[i]!.thread}`)
    .filter((p, k, a) => k === 0 || a[k - 1] !== p)
    .join(' ');
}
