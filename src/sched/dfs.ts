/**
 * Exhaustive depth-first search by re-execution: generators cannot be cloned, so every
 * execution re-runs from the initial world, replays the prefix, and takes the next untried
 * choice at the deepest point that has one (as loom does). Optionally preemption-bounded
 * (CHESS): switching away from a thread that could continue counts as a preemption.
 *
 * With `prefix`, every execution starts with those choices and only the subtree below them is
 * explored (a shard of a larger run, see shard.ts); preemptions taken in the prefix count
 * against the bound.
 */
import { ScheduleError, type ExecResult, type SchedView } from '../core/execution.js';
import type { Strategy } from './strategy.js';

export interface PrefixOptions {
  /** choices every execution starts with; only the subtree below them is explored */
  readonly prefix?: readonly number[];
  /** preemptions the prefix takes, when known (lets a bounded search skip a prefix over the bound at once) */
  readonly prefixPreemptions?: number;
}

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
  private readonly prefix: readonly number[];
  private prefixCount = 0;
  /** preemptions taken in the prefix (counted while replaying it when not given) */
  private prefixPreemptions: number;

  constructor(private readonly maxPreemptions = Infinity, opts: PrefixOptions = {}) {
    this.prefix = opts.prefix ?? [];
    this.prefixPreemptions = opts.prefixPreemptions ?? 0;
  }

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
      if (this.prefixPreemptions > this.maxPreemptions) {
        // the whole subtree lies beyond the bound
        this.pruned = true;
        this.done = true;
        return false;
      }
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
    const pd = this.depth++;
    if (pd < this.prefix.length) {
      const tid = this.prefix[pd]!;
      if (!view.enabled.includes(tid)) throw new ScheduleError(`shard prefix diverged at step ${pd}: cpu${tid} is not runnable (runnable: ${view.enabled.map((t) => `cpu${t}`).join(', ')})`);
      if (pd === 0) this.prefixCount = 0;
      if (view.current >= 0 && tid !== view.current && view.enabled.includes(view.current)) this.prefixCount++;
      if (pd === this.prefix.length - 1) this.prefixPreemptions = this.prefixCount;
      return tid;
    }
    const d = pd - this.prefix.length;
    if (d < this.stack.length) {
      const f = this.stack[d]!;
      return f.order[f.i]!;
    }
    const cur = view.current;
    const order = view.enabled.includes(cur) ? [cur, ...view.enabled.filter((t) => t !== cur)] : [...view.enabled];
    const parent = this.stack[d - 1];
    const preemptionsBefore = parent === undefined ? this.prefixPreemptions : this.preemptionsIf(parent, parent.i);
    if (parent === undefined && preemptionsBefore > this.maxPreemptions) {
      // a prefix over the bound whose count was not given: explore only this one execution
      this.pruned = true;
      this.stack.push({ order: [order[0]!], i: 0, preemptionsBefore, current: cur });
      return order[0]!;
    }
    this.stack.push({ order, i: 0, preemptionsBefore, current: cur });
    return order[0]!;
  }

  endExecution(_r: ExecResult): void {
    // frames beyond the end of this execution cannot exist: it ended where the stack ends
    this.stack.length = Math.max(0, Math.min(this.stack.length, this.depth - this.prefix.length));
  }
}
