import type { Change, Machine } from './machine.js';
import { ALL_MEMORY, ModelError, resourceId } from './machine.js';
import type { Checker, Invariant, StepInfo } from './invariant.js';
import type { GhostEvent, Label, Op, Path, RmwOp, SharedOp } from './op.js';

/** One thread of a program: a name for traces and the path it runs (thread i runs on CPU i). */
export interface ThreadSpec {
  readonly name: string;
  start(): Path<unknown>;
}

/** Everything needed to run executions from scratch, deterministically. */
export interface Program<W = unknown> {
  readonly threads: readonly ThreadSpec[];
  newMachine(): Machine<W>;
  readonly invariants: readonly Invariant<W>[];
  /** per-execution step bound: a model that runs longer is reported as runaway */
  readonly maxSteps: number;
  /**
   * Per execution and thread, a monitor of the thread's ghost events, called as each is emitted
   * and when the thread ends; it throws (a model error) on an event the model does not allow.
   * The engine knows nothing of what the events mean (the kernel's: src/kernel/ghosts.ts).
   */
  readonly ghostMonitor?: (tid: number) => GhostMonitor;
  /**
   * What a failed `check` op does: 'fail' (default) ends the execution as a violation; 'pass'
   * lets the thread go on, as the kernel does with CONFIG_DEBUG_VM=n (VM_BUG_ON compiled away,
   * WARN_ON reports and returns). Sizing which functions a scenario reaches runs this way: an
   * execution that ended at a check would hide the code the other CPUs run after it.
   */
  readonly failedChecks?: 'fail' | 'pass';
}

export interface GhostMonitor {
  event(ev: GhostEvent, label: Label): void;
  end(): void;
}

/** What a strategy sees when it chooses: the runnable threads and each one's next operation. */
export interface SchedView {
  /** runnable threads, ascending */
  readonly enabled: readonly number[];
  /** the thread that ran the previous step, or -1 */
  readonly current: number;
  /** the next operation of any unfinished thread (enabled or not) */
  nextOp(tid: number): SharedOp | null;
  readonly stepIndex: number;
  readonly threadCount: number;
  /**
   * memory locations and named resources the last step wrote, including writes by the invariant
   * checks and ghost deliveries that ran with it (only for choosers with `wantsWrites`)
   */
  readonly lastWrites: readonly number[];
  /**
   * what the last step's world handler, invariant checks and ghost deliveries read (memory
   * locations and named resources; only for choosers with `wantsWrites`). The op's own access
   * is not repeated here (footprint.ts adds it).
   */
  readonly lastReads: readonly number[];
  /**
   * Whether the last step was a blind add that changed its location (RmwOp.blind), and whether
   * DPOR may commute it with another CPU's (sched/footprint.ts `commuting`), only for choosers
   * with `wantsWrites`: ADD_COMMUTES when no invariant check of the step looked at which CPU ran
   * it (`tid`) or at its label and no ghost delivery with it read the location, ADD_FIXED when
   * one did, NOT_BLIND for any other step.
   */
  readonly lastAdd: number;
  /** what the last step handed its path (for a blind RMW the C result, not the value read) */
  readonly lastResult: number;
}

/** SchedView.lastAdd */
export const NOT_BLIND = -1;
export const ADD_FIXED = 0;
export const ADD_COMMUTES = 1;

/**
 * The StepInfo invariants see, reused across steps. For a blind add DPOR may commute
 * (RmwOp.blind) it records whether a check looked at `tid` or the op's label (the op is then a
 * view without the label, whose label getter records the look): two like adds (same location,
 * operands and result) of two CPUs look the same in all else at one point of the execution
 * (location, operands, value before, result, index).
 */
class StepCell implements StepInfo {
  private cpu = 0;
  private real: SharedOp = null as unknown as SharedOp;
  private view: SharedOp | null = null;
  private was = 0;
  result = 0;
  index = 0;
  /** a check read `tid` or the label since `set` */
  identity = false;
  private readonly anon = new AnonRmw(this);
  get tid(): number {
    this.identity = true;
    return this.cpu;
  }
  get op(): SharedOp {
    return this.view ?? this.real;
  }
  get before(): number {
    return this.was;
  }
  /** the real op, for the label getter of the anonymous view */
  get realOp(): SharedOp {
    return this.real;
  }
  set(tid: number, op: SharedOp, before: number, result: number, index: number, anonymous: boolean): void {
    this.cpu = tid;
    this.real = op;
    this.was = before;
    this.result = result;
    this.index = index;
    this.identity = false;
    this.view = anonymous ? this.anon.of(op as RmwOp) : null;
  }
}

/** An RMW op as a check of a commutable step sees it: every field but the label is the op's own. */
class AnonRmw implements RmwOp {
  readonly kind = 'rmw' as const;
  loc = 0;
  rmw: RmwOp['rmw'] = 'add';
  a = 0;
  b = 0;
  order: RmwOp['order'] = 'relaxed';
  returns: RmwOp['returns'] = undefined;
  blind = true;
  constructor(private readonly cell: StepCell) {}
  of(op: RmwOp): this {
    this.loc = op.loc;
    this.rmw = op.rmw;
    this.a = op.a;
    this.b = op.b;
    this.order = op.order;
    this.returns = op.returns;
    return this;
  }
  get label(): Label {
    this.cell.identity = true;
    return this.cell.realOp.label;
  }
}

export interface Chooser {
  /** Pick the next thread; -1 abandons the execution (a sleep-set-blocked DPOR execution). */
  choose(view: SchedView): number;
  /** ask the machine to report what each step reads and writes (`SchedView.lastWrites`, `lastReads`) */
  readonly wantsWrites?: boolean;
  /** after each executed step, its checks and the ghost events delivered with it (DPOR tracks races here) */
  onStep?(tid: number, op: SharedOp, view: SchedView): void;
}

export interface Violation {
  /** invariant name; `no-deadlock` and `max-steps` are the explorer's own */
  readonly invariant: string;
  readonly message: string;
  /** index of the step after which it was detected (-1: before any step) */
  readonly step: number;
}

export interface TraceStep {
  readonly index: number;
  readonly tid: number;
  readonly op: SharedOp;
  /** the value the step read (for an RMW the old value, also when the path got only the C result) */
  readonly result: number;
  readonly changes: readonly Change[];
  /** ghost events and checks processed with this step */
  readonly notes: readonly string[];
}

export interface ExecResult {
  readonly violation: Violation | null;
  /** an exception thrown by a path: the model is wrong, not the kernel */
  readonly modelError: { readonly tid: number; readonly step: number; readonly error: unknown } | null;
  /** thread chosen at each step */
  readonly choices: readonly number[];
  readonly steps: number;
  readonly trace: readonly TraceStep[] | null;
  readonly threadResults: readonly unknown[];
  /** the chooser abandoned this execution (sleep-set blocked), or it was interrupted: not checked at the end */
  readonly aborted: boolean;
  /** `shouldStop` said stop in the middle of this execution (Ctrl-C during a long execution) */
  readonly interrupted?: boolean;
}

export interface RunOptions {
  /**
   * Polled every STOP_POLL_STEPS steps: true ends the execution at once as interrupted (an
   * execution can run for millions of steps; a stop request must not wait for its end).
   */
  readonly shouldStop?: () => boolean;
}

/**
 * Empty a small array in place. `a.length = 0` on a non-empty array is a runtime call in V8
 * (4 % of a DPOR run's time, profiled); popping its few elements is inlined.
 */
export function clearArray(a: unknown[]): void {
  for (let i = a.length; i > 0; i--) a.pop();
}

/** steps between polls of RunOptions.shouldStop (a poll costs a call; a step ~ a microsecond) */
export const STOP_POLL_STEPS = 4096;

/**
 * Steps of a recorded execution whose trace is kept: a runaway counterexample (millions of
 * steps at a high --max-steps) is recorded up to here; the report says where it stopped.
 */
export const RECORDED_STEPS = 20_000;

interface ThreadState {
  gen: Path<unknown>;
  next: SharedOp | null;
  done: boolean;
  result: unknown;
}

export const NO_DEADLOCK = 'no-deadlock';
export const MAX_STEPS = 'max-steps';

/** Run one execution of `program`, letting `chooser` pick the thread at every step. */
export function runExecution<W>(program: Program<W>, chooser: Chooser, record = false, run: RunOptions = {}): ExecResult {
  const shouldStop = run.shouldStop;
  const checksFail = program.failedChecks !== 'pass';
  let interrupted = false;
  const m = program.newMachine();
  const n = program.threads.length;
  const threads: ThreadState[] = [];
  const checkers: Checker[] = program.invariants.map((inv) => inv.start(m));
  const monitors = program.ghostMonitor === undefined ? null : program.threads.map((_, tid) => program.ghostMonitor!(tid));
  const stepTable = stepDispatch(program, checkers);
  const ghostCheckers = checkers.filter((c) => c.ghost !== undefined);
  // invariants that keep untracked state: each call reads and writes the invariant's own resource
  const coarse = coarseResources(program);
  const ghostCoarse = ghostCheckers.map((c) => coarse[checkers.indexOf(c)]!);
  const choices: number[] = [];
  const trace: TraceStep[] | null = record ? [] : null;
  let notes: string[] | null = null;
  let violation: Violation | null = null;
  let stepIndex = -1;

  const fail = (invariant: string, message: string): void => {
    if (violation === null) violation = { invariant, message, step: stepIndex };
  };

  // Run a thread's local ops (checks, ghosts) until its next shared op or its end.
  const advance = (tid: number, value: number): void => {
    const t = threads[tid]!;
    for (;;) {
      const r = t.gen.next(value);
      if (r.done === true) {
        monitors?.[tid]!.end();
        t.done = true;
        t.next = null;
        t.result = r.value;
        return;
      }
      const op: Op = r.value;
      if (op.kind === 'check') {
        if (notes !== null) notes.push(`${op.label.fn}: ${op.label.stmt} ${op.ok ? 'ok' : 'FAILED'}`);
        if (!op.ok && checksFail) fail(op.what.startsWith('WARN') ? 'WARN_ON' : 'VM_BUG_ON', `${op.label.fn}: ${op.what}`);
        value = 0;
        continue;
      }
      if (op.kind === 'ghost') {
        monitors?.[tid]!.event(op.event, op.label);
        deliverGhost(tid, op.event);
        value = 0;
        continue;
      }
      t.next = op;
      return;
    }
  };

  const deliverGhost = (tid: number, ev: GhostEvent): void => {
    if (notes !== null) notes.push(describeGhost(ev));
    for (let i = 0; i < ghostCheckers.length; i++) {
      const c = ghostCheckers[i]!;
      const r = ghostCoarse[i]!;
      if (r !== 0) {
        m.observe(r);
        m.touch(r);
      }
      const msg = c.ghost!(tid, ev);
      if (msg !== null) fail(invariantNameOf(program.invariants, checkers, c), msg);
    }
  };

  const enabled: number[] = [];
  const lastWrites: number[] = [];
  const lastReads: number[] = [];
  if (chooser.wantsWrites === true) {
    m.touched = lastWrites;
    m.reads = lastReads;
  }
  let aborted = false;
  let current = -1;
  const view: SchedView = {
    enabled,
    get current() {
      return current;
    },
    nextOp: (tid) => threads[tid]?.next ?? null,
    get stepIndex() {
      return stepIndex + 1;
    },
    threadCount: n,
    lastWrites,
    lastReads,
    get lastAdd() {
      return lastAdd;
    },
    get lastResult() {
      return lastResult;
    },
  };
  let lastAdd = NOT_BLIND;
  let lastResult = 0;
  const info = new StepCell();
  let modelError: ExecResult['modelError'] = null;

  try {
    for (let tid = 0; tid < n; tid++) {
      threads.push({ gen: program.threads[tid]!.start(), next: null, done: false, result: undefined });
      if (record) notes = [];
      advance(tid, 0);
    }
    while (violation === null) {
      clearArray(enabled);
      let live = 0;
      for (let tid = 0; tid < n; tid++) {
        const t = threads[tid]!;
        if (t.done) continue;
        live++;
        if (m.enabled(tid, t.next!)) enabled.push(tid);
      }
      if (live === 0) break;
      if (enabled.length === 0) {
        const why = threads
          .map((t, tid) => (t.done ? null : `cpu${tid} (${program.threads[tid]!.name}) ${m.blockedOn(tid, t.next!)} at ${t.next!.label.fn}`))
          .filter((s) => s !== null);
        fail(NO_DEADLOCK, `no CPU can make progress: ${why.join('; ')}`);
        break;
      }
      if (shouldStop !== undefined && (stepIndex + 1) % STOP_POLL_STEPS === STOP_POLL_STEPS - 1 && shouldStop()) {
        interrupted = true;
        aborted = true;
        break;
      }
      if (stepIndex + 1 >= program.maxSteps) {
        fail(MAX_STEPS, `execution exceeded ${program.maxSteps} steps: a path loops without making progress under this schedule (raise --max-steps if the model legitimately needs more)`);
        break;
      }
      const tid = chooser.choose(view);
      if (tid === -1) {
        aborted = true;
        break;
      }
      const t = threads[tid];
      if (t === undefined || t.done || !enabled.includes(tid)) {
        throw new ScheduleError(`step ${stepIndex + 1}: the schedule chose cpu${tid}, which is not runnable (runnable: ${enabled.map((e) => `cpu${e}`).join(', ')})`);
      }
      stepIndex++;
      const op = t.next!;
      const before = op.kind === 'load' || op.kind === 'store' || op.kind === 'rmw' ? m.cells[op.loc]! : 0;
      if (record) {
        m.changes = stepIndex < RECORDED_STEPS ? [] : null;
        notes = stepIndex < RECORDED_STEPS ? [] : null;
      }
      let result: number;
      clearArray(lastWrites);
      clearArray(lastReads);
      try {
        result = m.apply(tid, op);
      } catch (e) {
        modelError = { tid, step: stepIndex, error: e };
        break;
      }
      choices.push(tid);
      current = tid;
      // a blind add that changed its location may commute with another CPU's (RmwOp.blind)
      const blindAdd = chooser.wantsWrites === true && op.kind === 'rmw' && op.blind === true && (op.rmw === 'add' || op.rmw === 'add_unless') && m.cells[op.loc] !== before;
      info.set(tid, op, before, result, stepIndex, blindAdd);
      const forKind = stepTable.get(op.kind) ?? ALL_STEPS_EMPTY;
      for (let i = 0; i < forKind.length; i++) {
        const c = checkers[forKind[i]!]!;
        const r = coarse[forKind[i]!]!;
        if (r !== 0) {
          m.observe(r);
          m.touch(r);
        }
        const msg = c.step!(info);
        if (msg !== null) fail(program.invariants[forKind[i]!]!.name, msg);
      }
      const checkReads = lastReads.length;
      try {
        advance(tid, result);
      } catch (e) {
        modelError = { tid, step: stepIndex, error: e };
        break;
      }
      lastAdd = NOT_BLIND;
      lastResult = result;
      if (blindAdd) {
        // a ghost delivery (it knows its CPU) that read the location would see another value if
        // the adds went the other way; the add's own checks see the same memory at the same
        // point of the execution, whichever CPU's add comes first
        const loc = (op as RmwOp).loc;
        let seen = false;
        for (let k = checkReads; k < lastReads.length && !seen; k++) if (lastReads[k] === loc || lastReads[k] === ALL_MEMORY) seen = true;
        lastAdd = info.identity || seen ? ADD_FIXED : ADD_COMMUTES;
      }
      // after the ghost events delivered with this step: their reads are part of its footprint
      chooser.onStep?.(tid, op, view);
      // the trace shows what an RMW read (a blind one hands its path only the C result)
      if (trace !== null && stepIndex < RECORDED_STEPS) trace.push({ index: stepIndex, tid, op, result: op.kind === 'rmw' || op.kind === 'load' ? before : result, changes: m.changes!, notes: notes! });
    }
    if (violation === null && modelError === null && !aborted) {
      for (const c of checkers) {
        if (c.end === undefined) continue;
        const msg = c.end();
        if (msg !== null) {
          fail(invariantNameOf(program.invariants, checkers, c), msg);
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof ScheduleError) throw e;
    modelError = { tid: current, step: stepIndex, error: e };
  } finally {
    m.changes = null;
    m.touched = null;
    m.reads = null;
  }
  return {
    aborted,
    ...(interrupted ? { interrupted } : {}),
    violation,
    modelError,
    choices,
    steps: stepIndex + 1,
    trace,
    threadResults: threads.map((t) => t.result),
  };
}

const ALL_STEPS_EMPTY: readonly number[] = [];
const coarseCache = new WeakMap<object, number[]>();

/** Per invariant: 0 if its state is tracked, else the resource every call of its checker reads and writes. */
function coarseResources<W>(program: Program<W>): number[] {
  let r = coarseCache.get(program);
  if (r === undefined) {
    r = program.invariants.map((inv) => (inv.state === 'tracked' ? 0 : resourceId(`invariant:${inv.name}`)));
    coarseCache.set(program, r);
  }
  return r;
}
const OP_KINDS: readonly SharedOp['kind'][] = [
  'load', 'store', 'rmw', 'fence', 'lock', 'unlock', 'irq_disable', 'irq_enable', 'rcu_read_lock', 'rcu_read_unlock',
  'ipi_send', 'ipi_wait', 'gp_start', 'gp_wait', 'world', 'await',
];
const dispatchCache = new WeakMap<object, Map<string, number[]>>();

/** For each op kind, the invariants whose step checks must see it (computed once per program). */
function stepDispatch<W>(program: Program<W>, checkers: readonly Checker[]): Map<string, number[]> {
  let table = dispatchCache.get(program);
  if (table !== undefined) return table;
  table = new Map();
  for (const kind of OP_KINDS) {
    const idx: number[] = [];
    checkers.forEach((c, i) => {
      const kinds = program.invariants[i]!.stepKinds;
      if (c.step !== undefined && (kinds === undefined || kinds.includes(kind))) idx.push(i);
    });
    table.set(kind, idx);
  }
  dispatchCache.set(program, table);
  return table;
}

function invariantNameOf<W>(invs: readonly Invariant<W>[], checkers: Checker[], c: Checker): string {
  return invs[checkers.indexOf(c)]!.name;
}

function describeGhost(ev: GhostEvent): string {
  const { type, ...rest } = ev;
  const args = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `[${type}${args ? ' ' + args : ''}]`;
}

/** A schedule does not fit the program (replay of a stale or foreign schedule). */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export { ModelError };
