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
import type { SharedOp } from '../core/op.js';
import { dependent, stepFootprint, type Footprint } from './footprint.js';
import type { Strategy } from './strategy.js';

export interface DporOptions {
  readonly preemptions?: number;
  readonly prefix?: readonly number[];
  readonly prefixSleep?: readonly number[];
  /** per prefix node: the footprint of each asleep CPU's next step there (missing: it wakes) */
  readonly prefixSleepFps?: readonly (readonly (Footprint | undefined)[])[];
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
  readonly fps: (Footprint | undefined)[];
  /** CPUs to explore from here; invariant: done ⊆ backtrack */
  backtrack: number;
  /** CPUs explored (or being explored) from here */
  done: number;
  chosen: number;
  /** the CPU that ran the previous step, -1 at the root */
  readonly current: number;
  readonly preemptionsBefore: number;
}

interface Event {
  readonly tid: number;
  readonly op: SharedOp;
  readonly fp: Footprint;
  /** vector clock: clock[t] = number of CPU t's events that happen before (or are) this one */
  readonly clock: Int32Array;
  /** 1-based index of this event among its CPU's events */
  readonly local: number;
}

const bit = (t: number): number => 1 << t;

/** whether a and b conflict on some resource other than `except` (a lock word) */
function dependentBeyond(a: Footprint, b: Footprint, except: number): boolean {
  const drop = (xs: readonly number[]) => (xs.includes(except) ? xs.filter((x) => x !== except) : xs);
  return dependent({ reads: drop(a.reads), writes: drop(a.writes) }, { reads: drop(b.reads), writes: drop(b.writes) });
}
const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);

export class DporStrategy implements Strategy {
  readonly name = 'dpor';
  readonly wantsWrites = true;
  private nodes: Node[] = [];
  private events: Event[] = [];
  private lastOf: number[] = [];
  private pendingSleep = 0;
  private pendingSleepFps: (Footprint | undefined)[] = [];
  /** per resource: the last event writing it and the events reading it since */
  private index = new Map<number, { w: number; r: number[] }>();
  /** per lock word: the acquire events so far */
  private acquires = new Map<number, number[]>();
  private depth = 0;
  private started = false;
  private finished = false;
  private pruned = false;
  private blocked = 0;
  private readonly maxPreemptions: number;
  private readonly prefix: readonly number[];
  private readonly prefixSleep: readonly number[];
  private readonly prefixSleepFps: readonly (readonly (Footprint | undefined)[])[];

  constructor(opts: DporOptions = {}) {
    this.maxPreemptions = opts.preemptions ?? Infinity;
    this.prefix = opts.prefix ?? [];
    this.prefixSleep = opts.prefixSleep ?? [];
    this.prefixSleepFps = opts.prefixSleepFps ?? [];
  }

  get complete(): boolean {
    return this.finished;
  }
  get bounds(): readonly string[] {
    return this.pruned ? [`preemptions <= ${this.maxPreemptions}`] : [];
  }
  get sleepBlocked(): number {
    return this.blocked;
  }

  nextExecution(): boolean {
    if (this.finished) return false;
    this.depth = 0;
    this.events = [];
    this.lastOf = [];
    this.index = new Map();
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
    let enabled = 0;
    for (const t of view.enabled) enabled |= bit(t);
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
      const node = { enabled, fps: [], sleep: this.pendingSleep, backtrack: 0, done: 0, chosen: t, current, preemptionsBefore };
      if (this.preemptionsIf(node, t) > this.maxPreemptions) {
        this.pruned = true;
        return -1;
      }
    }
    const inPrefix = d < this.prefix.length;
    this.nodes.push({
      enabled,
      fps: inPrefix ? [...(this.prefixSleepFps[d] ?? [])] : this.pendingSleepFps,
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
    const n = view.threadCount;
    const i = this.events.length;
    const fp = stepFootprint(op, tid, n, view.lastWrites, view.lastReads);
    const prevIdx = this.lastOf[tid];
    const prev = prevIdx === undefined ? undefined : this.events[prevIdx];
    const clock = prev === undefined ? new Int32Array(n) : prev.clock.slice();
    const local = (prev?.local ?? 0) + 1;
    // Candidates for a direct race, from a per-resource index: a read conflicts with the last
    // write, a write with the last write and the reads since. Earlier conflicting events
    // happen before those, so they can never be direct races.
    const preds: number[] = [];
    const addPred = (j: number) => {
      if (j < 0 || this.events[j]!.tid === tid || preds.includes(j)) return;
      preds.push(j);
    };
    for (const r of fp.reads) {
      if (fp.writes.includes(r)) continue;
      const st = this.index.get(r);
      if (st !== undefined) addPred(st.w);
    }
    for (const w of fp.writes) {
      const st = this.index.get(w);
      if (st === undefined) continue;
      addPred(st.w);
      for (const rd of st.r) addPred(rd);
    }
    for (const j of preds) {
      const c = this.events[j]!.clock;
      for (let t = 0; t < n; t++) if (c[t]! > clock[t]!) clock[t] = c[t]!;
    }
    clock[tid] = local;
    const ev: Event = { tid, op, fp, clock, local };

    const isLockOp = (e: Event, loc: number) => (e.op.kind === 'lock' || e.op.kind === 'unlock') && e.op.loc === loc;
    if (op.kind === 'lock' || op.kind === 'unlock') {
      if (op.kind === 'lock') {
        // acquires race with earlier acquires of the same lock, judged without the lock's own
        // release->acquire edges
        const others = preds.filter((k) => !isLockOp(this.events[k]!, op.loc));
        const acquires = this.acquires.get(op.loc) ?? [];
        for (const j of acquires) {
          const e = this.events[j]!;
          if (e.tid === tid) continue;
          if (this.covered(e, others, prev, -1)) continue;
          this.reverse(j, i, ev);
        }
        acquires.push(i);
        this.acquires.set(op.loc, acquires);
      }
      for (const j of preds) {
        // the lock word's own release->acquire edges are not races (above); what else the two
        // steps touch (an invariant's ghost state, memory read by a check) still races
        if (isLockOp(this.events[j]!, op.loc) && !dependentBeyond(this.events[j]!.fp, fp, op.loc)) continue;
        if (!this.covered(this.events[j]!, preds, prev, j)) this.reverse(j, i, ev);
      }
    } else {
      for (const j of preds) {
        const e = this.events[j]!;
        if ((e.op.kind === 'lock' || e.op.kind === 'unlock') && !(op.kind === 'load' || op.kind === 'store' || op.kind === 'rmw') && !dependentBeyond(e.fp, fp, e.op.loc)) continue;
        if (!this.covered(e, preds, prev, j)) this.reverse(j, i, ev);
      }
    }

    // the sleep set below this step: earlier explored siblings that commute with this step
    const node = this.nodes[i]!;
    node.fps[tid] = fp;
    const asleep = (node.sleep | node.done) & ~bit(tid);
    let sleep = 0;
    const sleepFps: (Footprint | undefined)[] = [];
    for (let m = asleep; m !== 0; m &= m - 1) {
      const q = lowest(m);
      const fq = node.fps[q];
      if (fq !== undefined && !dependent(fq, fp)) {
        sleep |= bit(q);
        sleepFps[q] = fq;
      }
    }
    this.pendingSleep = sleep;
    this.pendingSleepFps = sleepFps;
    this.events.push(ev);
    this.lastOf[tid] = i;
    for (const r of fp.reads) {
      if (fp.writes.includes(r)) continue;
      const st = this.index.get(r);
      if (st === undefined) this.index.set(r, { w: -1, r: [i] });
      else st.r.push(i);
    }
    for (const w of fp.writes) this.index.set(w, { w: i, r: [] });
  }

  /** e happens before the new event through a predecessor other than `except` (or program order) */
  private covered(e: Event, preds: readonly number[], prev: Event | undefined, except: number): boolean {
    if (prev !== undefined && prev.clock[e.tid]! >= e.local) return true;
    for (const k of preds) if (k !== except && this.events[k]!.clock[e.tid]! >= e.local) return true;
    return false;
  }

  /** The race e_j ⋖ e_i: make sure an initial of notdep(e_j).e_i is in backtrack(j). */
  private reverse(j: number, i: number, ei: Event): void {
    if (j < this.prefix.length) return;
    const node = this.nodes[j]!;
    const ej = this.events[j]!;
    const v: Event[] = [];
    for (let k = j + 1; k < i; k++) {
      const e = this.events[k]!;
      if (e.clock[ej.tid]! < ej.local) v.push(e);
    }
    v.push(ei);
    let initials = 0;
    let seen = 0;
    for (let a = 0; a < v.length; a++) {
      const e = v[a]!;
      if ((seen & bit(e.tid)) !== 0) continue;
      seen |= bit(e.tid);
      let first = true;
      for (let b = 0; b < a && first; b++) {
        const f = v[b]!;
        if (f.tid !== e.tid && e.clock[f.tid]! >= f.local) first = false;
      }
      if (first) initials |= bit(e.tid);
    }
    if ((initials & node.backtrack) !== 0) return;
    const q = (initials & bit(ei.tid)) !== 0 ? ei.tid : lowest(initials);
    node.backtrack |= (node.enabled & bit(q)) !== 0 ? bit(q) : node.enabled;
  }

  endExecution(_r: ExecResult): void {
    this.nodes.length = Math.min(this.nodes.length, this.depth);
  }
}
