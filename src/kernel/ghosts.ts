/**
 * The kernel model's ghost events, declared once: each type with its fields and what it says the
 * kernel did. A ghost event is racewalk's own annotation, not kernel state: a path records what
 * it has just done (`yield* ghost({ type: 'gup_hold', addr, pfn, folio }, at(...))`) so that the
 * invariants can judge it. Everything else derives from this declaration: the type of `ghost()`
 * (a typo in a type or field name does not compile), `isGhost()` for invariants' handlers (no
 * casts of fields), the meanings reports show next to events (src/report/ghosts.ts), and the
 * checks every kernel program runs on what its threads emit (`ghostMonitor`, used by
 * buildProgram): an undeclared type or a malformed event is a model error naming it, and so is
 * a thread whose events contradict each other (a GUP-fast call that returns more pages than it
 * emitted `gup_hold` for, a `gup_fast_begin`, `walk_begin`, `pt_map` or `pmd_table_use` never
 * closed, or closed without being opened). A variant that
 * forgets to emit what an invariant needs then fails loudly instead of coming out clean.
 *
 * The engine (src/core/, src/sched/) stays kernel-agnostic: it carries `GhostEvent`, a type name
 * and fields; this module gives them their meaning. A user's file declares its own types with
 * `defineGhost` (exported by racewalk/model); a name the kernel already declares is refused.
 */
import type { GhostEvent, Label, Op, Path } from '../core/op.js';
import type { GhostMonitor } from '../core/execution.js';
import { ModelError } from '../core/machine.js';
import { UsageError, closest } from '../core/errors.js';

/** A field's kind: a number, a string, or one of a few strings. A trailing `?` makes it optional. */
export type GhostFieldKind = 'number' | 'string' | 'number?' | 'string?' | readonly string[];
export interface GhostDecl {
  /** one line: what the kernel (or the modelled caller) has just done */
  readonly meaning: string;
  readonly fields: Readonly<Record<string, GhostFieldKind>>;
}

/** The kernel model's ghost events. Names verbatim as the paths and invariants use them. */
export const KERNEL_GHOSTS = {
  gup_fast_begin: {
    meaning: "GUP-fast starts: the range it will try to pin [start, start + nr), write, pin (FOLL_PIN) and longterm (FOLL_LONGTERM) as 0/1, pgd the PMD table of current->mm it walks",
    fields: { start: 'number', nr: 'number', write: 'number', pin: 'number', longterm: 'number', pgd: 'number?' },
  },
  gup_fast_end: { meaning: 'GUP-fast returns: how many pages it handed back (nr)', fields: { nr: 'number' } },
  gup_pte_read: { meaning: 'GUP read this PTE and took its page (pfn) as the one to grab for addr', fields: { addr: 'number', pfn: 'number' } },
  gup_hold: {
    meaning: 'GUP hands this page back to its caller, who now holds a reference on pfn (taken on folio) for addr (checked: the page must still be mapped there)',
    fields: { addr: 'number', pfn: 'number', folio: 'number' },
  },
  gup_release: { meaning: "the caller drops GUP's reference on pfn (put_page / unpin_user_page)", fields: { pfn: 'number' } },
  gup_slow_result: {
    meaning: 'the slow GUP path (get_user_pages) returns for addr: err 0, or the error errname',
    fields: { addr: 'number', err: 'number', errname: 'string' },
  },
  extra_ref: { meaning: 'a reference on pfn the invariants must account for (delta: taken +1 / dropped -1)', fields: { pfn: 'number', delta: 'number' } },
  pmd_table_use: {
    meaning: 'a walker starts using the page table the PMD at pmdp points to (pmdval), validated by how: ptl (pmd_same under the PTL), rcu, or none (mmap_lock alone)',
    fields: { pmdp: 'number', pmdval: 'number', how: ['ptl', 'rcu', 'none'] },
  },
  pmd_table_done: { meaning: 'the walker is done with the page table the PMD at pmdp pointed to', fields: { pmdp: 'number' } },
  pt_map: { meaning: 'page table pt is mapped for a PTE walk (pte_offset_map)', fields: { pt: 'number' } },
  pt_unmap: { meaning: 'the walk unmaps page table pt (pte_unmap)', fields: { pt: 'number' } },
  walk_begin: { meaning: 'walk_page_range() starts over [start, end)', fields: { start: 'number', end: 'number' } },
  walk_visit: { meaning: 'the walker hands [start, end) to the callback named by', fields: { start: 'number', end: 'number', by: 'string' } },
  walk_end: { meaning: 'walk_page_range() returns err (a callback\'s error aborts the walk)', fields: { err: 'number' } },
  tlb_flushed: { meaning: 'the TLB flush of this mmu_gather has completed', fields: {} },
  munmap_done: { meaning: 'munmap() has returned: the range is unmapped', fields: {} },
  fork_copy: { meaning: 'fork copied page pfn into a new page (into) for the child', fields: { pfn: 'number', into: 'number' } },
  fork_done: { meaning: 'dup_mmap() returns: the child page tables named (tables) are complete', fields: { tables: 'string' } },
  folio_split: { meaning: 'the folio was split into nr pages', fields: { folio: 'number', nr: 'number' } },
  folio_copy: { meaning: 'migration copied the folio src into its new folio dst', fields: { src: 'number', dst: 'number' } },
  cow_copy: { meaning: 'a COW fault copied page pfn into a new one (into)', fields: { pfn: 'number', into: 'number' } },
  collapse_copy: { meaning: 'khugepaged copied page pfn into the new huge page (into)', fields: { pfn: 'number', into: 'number' } },
  collapse_replaced: { meaning: 'khugepaged freed the page pfn it replaced', fields: { pfn: 'number' } },
} as const satisfies Readonly<Record<string, GhostDecl>>;

type FieldType<F> = F extends 'number' ? number : F extends 'string' ? string : F extends readonly (infer S)[] ? S : never;
type Required<D extends Readonly<Record<string, GhostFieldKind>>> = { [F in keyof D as D[F] extends 'number?' | 'string?' ? never : F]: FieldType<D[F]> };
type Optional<D extends Readonly<Record<string, GhostFieldKind>>> = {
  [F in keyof D as D[F] extends 'number?' | 'string?' ? F : never]?: D[F] extends 'number?' ? number : string;
};
/** The event a declaration describes: `{ type, ...fields }`. */
export type GhostOfDecl<T extends string, D extends GhostDecl> = { readonly type: T } & Readonly<Required<D['fields']>> & Readonly<Optional<D['fields']>>;

export type KernelGhostType = keyof typeof KERNEL_GHOSTS;
/** One kernel ghost event of type T, with its declared fields. */
export type KernelGhostOf<T extends KernelGhostType> = GhostOfDecl<T, (typeof KERNEL_GHOSTS)[T]>;
/** Every kernel ghost event: a union discriminated by `type`. */
export type KernelGhost = { [T in KernelGhostType]: KernelGhostOf<T> }[KernelGhostType];

/**
 * Narrowing for invariants' ghost handlers: `if (isGhost(ev, 'gup_hold')) ev.pfn` (a number).
 * Sound because every event a kernel program delivers was checked against its declaration when
 * emitted (`ghostMonitor`); a type name not declared does not compile.
 */
export function isGhost<T extends KernelGhostType>(ev: GhostEvent, type: T): ev is GhostEvent & KernelGhostOf<T> {
  return ev.type === type;
}

/** Emit a kernel ghost event: not a scheduling point (core/op.ts GhostOp). */
export function* ghost(event: KernelGhost, label: Label): Path<void> {
  yield { kind: 'ghost', event, label };
}

// ---- user-declared ghost events ----

/** The declared ghost types, built-in first, then those user files declared (defineGhost). */
interface Declared extends GhostDecl {
  readonly builtin: boolean;
  /** the fields as a list, for checking an event without allocating */
  readonly list: readonly (readonly [string, GhostFieldKind])[];
}
/**
 * One registry per process, shared by every copy of racewalk loaded in it (`Symbol.for`, as the
 * patch and scenario brands): a user's file whose `racewalk/model` resolves to another copy (the
 * built dist/ next to the sources) declares into the registry the running copy checks against.
 */
const REGISTRY: unique symbol = Symbol.for('racewalk.ghosts') as never;
const declared: Map<string, Declared> = ((globalThis as { [REGISTRY]?: Map<string, Declared> })[REGISTRY] ??= new Map());
for (const [name, d] of Object.entries(KERNEL_GHOSTS)) {
  if (!declared.has(name)) declared.set(name, { ...(d as GhostDecl), builtin: true, list: Object.entries(d.fields) });
}

/** A ghost type declared by a user's file: emit it, and narrow to it in an invariant. */
export interface UserGhost<T extends string, D extends GhostDecl> {
  readonly type: T;
  readonly meaning: string;
  /** `yield* myGhost.emit({ pfn }, at('fn', 'stmt'))` */
  emit(fields: Omit<GhostOfDecl<T, D>, 'type'>, label: Label): Path<void>;
  /** `if (myGhost.is(ev)) ev.pfn` in an invariant's ghost handler */
  is(ev: GhostEvent): ev is GhostEvent & GhostOfDecl<T, D>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Declare a ghost event type of your own (a patch or scenario file that annotates what its
 * code did for its own invariant): a name (lower case, digits, `_`), a one-line meaning shown
 * next to it in traces, and its fields. Declaring a name the kernel model already declares is
 * an error, as is declaring one name twice with different meanings or fields: a built-in event
 * never silently changes meaning. Declarations are per process (a file loaded twice declares
 * the same thing twice, which is allowed).
 *
 * ```ts
 * const splitRet = defineGhost('split_ret', { meaning: 'split_huge_page() returned ret', fields: { ret: 'number' } });
 * yield* splitRet.emit({ ret }, at('test', 'return'));
 * ```
 */
export function defineGhost<const T extends string, const D extends GhostDecl>(type: T, decl: D): UserGhost<T, D> {
  if (typeof type !== 'string' || !NAME.test(type)) {
    throw new UsageError(`defineGhost: '${String(type)}' is not a ghost event name (lower case letters, digits and _, starting with a letter)`);
  }
  if (typeof decl?.meaning !== 'string' || decl.meaning.trim() === '') throw new UsageError(`defineGhost('${type}'): give its meaning, one line saying what the code did`);
  for (const [f, kind] of Object.entries(decl.fields ?? {})) {
    if (f === 'type') throw new UsageError(`defineGhost('${type}'): 'type' is the event's name, not a field`);
    const ok = kind === 'number' || kind === 'string' || kind === 'number?' || kind === 'string?' || (Array.isArray(kind) && kind.every((s) => typeof s === 'string'));
    if (!ok) throw new UsageError(`defineGhost('${type}'): field '${f}' has kind ${JSON.stringify(kind)}; a kind is 'number', 'string', 'number?', 'string?' or a list of strings`);
  }
  const prev = declared.get(type);
  if (prev !== undefined) {
    if (prev.builtin) {
      throw new UsageError(`defineGhost('${type}'): '${type}' is a ghost event of racewalk's kernel model (${prev.meaning}); the built-in invariants read it with that meaning, so a file may not redeclare it. Emit it with ghost({ type: '${type}', ... }) as declared, or choose another name`);
    }
    if (prev.meaning !== decl.meaning || JSON.stringify(prev.fields) !== JSON.stringify(decl.fields ?? {})) {
      throw new UsageError(`defineGhost('${type}'): already declared with another meaning or fields (${prev.meaning}; fields ${JSON.stringify(prev.fields)})`);
    }
  } else {
    declared.set(type, { meaning: decl.meaning, fields: decl.fields ?? {}, builtin: false, list: Object.entries(decl.fields ?? {}) });
  }
  return {
    type,
    meaning: decl.meaning,
    *emit(fields, label) {
      yield { kind: 'ghost', event: { ...(fields as object), type } as GhostEvent, label };
    },
    is(ev): ev is GhostEvent & GhostOfDecl<T, D> {
      return ev.type === type;
    },
  };
}

/** What a ghost type means (built-in or declared by a file loaded so far), or undefined. */
export function ghostMeaning(type: string): string | undefined {
  return declared.get(type)?.meaning;
}
/** Every declared ghost type and its meaning (built-in first). */
export function ghostMeanings(): Readonly<Record<string, string>> {
  return Object.fromEntries([...declared].map(([t, d]) => [t, d.meaning]));
}

/** Null if `ev` is a declared ghost type with its declared fields, else what is wrong with it. */
export function ghostProblem(ev: unknown): string | null {
  if (ev === null || typeof ev !== 'object') return `a ghost event must be an object with a type, not ${String(ev)}`;
  const e = ev as Record<string, unknown>;
  const type = e.type;
  if (typeof type !== 'string') return `a ghost event without a type name: ${safeJson(ev)}`;
  const d = declared.get(type);
  if (d === undefined) {
    const known = [...declared.keys()];
    const c = closest(type, known);
    return `ghost event '${type}' is not declared.${c !== null ? ` Did you mean '${c}'?` : ''} Known: ${known.join(', ')} (a file declares its own with defineGhost(name, { meaning, fields }))`;
  }
  // once per emitted event: no allocation unless something is wrong
  let present = 0;
  for (let i = 0; i < d.list.length; i++) {
    const [f, kind] = d.list[i]!;
    const v = e[f];
    const optional = kind === 'number?' || kind === 'string?';
    if (v === undefined) {
      if (optional) continue;
      return `ghost event '${type}' lacks its field '${f}' (${type} has ${fieldList(d)})`;
    }
    present++;
    const want = Array.isArray(kind) ? 'one of' : (kind as string).replace('?', '');
    const ok = Array.isArray(kind) ? kind.includes(v as string) : want === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'string';
    if (!ok) return `ghost event '${type}' has ${f}=${safeJson(v)}, not ${Array.isArray(kind) ? `one of ${kind.join(', ')}` : `a ${want}`}`;
  }
  let own = 0;
  for (const f in e) if (Object.hasOwn(e, f)) own++;
  if (own === present + 1) return null;
  for (const f of Object.keys(e)) {
    if (f !== 'type' && !Object.hasOwn(d.fields, f)) return `ghost event '${type}' has a field '${f}' it does not declare (${type} has ${fieldList(d)})`;
  }
  return null;
}

function fieldList(d: GhostDecl): string {
  const fs = Object.keys(d.fields);
  return fs.length === 0 ? 'no fields' : fs.join(', ');
}
function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---- what one thread's events must agree on ----

/** A thread emitted a ghost event that is not declared, is malformed, or contradicts its others. */
export class GhostError extends ModelError {
  constructor(message: string) {
    super(message);
    // still a ModelError (a model error verdict) but named for what it is, as NondeterminismError
    Object.defineProperty(this, 'name', { value: 'GhostError' });
  }
}

/**
 * Per thread, the events that only make sense together: a GUP-fast call hands back exactly the
 * pages it emitted `gup_hold` for (net of the `gup_release`s of its own unwinding, e.g.
 * unpin_user_pages_lockless()), `gup_fast_begin`/`gup_fast_end` and `walk_begin`/`walk_end`
 * pair up, unnested, `pt_unmap` and `pmd_table_done` close a `pt_map`/`pmd_table_use` of the same
 * table, and a thread does not end with any of them open. The invariants read these pairs (which
 * pages a call returned, which range a walk covers); without this check a variant that skips an
 * emit would switch an invariant off and come out clean. Thread-local: it reads nothing shared,
 * so it adds nothing to what DPOR must order.
 */
class GhostProtocol {
  private gup: { start: number; nr: number; held: number } | null = null;
  private walk: { start: number; end: number } | null = null;
  /** page tables this thread has mapped (pt_map) and not unmapped, with how often */
  private readonly mapped = new Map<number, number>();
  /** PMDs whose table this thread uses (pmd_table_use) and is not done with */
  private readonly using = new Map<number, number>();

  constructor(private readonly tid: number) {}

  event(ev: GhostEvent): string | null {
    const where = `cpu${this.tid}`;
    if (isGhost(ev, 'gup_fast_begin')) {
      if (this.gup !== null) return `${where} emitted gup_fast_begin at ${ev.start} inside the GUP-fast call begun at ${this.gup.start}, which emitted no gup_fast_end`;
      this.gup = { start: ev.start, nr: ev.nr, held: 0 };
    } else if (isGhost(ev, 'gup_fast_end')) {
      const g = this.gup;
      if (g === null) return `${where} emitted gup_fast_end (nr=${ev.nr}) without a gup_fast_begin`;
      this.gup = null;
      if (ev.nr !== g.held) {
        return `${where}'s GUP-fast call at ${g.start} returned ${ev.nr} page(s) but emitted gup_hold for ${g.held} (net of its gup_release): every page GUP hands back must be announced with gup_hold, or the invariants that judge what GUP holds do not see it`;
      }
      if (ev.nr > g.nr) return `${where}'s GUP-fast call at ${g.start} returned ${ev.nr} pages of the ${g.nr} it was asked for`;
    } else if (isGhost(ev, 'gup_hold')) {
      if (this.gup !== null) this.gup.held++;
    } else if (isGhost(ev, 'gup_release')) {
      if (this.gup !== null) this.gup.held--;
    } else if (isGhost(ev, 'walk_begin')) {
      if (this.walk !== null) return `${where} emitted walk_begin [${ev.start}, ${ev.end}) inside the walk of [${this.walk.start}, ${this.walk.end}), which emitted no walk_end`;
      this.walk = { start: ev.start, end: ev.end };
    } else if (isGhost(ev, 'walk_end')) {
      if (this.walk === null) return `${where} emitted walk_end without a walk_begin`;
      this.walk = null;
    } else if (isGhost(ev, 'pt_map')) {
      this.mapped.set(ev.pt, (this.mapped.get(ev.pt) ?? 0) + 1);
    } else if (isGhost(ev, 'pt_unmap')) {
      const n = this.mapped.get(ev.pt) ?? 0;
      if (n === 0) return `${where} emitted pt_unmap of page table page[${ev.pt}] without a pt_map of it: the invariants never knew it was mapped`;
      if (n === 1) this.mapped.delete(ev.pt);
      else this.mapped.set(ev.pt, n - 1);
    } else if (isGhost(ev, 'pmd_table_use')) {
      this.using.set(ev.pmdp, (this.using.get(ev.pmdp) ?? 0) + 1);
    } else if (isGhost(ev, 'pmd_table_done')) {
      const n = this.using.get(ev.pmdp) ?? 0;
      if (n === 0) return `${where} emitted pmd_table_done for the PMD at ${ev.pmdp} without a pmd_table_use of it: the invariants never checked that use`;
      if (n === 1) this.using.delete(ev.pmdp);
      else this.using.set(ev.pmdp, n - 1);
    }
    return null;
  }

  end(): string | null {
    const where = `cpu${this.tid}`;
    if (this.gup !== null) return `${where} ended inside the GUP-fast call begun at ${this.gup.start}: gup_fast_begin without gup_fast_end (the invariants never learn what it returned)`;
    if (this.walk !== null) return `${where} ended inside the walk of [${this.walk.start}, ${this.walk.end}): walk_begin without walk_end (the invariants never check its coverage)`;
    for (const pt of this.mapped.keys()) return `${where} ended with page table page[${pt}] still mapped: pt_map without pt_unmap`;
    for (const pmdp of this.using.keys()) return `${where} ended still using the page table of the PMD at ${pmdp}: pmd_table_use without pmd_table_done`;
    return null;
  }
}

/**
 * The monitor of one thread's ghost events (Program.ghostMonitor, called by the executor as each
 * is emitted): an undeclared type, a malformed event, or events of one thread that contradict
 * each other (GhostProtocol) end the execution as a model error naming what is wrong.
 */
export function ghostMonitor(tid: number): GhostMonitor {
  const proto = new GhostProtocol(tid);
  return {
    event(ev: GhostEvent, label: Label): void {
      const msg = ghostProblem(ev) ?? proto.event(ev);
      if (msg !== null) throw new GhostError(`${label.fn}: ${msg}`);
    },
    end(): void {
      const msg = proto.end();
      if (msg !== null) throw new GhostError(msg);
    },
  };
}
