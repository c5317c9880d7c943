/**
 * Every modelled kernel function a variant may replace, derived from the declarations next to
 * the code (`replaceable(function* name(k, ...) {...}, meta)` and `variantsOf(name, [...])`,
 * see ../replaceable.ts). A variant is selected per run (`--variant gup_pte_range=no-pte-recheck`);
 * every caller reaches the selected one, because a declared function dispatches through
 * `k.impl(name, faithful)`.
 *
 * This file only makes sure every path module is loaded, then reads the declarations.
 */
import './gup.js';
import './gup.variants.js';
import './gup_slow.js';
import './fork.js';
import './huge_memory.js';
import './huge_memory.variants.js';
import './huge_memory_walkers.js';
import './hugetlb.js';
import './khugepaged.js';
import './memory.js';
import './migrate.js';
import './migrate.variants.js';
import './mmap.js';
import './mremap.js';
import './mremap.variants.js';
import './mmu_gather.js';
import './pagewalk.js';
import './pagewalk.variants.js';
import './rcu.js';
import './rmap.js';
import './truncate.js';
import { declarations, type FnDecl, type VariantDef } from '../replaceable.js';

export type { VariantDef };

export interface PathDef {
  readonly name: string;
  /** kernel version the faithful model follows */
  readonly kernel: string;
  readonly source: string;
  /** the same function under other names in other kernel versions */
  readonly aliases: readonly string[];
  readonly description: string;
  /** variants[0] is always `faithful` */
  readonly variants: readonly VariantDef[];
  /** the declaration (faithful code, dispatching function) */
  readonly decl: FnDecl;
}

export const PATHS: readonly PathDef[] = declarations().map(({ decl, variants }) => ({
  name: decl.name,
  kernel: decl.kernel,
  source: decl.source,
  aliases: decl.aliases,
  description: decl.description,
  decl,
  variants: [
    { name: 'faithful', description: `the kernel's code (${decl.kernel})`, kernel: decl.kernel, range: { from: decl.kernel, to: decl.kernel }, provides: decl.provides, fn: decl.faithful },
    ...variants,
  ],
}));

const BY_NAME = new Map(PATHS.map((p) => [p.name, p]));

export function findPath(name: string): PathDef | undefined {
  return BY_NAME.get(name);
}

/** The paths that have variants besides `faithful` (what `racewalk list` shows first). */
export const PATHS_WITH_VARIANTS: readonly PathDef[] = PATHS.filter((p) => p.variants.length > 1);
