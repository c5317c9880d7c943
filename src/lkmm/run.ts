/**
 * Deciding a litmus test the way herd7 reports it: over the executions the model allows (and
 * the `filter`, if any), how many satisfy the condition's proposition (Positive) and how many
 * do not (Negative); the outcome is Never (none does), Always (all do) or Sometimes; the final
 * states observed; flags raised in any allowed execution (data-race, mixed-accesses); and, when
 * the proposition is reachable, one allowed execution reaching it.
 */
import { parseLitmus, propAtoms, Unsupported, type Litmus, type Prop, type Value, type StateKey } from './parse.js';
import { executions, type Execution } from './enumerate.js';
import { checkLkmm, type Candidate, type Verdict } from './model.js';

export type Outcome = 'Never' | 'Sometimes' | 'Always';

export interface LitmusResult {
  name: string;
  outcome: Outcome;
  positive: number;
  negative: number;
  /** herd's Ok/No: whether the quantified condition holds */
  validated: boolean;
  states: string[];
  flags: string[];
  candidates: number;
  witness?: Execution;
  keys: StateKey[];
  test: Litmus;
}

export type Judge = (c: Candidate) => Verdict;

/** The keys printed in a state: `locations` first, then the condition's, in order of appearance. */
function stateKeys(t: Litmus): StateKey[] {
  const ks: StateKey[] = [...t.locations];
  for (const a of propAtoms(t.cond)) for (const k of [a.what, a.to]) if (k !== undefined && !ks.includes(k)) ks.push(k);
  return ks;
}

export function valueOf(t: Litmus, x: Execution, key: StateKey): Value {
  const m = /^([0-9]+):(.+)$/.exec(key);
  if (m) {
    const tid = Number(m[1]);
    if (tid >= t.threads.length) throw new Unsupported(`the condition names thread ${tid}, which the test does not have`);
    const v = x.paths[tid]!.regs.get(m[2]!);
    if (v === undefined) throw new Unsupported(`the condition names ${key}, which P${tid} does not declare`);
    return v;
  }
  const v = x.mem.get(key);
  if (v === undefined) throw new Unsupported(`the condition names '${key}', which is not a location of the test (or is a spinlock)`);
  return v;
}

function evalProp(t: Litmus, x: Execution, p: Prop): boolean {
  switch (p.k) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evalProp(t, x, p.p);
    case 'and':
      return evalProp(t, x, p.a) && evalProp(t, x, p.b);
    case 'or':
      return evalProp(t, x, p.a) || evalProp(t, x, p.b);
    case 'eq': {
      const v = valueOf(t, x, p.what);
      return (v === (p.to !== undefined ? valueOf(t, x, p.to) : p.v)) !== p.neg;
    }
  }
}

/** The caller asked decide() to stop (a signal): no outcome, only how far it got. */
export class DecideInterrupted extends Error {
  constructor(readonly candidates: number) {
    super(`interrupted after ${candidates} candidate executions`);
  }
}

/** how many candidates between two polls of `shouldStop` */
const POLL_EVERY = 256;

export function decide(t: Litmus, judge: Judge = checkLkmm, shouldStop: () => boolean = () => false): LitmusResult {
  const keys = stateKeys(t);
  let positive = 0;
  let negative = 0;
  let candidates = 0;
  const states = new Set<string>();
  const flags = new Set<string>();
  let witness: Execution | undefined;
  for (const x of executions(t, judge)) {
    candidates++;
    if (candidates % POLL_EVERY === 0 && shouldStop()) throw new DecideInterrupted(candidates);
    if (!x.verdict.consistent) continue;
    if (t.filter && !evalProp(t, x, t.filter)) continue;
    for (const f of x.verdict.flags) flags.add(f);
    states.add(keys.map((k) => `${k}=${valueOf(t, x, k)};`).join(' '));
    if (evalProp(t, x, t.cond)) {
      positive++;
      witness ??= x;
    } else negative++;
  }
  const outcome: Outcome = positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
  const validated = t.quantifier === 'exists' ? positive > 0 : t.quantifier === 'not exists' ? positive === 0 : negative === 0;
  return { name: t.name, outcome, positive, negative, validated, states: [...states].sort(), flags: [...flags].sort(), candidates, witness, keys, test: t };
}

export function decideText(text: string, judge: Judge = checkLkmm): LitmusResult {
  return decide(parseLitmus(text), judge);
}

/** A witness execution as text: each thread's events with the write each read reads from, and co. */
export function describeExecution(r: LitmusResult, x: Execution): string[] {
  const ev = x.cand.events;
  const name = (i: number) => {
    const g = ev[i]!;
    return g.thread < 0 ? `init(${g.ev.loc}=${show(g.ev.val)})` : `P${g.thread}#${localIndex(x, i)}`;
  };
  const lines: string[] = [];
  for (let tid = 0; tid < r.test.threads.length; tid++) {
    lines.push(`  P${tid}:`);
    ev.forEach((g, i) => {
      if (g.thread !== tid) return;
      let s = `    #${localIndex(x, i)} ${kindText(g.ev)}  ${g.ev.text}`;
      if (g.ev.kind === 'R') {
        const from = x.cand.rf.pairs().filter(([, b]) => b === i).map(([a]) => name(a));
        s += `   reads from ${from.join(', ')}`;
      }
      lines.push(s);
    });
  }
  const locs = new Set(ev.filter((g) => g.ev.kind === 'W').map((g) => g.ev.loc!));
  for (const l of locs) {
    const ws = ev.map((g, i) => ({ g, i })).filter(({ g }) => g.ev.kind === 'W' && g.ev.loc === l).map(({ i }) => i);
    if (ws.length < 2) continue;
    ws.sort((a, b) => (x.cand.co.has(a, b) ? -1 : x.cand.co.has(b, a) ? 1 : 0));
    lines.push(`  co(${l}): ${ws.map(name).join(' -> ')}`);
  }
  return lines;
}

function localIndex(x: Execution, i: number): number {
  const t = x.cand.events[i]!.thread;
  let k = 0;
  for (let j = 0; j < i; j++) if (x.cand.events[j]!.thread === t) k++;
  return k;
}

function kindText(e: Execution['cand']['events'][number]['ev']): string {
  if (e.kind === 'F') return e.loc !== undefined ? `F[${e.fence}] ${e.loc}` : `F[${e.fence}]`;
  const what = e.lock ?? e.kind;
  const tag = e.lock ? '' : e.tag ? `[${e.tag}]` : '[plain]';
  const v = e.val !== undefined ? `=${show(e.val)}` : '';
  return `${what}${tag} ${e.loc}${v}`;
}

function show(v: Value | undefined): string {
  return v === undefined ? '?' : String(v);
}
