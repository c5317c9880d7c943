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
  /** a shard's or worker's parts, in the fixed order it explores them (shard.ts) */
  readonly segments?: readonly SegmentStats[];
}

/**
 * What one part of a split run explored: a shard prefix (at one preemption level, for the
 * iterative strategies) or a sampling worker's stream. `key` orders the parts of the whole run
 * the same way in every shard and worker, so "the violation of the lowest part" and the counts
 * up to it do not depend on which worker ran first or faster.
 */
export interface SegmentStats {
  readonly key: number;
  executions: number;
  steps: number;
  maxDepth: number;
  sleepBlocked: number;
  /** explored to its end (no violation, no budget or cut-off stopped it) */
  complete: boolean;
  /** ended with a violation or a model error */
  failing: boolean;
}

/**
 * Shared by the workers of one run: the lowest part key with a violation found so far. A
 * worker stops at a part above it (nothing there can be reported) and never below it, so every
 * part below the winner is explored whatever the timing.
 */
export interface Cutoff {
  best(): number;
  found(key: number): void;
}

/** Non-preemptive default: keep running the current thread if it can run, else the lowest. */
export function defaultChoice(enabled: readonly number[], current: number): number {
  return enabled.includes(current) ? current : enabled[0]!;
}
