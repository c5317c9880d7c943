/**
 * What a user-written patch file exports: `export default definePatch({ ... })`.
 *
 * A patch replaces one or more modelled kernel functions (paths in the registry, e.g.
 * `gup_pte_range`) by the user's transcription of the patched C, written with the same
 * primitives as the built-in paths. The file is TypeScript, loaded without a build step.
 */
import type { Env, K } from '../kernel/mm.js';
import type { KernelRange } from '../kernel/contracts.js';
import type { Path } from '../core/op.js';
import type { Scenario } from '../scenarios/scenario.js';

/**
 * A variant of a modelled function: a generator function with the same parameters as the
 * faithful one (first parameter the kernel view `k`), yielding one op per shared access.
 * Type it against the function it replaces for full checking, e.g.
 * `const patched: typeof gup_pte_range = function* (k, pmd, pmdp, addr, end, flags, r) { ... }`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VariantFn = (k: K, ...args: any[]) => Path<any>;

export interface PatchSpec {
  /**
   * Short name of the patch (letters, digits, `.`, `_`, `-`); it is the variant name in traces
   * and reports, e.g. `gup_pte_range=gup-compound-head`.
   */
  readonly name: string;
  /** One line: what the patch changes (its subject line). */
  readonly description?: string;
  /** The kernel version or commit the patch is against or comes from, e.g. `v4.5` or a sha. */
  readonly kernel?: string;
  /**
   * The releases whose code the patch transcribes (its era contract, src/kernel/contracts.ts).
   * Default: the one release `kernel` names (`kernel: 'v4.5'` -> v4.5..v4.5), else v6.6. A
   * scenario that drives a feature newer than `range.to` (FOLL_PIN, v5.6) refuses the patch as
   * not applicable instead of reporting what the mismatch does as a race.
   */
  readonly range?: KernelRange;
  /** Path name (see `racewalk list`) -> the patched function. */
  readonly variants: Readonly<Record<string, VariantFn>>;
  /**
   * The code the patch applies to, path -> a built-in variant name (`racewalk list`) or your own
   * transcription of the pre-patch function. Paths not named here use racewalk's faithful model
   * (Linux v6.6). `racewalk check-patch --baseline PATH=VARIANT` overrides it.
   */
  readonly baseline?: Readonly<Record<string, string | VariantFn>>;
  /**
   * The interactions the patch was written for, each made with `defineScenario` (always run), and
   * names of built-in scenarios to restrict the run to. Without names, check-patch also runs every
   * built-in scenario that reaches a patched function.
   */
  readonly scenarios?: readonly (string | Scenario)[];
  /** Environment the patch must be checked in (e.g. `{ tlb: 'ipi' }`); `--env` overrides it. */
  readonly env?: Partial<Env>;
}

/** Marks a patch object; `Symbol.for` so that a patch built by another copy of racewalk is recognised. */
export const PATCH_BRAND: unique symbol = Symbol.for('racewalk.patch') as never;

export interface Patch extends PatchSpec {
  readonly [PATCH_BRAND]: true;
}

/**
 * Declare a patch. Only marks and returns the spec: everything is validated when racewalk
 * loads the file, with errors pointing at the file and line.
 */
export function definePatch(spec: PatchSpec): Patch {
  return { ...spec, [PATCH_BRAND]: true };
}
