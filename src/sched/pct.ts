/**
 * PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
 * ASPLOS 2010). Every execution draws fresh random priorities for the n CPUs (all above d) and
 * d-1 priority change points among the first k steps; at each step the runnable CPU with the
 * highest priority runs, and at the i-th change point the CPU about to run drops to priority i
 * (below every initial one). A bug of depth d (d ordering constraints between steps) is then hit
 * with probability at least 1 / (n k^(d-1)) per execution, which is what makes PCT find deep
 * races random walks miss: it preempts rarely, at random places, and otherwise runs long
 * uninterrupted stretches like the races of lockless GUP need.
 *
 * k, the number of steps, is not known in advance: it is estimated from the executions seen so
 * far (the longest one), starting from `initialSteps`. Seeded from the one PRNG, and the
 * counterexample it finds is just the list of choices, so it replays from the one schedule
 * string like any other strategy's.
 */
import type { ExecResult, SchedView } from '../core/execution.js';
import { Prng } from './prng.js';
import type { Strategy } from './strategy.js';

export interface PctOptions {
  /** bug depth d >= 1: d-1 priority change points per execution (default 3) */
  readonly depth?: number;
  /** step count assumed before any execution has been seen (default 64) */
  readonly initialSteps?: number;
}

export class PctStrategy implements Strategy {
  readonly name = 'pct';
  readonly complete = false;
  readonly depth: number;
  readonly bounds: readonly string[];
  private readonly rng: Prng;
  /** longest execution seen so far: the k of the paper */
  private k: number;
  /** per CPU; higher runs first */
  private prio: number[] = [];
  /** step index -> priority the CPU about to run drops to */
  private readonly changeAt = new Map<number, number>();
  private prepared = false;

  constructor(seed: number, opts: PctOptions = {}) {
    const d = opts.depth ?? 3;
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`PCT depth must be a whole number >= 1, got ${d}`);
    this.depth = d;
    this.k = Math.max(1, opts.initialSteps ?? 64);
    this.rng = new Prng(seed);
    this.bounds = [`PCT sampling (depth ${d})`];
  }

  /** the current estimate of the number of steps per execution */
  get stepsEstimate(): number {
    return this.k;
  }

  nextExecution(): boolean {
    this.prepared = false;
    return true;
  }

  /** Draw this execution's priorities and change points (needs the CPU count, known at the first step). */
  private prepare(n: number): void {
    const d = this.depth;
    // random permutation of d .. d+n-1 (Fisher-Yates)
    const p: number[] = [];
    for (let i = 0; i < n; i++) p.push(d + i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    this.prio = p;
    // d-1 distinct change points in [0, k) when k allows it; change point i gets priority i
    this.changeAt.clear();
    const points = Math.min(d - 1, this.k);
    for (let i = 1; i <= points; i++) {
      let s = this.rng.below(this.k);
      while (this.changeAt.has(s)) s = (s + 1) % this.k;
      this.changeAt.set(s, i);
    }
    this.prepared = true;
  }

  choose(view: SchedView): number {
    if (!this.prepared) this.prepare(view.threadCount);
    const enabled = view.enabled;
    let best = enabled[0]!;
    for (let i = 1; i < enabled.length; i++) if (this.prio[enabled[i]!]! > this.prio[best]!) best = enabled[i]!;
    const drop = this.changeAt.get(view.stepIndex);
    if (drop !== undefined) {
      this.prio[best] = drop;
      best = enabled[0]!;
      for (let i = 1; i < enabled.length; i++) if (this.prio[enabled[i]!]! > this.prio[best]!) best = enabled[i]!;
    }
    return best;
  }

  endExecution(r: ExecResult): void {
    if (r.steps > this.k) this.k = r.steps;
  }
}
