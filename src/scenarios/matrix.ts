/**
 * Per-scenario expectations: every configuration a scenario can run (each non-faithful variant
 * of every path it exercises, one at a time, plus the combinations and environments its known
 * races and clean configurations name) and what it is expected to give there. An expectation
 * belongs to a (scenario, configuration) pair, never to a variant: x86-get_page is a race in
 * gup-fast-vs-zap and clean with tlb=ipi, and not applicable at all under a FOLL_PIN caller.
 *
 * `racewalk list`, README's scenario table and properties/matrix.test.ts are all derived from
 * this; the test runs every cell and fails on any violation not declared a known race.
 */
import type { Env } from '../kernel/mm.js';
import { findPath } from '../kernel/paths/registry.js';
import type { Inapplicable } from '../kernel/contracts.js';
import { contractViolation, type Scenario } from './scenario.js';
import { reachOf } from './reach.js';
import type { VariantDef } from '../kernel/paths/registry.js';

export type CellClass = 'known-race' | 'clean' | 'not-applicable' | 'unclassified';

export interface Cell {
  readonly variants: Readonly<Record<string, string>>;
  readonly env: Partial<Env>;
  readonly class: CellClass;
  /** known race: the invariant its counterexample violates */
  readonly invariant?: string;
  /** known race: the fixing commit or MUTATION */
  readonly fixedBy?: string;
  readonly note?: string;
  /** not applicable: why */
  readonly inapplicable?: Inapplicable;
}

const key = (variants: Readonly<Record<string, string>>, env: Partial<Env> = {}): string =>
  JSON.stringify([Object.entries(variants).sort(), Object.entries(env).sort()]);

export const configLabel = (variants: Readonly<Record<string, string>>, env: Partial<Env> = {}): string =>
  Object.entries({ ...variants, ...env }).map(([p, v]) => `${p}=${v}`).join(' ') || 'faithful';

/** The era contract of a configuration of built-in variants (null: applicable). */
export function inapplicable(scenario: Scenario, variants: Readonly<Record<string, string>>): Inapplicable | null {
  const chosen = new Map<string, VariantDef>();
  for (const [path, name] of Object.entries(variants)) {
    const v = findPath(path)?.variants.find((x) => x.name === name);
    if (v !== undefined) chosen.set(path, v);
  }
  return contractViolation(scenario, chosen);
}

/** Every configuration of the scenario with its expected class, declared ones first. */
export function expectations(scenario: Scenario): Cell[] {
  const cells: Cell[] = [];
  const seen = new Set<string>();
  const add = (c: Cell) => {
    const k = key(c.variants, c.env);
    if (seen.has(k)) return;
    seen.add(k);
    cells.push(c);
  };
  for (const r of scenario.knownRaces) add({ variants: r.variants, env: r.env ?? {}, class: 'known-race', invariant: r.invariant, fixedBy: r.fixedBy, note: r.note });
  for (const c of scenario.cleanConfigs) add({ variants: c.variants, env: c.env ?? {}, class: 'clean', note: c.note });
  for (const path of reachOf(scenario)) {
    for (const v of findPath(path)?.variants ?? []) {
      if (v.name === 'faithful') continue;
      const variants = { [path]: v.name };
      const why = inapplicable(scenario, variants);
      add(why !== null ? { variants, env: {}, class: 'not-applicable', inapplicable: why } : { variants, env: {}, class: 'unclassified' });
    }
  }
  // a declared configuration the contracts refuse is a declaration error: reported as such
  return cells.map((c) => {
    if (c.class === 'not-applicable') return c;
    const why = inapplicable(scenario, c.variants);
    return why === null ? c : { ...c, class: 'not-applicable' as const, inapplicable: why, note: `${c.note ?? ''} [declared ${c.class}, but refused by the contracts]` };
  });
}
