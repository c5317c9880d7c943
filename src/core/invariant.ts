import type { GhostEvent, SharedOp } from './op.js';
import type { Machine } from './machine.js';

/**
 * What an invariant sees after each shared step. One object is reused across steps (do not keep
 * it, or its `op`, past the call). Reading `tid` or `op.label` of a blind add step tells DPOR
 * that the check tells apart which CPU ran it, so the step is not commuted with another CPU's
 * same add (RmwOp.blind): read them only where the answer needs them (a violation message).
 */
export interface StepInfo {
  readonly tid: number;
  readonly op: SharedOp;
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
  /**
   * Where the checker keeps what it remembers between calls. DPOR orders two steps only if one
   * writes what the other reads; everything a checker reads through `m.mem`, `m.observe` and
   * world state that records its reads is part of the footprint of the step it checks, but
   * closure variables are invisible to it.
   * - 'tracked': the checker keeps no state of its own outside `m` and GhostMap (core/ghost.ts),
   *   or only state of one CPU used by that CPU's own calls; DPOR then orders exactly what the
   *   checker can tell apart.
   * - omitted (the default, for invariants written without this in mind): every call of the
   *   checker is taken to read and write one resource private to the invariant, so DPOR orders
   *   every pair of checked steps of different CPUs. Sound, but explores more.
   */
  readonly state?: 'tracked';
  start(m: Machine<W>): Checker;
}
