/** Random walk: at every step a uniformly chosen runnable thread. Seeded, so replayable. */
import type { ExecResult, SchedView } from '../core/execution.js';
import { Prng } from './prng.js';
import type { Strategy } from './strategy.js';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  readonly complete = false;
  readonly bounds: readonly string[] = ['random sampling'];
  private readonly rng: Prng;
  constructor(seed: number) {
    this.rng = new Prng(seed);
  }
  nextExecution(): boolean {
    return true;
  }
  choose(view: SchedView): number {
    return view.enabled[this.rng.below(view.enabled.length)]!;
  }
  endExecution(_r: ExecResult): void {}
}
