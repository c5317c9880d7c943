/**
 * Era contracts: which kernel releases a piece of modelled code transcribes, and what the
 * interaction a scenario drives requires of the code that runs in it.
 *
 * Code from one release combined with callers or partners from another can fail in ways no
 * kernel ever did: v4.12 GUP-fast takes a plain reference, and a v6.6 FOLL_PIN caller's
 * unpin_user_page() then subtracts a pin that was never added (a "violation" with zero
 * preemptions). Such a combination is not a race and must never be reported as one. So:
 *
 * - a variant declares the kernel range it transcribes (`range`);
 * - a scenario declares the kernel features it drives (`drives`: FOLL_PIN callers, a THP
 *   mapped by PTEs, ...), and the faithful code of a path declares the features its v6.6 form
 *   brings into every scenario that runs it (`provides`: retract_page_tables() without
 *   mmap_lock for write);
 * - every feature names the release that introduced it (`FEATURES`). Code whose range ends
 *   before a feature of the configuration was introduced was never written to cope with it:
 *   the configuration is refused (exit 2) or, in whole-corpus runs, reported "not applicable".
 *
 * Contracts are declarations next to the code (the variant, the scenario); this file only
 * holds the vocabulary and the check, so a new feature is one entry here.
 */

/** A kernel release, 'v4.5', 'v6.6'. */
export type Version = string;

/** Inclusive: the first and the last release whose code the transcription follows. */
export interface KernelRange {
  readonly from: Version;
  readonly to: Version;
}

export const CURRENT: Version = 'v6.6';

/** `fixedBy` of a known race that no kernel shipped: the variant removes a check on purpose. */
export const MUTATION = 'deliberate mutation (no kernel shipped it)';

/** 'v5.10' -> [5, 10]; throws on anything else (declarations are checked by a test). */
export function parseVersion(v: Version): [number, number] {
  const m = /^v(\d+)\.(\d+)$/.exec(v);
  if (m === null) throw new Error(`not a kernel version: '${v}' (expected vMAJOR.MINOR, e.g. v5.10)`);
  return [Number(m[1]), Number(m[2])];
}

export function cmpVersion(a: Version, b: Version): number {
  const [am, an] = parseVersion(a);
  const [bm, bn] = parseVersion(b);
  return am !== bm ? am - bm : an - bn;
}

export const inRange = (v: Version, r: KernelRange): boolean => cmpVersion(r.from, v) <= 0 && cmpVersion(v, r.to) <= 0;

export const fmtRange = (r: KernelRange): string => (r.from === r.to ? r.from : `${r.from}..${r.to}`);

export interface Feature {
  /** the release that introduced it */
  readonly since: Version;
  /** what it is, in kernel terms */
  readonly what: string;
  /** what code written before it gets wrong (shown when a configuration is refused) */
  readonly breaks: string;
  /** the commit that introduced it, read from the kernel's history ('not verified' otherwise) */
  readonly source: string;
  /**
   * The modelled functions whose code depends on it: only their variants are held to it (GUP-fast
   * never relied on mmap_lock, so a lockless retract_page_tables() does not make old GUP-fast
   * code inapplicable; the page walkers did).
   */
  readonly affects: readonly string[];
}

/**
 * Every feature a contract can name. `since` is the release whose code first has it; read from
 * the kernel source or the commit that introduced it (see `source`).
 */
export const FEATURES = {
  FOLL_PIN: {
    since: 'v5.6',
    what: 'FOLL_PIN callers (pin_user_pages*(), released by unpin_user_page())',
    breaks: 'the code of that time takes a plain FOLL_GET reference whatever the flags, so unpin_user_page() later drops a pin that was never taken',
    source: 'eddb1c228f79 "mm/gup: introduce pin_user_pages*() and FOLL_PIN" (v5.6)',
    affects: ['gup_pte_range', 'gup_huge_pmd', 'try_grab_folio', 'try_get_folio', 'lockless_pages_from_mm'],
  },
  'pte-mapped-thp': {
    since: 'v4.5',
    what: 'a transparent huge page mapped by PTEs (PTE-mapped THP, tail pages in page tables)',
    breaks: 'before the THP refcounting rework a THP was only ever mapped by its PMD, so code of that time takes references on the page a PTE maps, a tail page whose _count is 0',
    source: 'the THP refcounting rework, "mm: handle PTE-mapped tail pages in generic fast gup implementation" (v4.5)',
    affects: ['gup_pte_range', 'try_grab_folio', 'try_get_folio'],
  },
  'lockless-retract': {
    since: 'v6.5',
    what: 'khugepaged retract_page_tables() unlinking and freeing PTE tables without mmap_lock for write (pte_free_defer)',
    breaks: 'the walkers of that time trust mmap_lock (for read) to keep a PMD that points to a table pointing to it, which only mmap_write_lock in retract_page_tables() guaranteed',
    source: 'Hugh Dickins\' v6.5 series, "mm/khugepaged: retract_page_tables() without mmap or vma lock"',
    affects: ['walk_pmd_range', 'walk_pte_range', 'follow_pmd_mask', 'follow_page_pte', 'follow_page_mask'],
  },
} as const satisfies Record<string, Feature>;

export type FeatureName = keyof typeof FEATURES;

export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];

/** Why one configuration is not a kernel that ever ran. */
export interface Inapplicable {
  /** the code that does not fit (path=variant, or the scenario itself under a --kernel profile) */
  readonly who: string;
  readonly feature: FeatureName;
  /** one paragraph: which assumption, which scenario, what to use instead */
  readonly reason: string;
}

export interface ContractParty {
  /** 'gup_pte_range=x86-get_page' */
  readonly who: string;
  /** the modelled function it replaces */
  readonly path: string;
  readonly range: KernelRange;
}

/**
 * The check: every party (a selected non-faithful variant) must cover every feature in
 * `features` (the scenario's `drives` plus what the code in force `provides`). Returns the
 * first incompatibility, or null.
 */
export function checkContracts(
  scenario: string,
  features: ReadonlyMap<FeatureName, string>,
  parties: readonly ContractParty[],
  instead: (party: ContractParty, feature: FeatureName) => string,
): Inapplicable | null {
  for (const party of parties) {
    for (const [feature, from] of features) {
      const f: Feature = FEATURES[feature];
      if (!f.affects.includes(party.path)) continue;
      if (cmpVersion(party.range.to, f.since) >= 0) continue;
      return {
        who: party.who,
        feature,
        reason:
          `${party.who} transcribes ${fmtRange(party.range)}, but scenario '${scenario}' runs it with ${f.what}: ${from}. Linux has that only since ${f.since}, and ${f.breaks}. ` +
          `The combination never ran in any kernel, so what it does is not a race. ${instead(party, feature)}`,
      };
    }
  }
  return null;
}
