/**
 * Determinism check: exploring by re-execution (and replaying a counterexample) is only sound if
 * a path's operations depend on nothing but the values its earlier operations returned. A model
 * that reads the clock, calls Math.random, or keeps state across executions (a module-level
 * variable a path mutates) breaks that silently: the "counterexample" would not replay, and
 * whole subtrees would be explored under a schedule that never happened.
 *
 * `DeterminismGuard` wraps the strategy, records each execution's operations (one array push per
 * step), and re-runs the same schedule — the counterexample (several times), executions 1, 2, 4,
 * ..., and every `every`-th — comparing operation by operation before each step is taken. The first step that differs is
 * reported as a model error (`NondeterminismError`), with both versions of that step.
 */
import { runExecution, type Chooser, type ExecResult, type Program, type SchedView } from './execution.js';
import type { ExploreResult } from './explore.js';
import { ModelError, type Layout } from './machine.js';
import type { SharedOp } from './op.js';
import type { Strategy } from '../sched/strategy.js';

/** Replay every this many executions by default (about 0.1% extra work), besides 1, 2, 4, ... */
export const DEFAULT_DETERMINISM_EVERY = 1000;
/** Replays of a counterexample before it is reported. */
export const COUNTEREXAMPLE_REPLAYS = 8;

/** The model ran differently under the same schedule: it is not a function of its inputs. */
export class NondeterminismError extends ModelError {
  constructor(
    message: string,
    /** the first step that differed */
    readonly step: number,
  ) {
    super(message);
    // still a ModelError (exit 3, a model error verdict) but named for what it is
    Object.defineProperty(this, 'name', { value: 'NondeterminismError' });
  }
}

export interface Nondeterminism {
  /** the execution to report: the replay's trace up to and including the differing step */
  readonly exec: ExecResult;
  readonly error: NondeterminismError;
  /** the execution number (1-based) whose schedule did not replay */
  readonly at: number;
}

/** Plain-data identity of an op: same kind, location, values, label. */
export function opKey(op: SharedOp): string {
  return JSON.stringify(op);
}

function describe(op: SharedOp, layout: Layout): string {
  const where = 'loc' in op ? ` ${layout.nameOf(op.loc)}` : op.kind === 'world' ? ` ${op.name}(${op.args.join(', ')})` : '';
  const value = op.kind === 'store' ? ` = ${layout.formatValue(op.loc, op.value)}` : '';
  return `${op.label.fn}: ${op.label.stmt} [${op.kind}${where}${value}]`;
}

interface Recorded {
  readonly tids: readonly number[];
  readonly ops: readonly SharedOp[];
  readonly result: ExecResult;
}

/**
 * Replays `ref`'s schedule and checks, before every step, that the same CPU is runnable and about
 * to do the same operation. After the first difference it keeps running non-preemptively (so the
 * execution ends normally and its trace is recorded).
 */
class CompareChooser implements Chooser {
  i = 0;
  diff: { step: number; what: string; tid: number } | null = null;
  constructor(
    private readonly ref: Recorded,
    private readonly layout: Layout,
  ) {}
  choose(view: SchedView): number {
    const fallback = view.enabled.includes(view.current) ? view.current : view.enabled[0]!;
    if (this.diff !== null) return fallback;
    const i = this.i++;
    const refErr = this.ref.result.modelError;
    if (i === this.ref.tids.length && refErr !== null && refErr.step === i && view.enabled.includes(refErr.tid)) {
      // the first run chose this CPU here and the machine refused its op (no choice was recorded)
      return refErr.tid;
    }
    if (i >= this.ref.tids.length) {
      const op = view.nextOp(fallback)!;
      this.diff = {
        step: i,
        tid: fallback,
        what: `the first run ended after ${plural(this.ref.tids.length, 'step')} (${outcome(this.ref.result)}), the replay goes on: cpu${fallback} ${describe(op, this.layout)}`,
      };
      return fallback;
    }
    const tid = this.ref.tids[i]!;
    const want = this.ref.ops[i]!;
    if (!view.enabled.includes(tid)) {
      const next = view.nextOp(tid);
      this.diff = {
        step: i,
        tid,
        what: `the first run had cpu${tid} ${describe(want, this.layout)}; in the replay cpu${tid} ${next === null ? 'has finished' : `is blocked before ${describe(next, this.layout)}`}`,
      };
      return fallback;
    }
    const got = view.nextOp(tid)!;
    if (opKey(got) !== opKey(want)) {
      this.diff = { step: i, tid, what: `the first run had cpu${tid} ${describe(want, this.layout)}; the replay has cpu${tid} ${describe(got, this.layout)}` };
      return tid;
    }
    return tid;
  }
}

function outcome(r: ExecResult): string {
  if (r.violation !== null) return `${r.violation.invariant} after step ${r.violation.step}`;
  if (r.modelError !== null) return `model error at step ${r.modelError.step}`;
  return 'no violation';
}

/**
 * Re-run `ref`'s schedule and compare. Returns null when the replay does exactly what the first
 * run did (same CPU, same operation at every step, same outcome).
 */
export function compareReplay<W>(program: Program<W>, ref: Recorded, scheduleText: string): Nondeterminism | null {
  const layout = program.newMachine().layout;
  const cmp = new CompareChooser(ref, layout);
  const r = runExecution(program, cmp, true);
  let diff = cmp.diff;
  if (diff === null && r.steps < ref.tids.length) {
    const want = ref.ops[r.steps]!;
    diff = { step: r.steps, tid: ref.tids[r.steps]!, what: `the replay ended after ${plural(r.steps, 'step')} (${outcome(r)}), the first run went on: cpu${ref.tids[r.steps]} ${describe(want, layout)}` };
  }
  if (diff === null && outcome(r) !== outcome(ref.result)) {
    const step = r.violation?.step ?? r.modelError?.step ?? ref.result.violation?.step ?? ref.result.modelError?.step ?? r.steps - 1;
    diff = { step, tid: r.trace?.[step]?.tid ?? 0, what: `every operation was the same, but the first run ended with ${outcome(ref.result)} and the replay with ${outcome(r)} (a check or invariant input differs)` };
  }
  if (diff === null) return null;
  const error = new NondeterminismError(
    `nondeterministic model: the same schedule ran differently the second time; first difference at step ${diff.step}: ${diff.what}. ` +
      `A path must depend only on the values its operations return (no Math.random, no clock, no state kept across executions such as a module-level variable). Schedule: ${scheduleText}`,
    diff.step,
  );
  const trace = r.trace === null ? null : r.trace.slice(0, diff.step + 1);
  return {
    error,
    at: 0,
    exec: {
      ...r,
      violation: null,
      modelError: { tid: diff.tid, step: diff.step, error },
      choices: ref.tids,
      trace,
    },
  };
}

/**
 * A strategy wrapper that records every execution's operations and checks determinism: every
 * `every` executions (0: never) and, through `verify`, on the counterexample.
 */
export class DeterminismGuard<W> implements Strategy {
  private tids: number[] = [];
  private ops: SharedOp[] = [];
  private executions = 0;
  private last: ExecResult | null = null;
  /** replays compared so far */
  checks = 0;
  mismatch: Nondeterminism | null = null;

  constructor(
    readonly inner: Strategy,
    private readonly program: Program<W>,
    private readonly every: number,
    private readonly formatSchedule: (choices: readonly number[]) => string,
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get complete(): boolean {
    return this.mismatch === null && this.inner.complete;
  }
  get bounds(): readonly string[] {
    return this.inner.bounds;
  }
  get sleepBlocked(): number | undefined {
    return this.inner.sleepBlocked;
  }
  get wantsWrites(): boolean | undefined {
    return (this.inner as Chooser).wantsWrites;
  }
  get segments() {
    return this.inner.segments;
  }

  nextExecution(): boolean {
    if (this.mismatch !== null) return false;
    this.tids = [];
    this.ops = [];
    return this.inner.nextExecution();
  }
  choose(view: SchedView): number {
    return this.inner.choose(view);
  }
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.tids.push(tid);
    this.ops.push(op);
    this.inner.onStep?.(tid, op, view);
  }
  endExecution(r: ExecResult): void {
    this.inner.endExecution(r);
    this.executions++;
    this.last = r;
    const aborted = (r as { aborted?: boolean }).aborted === true;
    // executions 1, 2, 4, ... (a short search is checked too), then every `every`-th
    const n = this.executions;
    const due = this.every > 0 && (n % this.every === 0 || (n & (n - 1)) === 0);
    if (due && !aborted && r.violation === null && r.modelError === null) {
      this.compareLast();
    }
  }

  private compareLast(): Nondeterminism | null {
    const r = this.last!;
    this.checks++;
    const m = compareReplay(this.program, { tids: this.tids, ops: this.ops, result: r }, this.formatSchedule(this.tids));
    if (m !== null) this.mismatch = { ...m, at: this.executions };
    return this.mismatch;
  }

  /**
   * The exploration result, checked: if a periodic replay differed, or the counterexample does
   * not replay identically, the verdict becomes `model-error` with the first differing step.
   */
  verify(explored: ExploreResult): ExploreResult {
    // the counterexample is what users act on: re-run it several times, so that a coin-flip
    // model (Math.random, the clock) is caught with probability 1 - 2^-COUNTEREXAMPLE_REPLAYS
    if (explored.failing !== null && this.last === explored.failing) {
      for (let i = 0; i < COUNTEREXAMPLE_REPLAYS && this.mismatch === null; i++) this.compareLast();
    }
    const m = this.mismatch;
    if (m === null) return explored;
    return {
      ...explored,
      verdict: 'model-error',
      exhaustive: false,
      bounds: [...this.inner.bounds, `stopped at execution ${m.at}: its schedule did not replay identically`],
      failing: m.exec,
      foundAt: m.at,
    };
  }
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
