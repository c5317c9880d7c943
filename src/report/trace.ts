/**
 * The trace model every renderer shares: what happened at each step, in kernel terms, plus the
 * verdict and everything needed to replay it.
 */
import type { ExecResult, TraceStep } from '../core/execution.js';
import type { ExploreResult } from '../core/explore.js';
import type { SharedOp } from '../core/op.js';
import type { BuiltProgram } from '../scenarios/scenario.js';
import { formatSchedule } from '../sched/schedule.js';
import type { Layout } from '../core/machine.js';

export const REPORT_FORMAT = 'racewalk-report';
export const REPORT_VERSION = 1;
export const RACEWALK_VERSION = '0.1.0';

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
}

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly version: number;
  readonly racewalk: string;
  readonly scenario: string;
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
  }
}

function describeResult(op: SharedOp, result: number, layout: Layout): string {
  if (op.kind === 'load' || op.kind === 'rmw') return layout.formatValue(op.loc, result);
  if (op.kind === 'world' && op.name === 'alloc_pages') return result < 0 ? 'NULL' : `page[${result}]`;
  return '';
}

export function toReportSteps(trace: readonly TraceStep[], layout: Layout): ReportStep[] {
  return trace.map((s) => ({
    step: s.index,
    cpu: s.tid,
    fn: s.op.label.fn,
    stmt: s.op.label.stmt,
    op: describeOp(s.op, layout),
    order: 'order' in s.op ? s.op.order : s.op.kind === 'fence' ? s.op.fence : s.op.kind === 'lock' ? 'acquire' : s.op.kind === 'unlock' ? 'release' : '-',
    result: describeResult(s.op, s.result, layout),
    changes: s.changes,
    notes: s.notes,
  }));
}

export function buildReport(
  program: BuiltProgram,
  explored: Pick<ExploreResult, 'verdict' | 'strategy' | 'executions' | 'steps' | 'exhaustive' | 'bounds'>,
  failing: ExecResult | null,
  seed: number | null,
): Report {
  const layout = program.k.L;
  const v = failing?.violation ?? null;
  const modelErr = failing?.modelError ?? null;
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    racewalk: RACEWALK_VERSION,
    scenario: program.scenario.name,
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
    trace: failing?.trace ? toReportSteps(failing.trace, layout) : [],
  };
}
