/**
 * `racewalk ablate` as a library call: explore the scenario as written (recording every
 * synchronization point its executions run), then once per point with that point removed on every
 * CPU (src/sched/ablation.ts), under the same bounds. A point whose removal lets an invariant
 * break is load-bearing, and the row carries the minimized counterexample that shows against what.
 */
import { UsageError, closest } from './core/errors.js';
import { UnmetAblation, check, resolveScenario, type CheckOptions, type CheckResult } from './run.js';
import { SYNC_KINDS, newSurvey, pointKey, surveying, type SyncPoint } from './sched/ablation.js';
import type { Report } from './report/trace.js';

export interface AblationOptions extends Omit<CheckOptions, 'ablate' | 'transform'> {
  /** only the points in this kernel function (as traces name it) */
  readonly path?: string;
  /** called before and after each point's run (for a progress line) */
  readonly onPoint?: (key: string, index: number, total: number, row: AblationRow | null) => void;
}

export interface AblationRow {
  readonly key: string;
  readonly point: SyncPoint;
  /** the CPUs that ran the point in the baseline's executions */
  readonly cpus: readonly number[];
  /**
   * false: not explored -- a barrier (it cannot change a sequentially consistent verdict), or a
   * point the ablated program's executions did not meet within the bounds
   */
  readonly explored: boolean;
  /** the run with the point removed (null when not explored) */
  readonly report: Report | null;
  readonly seconds: number;
}

export interface AblationResult {
  readonly scenario: string;
  readonly baseline: Report;
  readonly baselineSeconds: number;
  /** one per point, in the order the baseline's executions first ran them (empty when the baseline violates) */
  readonly rows: readonly AblationRow[];
  /** the points to ablate (rows has fewer when the run was interrupted) */
  readonly points: number;
  /** stopped by shouldStop (Ctrl-C) before every point was explored */
  readonly interrupted: boolean;
  /** accesses annotated acquire/release/full/success (`fn: stmt` -> ordering): inert under sc */
  readonly orderedAccesses: ReadonlyMap<string, string>;
  /** every function that has a point (what --path accepts) */
  readonly functions: readonly string[];
  readonly path: string | null;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export function ablateScenario(opts: AblationOptions): AblationResult {
  const scenario = resolveScenario(opts.scenario);
  const base: CheckOptions = { ...opts, scenario };
  const survey = newSurvey();
  const t0 = performance.now();
  const baseline: CheckResult = check({ ...base, transform: (p) => ({ ...p, ...surveying(p, survey) }) });
  const baselineSeconds = seconds(t0);
  const all = [...survey.points.values()];
  const functions = [...new Set(all.map((p) => p.point.label.fn))].sort();
  const path = opts.path ?? null;
  if (path !== null && !functions.includes(path)) {
    const near = closest(path, functions);
    throw new UsageError(`--path '${path}': no synchronization point of scenario '${scenario.name}' is in a function of that name.${near ? ` Did you mean '${near}'?` : ''} Functions with points: ${functions.join(', ')}`);
  }
  const chosen = all.filter((p) => path === null || p.point.label.fn === path);
  const rows: AblationRow[] = [];
  const baselineOk = baseline.report.verdict === 'clean' || baseline.report.verdict === 'no-violation-found';
  if (baselineOk && opts.shouldStop?.() !== true) {
    for (const [i, p] of chosen.entries()) {
      if (opts.shouldStop?.() === true) break;
      const key = pointKey(p.point);
      opts.onPoint?.(key, i, chosen.length, null);
      const cpus = [...p.cpus].sort((a, b) => a - b);
      const t = performance.now();
      const explored = SYNC_KINDS[p.point.kind].underSc;
      let report: Report | null = null;
      let unmet = false;
      if (explored) {
        try {
          report = check({ ...base, ablate: key }).report;
        } catch (e) {
          // met in the baseline's executions but not in the ablated program's, within the bounds
          if (!(e instanceof UnmetAblation)) throw e;
          unmet = true;
        }
      }
      const row: AblationRow = { key, point: p.point, cpus, explored: explored && !unmet, report, seconds: seconds(t) };
      // a run cut short by Ctrl-C says nothing about the point, unless it found a violation first
      if (opts.shouldStop?.() === true && report?.verdict !== 'violation') break;
      rows.push(row);
      opts.onPoint?.(key, i, chosen.length, row);
    }
  }
  const interrupted = opts.shouldStop?.() === true;
  return { scenario: scenario.name, baseline: baseline.report, baselineSeconds, rows, points: baselineOk ? chosen.length : 0, interrupted, orderedAccesses: survey.ordered, functions, path };
}

/** The rows whose removal lets an invariant break. */
export function loadBearing(r: AblationResult): AblationRow[] {
  return r.rows.filter((x) => x.report?.verdict === 'violation');
}
