/**
 * Counterexample minimization: whatever strategy found a violation, the schedule people read is
 * the one with the fewest preemptions, then the fewest steps, that still violates the SAME
 * invariant.
 *
 * The failing schedule is first turned into switch points (the steps where it departs from the
 * non-preemptive default "keep running the current CPU, else the lowest runnable one", as
 * `sched/points.ts` does, but naming the target CPU absolutely so a point keeps its meaning when
 * it moves). Between points the schedule is non-preemptive, so a schedule is as long as the
 * threads need, never padded. First, every schedule with fewer preemptions is run, level by
 * level (0, 1, ...) as preemption bounding does, within half the budget: the first that violates
 * the invariant replaces the found one, and when a level completes without one, the count is
 * proved minimal. Then, until nothing improves:
 *
 *  1. delta debugging over the points: remove chunks of points (halves, quarters, ... single
 *     points) and keep a removal whenever the candidate still violates the same invariant and
 *     costs less;
 *  2. a shrink pass in the style of fast-check's: every single point is moved to every other
 *     step and retargeted to every other CPU; the cheapest candidate wins.
 *  3. out of local minima: one point dropped and another one moved anywhere.
 *
 * Cost is (preemptions, steps, points, sum of point positions) compared lexicographically, so
 * every accepted candidate strictly decreases a well-founded measure: the loop terminates, and
 * since candidates are tried in a fixed order with no randomness, the result is deterministic.
 */
import { DfsStrategy } from '../sched/dfs.js';
import { runExecution, type Chooser, type ExecResult, type Program, type SchedView } from '../core/execution.js';

/** At step `at`, run `cpu` (if it is runnable then); elsewhere the non-preemptive default. */
export interface SwitchPoint {
  readonly at: number;
  readonly cpu: number;
}

export interface ScheduleSize {
  readonly steps: number;
  readonly preemptions: number;
}

export interface Minimized {
  readonly choices: readonly number[];
  /** the schedule as found */
  readonly originalChoices: readonly number[];
  readonly points: readonly SwitchPoint[];
  readonly original: ScheduleSize;
  readonly minimized: ScheduleSize;
  /** executions run while minimizing */
  readonly candidates: number;
  /** true when the candidate budget ran out before a fixpoint */
  readonly budgetExhausted: boolean;
  /** every schedule with fewer preemptions was run and none violates the invariant */
  readonly fewestPreemptions: boolean;
}

export interface MinimizeOptions {
  /** at most this many candidate executions (default 20,000) */
  readonly maxCandidates?: number;
  /** at most this many steps over all candidate executions (default 3,000,000): long traces
   * get a coarser search rather than a long wait; counted in steps, not time, so the result
   * stays deterministic */
  readonly maxSteps?: number;
}

const nonPreemptive = (view: SchedView): number => (view.enabled.includes(view.current) ? view.current : view.enabled[0]!);

/** Runs the switch points and counts preemptions: switching away from a CPU that could continue. */
class SwitchChooser implements Chooser {
  preemptions = 0;
  private readonly byStep = new Map<number, number>();
  constructor(points: readonly SwitchPoint[]) {
    for (const p of points) if (!this.byStep.has(p.at)) this.byStep.set(p.at, p.cpu);
  }
  choose(view: SchedView): number {
    const want = this.byStep.get(view.stepIndex);
    const tid = want !== undefined && view.enabled.includes(want) ? want : nonPreemptive(view);
    if (tid !== view.current && view.enabled.includes(view.current)) this.preemptions++;
    return tid;
  }
}

/** Replays `choices` exactly and records where they depart from the non-preemptive default. */
class PointRecorder implements Chooser {
  preemptions = 0;
  readonly points: SwitchPoint[] = [];
  constructor(private readonly choices: readonly number[]) {}
  choose(view: SchedView): number {
    const i = view.stepIndex;
    const tid = this.choices[i] ?? nonPreemptive(view);
    if (tid !== nonPreemptive(view)) this.points.push({ at: i, cpu: tid });
    if (tid !== view.current && view.enabled.includes(view.current)) this.preemptions++;
    return tid;
  }
}

/** Number of preemptions of a schedule (needs a run: whether the current CPU could continue). */
export function countPreemptions<W>(program: Program<W>, choices: readonly number[]): number {
  const rec = new PointRecorder(choices);
  runExecution(program, rec);
  return rec.preemptions;
}

interface Candidate {
  readonly points: readonly SwitchPoint[];
  readonly result: ExecResult;
  readonly preemptions: number;
}

function cost(c: Candidate): [number, number, number, number] {
  return [c.preemptions, c.result.steps, c.points.length, c.points.reduce((s, p) => s + p.at, 0)];
}

function cheaper(a: Candidate, b: Candidate): boolean {
  const x = cost(a);
  const y = cost(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}

/**
 * Minimize a violating execution. Returns null when `failing` is not a violation (model errors
 * are reported as found: they are bugs in the model, not schedules to shrink).
 */
export function minimizeSchedule<W>(program: Program<W>, failing: ExecResult, opts: MinimizeOptions = {}): Minimized | null {
  const target = failing.violation?.invariant;
  if (target === undefined) return null;
  const budget = opts.maxCandidates ?? 20_000;
  const stepBudget = opts.maxSteps ?? 3_000_000;
  let candidates = 0;
  let spent = 0;
  const exhausted = (): boolean => candidates >= budget || spent >= stepBudget;

  const rec = new PointRecorder(failing.choices);
  const first = runExecution(program, rec);
  candidates++;
  const original: ScheduleSize = { steps: failing.steps, preemptions: rec.preemptions };
  if (first.violation?.invariant !== target) {
    // the schedule does not reproduce on its own (it cannot happen for a deterministic model);
    // report it unminimized rather than pretend
    return { choices: failing.choices, originalChoices: failing.choices, points: rec.points, original, minimized: original, candidates, budgetExhausted: false, fewestPreemptions: false };
  }

  const tryPoints = (points: readonly SwitchPoint[]): Candidate | null => {
    if (exhausted()) return null;
    candidates++;
    const ch = new SwitchChooser(points);
    let result: ExecResult;
    try {
      result = runExecution(program, ch);
    } catch {
      return null;
    }
    spent += result.steps;
    if (result.violation?.invariant !== target || result.modelError !== null) return null;
    return { points, result, preemptions: ch.preemptions };
  };

  let best: Candidate = tryPoints(rec.points) ?? { points: rec.points, result: first, preemptions: rec.preemptions };

  // 0. fewest preemptions, exactly: search every schedule with 0, 1, ... preemptions (preemption
  //    bounding, as the iterative strategy does) below what was found, with half the budget.
  //    Local moves alone cannot get there when the fewer-preemption schedule needs a point the
  //    found one does not have (run another CPU first, then preempt it once).
  let fewestPreemptions = best.preemptions === 0;
  const levelBudget = { candidates: candidates + Math.floor(budget / 2), steps: spent + Math.floor(stepBudget / 2) };
  search: for (let level = 0; level < best.preemptions; level++) {
    const dfs = new DfsStrategy(level);
    while (dfs.nextExecution()) {
      if (candidates >= levelBudget.candidates || spent >= levelBudget.steps) break search;
      candidates++;
      let r: ExecResult;
      try {
        r = runExecution(program, dfs);
      } catch {
        break search;
      }
      dfs.endExecution(r);
      spent += r.steps;
      if (r.violation?.invariant === target && r.modelError === null) {
        const found = new PointRecorder(r.choices);
        runExecution(program, found);
        best = { points: found.points, result: r, preemptions: found.preemptions };
        fewestPreemptions = true;
        break search;
      }
    }
    // the whole level ran without reaching the invariant: more preemptions are needed
    if (level === best.preemptions - 1) fewestPreemptions = true;
  }
  const ncpu = program.threads.length;

  for (let improved = true; improved && !exhausted(); ) {
    improved = false;
    // 1. delta debugging: drop chunks of points, largest chunks first
    for (let size = best.points.length; size >= 1 && !improved; size = Math.floor(size / 2)) {
      for (let start = 0; start + size <= best.points.length; start += size) {
        const pts = [...best.points.slice(0, start), ...best.points.slice(start + size)];
        const c = tryPoints(pts);
        if (c !== null && cheaper(c, best)) {
          best = c;
          improved = true;
          break;
        }
      }
    }
    if (improved) continue;
    // 2. shrink pass: move each point anywhere within the current schedule, retarget it
    let winner: Candidate | null = null;
    const horizon = best.result.steps;
    for (let i = 0; i < best.points.length; i++) {
      const p = best.points[i]!;
      const taken = new Set(best.points.filter((_, j) => j !== i).map((q) => q.at));
      for (let at = 0; at < horizon; at++) {
        if (taken.has(at)) continue;
        for (let cpu = 0; cpu < ncpu; cpu++) {
          if (at === p.at && cpu === p.cpu) continue;
          const pts = best.points.map((q, j) => (j === i ? { at, cpu } : q)).sort((a, b) => a.at - b.at);
          const c = tryPoints(pts);
          if (c !== null && cheaper(c, winner ?? best)) winner = c;
        }
      }
    }
    if (winner !== null) {
      best = winner;
      improved = true;
      continue;
    }
    // 3. out of local minima: drop one point and move another one (two points that only work
    //    together, e.g. a preemption and the switch back, shrink to one elsewhere)
    if (best.points.length > 8) continue;
    for (let i = 0; i < best.points.length; i++) {
      const rest = best.points.filter((_, j) => j !== i);
      for (let k = 0; k < rest.length; k++) {
        const taken = new Set(rest.filter((_, j) => j !== k).map((q) => q.at));
        for (let at = 0; at < horizon; at++) {
          if (taken.has(at)) continue;
          for (let cpu = 0; cpu < ncpu; cpu++) {
            const pts = rest.map((q, j) => (j === k ? { at, cpu } : q)).sort((a, b) => a.at - b.at);
            const c = tryPoints(pts);
            if (c !== null && cheaper(c, winner ?? best)) winner = c;
          }
        }
      }
    }
    if (winner !== null) {
      best = winner;
      improved = true;
    }
  }
  return {
    choices: best.result.choices,
    originalChoices: failing.choices,
    points: best.points,
    original,
    minimized: { steps: best.result.steps, preemptions: best.preemptions },
    candidates,
    budgetExhausted: exhausted(),
    fewestPreemptions,
  };
}
