/**
 * `racewalk/model`: the modelling vocabulary, everything a patch file or a new path is written
 * with. The same primitives and helpers the built-in paths use, so a user's transcription of a
 * patched function is a drop-in replacement for the modelled one.
 *
 * ```ts
 * import { definePatch, at, READ_ONCE, page_folio, type K, type GupResult } from 'racewalk/model';
 * ```
 *
 * See docs/modelling.md for what each primitive means in kernel terms and how fine a step must be.
 * @module
 */

/** Operations as plain data: what a path yields (`Path<R>` is `Generator<Op, R, number>`). */
export type { Op, SharedOp, LocalOp, Path, Label, Ordering, FenceKind, RmwKind, GhostEvent } from './core/op.js';

/**
 * Primitives: one yielded op per shared access, with the kernel's ordering class. `at(fn, stmt)`
 * builds the label every primitive takes: the kernel function and the C statement it models.
 */
export * from './kernel/primitives.js';

/** mm helpers (page_folio, folio_ref_try_add_rcu, pte_offset_map, ...), the kernel view `K`, `Env`. */
export * from './kernel/mm.js';

/** PTE/PMD encodings and tests (pte_pfn, pte_write, pmd_trans_huge, pfn_pte, ...). */
export * from './kernel/pgtable.js';

/** struct page flags and fields, mm fields, the world builder (WorldBuilder, KernelLayout, PG_*). */
export * from './kernel/world.js';

/**
 * The modelled kernel functions (Linux v6.6), to call from a variant or to type one against
 * (`const patched: typeof gup_pte_range = function* (...) {...}`), and the historical variants.
 */
export * from './kernel/paths/gup.js';
export * from './kernel/paths/gup.variants.js';
export * from './kernel/paths/memory.js';
export * from './kernel/paths/mmu_gather.js';
/**
 * The other modelled kernel files, one namespace each (named after the file, so names that two
 * files both define stay apart): `import { huge_memory } from 'racewalk/model'`, then
 * `typeof huge_memory.split_huge_page_to_list`.
 */
export * as gup_slow from './kernel/paths/gup_slow.js';
export * as fork from './kernel/paths/fork.js';
export * as huge_memory from './kernel/paths/huge_memory.js';
export * as huge_memory_variants from './kernel/paths/huge_memory.variants.js';
export * as huge_memory_walkers from './kernel/paths/huge_memory_walkers.js';
export * as hugetlb from './kernel/paths/hugetlb.js';
export * as khugepaged from './kernel/paths/khugepaged.js';
export * as migrate from './kernel/paths/migrate.js';
export * as migrate_variants from './kernel/paths/migrate.variants.js';
export * as mmap from './kernel/paths/mmap.js';
export * as pagewalk from './kernel/paths/pagewalk.js';
export * as pagewalk_variants from './kernel/paths/pagewalk.variants.js';
export * as rcu from './kernel/paths/rcu.js';
export * as rmap from './kernel/paths/rmap.js';
export { PATHS, findPath, type PathDef, type VariantDef } from './kernel/paths/registry.js';
export { FEATURES, type KernelRange, type FeatureName } from './kernel/contracts.js';
/**
 * Declaring modelled kernel functions (every built-in one is declared this way; see
 * docs/modelling.md): `faithfulOf(gup_pte_range)` is the original code, bypassing any variant.
 */
export { declOf, faithfulOf, type FnDecl, type FnMeta, type KernelFn } from './kernel/replaceable.js';

/** Declaring a patch file: `export default definePatch({ name, variants: { gup_pte_range: ... } })`. */
export { definePatch, type PatchSpec, type Patch, type VariantFn } from './patch/define.js';

/**
 * Declaring a scenario file (docs/scenarios.md): `export default defineScenario({ name,
 * description, kernel, geometry, world, threads, invariants?, knownRaces?, cleanConfigs? })`,
 * run with `racewalk explore --scenario-file FILE`.
 */
export { defineScenario, type ScenarioSpec, type DefinedScenario } from './scenarios/define.js';
/**
 * World builders beyond WorldBuilder's methods: vmas as the walkers and slow GUP read them, and
 * ready-made worlds -- two mms sharing a hugetlb PMD page (hugetlbSharedPmd), file and huge-zero
 * THPs, an anon THP with its deposited table, a PTE-mapped page-cache page (of a regular, shmem or
 * memfd_secret() file: filePagePteMapped).
 */
export {
  VM_PFNMAP, VM_HUGETLB, VM_MAYSHARE, is_vm_hugetlb_page, fileThpPmdMapped, fileThpInPageCache, filePagePteMapped, hugeZeroPmdMapped,
  anonThpWithDeposit, hugetlbSharedPmd, type Vma as WalkVma,
} from './kernel/walkers_world.js';
export type { Scenario, KnownRace, CleanConfig } from './scenarios/scenario.js';
export type { ThreadSpec } from './core/execution.js';
/**
 * Ghost events (src/kernel/ghosts.ts): the kernel's declared ones (`ghost({ type: 'gup_hold', ... })`
 * is typed by them, `isGhost(ev, 'gup_hold')` narrows in an invariant), and `defineGhost(name,
 * { meaning, fields })` for a file's own; a name the kernel declares is refused.
 */
export {
  KERNEL_GHOSTS, isGhost, defineGhost, ghostMeaning,
  type KernelGhost, type KernelGhostOf, type KernelGhostType, type UserGhost, type GhostDecl, type GhostFieldKind,
} from './kernel/ghosts.js';
/** The invariants every built-in scenario checks; a scenario adds its own with `[...DEFAULT_INVARIANTS, mine]`. */
export { DEFAULT_INVARIANTS, type KernelInvariant } from './kernel/invariants.js';
