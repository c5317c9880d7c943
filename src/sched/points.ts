/**
 * The shrinkable schedule encoding for fast-check: a few preemption points. Between them the
 * schedule is non-preemptive (keep running the current CPU while it can run, else the lowest
 * runnable one). A point `{ at, to }` says: at step `at`, switch to the `to`-th other runnable
 * CPU (mod their count).
 *
 * Why not one number per step: races like the PTE re-check need one preemption at one precise
 * step followed by dozens of uninterrupted steps of the other CPU; a per-step random choice
 * almost never produces that, while one random preemption point does, often. fast-check's
 * shrinking of this array then removes preemptions and moves them earlier, so the
 * counterexample it reports has the fewest preemptions it could find.
 */
import fc from 'fast-check';
import type { ExecResult, SchedView } from '../core/execution.js';
import type { Strategy } from './strategy.js';

export interface PreemptionPoint {
  readonly at: number;
  readonly to: number;
}

export class PreemptionPointsStrategy implements Strategy {
  readonly name = 'points';
  readonly bounds: readonly string[] = [];
  private ran = false;
  private readonly byStep = new Map<number, number>();
  constructor(points: readonly PreemptionPoint[]) {
    for (const p of points) if (!this.byStep.has(p.at)) this.byStep.set(p.at, p.to);
  }
  get complete(): boolean {
    return this.ran;
  }
  nextExecution(): boolean {
    if (this.ran) return false;
    this.ran = true;
    return true;
  }
  choose(view: SchedView): number {
    const { enabled, current } = view;
    const canContinue = enabled.includes(current);
    const to = this.byStep.get(view.stepIndex);
    if (to !== undefined) {
      const others = canContinue ? enabled.filter((t) => t !== current) : enabled;
      if (others.length > 0) return others[to % others.length]!;
    }
    return canContinue ? current : enabled[0]!;
  }
  endExecution(_r: ExecResult): void {}
}

/** Arbitrary preemption points for fast-check (shrinks toward fewer, earlier preemptions). */
export function preemptionPoints(opts: { maxPreemptions?: number; maxStep?: number } = {}): fc.Arbitrary<PreemptionPoint[]> {
  return fc.array(fc.record({ at: fc.nat({ max: opts.maxStep ?? 150 }), to: fc.nat({ max: 3 }) }), {
    maxLength: opts.maxPreemptions ?? 3,
  });
}
