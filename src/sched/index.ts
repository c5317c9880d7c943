/** The strategies `racewalk explore --strategy` offers, each built from the same options. */
import { UsageError, closest } from '../core/errors.js';
import { DfsStrategy } from './dfs.js';
import { DporStrategy, NO_COMMUTING_ADDS } from './dpor.js';
import { IterativePreemptionStrategy } from './iterative.js';
import { RandomStrategy } from './random.js';
import { PctStrategy } from './pct.js';
import type { Strategy } from './strategy.js';
import type { Footprint } from './footprint.js';

export interface StrategyOptions {
  readonly seed: number;
  /** preemption bound (Infinity: none) */
  readonly preemptions: number;
  /** PCT bug depth d (default 3) */
  readonly pctDepth?: number;
  /** explore only below these first choices (one part of a sharded run, see shard.ts) */
  readonly prefix?: readonly number[];
  /** preemptions the prefix takes, when known */
  readonly prefixPreemptions?: number;
  /** per prefix node, the CPUs asleep there (sleep-set bitmask; for DPOR below a shard prefix) */
  readonly prefixSleep?: readonly number[];
  /** per prefix node, the exact footprint of each asleep CPU's next step there */
  readonly prefixSleepFps?: readonly (readonly (Footprint | undefined)[])[];
  /** DPOR: let blind adds of one tag commute (DporOptions.commute; default true) */
  readonly commute?: boolean;
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
    create: (o) => new IterativePreemptionStrategy(o.preemptions, { prefix: o.prefix, prefixPreemptions: o.prefixPreemptions }),
  },
  {
    name: 'iterative-dpor',
    description: 'DPOR with iterative preemption bounding (0, 1, 2, …): counterexamples with few preemptions first, exhaustive once a level prunes nothing',
    exhaustive: true,
    create: (o) =>
      new IterativePreemptionStrategy(o.preemptions, { prefix: o.prefix, prefixPreemptions: o.prefixPreemptions }, (b, p) => new DporStrategy({ preemptions: b, prefix: p.prefix, prefixSleep: o.prefixSleep, prefixSleepFps: o.prefixSleepFps, commute: o.commute }), `iterative-dpor${o.commute === false ? NO_COMMUTING_ADDS : ''}`),
  },
  {
    name: 'dpor',
    description: 'source-DPOR with sleep sets: every Mazurkiewicz class of interleavings at least once, without re-exploring equivalent ones; exhaustive when it completes (optionally --preemptions N)',
    exhaustive: true,
    create: (o) => new DporStrategy({ preemptions: o.preemptions, prefix: o.prefix, prefixSleep: o.prefixSleep, prefixSleepFps: o.prefixSleepFps, commute: o.commute }),
  },
  {
    name: 'dfs',
    description: 'plain depth-first search over every interleaving (optionally --preemptions N)',
    exhaustive: true,
    create: (o) => new DfsStrategy(o.preemptions, { prefix: o.prefix, prefixPreemptions: o.prefixPreemptions }),
  },
  {
    name: 'random',
    description: 'seeded random walk: a uniformly chosen runnable CPU at every step',
    exhaustive: false,
    create: (o) => new RandomStrategy(o.seed),
  },
  {
    name: 'pct',
    description: 'PCT (Burckhardt et al. 2010): random CPU priorities and --pct-depth N - 1 random priority change points per execution (default depth 3); seeded',
    exhaustive: false,
    create: (o) => new PctStrategy(o.seed, { depth: o.pctDepth }),
  },
];

export const DEFAULT_STRATEGY = 'dpor';

export function findStrategy(name: string): StrategyDef {
  const s = STRATEGIES.find((x) => x.name === name);
  if (s === undefined) {
    const c = closest(name, STRATEGIES.map((x) => x.name));
    throw new UsageError(`unknown strategy '${name}'.${c ? ` Did you mean '${c}'?` : ''} Strategies: ${STRATEGIES.map((x) => x.name).join(', ')}`);
  }
  return s;
}
