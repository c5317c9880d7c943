/**
 * The trace model every renderer shares: what happened at each step, in kernel terms, plus the
 * verdict and everything needed to replay it.
 */
import { countPreemptions } from './minimize.js';
import type { ExecResult, TraceStep } from '../core/execution.js';
import type { ExploreResult } from '../core/explore.js';
import { awaitCondText, returnedValue, type SharedOp } from '../core/op.js';
import type { BuiltProgram } from '../scenarios/scenario.js';
import { formatSchedule } from '../sched/schedule.js';
import { rmwResult, type Layout } from '../core/machine.js';
import { kernelAssertions } from '../kernel/invariants.js';
import type { Minimized, ScheduleSize, SwitchPoint } from './minimize.js';

export const REPORT_FORMAT = 'racewalk-report';
export const REPORT_VERSION = 1;
export const RACEWALK_VERSION = '0.1.0';

/** What one CPU holds after a step: derived from the trace's own lock/irq/RCU operations. */
export interface CpuState {
  readonly irqs: 'on' | 'off';
  /** rcu_read_lock() nesting depth */
  readonly rcu: number;
  /** spinlocks held, by object name */
  readonly locks: readonly string[];
}

export interface ReportStep {
  readonly step: number;
  readonly cpu: number;
  readonly fn: string;
  readonly stmt: string;
  /** the operation, e.g. `READ_ONCE page[4]._refcount`, `atomic_add_unless(page[4]._refcount, 1, 0)` */
  readonly op: string;
  readonly order: string;
  /** value returned to the path, decoded */
  readonly result: string;
  readonly changes: readonly { readonly what: string; readonly before: string; readonly after: string }[];
  readonly notes: readonly string[];
  // The fields below were added within format version 1; readers must accept reports without them.
  /** the operation's kind (`load`, `store`, `rmw`, `lock`, `world`, ...) */
  readonly kind?: string;
  /** the shared object the operation names (`pt1.pte[0]`, `page[4]._refcount`), or null */
  readonly object?: string | null;
  /** the value read from `object`, decoded, or null */
  readonly read?: string | null;
  /** the value written to `object`, decoded, or null (no write, or an RMW that changed nothing) */
  readonly written?: string | null;
  /**
   * what the C function that made this access returned to its caller, where that is not the raw
   * read (`test_bit()` -> `false`, `atomic_add_unless()` -> `true`), or null
   */
  readonly returned?: string | null;
  /** every CPU's irq state, RCU nesting and locks held after this step (index = CPU) */
  readonly cpus?: readonly CpuState[];
  /** steps of other CPUs that touch an object this step touches, at least one of them writing */
  readonly conflicts?: readonly number[];
}

/** Original (as found by the strategy) vs minimized counterexample size. */
export interface ReportMinimization {
  readonly original: ScheduleSize;
  readonly minimized: ScheduleSize;
  /** candidate executions run while minimizing */
  readonly candidates: number;
  /** where the minimized schedule departs from the non-preemptive default */
  readonly points: readonly SwitchPoint[];
  /** the schedule as the strategy found it */
  readonly originalSchedule: string;
  /** the minimizer's budget ran out before no candidate improved (the result may not be minimal) */
  readonly budgetExhausted?: boolean;
  /** every schedule with fewer preemptions was run: none violates the invariant */
  readonly fewestPreemptions?: boolean;
}

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly version: number;
  readonly racewalk: string;
  readonly scenario: string;
  /** the scenario file that declares the scenario (relative to the working folder when inside it); absent for built-in scenarios */
  readonly scenarioFile?: string;
  readonly description: string;
  readonly kernel: string;
  readonly variants: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly threads: readonly string[];
  readonly verdict: string;
  readonly invariant: string | null;
  readonly message: string | null;
  /** the step after which the violation was detected */
  readonly violationStep: number | null;
  readonly schedule: string | null;
  readonly strategy: string;
  readonly seed: number | null;
  readonly executions: number;
  readonly steps: number;
  readonly exhaustive: boolean;
  readonly bounds: readonly string[];
  readonly trace: readonly ReportStep[];
  // Added within format version 1 (optional for readers):
  /** what the violated invariant states */
  readonly invariantDescription?: string | null;
  /** original vs minimized counterexample; null when there is none or it was not minimized */
  readonly minimization?: ReportMinimization | null;
  /**
   * The violation's minimal schedule has 0 preemptions: every CPU runs until it ends or blocks,
   * so the failure needs no interleaving at all -- most often code of one era under callers of
   * another (an interface mismatch), not a race. Null when there is no violation.
   */
  readonly sequential?: boolean | null;
  /**
   * `--kernel vX.Y`: the release whose code the variants were picked for, and the functions the
   * run reached that have no transcription of it (they ran their v6.6 model).
   */
  readonly kernelProfile?: { readonly release: string; readonly fallback: readonly string[] } | null;
  /**
   * `racewalk ablate` / `explore --ablate`: the synchronization point removed on every CPU for
   * this run (`kind@fn: stmt`, src/sched/ablation.ts); absent for the code as written.
   */
  readonly ablated?: string;
}

export function describeOp(op: SharedOp, layout: Layout): string {
  switch (op.kind) {
    case 'load':
      return `${op.order === 'plain' ? 'load' : op.order === 'acquire' ? 'smp_load_acquire' : 'READ_ONCE'} ${layout.nameOf(op.loc)}`;
    case 'store':
      return `${op.order === 'release' ? 'smp_store_release' : op.order === 'plain' ? 'store' : 'WRITE_ONCE'} ${layout.nameOf(op.loc)} = ${layout.formatValue(op.loc, op.value)}`;
    case 'rmw': {
      const loc = layout.nameOf(op.loc);
      switch (op.rmw) {
        case 'add':
          return `atomic_add(${loc}, ${op.a})`;
        case 'add_unless':
          return `atomic_add_unless(${loc}, ${op.a}, ${op.b})`;
        case 'cmpxchg':
          return `atomic_cmpxchg(${loc}, ${op.a}, ${op.b})`;
        case 'xchg':
          return `xchg(${loc}, ${layout.formatValue(op.loc, op.a)})`;
        case 'or':
          return `set_bit(${layout.formatValue(op.loc, op.a)}, ${loc})`;
        case 'andnot':
          return `clear_bit(${layout.formatValue(op.loc, op.a)}, ${loc})`;
      }
      return loc;
    }
    case 'fence':
      return op.fence;
    case 'lock':
      return `spin_lock(${layout.nameOf(op.loc)})`;
    case 'unlock':
      return `spin_unlock(${layout.nameOf(op.loc)})`;
    case 'irq_disable':
      return 'local_irq_disable';
    case 'irq_enable':
      return 'local_irq_enable';
    case 'rcu_read_lock':
    case 'rcu_read_unlock':
    case 'ipi_send':
    case 'ipi_wait':
    case 'gp_start':
    case 'gp_wait':
      return op.kind;
    case 'world':
      return `${op.name}(${op.args.join(', ')})`;
    case 'await':
      return `smp_cond_load_${op.order === 'acquire' ? 'acquire' : 'relaxed'}(${layout.nameOf(op.loc)}, ${awaitCondText(op.cmp, op.value)})`;
  }
}

function describeResult(op: SharedOp, result: number, layout: Layout): string {
  if (op.kind === 'load' || op.kind === 'rmw' || op.kind === 'await') return layout.formatValue(op.loc, result);
  if (op.kind === 'world' && op.name === 'alloc_pages') return result < 0 ? 'NULL' : `page[${result}]`;
  return '';
}

export function toReportSteps(trace: readonly TraceStep[], layout: Layout, ncpu?: number): ReportStep[] {
  const n = ncpu ?? trace.reduce((m, s) => Math.max(m, s.tid + 1), 0);
  const irqs: ('on' | 'off')[] = Array.from({ length: n }, () => 'on');
  const rcu: number[] = new Array<number>(n).fill(0);
  const locks: string[][] = Array.from({ length: n }, () => []);
  const steps = trace.map((s): ReportStep => {
    const op = s.op;
    const object = 'loc' in op ? layout.nameOf(op.loc) : null;
    let read: string | null = null;
    let written: string | null = null;
    if (op.kind === 'load' || op.kind === 'await') read = layout.formatValue(op.loc, s.result);
    else if (op.kind === 'store') written = layout.formatValue(op.loc, op.value);
    else if (op.kind === 'rmw') {
      read = layout.formatValue(op.loc, s.result);
      const next = rmwResult(op.rmw, s.result, op.a, op.b);
      if (next !== s.result) written = layout.formatValue(op.loc, next);
    }
    // the per-CPU substrate as the machine applies it (machine.ts): only these ops change it
    if (op.kind === 'irq_disable') irqs[s.tid] = 'off';
    else if (op.kind === 'irq_enable') irqs[s.tid] = 'on';
    else if (op.kind === 'rcu_read_lock') rcu[s.tid]!++;
    else if (op.kind === 'rcu_read_unlock') rcu[s.tid] = Math.max(0, rcu[s.tid]! - 1);
    else if (op.kind === 'lock') locks[s.tid]!.push(object!);
    else if (op.kind === 'unlock') locks[s.tid] = locks[s.tid]!.filter((l) => l !== object);
    // the folio lock is a bit (PG_locked, folio_trylock/folio_unlock), not a spinlock: the CPU
    // that sets it holds it until some step clears it
    for (const ch of s.changes) {
      if (!ch.what.endsWith('.flags')) continue;
      const had = ch.before.split('|').includes('locked');
      const has = ch.after.split('|').includes('locked');
      const name = `folio_lock(${ch.what.slice(0, -'.flags'.length)})`;
      if (!had && has) locks[s.tid]!.push(name);
      else if (had && !has) for (let c = 0; c < n; c++) locks[c] = locks[c]!.filter((l) => l !== name);
    }
    return {
      step: s.index,
      cpu: s.tid,
      fn: op.label.fn,
      stmt: op.label.stmt,
      op: describeOp(op, layout),
      order: 'order' in op ? op.order : op.kind === 'fence' ? op.fence : op.kind === 'lock' ? 'acquire' : op.kind === 'unlock' ? 'release' : '-',
      result: describeResult(op, s.result, layout),
      changes: s.changes,
      notes: s.notes,
      kind: op.kind,
      object,
      read,
      written,
      returned: op.kind === 'load' || op.kind === 'rmw' ? returnedValue(op, s.result) : null,
      cpus: irqs.map((q, c) => ({ irqs: q, rcu: rcu[c]!, locks: [...locks[c]!] })),
      conflicts: [],
    };
  });
  const acc = steps.map(accesses);
  return steps.map((s, i) => {
    const conflicts: number[] = [];
    for (let j = 0; j < steps.length; j++) {
      if (j === i || steps[j]!.cpu === s.cpu) continue;
      if (conflict(acc[i]!, acc[j]!)) conflicts.push(steps[j]!.step);
    }
    return { ...s, conflicts };
  });
}

interface Accesses {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

/** Shared objects a step reads and writes; per-CPU state (`cpuN.*`) is nobody else's. */
function accesses(s: ReportStep): Accesses {
  const reads: string[] = [];
  const writes: string[] = [];
  const obj = s.object ?? null;
  if (obj !== null) {
    if (s.kind === 'load' || s.kind === 'await') reads.push(obj);
    else writes.push(obj); // store, RMW (a write access even when it changes nothing), lock, unlock
  }
  for (const ch of s.changes) if (!/^cpu\d+\./.test(ch.what) && !writes.includes(ch.what)) writes.push(ch.what);
  return { reads, writes };
}

/** `page[4]` (the allocator's view of the page) contains `page[4]._refcount`. */
function sameObject(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

function conflict(a: Accesses, b: Accesses): boolean {
  for (const w of a.writes) if (b.reads.some((r) => sameObject(w, r)) || b.writes.some((x) => sameObject(w, x))) return true;
  for (const w of b.writes) if (a.reads.some((r) => sameObject(w, r))) return true;
  return false;
}

export function buildReport(
  program: BuiltProgram,
  explored: Pick<ExploreResult, 'verdict' | 'strategy' | 'executions' | 'steps' | 'exhaustive' | 'bounds'>,
  failing: ExecResult | null,
  seed: number | null,
  minimized: Minimized | null = null,
): Report {
  const layout = program.k.L;
  const v = failing?.violation ?? null;
  const modelErr = failing?.modelError ?? null;
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    racewalk: RACEWALK_VERSION,
    scenario: program.scenario.name,
    ...(program.scenario.file !== undefined ? { scenarioFile: displayPath(program.scenario.file) } : {}),
    ...(program.ablated !== undefined ? { ablated: program.ablated } : {}),
    description: program.scenario.description,
    kernel: program.scenario.kernel,
    variants: program.variants,
    env: { ...program.env },
    threads: program.threads.map((t, i) => `cpu${i}: ${t.name}`),
    verdict: explored.verdict,
    invariant: v?.invariant ?? (modelErr ? 'model-error' : null),
    message: v?.message ?? (modelErr ? String((modelErr.error as Error)?.message ?? modelErr.error) : null),
    violationStep: v?.step ?? modelErr?.step ?? null,
    schedule: failing === null ? null : formatSchedule(program.scenario.name, failing.choices),
    strategy: explored.strategy,
    seed,
    executions: explored.executions,
    steps: explored.steps,
    exhaustive: explored.exhaustive,
    bounds: explored.bounds,
    trace: failing?.trace ? toReportSteps(failing.trace, layout, program.threads.length) : [],
    invariantDescription: v === null ? null : (program.invariants.find((i) => i.name === v.invariant)?.description ?? kernelAssertions.find((a) => a.name === v.invariant)?.description ?? null),
    minimization:
      minimized === null
        ? null
        : {
            original: minimized.original,
            minimized: minimized.minimized,
            candidates: minimized.candidates,
            points: minimized.points,
            originalSchedule: formatSchedule(program.scenario.name, minimized.originalChoices),
            budgetExhausted: minimized.budgetExhausted,
            fewestPreemptions: minimized.fewestPreemptions,
          },
    sequential: v === null || failing === null ? null : (minimized?.minimized.preemptions ?? countPreemptions(program, failing.choices)) === 0,
  };
}

/** A file as reports name it: relative to the working folder when inside it. */
function displayPath(abs: string): string {
  const cwd = process.cwd();
  return abs.startsWith(cwd + '/') ? abs.slice(cwd.length + 1) : abs;
}
