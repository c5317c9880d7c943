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
export { PATHS, findPath, type PathDef, type VariantDef, type Expectation } from './kernel/paths/registry.js';

/** Declaring a patch file: `export default definePatch({ name, variants: { gup_pte_range: ... } })`. */
export { definePatch, type PatchSpec, type Patch, type VariantFn } from './patch/define.js';
