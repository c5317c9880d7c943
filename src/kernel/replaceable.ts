/**
 * Every modelled kernel function is declared once, next to its code:
 *
 * ```ts
 * const replaceable = kernelSource('mm/gup.c');
 * export const gup_pte_range = replaceable(function* gup_pte_range(k: K, ...) { ... }, {
 *   aliases: ['gup_fast_pte_range (v6.10+)'],
 *   description: 'GUP-fast over the PTEs of one page table ...',
 * });
 * ```
 *
 * The declaration returns a function of exactly the original's type (so a variant is typed
 * `typeof gup_pte_range`) that calls whichever implementation the run selected through
 * `k.impl(name, faithful)`: the faithful code unless a variant (built-in, or from a patch file)
 * replaces it. Every caller -- the built-in paths, a scenario's threads, a user's variant --
 * therefore reaches the replacement, and every call records the function's name in the program
 * (`BuiltProgram.reached`), which is how racewalk knows which functions a scenario reaches.
 *
 * Variants attach to the declaration with `variantsOf(() => gup_pte_range, [...])`, each `fn` typed as
 * the original. The registry (paths/registry.ts) is derived from these declarations.
 *
 * A variant that wants the original code calls `faithfulOf(gup_pte_range)(k, ...)`: calling
 * `gup_pte_range` itself from its own variant would call the variant again.
 */
import type { Path } from '../core/op.js';
import type { K } from './mm.js';
import type { FeatureName, KernelRange } from './contracts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFn = (k: K, ...args: any[]) => Path<any>;

/** What is declared of a modelled kernel function. */
export interface FnMeta {
  /** registry name; default: the generator function's own name (the kernel's name, verbatim) */
  readonly name?: string;
  /** kernel source file; default: the file's (kernelSource) */
  readonly source?: string;
  /** kernel version the faithful model follows; default: the file's */
  readonly kernel?: string;
  /** the same function under other names in other kernel versions */
  readonly aliases?: readonly string[];
  /** one line: what the function does in the model */
  readonly description?: string;
  /** era contract: kernel features the faithful code brings into every scenario that runs it (contracts.ts) */
  readonly provides?: readonly FeatureName[];
}

export interface FnDecl {
  readonly name: string;
  readonly source: string;
  readonly kernel: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly faithful: KernelFn;
  readonly provides: readonly FeatureName[];
  /** the dispatching function the declaration returned */
  readonly call: KernelFn;
}

/** A variant of a declared function (variants[0] of a path is always `faithful`). */
export interface VariantDef<F = unknown> {
  readonly name: string;
  readonly description: string;
  /** the kernel version or commit the variant transcribes, in words */
  readonly kernel: string;
  /**
   * Era contract: the releases whose code (or, for a mutation, whose code with the one change)
   * this transcribes. A scenario driving a feature newer than `range.to` that this function
   * depends on refuses it (contracts.ts); `--kernel vX.Y` picks the variant whose range holds
   * vX.Y. Whether a variant is a race or clean is not a property of the variant but of
   * (scenario, configuration): see each scenario's knownRaces and cleanConfigs.
   */
  readonly range: KernelRange;
  /** features of the kernel this code brings into every scenario that runs it */
  readonly provides?: readonly FeatureName[];
  /** not kernel code: a check removed on purpose to show what it is for (never picked by --kernel) */
  readonly mutation?: true;
  /** code of one architecture only (x86's own GUP-fast before v4.13): never picked by --kernel */
  readonly arch?: 'x86';
  readonly fn: F;
}

const DECL: unique symbol = Symbol.for('racewalk.replaceable') as never;

/** Declarations in declaration order; names are unique. */
const DECLS = new Map<string, FnDecl>();
const VARIANTS = new Map<string, VariantDef<KernelFn>[]>();

/**
 * Declare a modelled kernel function; returns the function callers use (same type as `faithful`).
 * Throws at load time if the name is declared twice.
 */
export function replaceable<F extends KernelFn>(faithful: F, meta: FnMeta & { readonly source: string; readonly kernel: string }): F {
  const name = meta.name ?? faithful.name;
  if (name === '' || name === undefined) throw new Error('replaceable(): the function needs a name (function* kernel_name(k, ...) { ... })');
  if (DECLS.has(name)) throw new Error(`replaceable(): '${name}' is declared twice (${DECLS.get(name)!.source} and ${meta.source}); a kernel function is declared once`);
  const call = function (k: K, ...args: unknown[]) {
    return k.impl(name, faithful)(k, ...args);
  } as unknown as F;
  Object.defineProperty(call, 'name', { value: name });
  const decl: FnDecl = {
    name,
    source: meta.source,
    kernel: meta.kernel,
    aliases: meta.aliases ?? [],
    description: meta.description ?? '',
    faithful,
    provides: meta.provides ?? [],
    call,
  };
  Object.defineProperty(call, DECL, { value: decl });
  DECLS.set(name, decl);
  return call;
}

/** `replaceable` with the source file and kernel version of one path module filled in. */
export function kernelSource(source: string, kernel = 'v6.6') {
  return <F extends KernelFn>(faithful: F, meta: FnMeta = {}): F => replaceable(faithful, { source, kernel, ...meta });
}

/** The declaration behind a declared function (undefined for anything else). */
export function declOf(fn: unknown): FnDecl | undefined {
  return typeof fn === 'function' ? (fn as unknown as { [DECL]?: FnDecl })[DECL] : undefined;
}

/** The faithful code of a declared function, bypassing any variant selected for the run. */
export function faithfulOf<F extends KernelFn>(fn: F): F {
  const d = declOf(fn);
  if (d === undefined) throw new Error(`faithfulOf(): ${fn.name || 'this function'} is not a declared kernel function`);
  return d.faithful as F;
}

/**
 * Attach built-in variants to a declared function; each `fn` is typed as the original. The
 * target is given as a thunk (`variantsOf(() => gup_pte_range, [...])`) because the path modules
 * import each other: the target may not be initialised yet when this module's body runs.
 */
export function variantsOf<F extends KernelFn>(target: () => F, variants: readonly VariantDef<F>[]): void {
  PENDING.push({ target, variants: variants as readonly VariantDef<KernelFn>[] });
}
const PENDING: { target: () => KernelFn; variants: readonly VariantDef<KernelFn>[] }[] = [];

function attachPending(): void {
  for (const { target, variants } of PENDING.splice(0)) {
    const fn = target();
    const d = declOf(fn);
    if (d === undefined) throw new Error(`variantsOf(): ${fn.name} is not a declared kernel function`);
    const list = VARIANTS.get(d.name) ?? [];
    for (const v of variants) {
      if (v.name === 'faithful' || list.some((x) => x.name === v.name)) throw new Error(`variantsOf(${d.name}): variant '${v.name}' declared twice`);
      list.push(v);
    }
    VARIANTS.set(d.name, list);
  }
}

/** Every declaration made so far, in declaration order, with its variants. */
export function declarations(): readonly { readonly decl: FnDecl; readonly variants: readonly VariantDef<KernelFn>[] }[] {
  attachPending();
  return [...DECLS.values()].map((decl) => ({ decl, variants: VARIANTS.get(decl.name) ?? [] }));
}
