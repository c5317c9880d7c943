/**
 * Replay a recorded schedule: one execution choosing exactly the recorded thread at every step.
 * A recorded choice that is not runnable means the model changed since the schedule was taken:
 * that is reported with the step where the replay diverged, never silently papered over.
 * Past the end of the recording, the default non-preemptive choice continues.
 */
import { ScheduleError, type ExecResult, type SchedView } from '../core/execution.js';
import { defaultChoice, type Strategy } from './strategy.js';

export class ReplayStrategy implements Strategy {
  readonly name = 'replay';
  readonly bounds: readonly string[] = [];
  private i = 0;
  private ran = false;
  constructor(private readonly choices: readonly number[], private readonly strict = true) {}
  get complete(): boolean {
    return this.ran;
  }
  nextExecution(): boolean {
    if (this.ran) return false;
    this.ran = true;
    this.i = 0;
    return true;
  }
  choose(view: SchedView): number {
    if (this.i >= this.choices.length) return defaultChoice(view.enabled, view.current);
    const tid = this.choices[this.i++]!;
    if (!view.enabled.includes(tid)) {
      if (!this.strict) return defaultChoice(view.enabled, view.current);
      const op = view.nextOp(tid);
      const what = op === null ? 'has finished' : `is not runnable (its next step: ${op.label.fn}: ${op.label.stmt})`;
      throw new ScheduleError(`replay diverged at step ${this.i - 1}: the schedule runs cpu${tid}, which ${what}; runnable: ${view.enabled.map((t) => `cpu${t}`).join(', ')}. The model or its variants differ from the ones the schedule was recorded with.`);
    }
    return tid;
  }
  endExecution(_r: ExecResult): void {}
}
