/**
 * Candidate executions of a litmus test, as herd7 builds them: for each thread, the events of
 * each control-flow path given the values its reads return; for each read, a write of the same
 * location and value it reads from; for each location, a coherence order of its writes (the
 * initial write first); for lock locations, lock.cat's construction (critical sections are
 * contiguous in co, each LKR reads from the co-predecessor of its LKW, a failed trylock or a
 * true spin_is_locked reads from a lock write, a false one from an unlock or the initial state).
 * Each candidate is then judged by model.ts.
 */
import { Rel } from './rel.js';
import { Unsupported, type Litmus, type Value } from './parse.js';
import { threadPaths, type Ev, type ThreadPath } from './exec.js';
import { checkLkmm, type Candidate, type GEv, type Verdict } from './model.js';

export interface Execution {
  cand: Candidate;
  paths: ThreadPath[];
  /** final value of every non-lock location */
  mem: Map<string, Value>;
  verdict: Verdict;
}

const MAX_VALUES = 32;
const MAX_CANDIDATES = 2_000_000;

/** Locations named anywhere: parameters, the initial state, address values. */
export function locationsOf(t: Litmus): string[] {
  const s = new Set<string>();
  for (const th of t.threads) for (const p of th.params) s.add(p);
  for (const [k, v] of t.init) {
    s.add(k);
    if (typeof v === 'string') s.add(v);
  }
  for (const v of t.regInit.values()) if (typeof v === 'string') s.add(v);
  return [...s];
}

/** The values each location can hold: a fixpoint over every thread path's writes. */
export function valueDomains(t: Litmus): Map<string, Value[]> {
  const locs = locationsOf(t);
  const dom = new Map<string, Value[]>();
  for (const l of locs) dom.set(l, [t.init.get(l) ?? 0]);
  const get = (l: string) => {
    if (!dom.has(l)) throw new Unsupported(`the location '${l}' is not a parameter or in the initial state`);
    return dom.get(l)!;
  };
  // A value written in an execution derives from the initial state through a chain of
  // distinct writes (each write site runs at most once: no loops), so `sites` rounds of
  // "what can be written given what can be read" reach every value of every execution; a
  // self-feeding RMW (atomic_inc reading its own increments) is cut there instead of growing
  // for ever. Values beyond are harmless: no write of the same candidate produces them.
  let sites = 0;
  for (let round = 0; ; round++) {
    let changed = false;
    let roundSites = 0;
    for (const th of t.threads) {
      let most = 0;
      for (const p of threadPaths(th, get, t.regInit)) {
        most = Math.max(most, p.events.filter((e) => e.kind === 'W' && !e.lock).length);
        for (const e of p.events) {
          if (e.kind !== 'W' || e.lock || e.val === undefined) continue;
          const d = get(e.loc!);
          if (!d.includes(e.val)) {
            d.push(e.val);
            changed = true;
            if (d.length > MAX_VALUES) throw new Unsupported(`the location '${e.loc}' can hold more than ${MAX_VALUES} values`);
          }
        }
      }
      roundSites += most;
    }
    sites = Math.max(sites, roundSites);
    if (!changed || round + 1 >= sites) return dom;
  }
}

function* permutations<T>(xs: T[]): Generator<T[]> {
  if (xs.length <= 1) {
    yield xs.slice();
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    const rest = xs.slice(0, i).concat(xs.slice(i + 1));
    for (const p of permutations(rest)) yield [xs[i]!, ...p];
  }
}

function* product<T>(lists: T[][]): Generator<T[]> {
  const idx = lists.map(() => 0);
  if (lists.some((l) => l.length === 0)) return;
  for (;;) {
    yield idx.map((j, k) => lists[k]![j]!);
    let k = lists.length - 1;
    while (k >= 0) {
      idx[k]!++;
      if (idx[k]! < lists[k]!.length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}

/** Every candidate execution with the model's verdict on it. */
export function* executions(t: Litmus, judge: (c: Candidate) => Verdict = checkLkmm): Generator<Execution> {
  const dom = valueDomains(t);
  const locs = [...dom.keys()];
  const perThread = t.threads.map((th) => threadPaths(th, (l) => dom.get(l)!, t.regInit));
  let count = 0;
  for (const paths of product(perThread)) {
    for (const x of candidatesFor(t, locs, paths)) {
      if (++count > MAX_CANDIDATES) throw new Unsupported(`more than ${MAX_CANDIDATES} candidate executions`);
      yield { ...x, verdict: judge(x.cand) };
    }
  }
}

function* candidatesFor(t: Litmus, locs: string[], paths: ThreadPath[]): Generator<Omit<Execution, 'verdict'>> {
  // global events: one initial write per location, then each thread's events
  const events: GEv[] = locs.map((l) => ({ ev: { kind: 'W', loc: l, val: t.init.get(l) ?? 0, rmwInsn: false, text: `${l} = ${t.init.get(l) ?? 0}` } as Ev, thread: -1 }));
  const iw = new Map(locs.map((l, i) => [l, i]));
  const base: number[] = [];
  paths.forEach((p, tid) => {
    base.push(events.length);
    for (const ev of p.events) events.push({ ev, thread: tid });
  });
  const n = events.length;
  const po = new Rel(n);
  const addr = new Rel(n);
  const data = new Rel(n);
  const ctrl = new Rel(n);
  const rmwBase = new Rel(n);
  paths.forEach((p, tid) => {
    const b = base[tid]!;
    for (let i = 0; i < p.events.length; i++) for (let j = i + 1; j < p.events.length; j++) po.add(b + i, b + j);
    for (const [a, c] of p.addr) addr.add(b + a, b + c);
    for (const [a, c] of p.data) data.add(b + a, b + c);
    for (const [a, c] of p.ctrl) ctrl.add(b + a, b + c);
    p.events.forEach((e, i) => {
      if (e.rmwW !== undefined && !e.lock) rmwBase.add(b + i, b + e.rmwW);
    });
  });

  const lockLocs = new Set(events.filter((e) => e.ev.lock).map((e) => e.ev.loc!));
  for (const e of events) {
    if (e.thread >= 0 && !e.ev.lock && e.ev.kind !== 'F' && lockLocs.has(e.ev.loc!))
      throw new Unsupported(`'${e.ev.text}' accesses the spinlock ${e.ev.loc} as memory (lock.cat's mixed-lock-accesses)`);
  }

  // --- co choices ---
  const coChoices: number[][][] = []; // per location: list of total orders (event index lists, IW first)
  // lock-location data for deriving LKR's rf
  for (const l of locs) {
    const ws = events.map((e, i) => ({ e, i })).filter(({ e }) => e.thread >= 0 && e.ev.kind === 'W' && e.ev.loc === l).map(({ i }) => i);
    if (!lockLocs.has(l)) {
      coChoices.push([...permutations(ws)].map((p) => [iw.get(l)!, ...p]));
      continue;
    }
    // lock.cat: critical = ([LKW] ; po-loc ; [UL]) \ (po-loc ; [LKW | UL] ; po-loc)
    const sections: number[][] = [];
    const unmatched: number[] = [];
    paths.forEach((p, tid) => {
      let open: number | null = null;
      p.events.forEach((e, i) => {
        if (e.loc !== l) return;
        const g = base[tid]! + i;
        if (e.lock === 'LKW') {
          if (open !== null) throw new Unsupported(`P${tid} takes ${l} while holding it (lock.cat's lock-nest: a deadlock)`);
          open = g;
        } else if (e.lock === 'UL') {
          if (open === null) throw new Unsupported(`P${tid} unlocks ${l} without holding it (lock.cat's unmatched-unlock)`);
          sections.push([open, g]);
          open = null;
        } else if (e.lock === 'RU') {
          // lock.cat's rfi-ru makes a false spin_is_locked() after one's own unlock read from it
          // *and* from a choice of rfe-ru: a corner racewalk does not reproduce
          if (p.events.slice(0, i).some((q) => q.loc === l && q.lock === 'UL')) throw new Unsupported(`spin_is_locked(${l}) after P${tid}'s own spin_unlock(${l})`);
        }
      });
      if (open !== null) unmatched.push(open);
    });
    // empty ([UNMATCHED-LKW] ; loc ; [UNMATCHED-LKW]) \ id as unmatched-locks: more deadlock
    if (unmatched.length > 1) {
      coChoices.push([]);
      continue;
    }
    coChoices.push([...permutations(sections)].map((p) => [iw.get(l)!, ...p.flat(), ...unmatched]));
  }

  // --- rf choices ---
  const reads = events.map((e, i) => ({ e, i })).filter(({ e }) => e.ev.kind === 'R');
  const rfCands: number[][] = [];
  const readIdx: number[] = [];
  for (const { e, i } of reads) {
    if (e.ev.lock === 'LKR') continue; // derived from co below
    const l = e.ev.loc!;
    let cands: number[];
    if (!e.ev.lock) {
      cands = events.map((w, j) => ({ w, j })).filter(({ w }) => w.ev.kind === 'W' && w.ev.loc === l && w.ev.val === e.ev.val).map(({ j }) => j);
    } else {
      // inside its own critical section, LF and RL read from the section's LKW (rfi-lf, rfi-rl)
      const own = ownSection(events, po, i);
      if (e.ev.lock === 'LF' || e.ev.lock === 'RL') {
        cands = own !== null ? [own] : events.map((w, j) => ({ w, j })).filter(({ w }) => w.ev.lock === 'LKW' && w.ev.loc === l && w.thread !== e.thread).map(({ j }) => j);
      } else {
        // RU: any external UL or IW (rfe-ru)
        cands = events.map((w, j) => ({ w, j })).filter(({ w, j }) => w.ev.loc === l && w.thread !== e.thread && (w.ev.lock === 'UL' || j === iw.get(l))).map(({ j }) => j);
      }
    }
    if (cands.length === 0) return; // this combination of paths reads a value nobody writes
    rfCands.push(cands);
    readIdx.push(i);
  }

  for (const cos of product(coChoices)) {
    const co = new Rel(n);
    const coPred = new Map<number, number>();
    for (const order of cos) {
      for (let a = 0; a < order.length; a++) {
        for (let b = a + 1; b < order.length; b++) co.add(order[a]!, order[b]!);
        if (a > 0) coPred.set(order[a]!, order[a - 1]!);
      }
    }
    const mem = new Map<string, Value>();
    cos.forEach((order, k) => {
      const l = locs[k]!;
      if (!lockLocs.has(l)) mem.set(l, events[order[order.length - 1]!]!.ev.val!);
    });
    for (const rfs of product(rfCands)) {
      const rf = new Rel(n);
      rfs.forEach((w, k) => rf.add(w, readIdx[k]!));
      // lock.cat: let rf = rf | ([IW | UL] ; singlestep(co) ; lk-rmw^-1)
      for (const { e, i } of reads) if (e.ev.lock === 'LKR') rf.add(coPred.get(i + 1)!, i);
      yield { cand: { events, po, rf, co, rmwBase, addr, data, ctrl }, paths, mem };
    }
  }
}

/** The LKW that opens the critical section (of the same lock, same thread) event i is in. */
function ownSection(events: GEv[], po: Rel, i: number): number | null {
  const e = events[i]!;
  let open: number | null = null;
  for (let j = 0; j < events.length; j++) {
    const q = events[j]!;
    if (q.thread !== e.thread || q.ev.loc !== e.ev.loc || !po.has(j, i)) continue;
    if (q.ev.lock === 'LKW') open = j;
    else if (q.ev.lock === 'UL') open = null;
  }
  return open;
}
