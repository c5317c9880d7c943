/**
 * Kernel profiles (`--kernel vX.Y`, src/scenarios/profile.ts): every GUP-fast scenario under each
 * documented release. Each cell is a verdict of that release as the model transcribes it: the
 * FOLL_PIN scenarios do not exist before v5.6 (refused), and every violation is a race the
 * kernel had in that release, with the commit that fixed it.
 */
import { describe, expect, test } from 'vitest';
import { check } from '../src/run.js';
import { InapplicableError } from '../src/scenarios/scenario.js';
import { kernelProfile } from '../src/scenarios/profile.js';
import { findScenario } from '../src/scenarios/index.js';

const GUP_FAST = ['gup-fast-vs-zap', 'gup-fast-vs-munmap-free-pgtables', 'gup-fast-vs-collapse', 'gup-fast-vs-retract-page-tables', 'gup-fast-pin-vs-fork',
  'gup-fast-vs-split-huge-pmd', 'gup-fast-vs-split-huge-page', 'gup-fast-vs-migration', 'gup-fast-vs-split-and-zap', 'gup-fast-vs-split-pmd-mapped-thp'];
const FOLL_PIN = new Set(['gup-fast-pin-vs-fork', 'gup-fast-vs-split-huge-pmd', 'gup-fast-vs-split-huge-page', 'gup-fast-vs-split-pmd-mapped-thp']);

/** the races of a release, (release, scenario) -> invariant: fixed by the commits named */
const RACES: Record<string, { invariant: string; fixedBy: string }> = {
  // "mm: gup: fix the fast GUP race against THP collapse" (v6.0) and "mm/khugepaged: fix GUP-fast
  // interaction by sending IPI" (v6.1): with a TLB flush that does not wait for irqs-off CPUs
  'v4.5 gup-fast-vs-collapse': { invariant: 'gup-page-not-collapsed', fixedBy: 'v6.0 + v6.1' },
  'v5.19 gup-fast-vs-collapse': { invariant: 'gup-page-not-collapsed', fixedBy: 'v6.0 + v6.1' },
  // retract_page_tables()'s pte_free() right after pmdp_collapse_flush(): "mm/khugepaged: fix
  // GUP-fast interaction by sending IPI" (v6.1)
  'v5.19 gup-fast-vs-retract-page-tables': { invariant: 'page-table-not-freed-under-walker', fixedBy: 'v6.1' },
  // "mm/hugetlb: make walk_hugetlb_range() / follow_hugetlb_page() safe to pmd unshare" (v6.2)
  'v6.1 hugetlb-walk-vs-unshare': { invariant: 'no-page-table-use-after-free', fixedBy: 'v6.2' },
  'v6.1 gup-hugetlb-vs-unshare': { invariant: 'no-page-table-use-after-free', fixedBy: 'v6.2' },
  // "mm/gup: remove FOLL_SPLIT_PMD use of pmd_trans_unstable()" (v6.5)
  'v6.4 gup-split-pmd-zero-vs-zap': { invariant: 'gup-no-spurious-error', fixedBy: 'v6.5' },
};

const CELLS: [string, string][] = [
  ...['v4.5', 'v5.19', 'v6.6'].flatMap((k) => GUP_FAST.map((s): [string, string] => [k, s])),
  ['v6.1', 'hugetlb-walk-vs-unshare'], ['v6.1', 'gup-hugetlb-vs-unshare'], ['v6.4', 'gup-split-pmd-zero-vs-zap'],
];

describe('--kernel profiles', () => {
  test('the profile picks the transcription of the release, never a mutation or x86-only code; v6.6 picks nothing', () => {
    expect(kernelProfile(findScenario('gup-fast-vs-zap')!, 'v4.5').variants).toEqual({ gup_pte_range: 'v4.5-compound-head' });
    expect(kernelProfile(findScenario('gup-fast-vs-collapse')!, 'v5.19').variants).toEqual({ gup_pte_range: 'no-pmd-recheck', collapse_huge_page: 'no-sync-one' });
    expect(kernelProfile(findScenario('gup-fast-vs-zap')!, 'v6.6').variants).toEqual({});
  });

  for (const [release, scenario] of CELLS) {
    const race = RACES[`${release} ${scenario}`];
    const want = FOLL_PIN.has(scenario) && release === 'v4.5' ? 'refused (no FOLL_PIN before v5.6)' : race ? `${race.invariant} (fixed in ${race.fixedBy})` : 'clean';
    test(`${release} ${scenario}: ${want}`, () => {
      if (want.startsWith('refused')) {
        expect(() => check({ scenario, kernel: release })).toThrow(InapplicableError);
        return;
      }
      const r = check({ scenario, kernel: release, maxExecutions: 100_000 });
      expect(r.report.kernelProfile?.release).toBe(release);
      if (race) {
        expect(r.report.invariant, JSON.stringify(r.program.variants)).toBe(race.invariant);
        expect(r.report.sequential).toBe(false);
      } else {
        expect(r.explored.verdict, `${JSON.stringify(r.program.variants)}: ${r.report.invariant} ${r.report.schedule}`).toBe('clean');
        expect(r.explored.exhaustive).toBe(true);
      }
      // the header names what fell back to the v6.6 model, and only for older releases
      if (release === 'v6.6') expect(r.report.kernelProfile?.fallback).toEqual([]);
      else expect(r.report.kernelProfile?.fallback.length).toBeGreaterThan(0);
    });
  }
});
