/** Every scenario, in the order `racewalk list` shows them; the first is the default. */
import type { Scenario } from './scenario.js';
import { gupFastVsZap } from './gup-fast-vs-zap.js';
import { gupFastVsMunmapFreePgtables } from './gup-fast-vs-munmap-free-pgtables.js';
import { gupFastVsCollapse } from './gup-fast-vs-collapse.js';
import { gupFastVsRetractPageTables } from './gup-fast-vs-retract-page-tables.js';

export const SCENARIOS: readonly Scenario[] = [gupFastVsZap, gupFastVsMunmapFreePgtables, gupFastVsCollapse, gupFastVsRetractPageTables];

export const DEFAULT_SCENARIO = SCENARIOS[0]!.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
