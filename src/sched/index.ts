/** The strategies `racewalk explore --strategy` offers, each built from the same options. */
import { UsageError, closest } from '../core/errors.js';
import { DfsStrategy } from './dfs.js';
import { IterativePreemptionStrategy } from './iterative.js';
import { RandomStrategy } from './random.js';
import type { Strategy } from './strategy.js';

export interface StrategyOptions {
  readonly seed: number;
  /** preemption bound (Infinity: none) */
  readonly preemptions: number;
}

export interface StrategyDef {
  readonly name: string;
  readonly description: string;
  /** whether a completed run proves the absence of violations (within --preemptions if given) */
  readonly exhaustive: boolean;
  create(o: StrategyOptions): Strategy;
}

export const STRATEGIES: StrategyDef[] = [
  {
    name: 'iterative',
    description: 'depth-first with iterative preemption bounding (0, 1, 2, …): the first counterexample has the fewest preemptions; exhaustive when it completes',
    exhaustive: true,
    create: (o) => new IterativePreemptionStrategy(o.preemptions),
  },
  {
    name: 'dfs',
    description: 'plain depth-first search over every interleaving (optionally --preemptions N)',
    exhaustive: true,
    create: (o) => new DfsStrategy(o.preemptions),
  },
  {
    name: 'random',
    description: 'seeded random walk: a uniformly chosen runnable CPU at every step',
    exhaustive: false,
    create: (o) => new RandomStrategy(o.seed),
  },
];

export const DEFAULT_STRATEGY = 'iterative';

export function findStrategy(name: string): StrategyDef {
  const s = STRATEGIES.find((x) => x.name === name);
  if (s === undefined) {
    const c = closest(name, STRATEGIES.map((x) => x.name));
    throw new UsageError(`unknown strategy '${name}'.${c ? ` Did you mean '${c}'?` : ''} Strategies: ${STRATEGIES.map((x) => x.name).join(', ')}`);
  }
  return s;
}
