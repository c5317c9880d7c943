/**
 * Candidate executions of a litmus test, as herd7 builds them: for each thread, the events of
 * each control-flow path given the values its reads return; for each read, a write of the same
 * location and value it reads from; for each location, a coherence order of its writes (the
 * initial write first); for lock locations, lock.cat's construction (critical sections are
 * contiguous in co, each LKR reads from the co-predecessor of its LKW, a failed trylock or a
 * true spin_is_locked reads from a lock write, a false one from an unlock or the initial state).
 * Each candidate is then judged by model.ts.
 */
import { Rel, withScratch } from './rel.js';
import { Unsupported, allStmts, ownExprs, propAtoms, subExprs, type Litmus, type Stmt, type Value } from './parse.js';
import { PRIMS, threadPaths, type Ev, type ThreadPath } from './exec.js';
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

/**
 * The most memory writes (lock operations aside) one run of a thread's code can make, read off
 * its text: each store, RMW and plain `*p = v` counts once (a failing cmpxchg too, an over-count
 * is harmless), an `if` its worse branch. It bounds a run whatever values its reads return.
 */
export function writeSitesOf(ss: Stmt[]): number {
  let n = 0;
  for (const s of ss) {
    if (s.k === 'assign' && s.lhs.k === 'deref') n++;
    for (const e of ownExprs(s)) for (const x of subExprs(e)) if (x.k === 'call' && (PRIMS[x.fn]?.kind === 'store' || PRIMS[x.fn]?.kind === 'rmw')) n++;
    if (s.k === 'if') n += Math.max(writeSitesOf(s.t), writeSitesOf(s.e));
    else if (s.k === 'block') n += writeSitesOf(s.body);
  }
  return n;
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
  // distinct writes of that execution (each write site runs at most once: no loops), so
  // `sites` rounds of "what can be written given what can be read" reach every value of every
  // execution; a self-feeding RMW (atomic_inc reading its own increments) is cut there instead
  // of growing for ever. Values beyond are harmless: no write of the same candidate produces
  // them. `sites` is read off the program text, not off the paths a round enumerates: those
  // grow with the domains (a write under `if (r0)` appears only once r0 can read non-zero), and
  // a bound taken from them stopped one round early on a conditional write fed by an xchg.
  const sites = t.threads.reduce((n, th) => n + writeSitesOf(th.body), 0);
  for (let round = 0; ; round++) {
    let changed = false;
    for (const th of t.threads) {
      for (const p of threadPaths(th, get, t.regInit)) {
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
    }
    if (!changed || round + 1 >= sites) break;
  }
  return withSelfJustifyingValues(t, dom, get);
}

/**
 * herd7 computes a candidate's values by solving the equations its rf choice sets up, so a value
 * may justify itself around a cycle of reads and writes with no dependency the model sees: LB
 * with `r1 = 1; if (READ_ONCE(*x) == 0) r1 = 0; WRITE_ONCE(*y, r1);` on one side and
 * `WRITE_ONCE(*x, READ_ONCE(*y))` on the other reaches r1=1, which the least fixpoint above,
 * built up from the initial state, never reaches (the LKMM does not forbid every
 * out-of-thin-air cycle: tools/memory-model/Documentation/explanation.txt, "THE
 * HAPPENS-BEFORE RELATION"). So each location may also hold every integer the test names (in
 * its threads, its initial state, its condition or filter), kept while some write can still
 * write it given the others: the greatest fixpoint below that, which contains the least one
 * (pointer locations keep their least domain).
 * A value no write produces is dropped (no candidate could read it), so the extra values cost
 * paths, never wrong candidates: every candidate still has each read take a write's value.
 */
function withSelfJustifyingValues(t: Litmus, least: Map<string, Value[]>, get: (l: string) => Value[]): Map<string, Value[]> {
  const named = new Set<number>();
  for (const th of t.threads) for (const s of allStmts(th.body)) for (const e of ownExprs(s)) for (const x of subExprs(e)) if (x.k === 'num') named.add(x.v);
  for (const v of [...t.init.values(), ...t.regInit.values()]) if (typeof v === 'number') named.add(v);
  for (const a of [...propAtoms(t.cond), ...propAtoms(t.filter)]) if (a.to === undefined && typeof a.v === 'number') named.add(a.v);
  // the top: the least fixpoint plus every named integer, in the locations that hold integers
  // (one that holds an address is a pointer: an integer read from it could not be dereferenced)
  const dom = least;
  for (const d of dom.values()) if (d.every((v) => typeof v === 'number')) for (const v of named) if (!d.includes(v)) d.push(v);
  for (;;) {
    const written = new Map<string, Set<Value>>([...dom.keys()].map((l) => [l, new Set<Value>([t.init.get(l) ?? 0])]));
    for (const th of t.threads) for (const p of threadPaths(th, get, t.regInit)) for (const e of p.events) if (e.kind === 'W' && !e.lock && e.val !== undefined) written.get(e.loc!)?.add(e.val);
    let changed = false;
    for (const [l, d] of dom) {
      const keep = d.filter((v) => written.get(l)!.has(v));
      if (keep.length !== d.length) {
        changed = true;
        d.length = 0;
        d.push(...keep);
      }
    }
    if (!changed) break;
  }
  for (const [l, d] of dom) if (d.length > MAX_VALUES) throw new Unsupported(`the location '${l}' can hold more than ${MAX_VALUES} values`);
  return dom;
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
    const faulting = paths.filter((p) => p.fault !== undefined);
    if (faulting.length > 0) {
      // a path that dereferences an integer is dropped only when coherence rules it out
      // whatever the other threads do: one faulting thread, whose own reads break CoWR
      if (faulting.length === 1 && readsAgainstOwnWrite(faulting[0]!, paths)) continue;
      throw new Unsupported(`${faulting[0]!.fault} (on a path that coherence does not rule out)`);
    }
    // cheap pre-filter: every read's value must be written by someone (or be the initial value)
    const written = new Map<string, Set<Value>>(locs.map((l) => [l, new Set([t.init.get(l) ?? 0])]));
    for (const p of paths) for (const e of p.events) if (e.kind === 'W' && !e.lock) written.get(e.loc!)?.add(e.val!);
    if (!paths.every((p) => p.events.every((e) => e.kind !== 'R' || e.lock !== undefined || written.get(e.loc!)?.has(e.val!)))) continue;
    for (const x of candidatesFor(t, locs, paths)) {
      if (++count > MAX_CANDIDATES) throw new Unsupported(`more than ${MAX_CANDIDATES} candidate executions`);
      yield { ...x, verdict: judge(x.cand) };
    }
  }
}

/**
 * Whether some read of path p cannot read what it does by coherence alone (CoWR): it comes
 * after p's own write to the location, reads another value, and no other path of the
 * combination writes that value there. Its source would have to be co-after that own write,
 * and p's later events (missing on a faulting path) are po-after the read, which CoRW rules
 * out; so however p goes on, no execution with this prefix is coherent.
 */
function readsAgainstOwnWrite(p: ThreadPath, paths: ThreadPath[]): boolean {
  return p.events.some((e, i) => {
    if (e.kind !== 'R' || e.lock !== undefined) return false;
    let own: Ev | undefined;
    for (let j = 0; j < i; j++) {
      const w = p.events[j]!;
      if (w.kind === 'W' && w.lock === undefined && w.loc === e.loc) own = w;
    }
    if (own === undefined || own.val === e.val) return false;
    return !paths.some((q) => q !== p && q.events.some((w) => w.kind === 'W' && w.lock === undefined && w.loc === e.loc && w.val === e.val));
  });
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
  // lock.cat: "There should be no ordinary R or W accesses to spinlocks or SRCU structs"
  const isSrcu = (ev: Ev) => ev.tag === 'srcu-lock' || ev.tag === 'srcu-unlock' || ev.fence === 'sync-srcu';
  const srcuLocs = new Set(events.filter((e) => isSrcu(e.ev)).map((e) => e.ev.loc!));
  for (const e of events) {
    if (e.thread >= 0 && e.ev.kind !== 'F' && !isSrcu(e.ev) && srcuLocs.has(e.ev.loc!))
      throw new Unsupported(`'${e.ev.text}' accesses the srcu_struct ${e.ev.loc} as memory (lock.cat's mixed-lock-accesses)`);
    if (lockLocs.has(e.ev.loc!) && srcuLocs.has(e.ev.loc!)) throw new Unsupported(`${e.ev.loc} is used both as a spinlock and as an srcu_struct`);
  }

  // --- per location: (co order, rf of its reads) pairs, pruned by SC-per-location ---
  // `acyclic po-loc | com as coherence` and `empty rmw & (fre ; coe) as atomic` only relate
  // events of one location, so they are checked here location by location, before the
  // product; checkLkmm checks them again on the whole candidate.
  const perLoc: { co: [number, number][]; rf: [number, number][]; last: number }[][] = [];
  for (const l of locs) {
    const ws = events.map((e, i) => ({ e, i })).filter(({ e }) => e.thread >= 0 && e.ev.kind === 'W' && e.ev.loc === l).map(({ i }) => i);
    const rs = events.map((e, i) => ({ e, i })).filter(({ e }) => e.ev.kind === 'R' && e.ev.loc === l).map(({ i }) => i);
    let orders: number[][];
    if (!lockLocs.has(l)) orders = [...permutations(ws)].map((p) => [iw.get(l)!, ...p]);
    else {
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
      orders = unmatched.length > 1 ? [] : [...permutations(sections)].map((p) => [iw.get(l)!, ...p.flat(), ...unmatched]);
    }
    const cands: number[][] = [];
    const chosen: number[] = [];
    const derived: number[] = [];
    for (const i of rs) {
      const e = events[i]!;
      if (e.ev.lock === 'LKR') {
        derived.push(i); // lock.cat: rf | ([IW | UL] ; singlestep(co) ; lk-rmw^-1)
        continue;
      }
      let c: number[];
      if (!e.ev.lock) c = events.map((w, j) => ({ w, j })).filter(({ w }) => w.ev.kind === 'W' && w.ev.loc === l && w.ev.val === e.ev.val).map(({ j }) => j);
      else if (e.ev.lock === 'LF' || e.ev.lock === 'RL') {
        // inside its own critical section, LF and RL read from the section's LKW (rfi-lf, rfi-rl)
        const own = ownSection(events, po, i);
        c = own !== null ? [own] : events.map((w, j) => ({ w, j })).filter(({ w }) => w.ev.lock === 'LKW' && w.ev.loc === l && w.thread !== e.thread).map(({ j }) => j);
      } else c = events.map((w, j) => ({ w, j })).filter(({ w, j }) => w.ev.loc === l && w.thread !== e.thread && (w.ev.lock === 'UL' || j === iw.get(l))).map(({ j }) => j); // RU: rfe-ru
      if (c.length === 0) return; // this combination of paths reads a value nobody writes
      cands.push(c);
      chosen.push(i);
    }
    const opts: { co: [number, number][]; rf: [number, number][]; last: number }[] = [];
    const members = [iw.get(l)!, ...ws, ...rs];
    const poLocal = Rel.of(members.length, (a, b) => po.has(members[a]!, members[b]!));
    for (const order of orders) {
      const coPairs: [number, number][] = [];
      for (let a = 0; a < order.length; a++) for (let b = a + 1; b < order.length; b++) coPairs.push([order[a]!, order[b]!]);
      const pred = new Map<number, number>();
      for (let a = 1; a < order.length; a++) pred.set(order[a]!, order[a - 1]!);
      for (const pick of product(cands)) {
        const rfPairs: [number, number][] = pick.map((w, k) => [w, chosen[k]!]);
        for (const r of derived) rfPairs.push([pred.get(r + 1)!, r]);
        if (!withScratch('check', () => locationCoherent(members, poLocal, coPairs, rfPairs, rmwBase, events))) continue;
        opts.push({ co: coPairs, rf: rfPairs, last: order[order.length - 1]! });
      }
    }
    if (opts.length === 0) return;
    perLoc.push(opts);
  }

  for (const pick of product(perLoc)) {
    const co = new Rel(n);
    const rf = new Rel(n);
    const mem = new Map<string, Value>();
    pick.forEach((o, k) => {
      for (const [a, b] of o.co) co.add(a, b);
      for (const [a, b] of o.rf) rf.add(a, b);
      const l = locs[k]!;
      if (!lockLocs.has(l)) mem.set(l, events[o.last]!.ev.val!);
    });
    yield { cand: { events, po, rf, co, rmwBase, addr, data, ctrl }, paths, mem };
  }
}

/** coherence and atomicity restricted to one location's events */
function locationCoherent(members: number[], r: Rel, co: [number, number][], rf: [number, number][], rmw: Rel, events: GEv[]): boolean {
  const m = members.length;
  const ix = new Map(members.map((g, k) => [g, k]));
  const coR = Rel.fromPairs(m, co.map(([a, b]) => [ix.get(a)!, ix.get(b)!] as const));
  const rfR = Rel.fromPairs(m, rf.map(([a, b]) => [ix.get(a)!, ix.get(b)!] as const));
  const fr = rfR.inv().seq(coR);
  if (!r.union(coR, rfR, fr).acyclic()) return false;
  // empty rmw & (fre ; coe): no write of another thread between an RMW's read and write
  for (const [a, b] of rmw.pairs()) {
    if (!ix.has(a)) continue;
    const ra = ix.get(a)!;
    const wb = ix.get(b)!;
    for (let w = 0; w < m; w++) {
      if (fr.has(ra, w) && coR.has(w, wb) && events[members[w]!]!.thread !== events[a]!.thread && events[members[w]!]!.thread !== events[b]!.thread) return false;
    }
  }
  return true;
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
