import { Machine, ModelError, resourceId, type Layout, type WorldHandler } from '../core/machine.js';
import { UsageError } from '../core/errors.js';
import { describeEntry, pfn_pte, pmd_populate_val, pfn_pmd_huge } from './pgtable.js';

/**
 * The kernel world: `struct page` fields, page-table pages and their entries, mm fields and the
 * page allocator, laid out as numbered memory cells of the Machine.
 *
 * Simplifications (each one line):
 * - Geometry is tiny and configurable: PTRS_PER_PTE and PTRS_PER_PMD default to 2, so a
 *   PMD-mapped THP has HPAGE_PMD_NR = PTRS_PER_PTE subpages (the kernel: 512).
 * - One mm, one VMA per scenario; the PGD/P4D/PUD levels are folded (the PMD table is fixed).
 * - Folio fields the kernel keeps in the first tail page (_folio_order, _entire_mapcount,
 *   _nr_pages_mapped, _pincount) are kept in the head page's record.
 * - The pin count follows v6.6: `_pincount` for large folios, GUP_PIN_COUNTING_BIAS in
 *   `_refcount` for small ones.
 * - PageBuddy is a page flag here (the kernel keeps it in page_type).
 * - The allocator hands out the most recently freed page first (like the per-CPU free lists),
 *   so a page freed under a racing reader is reused at once and a use-after-free shows.
 */
export interface Geometry {
  readonly nrPages: number;
  readonly ptrsPerPte: number;
  readonly ptrsPerPmd: number;
}

/** mm_cpumask of an mm every CPU runs */
export const ALL_CPUS = 0x7fffffff;

export const DEFAULT_GEOMETRY: Geometry = { nrPages: 12, ptrsPerPte: 2, ptrsPerPmd: 2 };

/** page->flags bits (include/linux/page-flags.h); values are our own */
export const PG_locked = 1 << 0;
export const PG_referenced = 1 << 1;
export const PG_uptodate = 1 << 2;
export const PG_dirty = 1 << 3;
export const PG_lru = 1 << 4;
export const PG_head = 1 << 5;
export const PG_swapbacked = 1 << 6;
export const PG_anon_exclusive = 1 << 7;
export const PG_buddy = 1 << 8;
export const PG_table = 1 << 9;
const BUILTIN_FLAGS: readonly (readonly [number, string, string])[] = [
  [PG_locked, 'locked', 'the folio lock (folio_lock/folio_trylock)'],
  [PG_referenced, 'referenced', 'recently accessed (folio_mark_accessed, GUP-fast folio_set_referenced)'],
  [PG_uptodate, 'uptodate', 'the contents are valid'],
  [PG_dirty, 'dirty', 'the contents differ from backing store'],
  [PG_lru, 'lru', 'on an LRU list (folio_test_clear_lru isolates it)'],
  [PG_head, 'head', 'the head page of a compound page'],
  [PG_swapbacked, 'swapbacked', 'backed by swap (anon and shmem)'],
  [PG_anon_exclusive, 'anon_exclusive', 'PageAnonExclusive: the anon page is exclusive to one mm (pinning and fork rely on it)'],
  [PG_buddy, 'buddy', 'PageBuddy: free, in the buddy allocator'],
  [PG_table, 'table', 'PageTable: a page-table page'],
];

/** A page flag: its mask, its name in traces (the kernel's, without PG_) and what it means. */
export interface PageFlagDecl {
  readonly bit: number;
  readonly name: string;
  readonly meaning: string;
  readonly builtin: boolean;
}
/**
 * The page flags, built-in first, then those user files declared (definePageFlag): one registry
 * per process, shared by every copy of racewalk loaded in it (Symbol.for, as the ghost registry),
 * so a user's file and the running copy agree on the bits.
 */
const FLAG_REGISTRY: unique symbol = Symbol.for('racewalk.pageflags') as never;
const FLAGS: Map<string, PageFlagDecl> = ((globalThis as { [FLAG_REGISTRY]?: Map<string, PageFlagDecl> })[FLAG_REGISTRY] ??= new Map());
for (const [bit, name, meaning] of BUILTIN_FLAGS) if (!FLAGS.has(name)) FLAGS.set(name, { bit, name, meaning, builtin: true });
/** the highest bit a flag may use: flags are read and written as 32-bit signed words */
const LAST_FLAG_BIT = 30;

/** Every declared page flag, built-in first (for `racewalk list`, docs and traces). */
export function pageFlags(): readonly PageFlagDecl[] {
  return [...FLAGS.values()];
}

/**
 * Declare a page flag of your own (a scenario or patch file whose code tests or sets a flag the
 * model lacks, e.g. `PG_mlocked`): the kernel's name (`PG_` and lower case), a one-line meaning,
 * and you get its mask for `set_bit`/`test_bit`/`clear_bit` on `k.L.flags(page)`. Traces show it
 * by name (`mlocked`), like the built-in ones; `racewalk list --scenario-file F` lists it with its
 * meaning. A built-in flag's name is refused (its bit and meaning are the model's), as is one
 * name declared twice with different meanings; declaring the same again (a file loaded twice)
 * returns the same mask.
 *
 * ```ts
 * const PG_mlocked = definePageFlag('PG_mlocked', { meaning: 'the folio is mlock()ed (on the unevictable LRU)' });
 * yield* set_bit(PG_mlocked, k.L.flags(folio), at('mlock_folio', 'folio_set_mlocked(folio)'));
 * ```
 */
export function definePageFlag(kernelName: string, decl: { readonly meaning: string }): number {
  if (typeof kernelName !== 'string' || !/^PG_[a-z][a-z0-9_]*$/.test(kernelName)) {
    throw new UsageError(`definePageFlag: '${String(kernelName)}' is not a page flag name: expected the kernel's, PG_ and lower case letters, digits and _ (e.g. 'PG_mlocked')`);
  }
  const name = kernelName.slice(3);
  if (typeof decl?.meaning !== 'string' || decl.meaning.trim() === '') throw new UsageError(`definePageFlag('${kernelName}'): give its meaning, one line saying what the flag records`);
  const prev = FLAGS.get(name);
  if (prev !== undefined) {
    if (prev.builtin) throw new UsageError(`definePageFlag('${kernelName}'): ${kernelName} is a page flag of racewalk's kernel model (${prev.meaning}); import it from racewalk/model instead of declaring it`);
    if (prev.meaning !== decl.meaning) throw new UsageError(`definePageFlag('${kernelName}'): already declared with another meaning (${prev.meaning})`);
    return prev.bit;
  }
  let used = 0;
  for (const f of FLAGS.values()) used |= f.bit;
  let b = 0;
  while (b <= LAST_FLAG_BIT && (used & (1 << b)) !== 0) b++;
  if (b > LAST_FLAG_BIT) throw new UsageError(`definePageFlag('${kernelName}'): no page flag bit left (bits 0..${LAST_FLAG_BIT} are all declared: ${[...FLAGS.keys()].join(', ')})`);
  FLAGS.set(name, { bit: 1 << b, name, meaning: decl.meaning, builtin: false });
  return 1 << b;
}

/**
 * page->mapping values. A struct address_space pointer is word-aligned, which leaves its two low
 * bits for PAGE_MAPPING_ANON (bit 0: the value is an anon_vma, abstracted here as the bare flag)
 * and PAGE_MAPPING_MOVABLE (bit 1, not modelled): PAGE_MAPPING_FLAGS. The model's address_spaces
 * are FILE_MAPPING (a regular file), SHMEM_MAPPING (a_ops == &shmem_aops) and SECRETMEM_MAPPING
 * (a memfd_secret() file, a_ops == &secretmem_aops); a_ops never changes, so telling them apart
 * is not a memory access.
 */
export const PAGE_MAPPING_ANON = 1;
export const PAGE_MAPPING_FLAGS = 3;
export const FILE_MAPPING = 4;
export const SHMEM_MAPPING = 8;
export const SECRETMEM_MAPPING = 12;
/**
 * TAIL_MAPPING (include/linux/poison.h, 0x400 + POISON_POINTER_DELTA): what prep_compound_tail()
 * leaves in a tail page's mapping. Not an anon or file mapping: a tail's own ->mapping means
 * nothing, so PageAnon(tail) goes through compound_head to the folio, as the kernel's does. (In
 * v6.6 the first two tails' mapping slots overlay folio fields; the model keeps those fields apart
 * and gives every tail TAIL_MAPPING.)
 */
export const TAIL_MAPPING = 0x400;
/** page->mapping of page i of a compound page of `order` whose head's is `head` */
export const compoundMapping = (i: number, order: number, head: number): number => (i > 0 && order > 0 ? TAIL_MAPPING : head);

/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h) */
export const GUP_PIN_COUNTING_BIAS = 1024;

// struct page field offsets within a page record
export const F_FLAGS = 0;
export const F_REFCOUNT = 1;
export const F_MAPCOUNT = 2;
export const F_COMPOUND_HEAD = 3;
export const F_MAPPING = 4;
export const F_INDEX = 5;
export const F_FOLIO_ORDER = 6;
export const F_ENTIRE_MAPCOUNT = 7;
export const F_NR_PAGES_MAPPED = 8;
export const F_PINCOUNT = 9;
/** ptdesc->ptl: the split page-table lock of a page-table page */
export const F_PTL = 10;
/** first entry of the page when it is a page table */
export const F_ENTRIES = 11;
const FIELD_NAMES = ['flags', '_refcount', '_mapcount', 'compound_head', 'mapping', 'index', '_folio_order',
  '_entire_mapcount', '_nr_pages_mapped', '_pincount', 'ptl'];

// mm_struct fields, after the pages
export const MM_WRITE_PROTECT_SEQ = 0;
export const MM_USERS = 1;
export const MM_FLAGS = 2;
export const MM_PAGE_TABLE_LOCK = 3;
export const MM_TLB_FLUSH_PENDING = 4;
/** mm->mmap_lock, an rw_semaphore: 0 free, -1 held for write, n > 0 held by n readers */
export const MM_MMAP_LOCK = 5;
const MM_FIELD_NAMES = ['write_protect_seq', 'mm_users', 'flags', 'page_table_lock', 'tlb_flush_pending', 'mmap_lock'];
const MM_FIELDS = MM_FIELD_NAMES.length;
export const MMF_HAS_PINNED = 1 << 0;

/** 'other': reserved by a scenario for something that is not a mapped folio (the zero page, a vma) */
export type PageUse = 'free' | 'anon' | 'file' | 'pagetable' | 'pmd-table' | 'other';
const USE_CODES: PageUse[] = ['anon', 'file', 'pagetable'];

export interface PageMeta {
  use: PageUse;
  /** incremented at every allocation: a page reused for something else has a new generation */
  gen: number;
  order: number;
}

/**
 * A page's allocator metadata as shared state with a footprint: reading `use`, `gen` or
 * `order` is a read of the resource `page[pfn].meta`, setting one a write of it. So an
 * invariant that looks at whether a page table is still a page table (or at a page's
 * generation) at a walker's step is ordered by DPOR against the free_pages()/alloc_pages()
 * that changes it, without every invariant having to say so.
 */
class TrackedPageMeta implements PageMeta {
  constructor(
    private readonly m: KernelMachine,
    private readonly res: number,
    private u: PageUse,
    private g: number,
    private o: number,
  ) {}
  get use(): PageUse {
    this.m.observe(this.res);
    return this.u;
  }
  set use(v: PageUse) {
    this.m.touch(this.res);
    this.u = v;
  }
  get gen(): number {
    this.m.observe(this.res);
    return this.g;
  }
  set gen(v: number) {
    this.m.touch(this.res);
    this.g = v;
  }
  get order(): number {
    this.m.observe(this.res);
    return this.o;
  }
  set order(v: number) {
    this.m.touch(this.res);
    this.o = v;
  }
}

/** Allocator bookkeeping and other non-memory kernel state; changed only by world handlers. */
export interface KernelState {
  readonly geo: Geometry;
  readonly L: KernelLayout;
  readonly pages: PageMeta[];
  /** LIFO free list of order-0 pages: the most recently freed page is handed out first */
  readonly freeList: number[];
  /** the PMD table of the world's first mm (PGD..PUD folded) */
  readonly pmdTable: number;
  /** every mm of the world (WorldBuilder.addMm), the first one first: their PMD tables are what invariants walk */
  readonly mms: readonly MmDesc[];
  /** references held by owners other than mappings (page cache, isolation), per head pfn */
  readonly extraRefs: ReadonlyMap<number, number>;
}

/** One mm_struct of the world: its name in traces, its PMD table (PGD..PUD folded), mm_cpumask(mm). */
export interface MmDesc {
  readonly id: number;
  readonly name: string;
  readonly pmdTable: number;
  /** bitmask of CPUs (bit i: cpu i has run this mm); where its TLB-flush IPI goes */
  readonly cpumask: number;
}

export class KernelLayout implements Layout {
  readonly stride: number;
  readonly mmBase: number;
  constructor(readonly geo: Geometry) {
    this.stride = F_ENTRIES + Math.max(geo.ptrsPerPte, geo.ptrsPerPmd);
    this.mmBase = geo.nrPages * this.stride;
  }
  /**
   * The world's mms by id, the first (`mm`, PMD table page 0) first: WorldBuilder.addMm adds one,
   * mmCpumask sets its cpumask. The one list the builder, the traces and the machine size read.
   */
  readonly mms: { name: string; pmdTable: number; cpumask: number }[] = [{ name: 'mm', pmdTable: 0, cpumask: ALL_CPUS }];
  /** memory cells: every struct page and page-table page, then each mm's mm_struct fields */
  get size(): number {
    return this.mmBase + MM_FIELDS * this.mms.length;
  }
  field(pfn: number, f: number): number {
    return pfn * this.stride + f;
  }
  flags(pfn: number): number { return pfn * this.stride + F_FLAGS; }
  refcount(pfn: number): number { return pfn * this.stride + F_REFCOUNT; }
  mapcount(pfn: number): number { return pfn * this.stride + F_MAPCOUNT; }
  compound_head(pfn: number): number { return pfn * this.stride + F_COMPOUND_HEAD; }
  mapping(pfn: number): number { return pfn * this.stride + F_MAPPING; }
  folio_order(pfn: number): number { return pfn * this.stride + F_FOLIO_ORDER; }
  entire_mapcount(pfn: number): number { return pfn * this.stride + F_ENTIRE_MAPCOUNT; }
  nr_pages_mapped(pfn: number): number { return pfn * this.stride + F_NR_PAGES_MAPPED; }
  pincount(pfn: number): number { return pfn * this.stride + F_PINCOUNT; }
  ptl(ptPfn: number): number { return ptPfn * this.stride + F_PTL; }
  /** address of entry `i` of page-table page `ptPfn` (a pte_t * or pmd_t *) */
  entry(ptPfn: number, i: number): number { return ptPfn * this.stride + F_ENTRIES + i; }
  /** mm_struct field `f` of mm `mm` (default: the world's first mm) */
  mm(f: number, mm = 0): number { return this.mmBase + mm * MM_FIELDS + f; }

  /** the page-table page whose entry `loc` is, or -1 */
  entryOwner(loc: number): number {
    if (loc >= this.mmBase) return -1;
    return loc % this.stride >= F_ENTRIES ? Math.floor(loc / this.stride) : -1;
  }
  /** which struct page field `loc` is, or -1 */
  fieldOf(loc: number): number {
    if (loc >= this.mmBase) return -1;
    return loc % this.stride;
  }
  pfnOf(loc: number): number {
    return Math.floor(loc / this.stride);
  }

  /** set by the world so that entries of the PMD table print as PMDs */
  pmdTable = 0;
  /** the mm whose PMD table is page `pfn` (other than the first mm's), for traces: `name.pmd[i]` */
  private otherMmOfTable(pfn: number): string | undefined {
    for (let i = 1; i < this.mms.length; i++) if (this.mms[i]!.pmdTable === pfn) return this.mms[i]!.name;
    return undefined;
  }
  /** scenario-given names of cells (a second mm's PUD, a vma's lock), for traces */
  readonly aliases = new Map<number, string>();
  /** tables other than the PMD table whose entries print as PMD-level entries (a PUD page, a shared PMD page) */
  readonly upperTables = new Set<number>();

  nameOf(loc: number): string {
    const alias = this.aliases.get(loc);
    if (alias !== undefined) return alias;
    if (loc >= this.mmBase) {
      const mm = Math.floor((loc - this.mmBase) / MM_FIELDS);
      return `${this.mms[mm]?.name ?? `mm${mm}`}.${MM_FIELD_NAMES[(loc - this.mmBase) % MM_FIELDS] ?? '?'}`;
    }
    const pfn = Math.floor(loc / this.stride);
    const f = loc % this.stride;
    if (f >= F_ENTRIES) {
      if (pfn === this.pmdTable) return `pmd[${f - F_ENTRIES}]`;
      const mm = this.otherMmOfTable(pfn);
      return mm !== undefined ? `${mm}.pmd[${f - F_ENTRIES}]` : `pt${pfn}.pte[${f - F_ENTRIES}]`;
    }
    return `page[${pfn}].${FIELD_NAMES[f]}`;
  }
  formatValue(loc: number, v: number): string {
    if (loc >= this.mmBase) {
      const f = (loc - this.mmBase) % MM_FIELDS;
      if (f === MM_PAGE_TABLE_LOCK) return v === 0 ? 'unlocked' : `locked by cpu${v - 1}`;
      if (f === MM_MMAP_LOCK) return v === 0 ? 'unlocked' : v < 0 ? 'write-locked' : `read-locked (${v})`;
      return String(v);
    }
    const pfn = Math.floor(loc / this.stride);
    const f = loc % this.stride;
    if (f >= F_ENTRIES) return describeEntry(v, pfn === this.pmdTable || this.otherMmOfTable(pfn) !== undefined || this.upperTables.has(pfn) ? 'pmd' : 'pte');
    if (f === F_FLAGS) return describeFlags(v);
    if (f === F_COMPOUND_HEAD) return v % 2 === 1 ? `tail of page[${(v - 1) / 2}]` : '0';
    if (f === F_PTL) return v === 0 ? 'unlocked' : `locked by cpu${v - 1}`;
    if (f === F_MAPPING) return describeMapping(v);
    return String(v);
  }
}

export function describeMapping(v: number): string {
  if (v === 0) return 'NULL';
  if (v === PAGE_MAPPING_ANON) return 'anon';
  if (v === TAIL_MAPPING) return 'TAIL_MAPPING';
  if (v === FILE_MAPPING) return 'file';
  if (v === SHMEM_MAPPING) return 'shmem';
  if (v === SECRETMEM_MAPPING) return 'secretmem';
  return `mapping ${v}`;
}

export function describeFlags(v: number): string {
  const names: string[] = [];
  let known = 0;
  for (const f of FLAGS.values()) {
    known |= f.bit;
    if ((v & f.bit) !== 0) names.push(f.name);
  }
  // a bit nobody declared is shown as such, never dropped
  for (let b = 0; b < 32; b++) if ((v & ~known & (1 << b)) !== 0) names.push(`bit${b}`);
  return names.length === 0 ? '0' : names.join('|');
}

/** compound_head encoding, as the kernel's: a tail stores (head address | 1) */
export const encodeCompoundHead = (headPfn: number): number => headPfn * 2 + 1;
export const decodeCompoundHead = (page: number, v: number): number => (v % 2 === 1 ? (v - 1) / 2 : page);
export const isTailValue = (v: number): boolean => v % 2 === 1;

export type KernelMachine = Machine<KernelState>;

/**
 * World-op handlers: the page allocator. `alloc_pages(order, use)` returns the head pfn
 * (or -1 when out of memory); `free_pages(pfn, order)` returns pages to the free list.
 */
const handlers: Record<string, WorldHandler<KernelState>> = {
  alloc_pages(m, _tid, [order, useCode]) {
    const k = m.world;
    const pfn = takeFree(k, order!);
    if (pfn < 0) return -1;
    initPages(m, pfn, order!, USE_CODES[useCode!] ?? 'anon');
    return pfn;
  },
  free_pages(m, _tid, [pfn, order]) {
    freePages(m, pfn!, order!);
    return 0;
  },
  /** a broadcast TLB invalidation (arm64 TLBI + DSB): completes without waiting for any CPU */
  tlbi_broadcast(m, tid) {
    m.note(`cpu${tid}.tlb`, '-', 'TLBI broadcast');
    return 0;
  },
};

/**
 * Register a world operation defined next to the path that needs it (e.g. call_rcu in
 * paths/rcu.ts). Its handler may keep per-machine state only through `m` (a WeakMap keyed by
 * the machine): a fresh machine is built for every execution.
 */
export function registerWorldHandler(name: string, h: WorldHandler<KernelState>): void {
  if (handlers[name] !== undefined && handlers[name] !== h) throw new Error(`world operation '${name}' registered twice`);
  handlers[name] = h;
}

function takeFree(k: KernelState, order: number): number {
  if (order === 0) {
    const pfn = k.freeList.pop();
    return pfn ?? -1;
  }
  const n = 1 << order;
  for (let base = 0; base + n <= k.geo.nrPages; base += n) {
    let ok = true;
    for (let i = 0; i < n; i++) if (k.pages[base + i]!.use !== 'free') ok = false;
    if (ok) {
      for (let i = 0; i < n; i++) k.freeList.splice(k.freeList.indexOf(base + i), 1);
      return base;
    }
  }
  return -1;
}

/** prep_new_page(): refcount 1 on the head, tails point at the head, mapcounts reset */
function initPages(m: KernelMachine, pfn: number, order: number, use: PageUse): void {
  const L = m.world.L;
  const n = 1 << order;
  for (let i = 0; i < n; i++) {
    const p = pfn + i;
    const meta = m.world.pages[p]!;
    m.note(`page[${p}]`, 'free', `allocated (${use}${order > 0 ? `, order ${order}` : ''})`);
    meta.use = use;
    meta.gen++;
    meta.order = i === 0 ? order : 0;
    m.write(L.flags(p), (i === 0 && order > 0 ? PG_head : 0) | (use === 'pagetable' ? PG_table : 0));
    m.write(L.refcount(p), i === 0 ? 1 : 0);
    m.write(L.mapcount(p), -1);
    m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(pfn));
    m.write(L.mapping(p), compoundMapping(i, order, 0)); // prep_compound_tail(): p->mapping = TAIL_MAPPING
    if (i === 0) {
      m.write(L.folio_order(p), order);
      m.write(L.entire_mapcount(p), -1);
      m.write(L.nr_pages_mapped(p), 0);
      m.write(L.pincount(p), 0);
    }
    if (use === 'pagetable') for (let e = 0; e < m.world.geo.ptrsPerPte; e++) m.write(L.entry(p, e), 0);
  }
}

function freePages(m: KernelMachine, pfn: number, order: number): void {
  const L = m.world.L;
  const n = 1 << order;
  if (m.mem[L.refcount(pfn)] !== 0) {
    throw new ModelError(`free_pages(page[${pfn}]) with _refcount ${m.mem[L.refcount(pfn)]}: the model frees a referenced page`);
  }
  for (let i = n - 1; i >= 0; i--) {
    const p = pfn + i;
    const meta = m.world.pages[p]!;
    if (meta.use === 'free') throw new ModelError(`free_pages: page[${p}] is already free (double free)`);
    m.note(`page[${p}]`, meta.use, 'free');
    // A freed page table's entries go back to the allocator with it: for dependence (DPOR) the
    // free writes them (values unchanged), so a walker's later read of them races with the free.
    if (meta.use === 'pagetable') for (let e = 0; e < m.world.geo.ptrsPerPte; e++) m.write(L.entry(p, e), m.mem[L.entry(p, e)]!);
    meta.use = 'free';
    // free_tail_page_prepare(): tails stop pointing at the head
    m.write(L.compound_head(p), 0);
    m.write(L.flags(p), PG_buddy);
    m.write(L.mapping(p), 0);
    m.world.freeList.push(p);
  }
}

export const USE_CODE: Record<'anon' | 'file' | 'pagetable', number> = { anon: 0, file: 1, pagetable: 2 };

/**
 * Builds an initial world: a few mapped pages/folios, the rest free. The machine is created
 * once per execution from this description (no state is kept across executions).
 */
export class WorldBuilder {
  readonly L: KernelLayout;
  private readonly setups: ((m: KernelMachine) => void)[] = [];
  private readonly used = new Map<number, PageUse>();
  private readonly orders = new Map<number, number>();
  private readonly extraRefs = new Map<number, number>();
  /** the PMD table of the mm this builder adds to: the first mm's (pfn 0), or one added by addMm */
  readonly pmdTable: number = 0;
  /** the mm this builder adds to (0: the world's first mm; see addMm and inMm) */
  readonly mmId: number = 0;

  constructor(readonly geo: Geometry = DEFAULT_GEOMETRY) {
    this.L = new KernelLayout(geo);
    this.L.pmdTable = this.pmdTable;
    this.L.aliases.set(this.L.field(this.pmdTable, F_INDEX), 'pmd_huge_pte');
    this.used.set(this.pmdTable, 'pmd-table');
    this.setups.push((m) => {
      m.write(this.L.flags(this.pmdTable), PG_table);
      m.write(this.L.refcount(this.pmdTable), 1);
      m.write(this.L.mm(MM_USERS), 1);
    });
  }

  /**
   * mm_cpumask(mm) of the mm this builder adds to, as a bitmask of CPUs (bit i: cpu i has run
   * this mm): where a TLB-flush IPI goes (flush_tlb_range with --env tlb=ipi). Default: every CPU.
   */
  get cpumask(): number {
    return this.L.mms[this.mmId]!.cpumask;
  }

  /**
   * Another mm_struct: its own PMD table at page `pmdTable` (PGD..PUD folded, as for the first
   * mm), its own mm_struct fields (write_protect_seq, mm_users = 1, flags, page_table_lock,
   * tlb_flush_pending, mmap_lock) and mm_cpumask (default: every CPU). `build` fills it: the
   * builder it is given adds page tables, folios and PMD mappings to this mm
   * (`b.addMm('child', 6, (c) => c.pageTable(0, 7).anonFolioPteMapped(4, 0, 7, 0))`). A thread
   * runs in it through `k.forMm(name)`; traces print its cells as `name.pmd[i]`, `name.mmap_lock`.
   */
  addMm(name: string, pmdTable: number, build?: (mm: this) => unknown): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`world: addMm: the mm name '${name}' is not an identifier (it names the mm's cells in traces, e.g. ${'child'}.pmd[0])`);
    if (this.L.mms.some((d) => d.name === name)) throw new Error(`world: addMm: an mm named '${name}' exists already (names: ${this.L.mms.map((d) => d.name).join(', ')})`);
    this.reserve(pmdTable, 1, 'pmd-table');
    const id = this.L.mms.length;
    this.L.mms.push({ name, pmdTable, cpumask: ALL_CPUS });
    this.L.aliases.set(this.L.field(pmdTable, F_INDEX), `${name}.pmd_huge_pte`);
    this.setups.push((m) => {
      m.write(this.L.flags(pmdTable), PG_table);
      m.write(this.L.refcount(pmdTable), 1);
      m.write(this.L.mm(MM_USERS, id), 1);
    });
    if (build !== undefined) build(this.inMm(name));
    return this;
  }

  /** the world's mms so far, the first one first */
  mms(): readonly MmDesc[] {
    return this.L.mms.map((d, id) => Object.freeze({ id, ...d }));
  }

  /** This builder adding to the mm named `name` ('mm' is the first): the same world, another mm. */
  inMm(name: string): this {
    const id = this.L.mms.findIndex((d) => d.name === name);
    if (id < 0) throw new Error(`world: inMm: no mm named '${name}' (mms: ${this.L.mms.map((d) => d.name).join(', ')}; addMm adds one)`);
    const view = Object.create(this) as this;
    Object.defineProperties(view, { mmId: { value: id }, pmdTable: { value: this.L.mms[id]!.pmdTable } });
    return view;
  }

  private reserve(pfn: number, n: number, use: PageUse): void {
    for (let i = 0; i < n; i++) {
      if (pfn + i >= this.geo.nrPages) throw new Error(`world: page ${pfn + i} beyond nrPages ${this.geo.nrPages}`);
      if (this.used.has(pfn + i)) throw new Error(`world: page ${pfn + i} used twice`);
      this.used.set(pfn + i, use);
    }
    this.orders.set(pfn, Math.log2(n));
  }

  /** A PTE table at pfn, installed in pmd[pmdIndex]. */
  pageTable(pmdIndex: number, pfn: number): this {
    this.reserve(pfn, 1, 'pagetable');
    this.setups.push((m) => {
      m.write(this.L.flags(pfn), PG_table);
      m.write(this.L.refcount(pfn), 1);
      m.write(this.L.mapcount(pfn), -1);
      m.write(this.L.entry(this.pmdTable, pmdIndex), pmd_populate_val(pfn));
    });
    return this;
  }

  /**
   * An anonymous folio of 2^order pages at pfn, PTE-mapped by table `pt` from entry `firstPte`,
   * exclusive to this mm (PageAnonExclusive), as after a fault or a PMD split.
   */
  anonFolioPteMapped(pfn: number, order: number, pt: number, firstPte: number, write = true): this {
    const n = 1 << order;
    this.reserve(pfn, n, 'anon');
    this.setups.push((m) => {
      const L = this.L;
      for (let i = 0; i < n; i++) {
        const p = pfn + i;
        m.write(L.flags(p), (i === 0 && order > 0 ? PG_head : 0) | PG_anon_exclusive | PG_uptodate | PG_swapbacked | PG_lru);
        m.write(L.refcount(p), i === 0 ? n : 0); // each PTE mapping holds a folio reference
        m.write(L.mapcount(p), 0);
        m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(pfn));
        m.write(L.mapping(p), compoundMapping(i, order, PAGE_MAPPING_ANON));
        m.write(L.entry(pt, firstPte + i), pfn_pte(p, write));
      }
      m.write(L.folio_order(pfn), order);
      m.write(L.entire_mapcount(pfn), -1);
      m.write(L.nr_pages_mapped(pfn), order > 0 ? n : 0);
      m.write(L.pincount(pfn), 0);
    });
    return this;
  }

  /** An anonymous THP of 2^order pages mapped by pmd[pmdIndex] (order must equal log2(PTRS_PER_PTE)). */
  anonThpPmdMapped(pfn: number, order: number, pmdIndex: number, depositedTable: number, write = true): this {
    if (1 << order !== this.geo.ptrsPerPte) throw new Error(`world: a PMD-mapped THP has ${this.geo.ptrsPerPte} pages (order ${Math.log2(this.geo.ptrsPerPte)})`);
    const n = 1 << order;
    this.reserve(pfn, n, 'anon');
    this.reserve(depositedTable, 1, 'pagetable');
    this.setups.push((m) => {
      const L = this.L;
      for (let i = 0; i < n; i++) {
        const p = pfn + i;
        m.write(L.flags(p), (i === 0 ? PG_head : 0) | PG_anon_exclusive | PG_uptodate | PG_swapbacked | PG_lru);
        m.write(L.refcount(p), i === 0 ? 1 : 0);
        m.write(L.mapcount(p), -1);
        m.write(L.compound_head(p), i === 0 ? 0 : encodeCompoundHead(pfn));
        m.write(L.mapping(p), compoundMapping(i, order, PAGE_MAPPING_ANON));
      }
      m.write(L.folio_order(pfn), order);
      m.write(L.entire_mapcount(pfn), 0);
      m.write(L.nr_pages_mapped(pfn), 0);
      m.write(L.pincount(pfn), 0);
      // pgtable_trans_huge_deposit(): a preallocated PTE table kept for the split
      m.write(L.flags(depositedTable), PG_table);
      m.write(L.refcount(depositedTable), 1);
      m.write(L.field(this.pmdTable, F_INDEX), depositedTable); // pmd_huge_pte(mm, pmd) (one-slot deposit list)
      m.write(L.entry(this.pmdTable, pmdIndex), pfn_pmd_huge(pfn, write));
    });
    return this;
  }

  /** Declare `n` references on folio `pfn` held by an owner other than a mapping (page cache...). */
  /**
   * mm_cpumask(mm): the CPUs this mm runs on (a CPU list, e.g. [0, 1]). x86's flush_tlb_mm_range()
   * IPIs only these, so a CPU running another mm with irqs off does not hold up this mm's flush.
   * Default: every CPU. (A CPU whose thread drives another mm is left out of it.)
   */
  mmCpumask(cpus: readonly number[]): this {
    let mask = 0;
    for (const c of cpus) {
      if (!Number.isInteger(c) || c < 0 || c > 30) throw new Error(`world: mmCpumask: cpu ${c} is not a CPU number 0..30`);
      mask |= 1 << c;
    }
    this.L.mms[this.mmId]!.cpumask = mask;
    return this;
  }

  extraRef(pfn: number, n: number): this {
    this.extraRefs.set(pfn, (this.extraRefs.get(pfn) ?? 0) + n);
    this.setups.push((m) => m.write(this.L.refcount(pfn), m.mem[this.L.refcount(pfn)]! + n));
    return this;
  }

  /** Reserve pages for a scenario's own setup (see custom()): the allocator will not hand them out. */
  reservePages(pfn: number, n: number, use: PageUse): this {
    this.reserve(pfn, n, use);
    return this;
  }

  /** Extra setup for scenario-specific state. */
  custom(f: (m: KernelMachine, L: KernelLayout) => void): this {
    this.setups.push((m) => f(m, this.L));
    return this;
  }

  /** A function that builds a fresh machine with this world, for every execution. */
  build(ncpu: number): () => KernelMachine {
    const geo = this.geo;
    const L = this.L;
    const used = new Map(this.used);
    const orders = new Map(this.orders);
    const setups = [...this.setups];
    const extraRefs = new Map(this.extraRefs);
    const mms = this.mms();
    const freeInit: number[] = [];
    for (let p = geo.nrPages - 1; p >= 0; p--) if (!used.has(p)) freeInit.push(p);
    const metaRes = Array.from({ length: geo.nrPages }, (_, p) => resourceId(`page[${p}].meta`));
    return () => {
      const pages: PageMeta[] = [];
      const state: KernelState = { geo, L, pages, freeList: [...freeInit], pmdTable: 0, mms, extraRefs };
      const m = new Machine<KernelState>(ncpu, L.size, L, state, handlers);
      for (let p = 0; p < geo.nrPages; p++) pages.push(new TrackedPageMeta(m, metaRes[p]!, used.get(p) ?? 'free', 1, orders.get(p) ?? 0));
      for (let p = 0; p < geo.nrPages; p++) {
        if (!used.has(p)) {
          m.mem[L.flags(p)] = PG_buddy;
          m.mem[L.mapcount(p)] = -1;
        }
      }
      for (const s of setups) s(m);
      return m;
    };
  }
}
