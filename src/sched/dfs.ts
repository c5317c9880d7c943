/**
 * Exhaustive depth-first search by re-execution: generators cannot be cloned, so every
 * execution re-runs from the initial world, replays the prefix, and takes the next untried
 * choice at the deepest point that has one (as loom does). Optionally preemption-bounded
 * (CHESS): switching away from a thread that could continue counts as a preemption.
 */
import type { ExecResult, SchedView } from '../core/execution.js';
import type { Strategy } from './strategy.js';

interface Frame {
  /** choices at this step: the current thread first (no preemption), then the others ascending */
  readonly order: number[];
  /** index into order of the choice being explored */
  i: number;
  /** preemptions used before this step */
  readonly preemptionsBefore: number;
  readonly current: number;
}

export class DfsStrategy implements Strategy {
  readonly name = 'dfs';
  private readonly stack: Frame[] = [];
  private depth = 0;
  private started = false;
  private done = false;
  private pruned = false;

  constructor(private readonly maxPreemptions = Infinity) {}

  get complete(): boolean {
    return this.done;
  }
  get bounds(): readonly string[] {
    return this.pruned ? [`preemptions <= ${this.maxPreemptions}`] : [];
  }

  nextExecution(): boolean {
    if (this.done) return false;
    if (!this.started) {
      this.started = true;
      this.depth = 0;
      return true;
    }
    // backtrack: advance the deepest frame that has an untried choice within the bound
    while (this.stack.length > 0) {
      const f = this.stack[this.stack.length - 1]!;
      let next = f.i + 1;
      while (next < f.order.length && this.preemptionsIf(f, next) > this.maxPreemptions) {
        this.pruned = true;
        next++;
      }
      if (next < f.order.length) {
        f.i = next;
        this.depth = 0;
        return true;
      }
      this.stack.pop();
    }
    this.done = true;
    return false;
  }

  private preemptionsIf(f: Frame, i: number): number {
    const tid = f.order[i]!;
    const preempt = f.current >= 0 && f.order[0] === f.current && tid !== f.current;
    return f.preemptionsBefore + (preempt ? 1 : 0);
  }

  choose(view: SchedView): number {
    const d = this.depth++;
    if (d < this.stack.length) {
      const f = this.stack[d]!;
      return f.order[f.i]!;
    }
    const cur = view.current;
    const order = view.enabled.includes(cur) ? [cur, ...view.enabled.filter((t) => t !== cur)] : [...view.enabled];
    const parent = this.stack[d - 1];
    const preemptionsBefore = parent === undefined ? 0 : this.preemptionsIf(parent, parent.i);
    this.stack.push({ order, i: 0, preemptionsBefore, current: cur });
    return order[0]!;
  }

  endExecution(_r: ExecResult): void {
    // frames beyond the end of this execution cannot exist: it ended where the stack ends
    this.stack.length = Math.min(this.stack.length, this.depth);
  }
}
