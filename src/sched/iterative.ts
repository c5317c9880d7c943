/**
 * Iterative preemption bounding (CHESS): exhaust every schedule with 0 preemptions, then 1, 2, …
 * so the first counterexample found has the fewest preemptions. Complete (and exhaustive) when a
 * level finishes without pruning anything; bounded when it stops at `maxPreemptions`.
 */
import type { ExecResult, SchedView } from '../core/execution.js';
import { DfsStrategy } from './dfs.js';
import type { Strategy } from './strategy.js';

export class IterativePreemptionStrategy implements Strategy {
  readonly name = 'iterative';
  private level = 0;
  private inner: DfsStrategy;
  private finished = false;
  private boundedAt: number | null = null;

  constructor(private readonly maxPreemptions = Infinity) {
    this.inner = new DfsStrategy(0);
  }
  get complete(): boolean {
    return this.finished;
  }
  get bounds(): readonly string[] {
    return this.boundedAt === null ? [] : [`preemptions <= ${this.boundedAt}`];
  }
  /** the preemption bound of the level being explored */
  get preemptionBound(): number {
    return this.level;
  }
  nextExecution(): boolean {
    if (this.finished) return false;
    for (;;) {
      if (this.inner.nextExecution()) return true;
      // this level is exhausted: if nothing was pruned, every schedule has been seen
      if (this.inner.bounds.length === 0) {
        this.finished = true;
        return false;
      }
      if (this.level >= this.maxPreemptions) {
        this.boundedAt = this.level;
        this.finished = true;
        return false;
      }
      this.level++;
      this.inner = new DfsStrategy(this.level);
    }
  }
  choose(view: SchedView): number {
    return this.inner.choose(view);
  }
  endExecution(r: ExecResult): void {
    this.inner.endExecution(r);
  }
}
