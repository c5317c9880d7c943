/**
 * `racewalk litmus FILE.litmus...`: decide C litmus tests under the Linux-kernel memory model
 * (src/lkmm/) and print what herd7 prints. Exit 0 when every test's result is computed, 2 when
 * some test is outside the supported subset (or unreadable).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { command, defineCommand } from './options.js';
import { parseLitmus, Unsupported, LitmusSyntaxError } from '../lkmm/parse.js';
import { decide, describeExecution, type LitmusResult } from '../lkmm/run.js';
import { scFinalStates } from '../lkmm/sc.js';
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
  exit: '0 every test decided (and, with --check-result, agreeing with its Result:), 1 with --check-result: some test disagrees, 2 some test not supported (or bad usage), 3 internal error.',
});

export const LITMUS = command({
  decl: LITMUS_DECL,
  summary: 'decide C litmus tests under the Linux-kernel memory model, as herd7 does',
  run: ({ values, positionals }, io) => litmusFiles(positionals, values.json, io, values['check-result']),
});

export interface LitmusJson {
  file: string;
  name: string;
  result: 'Never' | 'Sometimes' | 'Always' | 'unsupported';
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

export function litmusFiles(positionals: readonly string[], json: boolean, io: Io, checkResult = false): number {
  const tests: LitmusJson[] = [];
  const text: string[] = [];
  for (const file of positionals) {
    let src: string;
    try {
      src = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read litmus file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const r = decide(parseLitmus(src));
      const judged = checkResult ? judge(src, r) : undefined;
      tests.push({ file, name: r.name, result: r.outcome, states: r.states, ...(judged ? { judged } : {}) });
      text.push(...herdLike(r));
      if (judged) text.splice(text.length - 1, 0, judged.expected === undefined ? `Judged: ${judged.reason}` : judged.ok ? `Judged: agrees with Result: ${judged.expected}` : `Judged: ${judged.reason} against Result: ${judged.expected}`);
    } catch (e) {
      if (!(e instanceof Unsupported) && !(e instanceof LitmusSyntaxError)) throw e;
      const reason = e instanceof Unsupported ? `not supported: ${e.message}` : `syntax error: ${e.message}`;
      const name = /^\s*C\s+(\S+)/.exec(src)?.[1] ?? file;
      tests.push({ file, name, result: 'unsupported', states: [], reason });
      text.push(`Test ${name}: ${reason}`, '');
      io.err(`racewalk: ${file}: ${reason}\n`);
    }
  }
  const disagree = tests.filter((t) => t.judged && !t.judged.ok);
  if (checkResult && !json) {
    const judgedN = tests.filter((t) => t.judged?.expected !== undefined).length;
    text.push(`Judged ${judgedN} test(s) against their Result: comment: ${judgedN - disagree.length} agree, ${disagree.length} disagree; ${tests.filter((t) => t.result === 'unsupported').length} not supported, ${tests.filter((t) => t.judged && t.judged.expected === undefined).length} without a Result: comment`);
    for (const t of disagree) text.push(`  ${t.file}: ${t.judged!.reason} against Result: ${t.judged!.expected}`);
    text.push('');
  }
  if (json) io.out(JSON.stringify({ tests }, null, 2) + '\n');
  else io.out(text.join('\n') + '\n');
  return tests.some((t) => t.result === 'unsupported') ? 2 : disagree.length > 0 ? 1 : 0;
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
 * An interleaving that produces the witness, if one exists: a topological order of
 * po | rf | co | fr (acyclic exactly when the execution is sequentially consistent). Otherwise
 * the outcome needs weak memory, and no schedule of a sequentially consistent machine reaches it.
 */
function schedule(r: LitmusResult): string {
  const x = r.witness!;
  const c = x.cand;
  const n = c.events.length;
  const fr = c.rf.inv().seq(c.co);
  const order = c.po.union(c.rf, c.co, fr);
  if (!order.acyclic()) {
    // also say whether some SC interleaving reaches the same final state
    const sc = scFinalStates(r.test, r.keys);
    const want = r.keys.map((k) => `${k}=${valueAt(r, k)};`).join(' ');
    return sc.has(want)
      ? `this execution is not sequentially consistent, but an interleaving reaches the same state`
      : `none: no interleaving of a sequentially consistent machine reaches this state; it needs the reorderings the LKMM allows`;
  }
  const seq: number[] = [];
  const placed = new Set<number>();
  while (seq.length < n) {
    for (let i = 0; i < n; i++) {
      if (placed.has(i)) continue;
      let ready = true;
      for (let j = 0; j < n; j++) if (!placed.has(j) && j !== i && order.has(j, i)) ready = false;
      if (ready) {
        placed.add(i);
        seq.push(i);
        break;
      }
    }
  }
  return seq
    .filter((i) => c.events[i]!.thread >= 0)
    .map((i) => `P${c.events[i]!.thread}`)
    .filter((p, k, a) => k === 0 || a[k - 1] !== p)
    .join(' ');
}

function valueAt(r: LitmusResult, k: string): string {
  const x = r.witness!;
  const m = /^([0-9]+):(.+)$/.exec(k);
  return String(m ? x.paths[Number(m[1])]!.regs.get(m[2]!) : x.mem.get(k));
}
