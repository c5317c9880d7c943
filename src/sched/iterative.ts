/**
 * Iterative preemption bounding (CHESS): exhaust every schedule with 0 preemptions, then 1, 2, …
 * so the first counterexample found has the fewest preemptions. Complete (and exhaustive) when a
 * level finishes without pruning anything; bounded when it stops at `maxPreemptions`.
 */
import type { ExecResult, SchedView } from '../core/execution.js';
import type { SharedOp } from '../core/op.js';
import { DfsStrategy, type PrefixOptions } from './dfs.js';
import type { Strategy } from './strategy.js';

/** builds the bounded search of one level */
export type LevelFactory = (bound: number, prefixOpts: PrefixOptions) => Strategy;

export class IterativePreemptionStrategy implements Strategy {
  readonly name: string;
  private level = 0;
  private inner: Strategy;
  private finished = false;
  private boundedAt: number | null = null;
  private blockedBefore = 0;

  /** each level is plain DFS by default; `make` substitutes another bounded search (DPOR) */
  constructor(
    private readonly maxPreemptions = Infinity,
    private readonly prefixOpts: PrefixOptions = {},
    private readonly make: LevelFactory = (b, o) => new DfsStrategy(b, o),
    name = 'iterative',
  ) {
    this.name = name;
    this.inner = make(0, prefixOpts);
  }
  get wantsWrites(): boolean {
    return this.inner.wantsWrites === true;
  }
  get sleepBlocked(): number {
    return this.blockedBefore + (this.inner.sleepBlocked ?? 0);
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
      this.blockedBefore += this.inner.sleepBlocked ?? 0;
      this.inner = this.make(this.level, this.prefixOpts);
    }
  }
  choose(view: SchedView): number {
    return this.inner.choose(view);
  }
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.inner.onStep?.(tid, op, view);
  }
  endExecution(r: ExecResult): void {
    this.inner.endExecution(r);
  }
}
