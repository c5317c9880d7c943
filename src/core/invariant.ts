import type { GhostEvent, SharedOp } from './op.js';
import type { Machine } from './machine.js';

/** What an invariant sees after each shared step. One object is reused across steps. */
export interface StepInfo {
  tid: number;
  op: SharedOp;
  /** value at op.loc before the step (memory ops), else 0 */
  before: number;
  /** value the path received */
  result: number;
  /** index of the step in the execution */
  index: number;
}

/** Per-execution checker; each method returns a violation message or null. */
export interface Checker {
  step?(s: StepInfo): string | null;
  ghost?(tid: number, event: GhostEvent): string | null;
  end?(): string | null;
}

/**
 * A named, documented property of every execution, checked after every step and at the end.
 * `start` builds fresh per-execution state, so nothing leaks between executions.
 */
export interface Invariant<W = unknown> {
  readonly name: string;
  readonly description: string;
  /**
   * The op kinds whose steps `Checker.step` needs to see; steps of other kinds skip it (the
   * explorer's hot loop). Omitted: every step.
   */
  readonly stepKinds?: readonly SharedOp['kind'][];
  start(m: Machine<W>): Checker;
}
