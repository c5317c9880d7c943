/**
 * Running a user's patch: against every scenario that exercises a patched path (`explorePatch`),
 * and side by side with its baseline under the same scenarios and bounds (`checkPatch`).
 *
 * The user's code failing is the user's error, not a verdict: an exception thrown by the
 * variant, a malformed op, or an execution that never ends (max-steps) becomes a PatchError with
 * the file and line, and the schedule that reproduces it.
 */
import { checkAsync, type CheckOptions, type CheckResult } from '../run.js';
import { checkJobs } from '../sched/parallel.js';
import { MAX_STEPS } from '../core/execution.js';
import { DEFAULT_INVARIANTS } from '../kernel/invariants.js';
import { InapplicableError, type Scenario } from '../scenarios/scenario.js';
import { UsageError } from '../core/errors.js';
import type { KernelRange } from '../kernel/contracts.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import type { LoadedPatch } from './load.js';
import { PatchError, frameIn, lineOf, messageOf } from './locate.js';
import { VariantFault } from './guard.js';
import { GhostError } from '../kernel/ghosts.js';

/** The search options of one check (strategy default: the explorer's, src/sched/index.ts). */
export interface PatchRunOptions extends Pick<CheckOptions, 'env' | 'strategy' | 'seed' | 'preemptions' | 'maxExecutions' | 'maxSteps' | 'pctDepth' | 'commute'> {
  /** path -> built-in variant, over the file's own baseline */
  readonly baseline?: Readonly<Record<string, string>>;
  /** more built-in variants for both sides (explore --variant) */
  readonly variants?: Readonly<Record<string, string>>;
  readonly shouldStop?: () => boolean;
  /** worker threads per run (--jobs); they load the patch file (and scenarioFile) again */
  readonly jobs?: number;
  /** the --scenario-file the extra scenarios came from */
  readonly scenarioFile?: string;
}

/**
 * The bounds check-patch uses unless told otherwise: no preemption bound (the default strategy,
 * DPOR, exhausts the current scenarios in a few hundred executions) and an execution budget per
 * run; whatever cuts a search short is reported with its verdict.
 */
export const CHECK_PATCH_DEFAULTS = { preemptions: Infinity, maxExecutions: 200_000 } as const;

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly result: CheckResult;
}

/**
 * A scenario the patch (or its baseline) cannot run in: its code was written for a kernel
 * without a feature the scenario drives (src/kernel/contracts.ts). Reported with the reason,
 * never as a verdict.
 */
export interface NotApplicable {
  readonly scenario: Scenario;
  readonly side: 'baseline' | 'patched';
  readonly reason: string;
}

export interface PatchRuns {
  readonly runs: readonly ScenarioRun[];
  readonly notApplicable: readonly NotApplicable[];
}

/** The check (on `jobs` worker threads), or the reason the configuration never ran in any kernel. */
async function runOrRefuse(opts: CheckOptions, jobs = 1): Promise<CheckResult | string> {
  try {
    return await checkJobs(jobs, opts);
  } catch (e) {
    if (e instanceof InapplicableError) return e.message;
    throw e;
  }
}

/** Nothing could run: refuse like any other bad input (exit 2), with every reason. */
function refuseAll(na: readonly NotApplicable[]): never {
  throw new UsageError(`not applicable in any scenario it was to run in: ${na.map((n) => `${n.scenario.name} (${n.side}): ${n.reason}`).join(' | ')}`);
}

function baseOptions(p: LoadedPatch, o: PatchRunOptions): Omit<CheckOptions, 'scenario' | 'variants'> {
  return {
    env: { ...p.env, ...o.env },
    strategy: o.strategy ?? DEFAULT_STRATEGY,
    seed: o.seed,
    preemptions: o.preemptions,
    maxExecutions: o.maxExecutions,
    maxSteps: o.maxSteps,
    pctDepth: o.pctDepth,
    commute: o.commute,
    extraVariants: p.extraVariants,
    shouldStop: o.shouldStop,
    sources: { variantFile: p.file, ...(o.scenarioFile !== undefined ? { scenarioFile: o.scenarioFile } : {}) },
  };
}

export function baselineVariants(p: LoadedPatch, o: PatchRunOptions): Record<string, string> {
  return { ...p.baseline, ...o.variants, ...o.baseline };
}

export function patchedVariants(p: LoadedPatch, o: PatchRunOptions): Record<string, string> {
  return { ...p.baseline, ...o.variants, ...o.baseline, ...p.patched };
}

/** The patched code against every scenario of the patch, one verdict per scenario. */
export async function explorePatch(p: LoadedPatch, o: PatchRunOptions = {}): Promise<PatchRuns> {
  const variants = patchedVariants(p, o);
  const runs: ScenarioRun[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const scenario of p.scenarios) {
    const result = await runOrRefuse({ ...baseOptions(p, o), scenario, variants }, o.jobs);
    if (typeof result === 'string') {
      notApplicable.push({ scenario, side: 'patched', reason: result });
      continue;
    }
    blameUser(p, result, 'patched');
    runs.push({ scenario, result });
  }
  if (runs.length === 0) refuseAll(notApplicable);
  return { runs, notApplicable };
}

export type RowStatus = 'unchanged' | 'fixed' | 'new-violation' | 'still-violating';

export interface PatchRow {
  readonly scenario: Scenario;
  readonly baseline: CheckResult;
  readonly patched: CheckResult;
  readonly status: RowStatus;
  /**
   * When both sides fail but on different invariants: the baseline re-explored with only the
   * patched side's invariant checked, to tell a new violation from one the baseline's first
   * failure hid.
   */
  readonly focused: CheckResult | null;
}

export interface PatchDiff {
  readonly patch: LoadedPatch;
  readonly baselineVariants: Readonly<Record<string, string>>;
  readonly patchedVariants: Readonly<Record<string, string>>;
  readonly rows: readonly PatchRow[];
  /** scenarios where the baseline or the patched code never ran in any kernel */
  readonly notApplicable: readonly NotApplicable[];
  /** some scenario violates an invariant under the patch that its baseline does not */
  readonly introduced: boolean;
}

/** Baseline and patched over the same scenarios and bounds; which violations the patch brings. */
export async function checkPatch(p: LoadedPatch, o: PatchRunOptions = {}): Promise<PatchDiff> {
  const opts: PatchRunOptions = {
    ...o,
    preemptions: o.preemptions ?? CHECK_PATCH_DEFAULTS.preemptions,
    maxExecutions: o.maxExecutions ?? CHECK_PATCH_DEFAULTS.maxExecutions,
  };
  const bv = baselineVariants(p, opts);
  const pv = patchedVariants(p, opts);
  const rows: PatchRow[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const scenario of p.scenarios) {
    // the pre-patch code ran in the tree the patch applies to: its era is the patch's
    const baseline = await runOrRefuse({ ...baseOptions(p, opts), scenario, variants: bv, contractRanges: baselineRanges(p) });
    if (typeof baseline === 'string') {
      notApplicable.push({ scenario, side: 'baseline', reason: baseline });
      continue;
    }
    blameUser(p, baseline, 'baseline');
    const patched = await runOrRefuse({ ...baseOptions(p, opts), scenario, variants: pv });
    if (typeof patched === 'string') {
      notApplicable.push({ scenario, side: 'patched', reason: patched });
      continue;
    }
    blameUser(p, patched, 'patched');
    const bViol = baseline.explored.verdict === 'violation';
    const pViol = patched.explored.verdict === 'violation';
    let status: RowStatus;
    let focused: CheckResult | null = null;
    if (!pViol) status = bViol ? 'fixed' : 'unchanged';
    else if (!bViol) status = 'new-violation';
    else if (baseline.report.invariant === patched.report.invariant) status = 'still-violating';
    else {
      const inv = patched.report.invariant!;
      const only = { ...scenario, invariants: (scenario.invariants ?? DEFAULT_INVARIANTS).filter((i) => i.name === inv) };
      focused = await checkAsync({ ...baseOptions(p, opts), scenario: only, variants: bv, contractRanges: baselineRanges(p) });
      status = focused.report.invariant === inv ? 'still-violating' : 'new-violation';
    }
    rows.push({ scenario, baseline, patched, status, focused });
  }
  if (rows.length === 0) refuseAll(notApplicable);
  return { patch: p, baselineVariants: bv, patchedVariants: pv, rows, notApplicable, introduced: rows.some((r) => r.status === 'new-violation') };
}

function baselineRanges(p: LoadedPatch): Record<string, KernelRange> {
  const range = Object.values(p.extraVariants).flat().find((v) => v.name === p.spec.name)?.range;
  if (range === undefined) return {};
  return Object.fromEntries(Object.keys({ ...p.baseline, ...p.patched }).map((path) => [path, range]));
}

/** The replay command for a run that involves the patch file. */
export function replayCommand(p: LoadedPatch, r: CheckResult): string {
  const rep = r.report;
  const vs = Object.entries(rep.variants).map(([k, v]) => ` --variant ${k}=${v}`).join('');
  const env = Object.entries(rep.env).map(([k, v]) => ` --env ${k}=${v}`).join('');
  return `racewalk replay --variant-file ${p.display}${rep.scenarioFile !== undefined ? ` --scenario-file ${rep.scenarioFile}` : ''} --scenario ${rep.scenario}${vs}${env} --schedule ${rep.schedule}`;
}

/**
 * A model error or a runaway execution in a run that involves the user's code is the user's to
 * fix (exit 2). Runs of racewalk's own code only are left alone: their errors are racewalk's.
 */
export function blameUser(p: LoadedPatch, r: CheckResult, side: 'baseline' | 'patched'): void {
  const variants = r.program.variants;
  const userPaths = Object.entries(variants).filter(([path, v]) => (p.extraVariants[path] ?? []).some((x) => x.name === v)).map(([path]) => path);
  if (userPaths.length === 0) return;
  const inScenario = `in scenario '${r.program.scenario.name}' (${side}: ${Object.entries(variants).map(([k, v]) => `${k}=${v}`).join(', ')})`;
  const failing = r.explored.failing;
  if (r.explored.verdict === 'model-error' && failing?.modelError) {
    const err = failing.modelError.error;
    const replay = r.report.schedule !== null ? `\n  reproduce: ${replayCommand(p, r)}` : '';
    if (err instanceof VariantFault) {
      const line = err.stmt !== null ? lineOf(p.source, err.stmt) : null;
      throw new PatchError(p.display, line, null, `${err.message} (${inScenario}, step ${failing.modelError.step + 1})${replay}`);
    }
    const at = frameIn(err, p.file);
    if (at === null && (err as Error | null)?.name === 'NondeterminismError') {
      throw new PatchError(p.display, null, null, `your code ran differently on the same schedule ${inScenario}: ${messageOf(err)}`);
    }
    if (at !== null) {
      throw new PatchError(p.display, at.line, at.column, `your code threw ${inScenario}, at step ${failing.modelError.step + 1} of an execution: ${messageOf(err)}${replay}`);
    }
    if (err instanceof GhostError || (err as Error | null)?.name === 'GhostError') {
      throw new PatchError(p.display, null, null, `your variant's ghost events do not add up ${inScenario}: ${messageOf(err)}. A variant must emit the ghost events of the code it replaces (docs/modelling.md, "Ghost events").${replay}`);
    }
    // The machine refused an op (an unlock of a lock not held, an unknown world op): the op
    // comes from the user's code or from what it called.
    const stmt = r.counterexample?.trace?.at(-1)?.op.label.stmt;
    throw new PatchError(p.display, stmt !== undefined ? lineOf(p.source, stmt) : null, null, `the model rejected an operation ${inScenario}: ${messageOf(err)}. Check your variant's use of locks, irqs and RCU (every lock released, every rcu_read_lock paired); if your variant is right, this is a racewalk bug, please report it.${replay}`);
  }
  if (r.report.invariant === MAX_STEPS) {
    const tail = r.report.trace.slice(-24);
    const seen = new Map<string, number | null>();
    for (const s of tail) {
      const key = `${s.fn}: ${s.stmt}`;
      if (!seen.has(key)) seen.set(key, lineOf(p.source, s.stmt));
    }
    const inFile = [...seen].filter(([, l]) => l !== null);
    const firstLine = inFile.length > 0 ? inFile[0]![1] : null;
    const loop = [...seen].slice(0, 6).map(([k, l]) => `${k}${l !== null ? ` (line ${l})` : ''}`).join('; ');
    throw new PatchError(
      p.display,
      firstLine,
      null,
      `your ${userPaths.join(', ')} does not terminate ${inScenario}: an execution ran past ${r.program.maxSteps} steps. The last steps repeat: ${loop}. A loop that waits for another CPU is one blocking step in racewalk: smp_cond_load_acquire(loc, cmp, value, label) (or spin_lock, smp_call_function_wait, synchronize_rcu), not a retry loop the scheduler may never leave; a loop that retries on a value it read must re-read what another CPU changes. Raise --max-steps only if the path legitimately needs more.\n  reproduce: ${replayCommand(p, r)}`,
    );
  }
}
