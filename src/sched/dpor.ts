/**
 * Source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1),
 * stateless by re-execution: generators cannot be cloned, so every execution re-runs from the
 * initial world, replays a prefix and then diverges at the deepest node with an untried
 * backtrack choice (as loom does).
 *
 * After each step the executed event is checked for races with earlier events (dependent, other
 * CPU, and not ordered by happens-before through any third event). For a race e_j ⋖ e_i, the
 * initials of notdep(e_j).e_i are computed and, if none is already in backtrack(j), one is
 * added: the reversed race will be explored from node j. Sleep sets prune re-exploration of an
 * interleaving equivalent to one already explored; an execution whose every runnable CPU is
 * asleep is abandoned and counted as sleep-set blocked.
 *
 * Dependence comes from the operations' data (footprint.ts). Spinlocks: a release->acquire pair
 * is not a reversible race (the acquire could not have gone first), so acquires race with the
 * earlier acquires of the same lock instead. When the thread to add is not runnable at node j
 * (blocked on a lock, IPI or grace period), every runnable thread there is added (the classic
 * conservative fallback).
 *
 * Options: a preemption bound (CHESS; choices over the bound are pruned and the result says it
 * is bounded), and a fixed prefix (shards explore disjoint prefixes; races reaching into the
 * prefix are left to the shard enumeration that covers every prefix).
 */
import type { ExecResult, SchedView } from '../core/execution.js';
import { clearArray } from '../core/execution.js';
import type { SharedOp } from '../core/op.js';
import { commuting, dependent, dependentBeyond, FootprintInterner, NOT_BLIND, type Footprint } from './footprint.js';
import type { Strategy } from './strategy.js';

export interface DporOptions {
  readonly preemptions?: number;
  readonly prefix?: readonly number[];
  readonly prefixSleep?: readonly number[];
  /** per prefix node: the footprint of each asleep CPU's next step there (missing: it wakes) */
  readonly prefixSleepFps?: readonly (readonly (Footprint | undefined)[])[];
  /**
   * Let blind adds with one tag commute (Footprint.commute; default true). false: every RMW that
   * changed its location is a write, as before the reduction (for measuring it, and for the
   * cross-check that it changes no verdict).
   */
  readonly commute?: boolean;
}

interface Node {
  /** runnable CPUs here (bitmask) */
  readonly enabled: number;
  /** the sleep set inherited from the parent (bitmask) */
  readonly sleep: number;
  /**
   * per CPU: the exact footprint of its next step here — for the sleeping ones inherited with
   * the sleep set, for the explored ones recorded when they ran from here. Exact (with what the
   * step's invariant checks read), never the op's static footprint: a sleeping CPU stays asleep
   * only while nothing it would read or write changes, its checks' reads included.
   */
  fps: (Footprint | undefined)[];
  /** CPUs to explore from here; invariant: done ⊆ backtrack */
  backtrack: number;
  /** CPUs explored (or being explored) from here */
  done: number;
  chosen: number;
  /** the CPU that ran the previous step, -1 at the root */
  readonly current: number;
  readonly preemptionsBefore: number;
}

/**
 * Events are kept as parallel typed arrays (struct of arrays), reused across executions: the
 * CPU, the lock word of a spin_lock/spin_unlock step (else -1), the 1-based index among its
 * CPU's events, the footprint, and the vector clock (clock[t] = number of CPU t's events that
 * happen before or are this one) in one flat array, n entries per event. A step allocates
 * nothing here once the arrays have grown to the run's depth.
 */
interface IndexEntry {
  /** the execution this entry belongs to (entries of earlier executions are stale) */
  epoch: number;
  /** the last event writing the resource, or -1 (a commuting add is not a write here) */
  w: number;
  /** the events reading it since */
  readonly r: number[];
  /** the commuting adds since (Footprint.commute), which conflict with reads, writes and adds of another tag */
  readonly adds: number[];
}

const bit = (t: number): number => 1 << t;
/**
 * Steps of one execution DPOR keeps a node and an event for (a few hundred bytes each). An
 * execution that runs longer (a spin loop at --max-steps 10000000) goes on non-preemptively
 * without them, so memory stays bounded; its verdict can then not be CLEAN (see `bounds`).
 * The default --max-steps (2000) is far below it.
 */
export const TRACKED_STEPS = 200_000;
/** a node's footprint list before any is recorded (most nodes: nothing asleep) */
const NO_FPS: (Footprint | undefined)[] = [];

const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);

/** what a search without the commuting-adds reduction is called in reports (`strategy dpor --no-commuting-adds`) */
export const NO_COMMUTING_ADDS = ' --no-commuting-adds';

export class DporStrategy implements Strategy {
  /** a report names the search it ran: without the reduction, that says so */
  get name(): string {
    return this.commute ? 'dpor' : `dpor${NO_COMMUTING_ADDS}`;
  }
  readonly wantsWrites = true;
  private nodes: Node[] = [];
  /** events of this execution so far (the arrays below hold them) */
  private count = 0;
  private n = 0;
  private cap = 0;
  private evTid = new Int32Array(0);
  private evLock = new Int32Array(0);
  private evLocal = new Int32Array(0);
  private evFp: Footprint[] = [];
  private clocks = new Int32Array(0);
  private readonly lastOf: number[] = [];
  private pendingSleep = 0;
  private pendingSleepFps: (Footprint | undefined)[] = [];
  /** per resource: the last event writing it and the events reading it since (stale unless epoch matches) */
  private readonly index = new Map<number, IndexEntry>();
  private epoch = 0;
  private readonly preds: number[] = [];
  private vbuf = new Int32Array(64);
  private readonly interner = new FootprintInterner();
  /** per lock word: the acquire events so far */
  private acquires = new Map<number, number[]>();
  private depth = 0;
  private started = false;
  private finished = false;
  private pruned = false;
  private blocked = 0;
  private untracked = false;
  private readonly maxPreemptions: number;
  private readonly prefix: readonly number[];
  private readonly prefixSleep: readonly number[];
  private readonly prefixSleepFps: readonly (readonly (Footprint | undefined)[])[];
  private readonly commute: boolean;

  constructor(opts: DporOptions = {}) {
    this.maxPreemptions = opts.preemptions ?? Infinity;
    this.prefix = opts.prefix ?? [];
    this.prefixSleep = opts.prefixSleep ?? [];
    this.prefixSleepFps = opts.prefixSleepFps ?? [];
    this.commute = opts.commute ?? true;
  }

  get complete(): boolean {
    return this.finished;
  }
  get bounds(): readonly string[] {
    const b = this.pruned ? [`preemptions <= ${this.maxPreemptions}`] : [];
    if (this.untracked) b.push(`DPOR reordered only the first ${TRACKED_STEPS} steps of each execution (an execution ran longer)`);
    return b;
  }
  get sleepBlocked(): number {
    return this.blocked;
  }

  nextExecution(): boolean {
    if (this.finished) return false;
    this.depth = 0;
    this.count = 0;
    this.lastOf.length = 0;
    this.epoch++;
    this.acquires = new Map();
    this.pendingSleep = 0;
    this.pendingSleepFps = [];
    if (!this.started) {
      this.started = true;
      return true;
    }
    for (let j = this.nodes.length - 1; j >= this.prefix.length; j--) {
      const node = this.nodes[j]!;
      let cand = node.backtrack & ~node.done & ~node.sleep;
      while (cand !== 0) {
        const t = lowest(cand);
        cand &= ~bit(t);
        node.done |= bit(t);
        if (this.preemptionsIf(node, t) > this.maxPreemptions) {
          this.pruned = true;
          continue;
        }
        node.chosen = t;
        this.nodes.length = j + 1;
        return true;
      }
    }
    this.finished = true;
    return false;
  }

  private preemptionsIf(node: Node, t: number): number {
    const preempt = node.current >= 0 && (node.enabled & bit(node.current)) !== 0 && t !== node.current;
    return node.preemptionsBefore + (preempt ? 1 : 0);
  }

  choose(view: SchedView): number {
    const d = this.depth++;
    if (d < this.nodes.length) return this.nodes[d]!.chosen;
    if (d >= TRACKED_STEPS) {
      // past the tracked depth: run on without nodes (memory stays bounded), and say so
      this.untracked = true;
      return view.enabled.includes(view.current) ? view.current : view.enabled[0]!;
    }
    let enabled = 0;
    const en = view.enabled;
    for (let k = 0; k < en.length; k++) enabled |= bit(en[k]!);
    const parent = this.nodes[d - 1];
    const preemptionsBefore = parent === undefined ? 0 : this.preemptionsIf(parent, parent.chosen);
    const current = view.current;
    let t: number;
    if (d < this.prefix.length) {
      t = this.prefix[d]!;
      if ((enabled & bit(t)) === 0) return -1; // an infeasible prefix: nothing below it
    } else {
      const avail = enabled & ~this.pendingSleep;
      if (avail === 0) {
        this.blocked++;
        return -1;
      }
      t = current >= 0 && (avail & bit(current)) !== 0 ? current : lowest(avail);
      const preempt = current >= 0 && (enabled & bit(current)) !== 0 && t !== current;
      if (preemptionsBefore + (preempt ? 1 : 0) > this.maxPreemptions) {
        this.pruned = true;
        return -1;
      }
    }
    const inPrefix = d < this.prefix.length;
    this.nodes.push({
      enabled,
      fps: inPrefix ? [...(this.prefixSleepFps[d] ?? [])] : this.pendingSleepFps === NO_FPS ? NO_FPS : this.pendingSleepFps,
      sleep: inPrefix ? (this.prefixSleep[d] ?? 0) : this.pendingSleep,
      backtrack: bit(t),
      done: bit(t),
      chosen: t,
      current,
      preemptionsBefore,
    });
    return t;
  }

  onStep(tid: number, op: SharedOp, view: SchedView): void {
    const i = this.count;
    if (i >= TRACKED_STEPS) return;
    if (i === 0) this.n = view.threadCount;
    const n = this.n;
    if (i >= this.cap) this.grow(i + 1);
    const fp = this.interner.step(op, tid, n, view.lastWrites, view.lastReads, this.commute ? view.lastAdd : NOT_BLIND, view.lastResult);
    const prev = this.lastOf[tid] ?? -1;
    const clocks = this.clocks;
    const base = i * n;
    if (prev < 0) for (let t = 0; t < n; t++) clocks[base + t] = 0;
    else clocks.copyWithin(base, prev * n, prev * n + n);
    const local = (prev < 0 ? 0 : this.evLocal[prev]!) + 1;
    // Candidates for a direct race, from a per-resource index: a read conflicts with the last
    // write and the commuting adds since, a write with the last write and the reads and adds
    // since. Earlier conflicting events happen before those, so they can never be direct races.
    // A candidate that commutes with this step (Footprint.commute: blind adds of one tag) is
    // neither a race nor an edge of happens-before.
    const preds = this.preds;
    clearArray(preds);
    const reads = fp.reads;
    const writes = fp.writes;
    const cm = fp.commute;
    for (let k = 0; k < reads.length; k++) {
      const r = reads[k]!;
      if (writes.includes(r)) continue;
      const st = this.index.get(r);
      if (st === undefined || st.epoch !== this.epoch) continue;
      this.addPred(st.w, tid);
      for (let x = 0; x < st.adds.length; x++) this.addPred(st.adds[x]!, tid);
    }
    for (let k = 0; k < writes.length; k++) {
      const st = this.index.get(writes[k]!);
      if (st === undefined || st.epoch !== this.epoch) continue;
      this.addPred(st.w, tid);
      for (let x = 0; x < st.r.length; x++) this.addPred(st.r[x]!, tid);
      for (let x = 0; x < st.adds.length; x++) this.addPred(st.adds[x]!, tid);
    }
    if (cm !== undefined) {
      let keep = 0;
      for (let k = 0; k < preds.length; k++) {
        const j = preds[k]!;
        if (!commuting(this.evFp[j]!, fp)) preds[keep++] = j;
      }
      preds.length = keep;
    }
    for (let k = 0; k < preds.length; k++) {
      const c = preds[k]! * n;
      for (let t = 0; t < n; t++) if (clocks[c + t]! > clocks[base + t]!) clocks[base + t] = clocks[c + t]!;
    }
    clocks[base + tid] = local;
    const isLock = op.kind === 'lock' || op.kind === 'unlock';
    const lockLoc = isLock ? op.loc : -1;
    // the new event's slot is written before the race checks (they read events below i only,
    // and `reverse` reads the new one from its slot)
    this.evTid[i] = tid;
    this.evLock[i] = lockLoc;
    this.evLocal[i] = local;
    this.evFp[i] = fp;

    if (isLock) {
      if (op.kind === 'lock') {
        // acquires race with earlier acquires of the same lock, judged without the lock's own
        // release->acquire edges
        const others = preds.filter((k) => this.evLock[k] !== lockLoc);
        const acquires = this.acquires.get(lockLoc) ?? [];
        for (const j of acquires) {
          if (this.evTid[j] === tid) continue;
          if (this.covered(j, others, prev, -1)) continue;
          this.reverse(j, i);
        }
        acquires.push(i);
        this.acquires.set(lockLoc, acquires);
      }
      for (let k = 0; k < preds.length; k++) {
        const j = preds[k]!;
        // the lock word's own release->acquire edges are not races (above); what else the two
        // steps touch (an invariant's ghost state, memory read by a check) still races
        if (this.evLock[j] === lockLoc && !dependentBeyond(this.evFp[j]!, fp, lockLoc)) continue;
        if (!this.covered(j, preds, prev, j)) this.reverse(j, i);
      }
    } else {
      const memoryOp = op.kind === 'load' || op.kind === 'store' || op.kind === 'rmw';
      for (let k = 0; k < preds.length; k++) {
        const j = preds[k]!;
        const jl = this.evLock[j]!;
        if (jl >= 0 && !memoryOp && !dependentBeyond(this.evFp[j]!, fp, jl)) continue;
        if (!this.covered(j, preds, prev, j)) this.reverse(j, i);
      }
    }

    // the sleep set below this step: earlier explored siblings that commute with this step
    const node = this.nodes[i]!;
    if (node.fps === NO_FPS) node.fps = [];
    node.fps[tid] = fp;
    const asleep = (node.sleep | node.done) & ~bit(tid);
    let sleep = 0;
    let sleepFps: (Footprint | undefined)[] | null = null;
    for (let m = asleep; m !== 0; m &= m - 1) {
      const q = lowest(m);
      const fq = node.fps[q];
      if (fq !== undefined && !dependent(fq, fp)) {
        sleep |= bit(q);
        (sleepFps ??= [])[q] = fq;
      }
    }
    this.pendingSleep = sleep;
    this.pendingSleepFps = sleepFps ?? NO_FPS;
    this.count = i + 1;
    this.lastOf[tid] = i;
    for (let k = 0; k < reads.length; k++) {
      const r = reads[k]!;
      if (!writes.includes(r)) this.entry(r).r.push(i);
    }
    for (let k = 0; k < writes.length; k++) {
      const w = writes[k]!;
      const st = this.entry(w);
      if (cm !== undefined && cm.loc === w) {
        // a blind add: kept beside the last write and the reads since, which it does not replace
        st.adds.push(i);
      } else {
        st.w = i;
        clearArray(st.r);
        clearArray(st.adds);
      }
    }
  }

  /** the index entry of resource `x` for this execution (an entry of an earlier one is reset) */
  private entry(x: number): IndexEntry {
    const st = this.index.get(x);
    if (st === undefined) {
      const fresh: IndexEntry = { epoch: this.epoch, w: -1, r: [], adds: [] };
      this.index.set(x, fresh);
      return fresh;
    }
    if (st.epoch !== this.epoch) {
      st.epoch = this.epoch;
      st.w = -1;
      clearArray(st.r);
      clearArray(st.adds);
    }
    return st;
  }

  private addPred(j: number, tid: number): void {
    if (j < 0 || this.evTid[j] === tid || this.preds.includes(j)) return;
    this.preds.push(j);
  }

  /** room for `need` events (the arrays double; contents are kept) */
  private grow(need: number): void {
    let cap = Math.max(64, this.cap);
    while (cap < need) cap *= 2;
    const copy = (a: Int32Array, size: number) => {
      const b = new Int32Array(size);
      b.set(a.subarray(0, Math.min(a.length, size)));
      return b;
    };
    this.evTid = copy(this.evTid, cap);
    this.evLock = copy(this.evLock, cap);
    this.evLocal = copy(this.evLocal, cap);
    this.clocks = copy(this.clocks, cap * this.n);
    this.cap = cap;
  }

  /** event e happens before the new event through a predecessor other than `except` (or program order from `prev`) */
  private covered(e: number, preds: readonly number[], prev: number, except: number): boolean {
    const n = this.n;
    const et = this.evTid[e]!;
    const el = this.evLocal[e]!;
    if (prev >= 0 && this.clocks[prev * n + et]! >= el) return true;
    for (let k = 0; k < preds.length; k++) {
      const p = preds[k]!;
      if (p !== except && this.clocks[p * n + et]! >= el) return true;
    }
    return false;
  }

  /** The race e_j ⋖ e_i: make sure an initial of notdep(e_j).e_i is in backtrack(j). */
  private reverse(j: number, i: number): void {
    if (j < this.prefix.length) return;
    const node = this.nodes[j]!;
    const n = this.n;
    const clocks = this.clocks;
    const jt = this.evTid[j]!;
    const jl = this.evLocal[j]!;
    if (this.vbuf.length < i - j + 1) this.vbuf = new Int32Array(Math.max(2 * this.vbuf.length, i - j + 1));
    const v = this.vbuf;
    let len = 0;
    for (let k = j + 1; k < i; k++) if (clocks[k * n + jt]! < jl) v[len++] = k;
    v[len++] = i;
    let initials = 0;
    let seen = 0;
    for (let a = 0; a < len; a++) {
      const e = v[a]!;
      const et = this.evTid[e]!;
      if ((seen & bit(et)) !== 0) continue;
      seen |= bit(et);
      let first = true;
      for (let b = 0; b < a && first; b++) {
        const f = v[b]!;
        const ft = this.evTid[f]!;
        if (ft !== et && clocks[e * n + ft]! >= this.evLocal[f]!) first = false;
      }
      if (first) initials |= bit(et);
    }
    if ((initials & node.backtrack) !== 0) return;
    const it = this.evTid[i]!;
    const q = (initials & bit(it)) !== 0 ? it : lowest(initials);
    node.backtrack |= (node.enabled & bit(q)) !== 0 ? bit(q) : node.enabled;
  }

  endExecution(_r: ExecResult): void {
    this.nodes.length = Math.min(this.nodes.length, this.depth);
  }
}
