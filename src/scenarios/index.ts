/** Every scenario, in the order `racewalk list` shows them; the first is the default. */
import type { Scenario } from './scenario.js';
import { registerBuiltinScenarios } from './reach.js';
import { gupFastVsZap } from './gup-fast-vs-zap.js';
import { gupFastVsMunmapFreePgtables } from './gup-fast-vs-munmap-free-pgtables.js';
import { gupFastVsCollapse } from './gup-fast-vs-collapse.js';
import { gupFastVsRetractPageTables } from './gup-fast-vs-retract-page-tables.js';
import { pagewalkVsSplit } from './pagewalk-vs-split.js';
import { smapsWalkVsSplit } from './smaps-walk-vs-split.js';
import { pagewalkVsFileRefault } from './pagewalk-vs-file-refault.js';
import { pagewalkVsFileZap } from './pagewalk-vs-file-zap.js';
import { pagewalkVsRetract } from './pagewalk-vs-retract.js';
import { gupSplitPmdZeroVsZap } from './gup-split-pmd-zero-vs-zap.js';
import { gupSplitPmdVsRefault } from './gup-split-pmd-vs-refault.js';
import { gupSlowVsRetract } from './gup-slow-vs-retract.js';
import { hugetlbWalkVsUnshare } from './hugetlb-walk-vs-unshare.js';
import { gupHugetlbVsUnshare } from './gup-hugetlb-vs-unshare.js';
import { gupFastPinVsFork } from './gup-fast-pin-vs-fork.js';
import { gupFastVsSplitHugePmd } from './gup-fast-vs-split-huge-pmd.js';
import { gupFastVsSplitHugePage } from './gup-fast-vs-split-huge-page.js';
import { gupFastVsMigration } from './gup-fast-vs-migration.js';
import { gupFastVsSplitAndZap } from './gup-fast-vs-split-and-zap.js';
import { gupFastVsSplitPmdMappedThp } from './gup-fast-vs-split-pmd-mapped-thp.js';
import { mremapVsTruncate } from './mremap-vs-truncate.js';

export const SCENARIOS: readonly Scenario[] = [gupFastVsZap, gupFastVsMunmapFreePgtables, gupFastVsCollapse, gupFastVsRetractPageTables, gupFastPinVsFork,
  gupFastVsSplitHugePmd, gupFastVsSplitHugePage, gupFastVsMigration, gupFastVsSplitAndZap, gupFastVsSplitPmdMappedThp,
  // page-table walkers (issue 4)
  pagewalkVsSplit, smapsWalkVsSplit, pagewalkVsFileRefault, pagewalkVsFileZap, pagewalkVsRetract,
  gupSplitPmdZeroVsZap, gupSplitPmdVsRefault, gupSlowVsRetract, hugetlbWalkVsUnshare, gupHugetlbVsUnshare,
  // TLB flush ordering (issue 13)
  mremapVsTruncate];

registerBuiltinScenarios(SCENARIOS);

export const DEFAULT_SCENARIO = SCENARIOS[0]!.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
