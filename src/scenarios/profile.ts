/**
 * Kernel profiles: `--kernel v5.19` picks, for every modelled function a scenario reaches, the
 * built-in variant that transcribes that release (its `range` holds it), so a user can explore
 * "v5.19 as shipped" without naming each variant. Deliberate mutations and arch-specific code
 * (x86's own GUP-fast before v4.13) are never picked. A function with no transcription of the
 * release runs its v6.6 model; the report header names every such fallback among the
 * functions the run actually reached, so an era mix is always visible.
 *
 * A scenario that drives a feature the release does not have (FOLL_PIN before v5.6) does not
 * exist in that kernel: refused like any other inapplicable configuration.
 */
import { CURRENT, FEATURES, cmpVersion, inRange, parseVersion, type FeatureName, type Version } from '../kernel/contracts.js';
import { findPath, PATHS } from '../kernel/paths/registry.js';
import { InapplicableError, type Scenario } from './scenario.js';
import { reachOf } from './reach.js';
import { UsageError } from '../core/errors.js';

export interface KernelProfile {
  readonly release: Version;
  /** function -> the variant transcribing the release */
  readonly variants: Readonly<Record<string, string>>;
}

/** The profiles racewalk documents as complete for the GUP-fast scenarios (README). */
export const DOCUMENTED_PROFILES: readonly Version[] = ['v4.5', 'v5.19', 'v6.6'];

export function parseRelease(v: string): Version {
  try {
    parseVersion(v);
  } catch {
    throw new UsageError(`--kernel ${v}: expected a release as vMAJOR.MINOR, e.g. --kernel v5.19 (documented profiles: ${DOCUMENTED_PROFILES.join(', ')})`);
  }
  return v;
}

/** The variants of `release` for every function the scenario reaches (none for v6.6). */
export function kernelProfile(scenario: Scenario, release: Version): KernelProfile {
  for (const [f, how] of Object.entries(scenario.drives ?? {}) as [FeatureName, string][]) {
    const feature = FEATURES[f];
    if (cmpVersion(release, feature.since) < 0) {
      throw new InapplicableError(scenario.name, {
        who: `scenario '${scenario.name}'`,
        feature: f,
        reason: `scenario '${scenario.name}' drives ${feature.what} (${how}), which Linux has only since ${feature.since}: the interaction does not exist in ${release}. Use a scenario that does not drive it, or --kernel ${feature.since} or later (see 'racewalk list' for what each scenario drives).`,
      });
    }
  }
  const variants: Record<string, string> = {};
  if (cmpVersion(release, CURRENT) >= 0) return { release, variants };
  for (const name of reachOf(scenario)) {
    const v = findPath(name)?.variants.find((x) => x.name !== 'faithful' && x.mutation !== true && x.arch === undefined && inRange(release, x.range));
    if (v !== undefined) variants[name] = v.name;
  }
  return { release, variants };
}

/** Of the functions a run reached, those that ran code of another release than the profile's. */
export function fallbacks(profile: KernelProfile, reached: Iterable<string>, selected: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const name of reached) {
    const p = findPath(name);
    if (p === undefined) continue;
    const v = p.variants.find((x) => x.name === (selected[name] ?? 'faithful'));
    if (v !== undefined && !inRange(profile.release, v.range)) out.push(name);
  }
  return out.sort();
}

export const ALL_PATH_NAMES = (): string[] => PATHS.map((p) => p.name);
