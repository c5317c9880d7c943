/** Every scenario, in the order `racewalk list` shows them; the first is the default. */
import type { Scenario } from './scenario.js';
import { gupFastVsZap } from './gup-fast-vs-zap.js';
import { gupFastVsMunmapFreePgtables } from './gup-fast-vs-munmap-free-pgtables.js';
import { gupFastVsCollapse } from './gup-fast-vs-collapse.js';
import { gupFastVsRetractPageTables } from './gup-fast-vs-retract-page-tables.js';
import { gupFastVsSplitHugePmd } from './gup-fast-vs-split-huge-pmd.js';
import { gupFastVsSplitHugePage } from './gup-fast-vs-split-huge-page.js';
import { gupFastVsMigration } from './gup-fast-vs-migration.js';
import { gupFastVsSplitAndZap } from './gup-fast-vs-split-and-zap.js';

export const SCENARIOS: readonly Scenario[] = [gupFastVsZap, gupFastVsMunmapFreePgtables, gupFastVsCollapse, gupFastVsRetractPageTables,
  gupFastVsSplitHugePmd, gupFastVsSplitHugePage, gupFastVsMigration, gupFastVsSplitAndZap];

export const DEFAULT_SCENARIO = SCENARIOS[0]!.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
