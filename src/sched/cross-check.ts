/**
 * The cross-check: DPOR against brute force and sampling on one program, and on generated
 * sync-dropping mutants of it. What can change a verdict is checked against what cannot be
 * wrong in the same way:
 *
 * - full DFS (every interleaving; where it finishes within its budget),
 * - DFS bounded to `preemptions` preemptions (CHESS; a different pruning than DPOR's),
 * - PCT and random walk (sampling: no pruning at all),
 * - DPOR split into shards (the prefix tree and its sleep sets) and merged.
 *
 * A disagreement is an exhaustive DPOR run saying clean while another search found a violation
 * (its schedule is named), or a sharded DPOR run whose merged verdict differs from the
 * unsharded one. DPOR finding a violation the others miss is no disagreement (they may not
 * reach it) but a violation full DFS says cannot exist is (DPOR only runs real executions).
 *
 * Mutants are made at the op level, by a wrapper around a thread's generator that filters or
 * alters the ops it yields (the model files are not touched): drop a CPU's irq-disable/enable
 * pairs, its RCU read sections, the lock/unlock pairs of one lock, or make its re-reads of a
 * location return the first value read (a re-check forced to pass). The engine knows nothing
 * about the kernel; which programs to check is the caller's (src/run.ts crossCheckScenarios).
 */
import { runExecution, type ExecResult, type Program, type ThreadSpec } from '../core/execution.js';
import type { Op, Path } from '../core/op.js';
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
  | { readonly kind: 'force-recheck'; readonly tid: number };

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
  }
}

/** The thread's ops, filtered or altered as the mutation says. */
function* mutated(inner: Path<unknown>, m: Mutation): Path<unknown> {
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
  const kinds = program.threads.map(() => ({ irq: false, rcu: false, locks: new Set<number>(), loads: new Map<number, number>() }));
  const rec: Strategy = {
    name: 'survey',
    complete: false,
    bounds: [],
    nextExecution: () => true,
    endExecution: () => {},
    choose: (v) => (v.enabled.includes(v.current) ? v.current : v.enabled[0]!),
    onStep: (tid, op) => {
      const k = kinds[tid]!;
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
  const others = [
    search(program, 'dfs', new DfsStrategy(), o.dfsCap ?? 3000, scenario),
    search(program, `dfs --preemptions ${o.preemptions ?? 1}`, new DfsStrategy(o.preemptions ?? 1), o.boundedCap ?? 3000, scenario),
    search(program, 'pct', new PctStrategy(seed), o.samples ?? 200, scenario),
    search(program, 'random', new RandomStrategy(seed), o.samples ?? 200, scenario),
  ];
  const disagreements: string[] = [];
  if (dpor.violation === null) {
    for (const x of others) {
      if (x.violation !== null) disagreements.push(`${label}: DPOR is CLEAN after ${dpor.executions} executions (exhaustive), but ${x.strategy} violates ${x.violation} after ${x.executions}: ${x.schedule}`);
    }
  } else {
    const full = others[0]!;
    if (full.complete && full.violation === null) disagreements.push(`${label}: DPOR violates ${dpor.violation} (${dpor.schedule}), but full DFS (${full.executions} executions) is clean`);
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
}

export function crossCheck<W>(cases: readonly CrossCheckCase<W>[], o: CrossCheckOptions = {}, onCase?: (r: CaseResult) => void): CrossCheckSummary {
  const results: CaseResult[] = [];
  let mutants = 0;
  let mutantsViolating = 0;
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
      if (mr.dpor.violation !== null || mr.others.some((x) => x.violation !== null)) mutantsViolating++;
    }
  }
  return {
    cases: results,
    disagreements: results.flatMap((r) => r.disagreements),
    compared: results.filter((r) => !r.tooBig).length,
    tooBig: results.filter((r) => r.tooBig).length,
    mutants,
    mutantsViolating,
  };
}
