/**
 * One exploration strategy per file behind this interface (as shuttle's Scheduler): the
 * explorer asks for executions until the strategy has none left, and the strategy picks the
 * thread at every step, seeing each runnable thread's next operation.
 */
import type { Chooser, ExecResult } from '../core/execution.js';

export interface Strategy extends Chooser {
  readonly name: string;
  /** Prepare the next execution; false when there is nothing left to explore. */
  nextExecution(): boolean;
  /** The execution ended (with or without a violation). */
  endExecution(result: ExecResult): void;
  /** True once the whole space (within `bounds`) has been explored. Never true for sampling strategies. */
  readonly complete: boolean;
  /** Search bounds that made a completed search non-exhaustive (e.g. "preemptions <= 2"). */
  readonly bounds: readonly string[];
  /** Executions cut short because every runnable thread was in the sleep set (DPOR). */
  readonly sleepBlocked?: number;
}

/** Non-preemptive default: keep running the current thread if it can run, else the lowest. */
export function defaultChoice(enabled: readonly number[], current: number): number {
  return enabled.includes(current) ? current : enabled[0]!;
}
