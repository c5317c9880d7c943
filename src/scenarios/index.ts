/** Every scenario, in the order `racewalk list` shows them; the first is the default. */
import type { Scenario } from './scenario.js';
import { gupFastVsZap } from './gup-fast-vs-zap.js';
import { gupFastVsMunmapFreePgtables } from './gup-fast-vs-munmap-free-pgtables.js';

export const SCENARIOS: readonly Scenario[] = [gupFastVsZap, gupFastVsMunmapFreePgtables];

export const DEFAULT_SCENARIO = SCENARIOS[0]!.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
