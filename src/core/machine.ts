import { blindResult, type GhostEvent, type Label, type RmwKind, type SharedOp } from './op.js';
import { awaitCondText, awaitHolds } from './op.js';

/**
 * The machine: shared memory plus the per-CPU concurrency substrate the kernel relies on
 * (irq state, IPIs, RCU read sections and grace periods, spinlocks). It is the only place that
 * applies operations (`apply`); paths never touch it. Kernel-specific state (page allocator
 * bookkeeping, TLB) lives in `world`, changed only by the `WorldOp` handlers registered for it.
 *
 * One thread runs on one CPU: thread i is CPU i.
 */
export interface Layout {
  /** Human-readable name of a memory location, e.g. `page[3]._refcount`, `pt[5].pte[1]`. */
  nameOf(loc: number): string;
  /** How a value stored at loc reads best (a PTE decoded, a lock owner), for traces. */
  formatValue(loc: number, value: number): string;
}

/** A change of shared state made by one step, for traces. */
export interface Change {
  readonly what: string;
  readonly before: string;
  readonly after: string;
}

export type WorldHandler<W> = (m: Machine<W>, tid: number, args: readonly number[], label: Label) => number;

export interface BlockReason {
  readonly tid: number;
  readonly why: string;
}

/**
 * Resource ids. Memory cells are 0..memSize-1. Other shared state an invariant or a world
 * handler can read (page metadata, an invariant's own cross-CPU state) gets a stable negative id
 * from `resourceId`, below the ids the scheduler uses for CPU-local substrate (IRQ, RCU, ...).
 */
const resourceIds = new Map<string, number>();
const FIRST_NAMED_RESOURCE = -1_000_000;
/** A stable id for a named resource (the same name gives the same id for the whole process). */
export function resourceId(name: string): number {
  let id = resourceIds.get(name);
  if (id === undefined) {
    id = FIRST_NAMED_RESOURCE - resourceIds.size;
    resourceIds.set(name, id);
  }
  return id;
}
/** wildcard: any memory location (>= 0), e.g. a bulk read of `mem` (mem.slice()) */
export const ALL_MEMORY = -999;

export class Machine<W = unknown> {
  /**
   * The memory cells themselves. The machine applies ops to these; everything else (invariants,
   * world handlers, scenario code) reads `mem`, which records each read while `reads` is set.
   */
  readonly cells: Float64Array;
  /** per CPU: irqs disabled (local_irq_save) */
  readonly irqOff: Uint8Array;
  /** per CPU: rcu_read_lock nesting */
  readonly rcuNest: Uint16Array;
  /** per sender CPU: bitmask of CPUs that have not yet taken its last IPI */
  readonly ipiPending: Uint32Array;
  /** per CPU: bitmask of CPUs that must leave an RCU read-side section for its grace period */
  readonly gpPending: Uint32Array;
  /** non-null while a trace is being recorded: the changes of the current step */
  changes: Change[] | null = null;
  /** memory locations (and named resources) written by the current step, when a strategy asks for them (DPOR) */
  touched: number[] | null = null;
  /**
   * Memory locations and named resources read through `mem` / `observe` by the current step's
   * world handler, invariant checks and ghost deliveries, when a strategy asks for them (DPOR):
   * what an invariant reads becomes part of the footprint of the step it checks.
   */
  reads: number[] | null = null;
  private readonly tracked: Float64Array;
  constructor(
    readonly ncpu: number,
    memSize: number,
    readonly layout: Layout,
    readonly world: W,
    readonly handlers: Readonly<Record<string, WorldHandler<W>>>,
  ) {
    if (ncpu > 31) throw new Error('at most 31 CPUs');
    this.cells = new Float64Array(memSize);
    this.tracked = trackingView(this);
    this.irqOff = new Uint8Array(ncpu);
    this.rcuNest = new Uint16Array(ncpu);
    this.ipiPending = new Uint32Array(ncpu);
    this.gpPending = new Uint32Array(ncpu);
  }

  /** Shared memory as everything outside the machine sees it: reads are recorded while `reads` is set. */
  get mem(): Float64Array {
    return this.reads === null ? this.cells : this.tracked;
  }

  /** Record a read of a named resource (resourceId) by the current step's checks or handler. */
  observe(res: number): void {
    if (this.reads !== null) this.reads.push(res);
  }
  /** Record a write of a named resource (resourceId): world state a world handler changes. */
  touch(res: number): void {
    if (this.touched !== null) this.touched.push(res);
  }

  /** The one way state is written; records the change when a trace is being taken. */
  write(loc: number, value: number): void {
    const before = this.cells[loc]!;
    this.cells[loc] = value;
    if (this.touched !== null) this.touched.push(loc);
    if (this.changes !== null && before !== value) {
      this.changes.push({
        what: this.layout.nameOf(loc),
        before: this.layout.formatValue(loc, before),
        after: this.layout.formatValue(loc, value),
      });
    }
  }

  /** Record a change of non-memory state (allocator, irq, TLB) for traces. */
  note(what: string, before: string, after: string): void {
    if (this.changes !== null) this.changes.push({ what, before, after });
  }

  /** Whether thread `tid` can execute `op` now (spinlocks, IPI and grace-period waits block). */
  enabled(tid: number, op: SharedOp): boolean {
    switch (op.kind) {
      case 'lock':
        return this.cells[op.loc] === 0;
      case 'ipi_wait':
        return this.ipiPending[tid] === 0;
      case 'gp_wait':
        return this.gpPending[tid] === 0;
      case 'await':
        return awaitHolds(op.cmp, this.cells[op.loc]!, op.value);
      default:
        return true;
    }
  }

  /** Why a thread cannot run, for deadlock reports. */
  blockedOn(tid: number, op: SharedOp): string {
    switch (op.kind) {
      case 'lock':
        return `spinning on ${this.layout.nameOf(op.loc)} held by cpu${this.cells[op.loc]! - 1}`;
      case 'ipi_wait':
        return `waiting for its IPI to be taken by ${cpuList(this.ipiPending[tid]!)} (irqs off there)`;
      case 'gp_wait':
        return `waiting for an RCU grace period: ${cpuList(this.gpPending[tid]!)} still in a read-side section`;
      case 'await':
        return `spinning until ${this.layout.nameOf(op.loc)} satisfies ${awaitCondText(op.cmp, op.value)} (it is ${this.layout.formatValue(op.loc, this.cells[op.loc]!)})`;
      default:
        return 'runnable';
    }
  }

  /** Apply one shared operation for thread `tid`; returns the value the path receives. */
  apply(tid: number, op: SharedOp): number {
    const mem = this.cells;
    switch (op.kind) {
      case 'load':
        return op.blind === true ? blindResult(op, mem[op.loc]!) : mem[op.loc]!;
      case 'store':
        this.write(op.loc, op.value);
        return 0;
      case 'rmw': {
        const old = mem[op.loc]!;
        const next = rmwResult(op.rmw, old, op.a, op.b);
        if (next !== old) this.write(op.loc, next);
        return op.blind === true ? blindResult(op, old) : old;
      }
      case 'fence':
        return 0; // sequential consistency: fences only matter to a weak-memory layer
      case 'lock':
        if (mem[op.loc] === tid + 1) throw new ModelError(`${op.label.fn}: spin_lock of ${this.layout.nameOf(op.loc)} already held by this CPU (self-deadlock)`);
        this.write(op.loc, tid + 1);
        return 0;
      case 'unlock':
        if (mem[op.loc] !== tid + 1) throw new ModelError(`${op.label.fn}: spin_unlock of ${this.layout.nameOf(op.loc)} not held by this CPU`);
        this.write(op.loc, 0);
        return 0;
      case 'irq_disable':
        if (this.irqOff[tid] === 0) {
          this.irqOff[tid] = 1;
          this.note(`cpu${tid}.irqs`, 'on', 'off');
        }
        return 0;
      case 'irq_enable':
        if (this.irqOff[tid] === 1) {
          this.irqOff[tid] = 0;
          this.note(`cpu${tid}.irqs`, 'off', 'on');
          this.takePendingIpis(tid);
          if (this.rcuNest[tid] === 0) this.quiescent(tid);
        }
        return 0;
      case 'rcu_read_lock':
        this.rcuNest[tid]!++;
        this.note(`cpu${tid}.rcu_read_lock_nesting`, String(this.rcuNest[tid]! - 1), String(this.rcuNest[tid]));
        return 0;
      case 'rcu_read_unlock':
        if (this.rcuNest[tid] === 0) throw new ModelError(`${op.label.fn}: rcu_read_unlock without rcu_read_lock`);
        this.rcuNest[tid]!--;
        this.note(`cpu${tid}.rcu_read_lock_nesting`, String(this.rcuNest[tid]! + 1), String(this.rcuNest[tid]));
        if (this.rcuNest[tid] === 0 && this.irqOff[tid] === 0) this.quiescent(tid);
        return 0;
      case 'ipi_send': {
        // CPUs with irqs on take the IPI at once; the rest hold it until local_irq_enable.
        let pending = 0;
        for (let c = 0; c < this.ncpu; c++) if (c !== tid && this.irqOff[c] === 1 && (op.targets === undefined || (op.targets >> c) & 1)) pending |= 1 << c;
        this.ipiPending[tid] = pending;
        this.note(`cpu${tid}.ipi`, '-', pending === 0 ? 'taken by all CPUs' : `pending on ${cpuList(pending)}`);
        return 0;
      }
      case 'ipi_wait':
        return 0;
      case 'gp_start': {
        let pending = 0;
        for (let c = 0; c < this.ncpu; c++) if (c !== tid && (this.rcuNest[c]! > 0 || this.irqOff[c] === 1)) pending |= 1 << c;
        this.gpPending[tid] = pending;
        this.note(`cpu${tid}.rcu_gp`, '-', pending === 0 ? 'no readers' : `waiting for readers on ${cpuList(pending)}`);
        return 0;
      }
      case 'gp_wait':
        return 0;
      case 'await':
        return mem[op.loc]!; // enabled() saw the condition hold: the spin's final, successful read
      case 'world': {
        const h = this.handlers[op.name];
        if (h === undefined) throw new ModelError(`unknown world operation '${op.name}'`);
        return h(this, tid, op.args, op.label);
      }
    }
  }

  private takePendingIpis(cpu: number): void {
    const bit = 1 << cpu;
    for (let s = 0; s < this.ncpu; s++) {
      if (this.ipiPending[s]! & bit) {
        this.ipiPending[s]! &= ~bit;
        this.note(`cpu${s}.ipi`, 'pending', `taken by cpu${cpu}`);
      }
    }
  }

  private quiescent(cpu: number): void {
    const bit = 1 << cpu;
    for (let s = 0; s < this.ncpu; s++) if (this.gpPending[s]! & bit) this.gpPending[s]! &= ~bit;
  }
}

/**
 * `mem` as seen while reads are recorded: a Proxy over the cells that logs every index read and
 * turns every index write into Machine.write (so it is recorded as a write too). Anything else
 * (slice, subarray, iteration) is a read of all memory.
 */
function trackingView<W>(m: Machine<W>): Float64Array {
  const cells = m.cells;
  return new Proxy(cells, {
    get(t, k) {
      if (typeof k === 'string') {
        const i = +k;
        if (i >= 0 && (i | 0) === i && i < t.length) {
          m.reads?.push(i);
          return t[i];
        }
        if (k === 'length') return t.length;
      }
      m.reads?.push(ALL_MEMORY);
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set(t, k, v) {
      if (typeof k === 'string') {
        const i = +k;
        if (i >= 0 && (i | 0) === i && i < t.length) {
          m.write(i, v as number);
          return true;
        }
      }
      return Reflect.set(t, k, v, t);
    },
  });
}

export function rmwResult(kind: RmwKind, old: number, a: number, b: number): number {
  switch (kind) {
    case 'add':
      return old + a;
    case 'add_unless':
      return old === b ? old : old + a;
    case 'cmpxchg':
      return old === a ? b : old;
    case 'xchg':
      return a;
    case 'or':
      return old | a;
    case 'andnot':
      return old & ~a;
  }
}

function cpuList(mask: number): string {
  const out: string[] = [];
  for (let c = 0; c < 31; c++) if (mask & (1 << c)) out.push(`cpu${c}`);
  return out.join(',');
}

/** The model itself is wrong (unbalanced unlock, unknown op): not a race in the kernel. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}

/** A ghost event as delivered to invariants. */
export interface GhostDelivery {
  readonly tid: number;
  readonly event: GhostEvent;
}
