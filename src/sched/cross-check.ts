/**
 * The cross-check: DPOR against brute force and sampling on one program, and on generated
 * sync-dropping mutants of it. What can change a verdict is checked against what cannot be
 * wrong in the same way:
 *
 * - full DFS (every interleaving; where it finishes within its budget),
 * - DFS bounded to `preemptions` preemptions (CHESS; a different pruning than DPOR's),
 * - PCT and random walk (sampling: no pruning at all),
 * - DPOR without commuting adds (`commute: false`: the reduction of sched/footprint.ts
 *   `commuting` against plain read/write dependence),
 * - DPOR split into shards (the prefix tree and its sleep sets) and merged.
 *
 * A disagreement is an exhaustive DPOR run saying clean while another search found a violation
 * (its schedule is named), or a sharded DPOR run whose merged verdict differs from the
 * unsharded one, or DPOR finding a violation that DPOR without commuting adds, exhaustive,
 * says cannot exist. DPOR finding a violation the others miss is no disagreement (they may not
 * reach it) but a violation full DFS says cannot exist is (DPOR only runs real executions).
 *
 * Mutants are made at the op level, by a wrapper around a thread's generator that filters or
 * alters the ops it yields (the model files are not touched): drop a CPU's irq-disable/enable
 * pairs, its RCU read sections, the lock/unlock pairs of one lock, or make its re-reads of a
 * location return the first value read (a re-check forced to pass).
 *
 * Move-a-store mutants (issue 11) reorder instead of drop: they are the reorderings a missing
 * barrier would allow, and they make DPOR's dependence reasoning (which steps commute) carry the
 * verdict rather than a lock's blocking. A store is named by its thread, its label and its
 * occurrence (the n-th store with that label the thread issues), and only `store` ops move
 * (an RMW's, lock's or unlock's result or blocking is seen by the path, a store's is not):
 *
 * - `delay-store`, k = 1 or 2: the store is held back and issued right after the thread's next
 *   k shared ops (a store sinking past a later load, store, unlock, fence, IPI or grace period).
 *   The rule that keeps it simple: the held store is issued at once, before the op, when the
 *   next op names the store's own location (load, store, RMW, await, lock, unlock), and when the
 *   thread ends; so the thread still reads its own write (store forwarding) and a store never
 *   passes an access to its location. The checks and ghost events the path yields between the
 *   store and its next shared op stay with the store (a ghost reports the step before it), and
 *   those of the k-th op stay with that op: the store is issued just before the (k+1)-th op.
 *   The path gets 0 for the store at once, which is what the machine returns for a store.
 *   Generated where the default run's next k ops do not name the location (else the mutant
 *   would be the original, or the k-1 mutant).
 * - `hoist-store`: a store that in the default run directly follows a load of another location
 *   is issued before that load, with the location and value the default run stored (the store
 *   moved above the check that guards it: a compiler or CPU speculating the branch). At the
 *   load's occurrence the store is issued, then the load; if the path's next shared op is that
 *   same store (label, location, value) it is swallowed (the path gets 0). If the path went the
 *   other way (the check failed, or the value depended on the load), the hoisted store stays
 *   done and the path continues as it chooses: a store hoisted out of a failed check happened.
 *
 * The engine knows nothing about the kernel; which programs to check is the caller's
 * (src/run.ts crossCheckScenarios).
 */
import { runExecution, type ExecResult, type Program, type ThreadSpec } from '../core/execution.js';
import { isLocal, type Label, type Op, type Path, type SharedOp, type StoreOp } from '../core/op.js';
import { explore } from '../core/explore.js';
import { DfsStrategy } from './dfs.js';
import { DporStrategy } from './dpor.js';
import { PctStrategy } from './pct.js';
import { RandomStrategy } from './random.js';
import { createShardStrategy, mergeSummaries, summarize } from './shard.js';
import { findStrategy } from './index.js';
import { formatSchedule } from './schedule.js';
import type { Strategy } from './strategy.js';

export interface CrossCheckOptions {
  /** executions DPOR may take before the case counts as too big (default 3000) */
  readonly dporCap?: number;
  /** executions full DFS may take before it counts as unfinished (default 3000) */
  readonly dfsCap?: number;
  /** preemption bound of the bounded DFS (default 1) */
  readonly preemptions?: number;
  /** executions of the bounded DFS (default 3000) */
  readonly boundedCap?: number;
  /** executions each of PCT and random walk (default 200) */
  readonly samples?: number;
  /** shard counts to split DPOR into and merge (default [2, 3]) */
  readonly shards?: readonly number[];
  readonly seed?: number;
}

export type Mutation =
  | { readonly kind: 'drop-irq'; readonly tid: number }
  | { readonly kind: 'drop-rcu'; readonly tid: number }
  | { readonly kind: 'drop-lock'; readonly tid: number; readonly loc: number }
  | { readonly kind: 'force-recheck'; readonly tid: number }
  | { readonly kind: 'delay-store'; readonly tid: number; readonly store: StoreRef; readonly k: 1 | 2; readonly past: readonly Label[] }
  | { readonly kind: 'hoist-store'; readonly tid: number; readonly store: StoreRef; readonly load: LoadRef };

/** The n-th (1-based) store with this label a thread issues, as the default run issued it. */
export interface StoreRef {
  readonly label: Label;
  readonly n: number;
  readonly loc: number;
  readonly value: number;
  readonly order: StoreOp['order'];
}

/** The n-th (1-based) load with this label a thread issues, and its location. */
export interface LoadRef {
  readonly label: Label;
  readonly n: number;
  readonly loc: number;
}

/** The mutation kinds, in the order mutationsOf lists them. */
export const MUTATION_KINDS = ['drop-irq', 'drop-rcu', 'drop-lock', 'force-recheck', 'delay-store', 'hoist-store'] as const satisfies readonly Mutation['kind'][];

const where = (l: Label) => `${l.fn}: ${l.stmt}`;
const nth = (n: number) => (n === 1 ? '' : ` (#${n})`);

export function describeMutation(m: Mutation, nameOf: (loc: number) => string = String): string {
  switch (m.kind) {
    case 'drop-irq':
      return `cpu${m.tid} without its local_irq_disable/enable`;
    case 'drop-rcu':
      return `cpu${m.tid} without its rcu_read_lock/unlock`;
    case 'drop-lock':
      return `cpu${m.tid} without spin_lock/unlock of ${nameOf(m.loc)}`;
    case 'force-recheck':
      return `cpu${m.tid} with every re-read returning the first value read (re-checks pass)`;
    case 'delay-store':
      return `cpu${m.tid} store ${nameOf(m.store.loc)}=${m.store.value} at ${where(m.store.label)}${nth(m.store.n)} delayed past the next ${m.k} op${m.k > 1 ? 's' : ''} (${m.past.map(where).join('; ')})`;
    case 'hoist-store':
      return `cpu${m.tid} store ${nameOf(m.store.loc)}=${m.store.value} at ${where(m.store.label)}${nth(m.store.n)} hoisted before the load of ${nameOf(m.load.loc)} at ${where(m.load.label)}${nth(m.load.n)}`;
  }
}

const sameLabel = (a: Label, b: Label) => a.fn === b.fn && a.stmt === b.stmt;

/** The location an op reads or writes, if it names one. */
function locOf(op: SharedOp): number | null {
  switch (op.kind) {
    case 'load':
    case 'store':
    case 'rmw':
    case 'await':
    case 'lock':
    case 'unlock':
      return op.loc;
    default:
      return null;
  }
}

/** delay-store: hold the named store back past the thread's next k shared ops (rule in the header). */
function* delayed(inner: Path<unknown>, m: Extract<Mutation, { kind: 'delay-store' }>): Path<unknown> {
  let seen = 0;
  let held: { op: StoreOp; locals: Op[] } | null = null;
  let collecting = false;
  let left = 0;
  let v = 0;
  function* flush(): Generator<Op, void, number> {
    const h = held!;
    held = null;
    yield h.op;
    for (const l of h.locals) yield l;
  }
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) {
      if (held !== null) yield* flush();
      return r.value;
    }
    const op: Op = r.value;
    if (isLocal(op)) {
      if (collecting) {
        held!.locals.push(op);
        v = 0;
      } else v = yield op;
      continue;
    }
    collecting = false;
    if (held !== null && (left === 0 || locOf(op) === held.op.loc)) yield* flush();
    if (op.kind === 'store' && sameLabel(op.label, m.store.label) && ++seen === m.store.n) {
      held = { op, locals: [] };
      collecting = true;
      left = m.k;
      v = 0;
      continue;
    }
    v = yield op;
    // after the k-th op: its own checks and ghost events first, the store before the next shared op
    if (held !== null) left--;
  }
}

/** hoist-store: issue the named store before the named load (rule in the header). */
function* hoisted(inner: Path<unknown>, m: Extract<Mutation, { kind: 'hoist-store' }>): Path<unknown> {
  let seen = 0;
  let pending = false;
  let v = 0;
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) return r.value;
    const op: Op = r.value;
    if (isLocal(op)) {
      v = yield op;
      continue;
    }
    if (pending) {
      pending = false;
      if (op.kind === 'store' && sameLabel(op.label, m.store.label) && op.loc === m.store.loc && op.value === m.store.value) {
        v = 0;
        continue;
      }
    }
    if (op.kind === 'load' && sameLabel(op.label, m.load.label) && ++seen === m.load.n && op.loc === m.load.loc) {
      yield { kind: 'store', loc: m.store.loc, value: m.store.value, order: m.store.order, label: m.store.label };
      pending = true;
    }
    v = yield op;
  }
}

/** The thread's ops, filtered or altered as the mutation says. */
function* mutated(inner: Path<unknown>, m: Mutation): Path<unknown> {
  if (m.kind === 'delay-store') return yield* delayed(inner, m);
  if (m.kind === 'hoist-store') return yield* hoisted(inner, m);
  const first = new Map<number, number>();
  let v = 0;
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) return r.value;
    const op: Op = r.value;
    if (m.kind === 'drop-irq' && (op.kind === 'irq_disable' || op.kind === 'irq_enable')) {
      v = 0;
      continue;
    }
    if (m.kind === 'drop-rcu' && (op.kind === 'rcu_read_lock' || op.kind === 'rcu_read_unlock')) {
      v = 0;
      continue;
    }
    if (m.kind === 'drop-lock' && (op.kind === 'lock' || op.kind === 'unlock') && op.loc === m.loc) {
      v = 0;
      continue;
    }
    const got = yield op;
    if (m.kind === 'force-recheck' && op.kind === 'load') {
      const f = first.get(op.loc);
      if (f === undefined) first.set(op.loc, got);
      v = f ?? got;
    } else v = got;
  }
}

export function mutate<W>(program: Program<W>, m: Mutation): Program<W> {
  const threads: ThreadSpec[] = program.threads.map((t, tid) => (tid !== m.tid ? t : { name: t.name, start: () => mutated(t.start(), m) }));
  return { ...program, threads };
}

/**
 * The mutations that apply to a program: per CPU, each kind of synchronization its ops in the
 * default (non-preemptive) execution use.
 */
export function mutationsOf<W>(program: Program<W>): Mutation[] {
  const kinds = program.threads.map(() => ({ irq: false, rcu: false, locks: new Set<number>(), loads: new Map<number, number>(), ops: [] as SharedOp[] }));
  const rec: Strategy = {
    name: 'survey',
    complete: false,
    bounds: [],
    nextExecution: () => true,
    endExecution: () => {},
    choose: (v) => (v.enabled.includes(v.current) ? v.current : v.enabled[0]!),
    onStep: (tid, op) => {
      const k = kinds[tid]!;
      k.ops.push(op);
      if (op.kind === 'irq_disable') k.irq = true;
      else if (op.kind === 'rcu_read_lock') k.rcu = true;
      else if (op.kind === 'lock') k.locks.add(op.loc);
      else if (op.kind === 'load') k.loads.set(op.loc, (k.loads.get(op.loc) ?? 0) + 1);
    },
  };
  runExecution(program, rec);
  const out: Mutation[] = [];
  kinds.forEach((k, tid) => {
    if (k.irq) out.push({ kind: 'drop-irq', tid });
    if (k.rcu) out.push({ kind: 'drop-rcu', tid });
    for (const loc of [...k.locks].sort((a, b) => a - b)) out.push({ kind: 'drop-lock', tid, loc });
    if ([...k.loads.values()].some((n) => n > 1)) out.push({ kind: 'force-recheck', tid });
  });
  kinds.forEach((k, tid) => out.push(...movedStoresOf(tid, k.ops)));
  return out;
}

/** The delay-store (k = 1, 2) and hoist-store mutations of one thread's default-run ops. */
function movedStoresOf(tid: number, ops: readonly SharedOp[]): Mutation[] {
  const out: Mutation[] = [];
  const count = new Map<string, number>();
  const occurrence = (op: SharedOp & { label: Label }) => {
    const key = `${op.kind}\u0000${op.label.fn}\u0000${op.label.stmt}`;
    const n = (count.get(key) ?? 0) + 1;
    count.set(key, n);
    return n;
  };
  const loadN: number[] = [];
  ops.forEach((op, i) => {
    loadN[i] = op.kind === 'load' ? occurrence(op) : 0;
    if (op.kind !== 'store') return;
    const store: StoreRef = { label: op.label, n: occurrence(op), loc: op.loc, value: op.value, order: op.order };
    for (const k of [1, 2] as const) {
      const past = ops.slice(i + 1, i + 1 + k);
      if (past.length < k || past.some((p) => locOf(p) === op.loc)) break;
      out.push({ kind: 'delay-store', tid, store, k, past: past.map((p) => p.label) });
    }
    const before = ops[i - 1];
    if (before?.kind === 'load' && before.loc !== op.loc) out.push({ kind: 'hoist-store', tid, store, load: { label: before.label, n: loadN[i - 1]!, loc: before.loc } });
  });
  return out;
}

export interface SearchOutcome {
  readonly strategy: string;
  readonly executions: number;
  readonly complete: boolean;
  readonly violation: string | null;
  /** the schedule of the first violating execution */
  readonly schedule: string | null;
}

export interface CaseResult {
  readonly label: string;
  readonly dpor: SearchOutcome;
  readonly others: readonly SearchOutcome[];
  /** per shard count: the merged verdict and the executions of all shards together */
  readonly shards: readonly { readonly n: number; readonly verdict: string; readonly executions: number; readonly exhaustive: boolean }[];
  readonly disagreements: readonly string[];
  /** DPOR did not finish within its budget: nothing was compared */
  readonly tooBig: boolean;
}

function search<W>(program: Program<W>, name: string, s: Strategy, cap: number, scenario: string): SearchOutcome {
  let executions = 0;
  while (executions < cap && s.nextExecution()) {
    const r: ExecResult = runExecution(program, s);
    s.endExecution(r);
    executions++;
    const what = r.violation?.invariant ?? (r.modelError !== null ? `model-error: ${String(r.modelError.error)}` : null);
    if (what !== null) return { strategy: name, executions, complete: false, violation: what, schedule: formatSchedule(scenario, r.choices) };
  }
  return { strategy: name, executions, complete: s.complete, violation: null, schedule: null };
}

/** Cross-check one program (a scenario configuration or a mutant of one). */
export function crossCheckProgram<W>(program: Program<W>, label: string, scenario: string, o: CrossCheckOptions = {}): CaseResult {
  const dporCap = o.dporCap ?? 3000;
  const dpor = search(program, 'dpor', new DporStrategy(), dporCap, scenario);
  if (dpor.violation === null && !dpor.complete) return { label, dpor, others: [], shards: [], disagreements: [], tooBig: true };
  const seed = o.seed ?? 1;
  // the commuting-adds reduction (sched/footprint.ts `commuting`) against DPOR without it
  const strict = search(program, 'dpor --no-commuting-adds', new DporStrategy({ commute: false }), dporCap, scenario);
  const others = [
    search(program, 'dfs', new DfsStrategy(), o.dfsCap ?? 3000, scenario),
    search(program, `dfs --preemptions ${o.preemptions ?? 1}`, new DfsStrategy(o.preemptions ?? 1), o.boundedCap ?? 3000, scenario),
    search(program, 'pct', new PctStrategy(seed), o.samples ?? 200, scenario),
    search(program, 'random', new RandomStrategy(seed), o.samples ?? 200, scenario),
    strict,
  ];
  const disagreements: string[] = [];
  if (dpor.violation === null) {
    for (const x of others) {
      if (x.violation !== null) disagreements.push(`${label}: DPOR is CLEAN after ${dpor.executions} executions (exhaustive), but ${x.strategy} violates ${x.violation} after ${x.executions}: ${x.schedule}`);
    }
  } else {
    const full = others[0]!;
    if (full.complete && full.violation === null) disagreements.push(`${label}: DPOR violates ${dpor.violation} (${dpor.schedule}), but full DFS (${full.executions} executions) is clean`);
    if (strict.complete && strict.violation === null) disagreements.push(`${label}: DPOR violates ${dpor.violation} (${dpor.schedule}), but DPOR without commuting adds (${strict.executions} executions, exhaustive) is clean`);
  }
  const shards = (o.shards ?? [2, 3]).map((n) => {
    const def = findStrategy('dpor');
    const parts = Array.from({ length: n }, (_, i) =>
      summarize(explore(program, createShardStrategy(program, def, { seed, preemptions: Infinity }, { index: i + 1, count: n }), { maxExecutions: dporCap * 4 })),
    );
    const m = mergeSummaries(parts, n);
    const unsharded = dpor.violation !== null ? 'violation' : 'clean';
    if (m.verdict !== unsharded && (m.exhaustive || m.verdict === 'violation')) {
      disagreements.push(`${label}: DPOR unsharded is ${unsharded}${dpor.schedule ? ` (${dpor.schedule})` : ''}, merged over ${n} shards ${m.verdict}${m.failingChoices ? ` (${formatSchedule(scenario, m.failingChoices)})` : ''}`);
    }
    if (unsharded === 'violation' && m.verdict !== 'violation') {
      disagreements.push(`${label}: DPOR unsharded finds ${dpor.violation} (${dpor.schedule}), merged over ${n} shards: ${m.verdict} after ${m.executions} executions`);
    }
    return { n, verdict: m.verdict, executions: m.executions, exhaustive: m.exhaustive };
  });
  return { label, dpor, others, shards, disagreements, tooBig: false };
}

export interface CrossCheckCase<W> {
  readonly label: string;
  /** the name the schedule strings carry */
  readonly scenario: string;
  readonly program: Program<W>;
  /** also check the generated sync-dropping mutants of this program */
  readonly mutants?: boolean;
  /** for mutant labels: a location's name */
  readonly nameOf?: (loc: number) => string;
}

export interface CrossCheckSummary {
  readonly cases: readonly CaseResult[];
  readonly disagreements: readonly string[];
  readonly compared: number;
  readonly tooBig: number;
  readonly mutants: number;
  /** mutants in which some search found a violation (the mutation mattered) */
  readonly mutantsViolating: number;
  /** per mutation kind: mutants generated, compared (not too big for DPOR) and violating */
  readonly byKind: Readonly<Record<Mutation['kind'], KindCounts>>;
}

export interface KindCounts {
  readonly generated: number;
  readonly compared: number;
  readonly violating: number;
}

export function crossCheck<W>(cases: readonly CrossCheckCase<W>[], o: CrossCheckOptions = {}, onCase?: (r: CaseResult) => void): CrossCheckSummary {
  const results: CaseResult[] = [];
  let mutants = 0;
  let mutantsViolating = 0;
  const byKind = Object.fromEntries(MUTATION_KINDS.map((k) => [k, { generated: 0, compared: 0, violating: 0 }])) as Record<Mutation['kind'], { generated: number; compared: number; violating: number }>;
  for (const c of cases) {
    const r = crossCheckProgram(c.program, c.label, c.scenario, o);
    results.push(r);
    onCase?.(r);
    if (c.mutants !== true) continue;
    for (const m of mutationsOf(c.program)) {
      const mr = crossCheckProgram(mutate(c.program, m), `${c.label} [mutant: ${describeMutation(m, c.nameOf)}]`, c.scenario, o);
      results.push(mr);
      onCase?.(mr);
      mutants++;
      const k = byKind[m.kind];
      k.generated++;
      if (!mr.tooBig) k.compared++;
      if (mr.dpor.violation !== null || mr.others.some((x) => x.violation !== null)) {
        mutantsViolating++;
        k.violating++;
      }
    }
  }
  return {
    cases: results,
    disagreements: results.flatMap((r) => r.disagreements),
    compared: results.filter((r) => !r.tooBig).length,
    tooBig: results.filter((r) => r.tooBig).length,
    mutants,
    mutantsViolating,
    byKind,
  };
}
