/**
 * Sequential consistency by brute force, for cross-checking the LKMM (which must allow every SC
 * behaviour): every interleaving of the threads' events over one shared memory, each read
 * returning the latest write, RMWs and lock acquisitions atomic, spin_lock() blocking while
 * the lock is held, and synchronize_rcu() an instantaneous grace period that waits until no
 * CPU (itself included: a deadlock) is inside an RCU read-side critical section, and
 * synchronize_srcu(s) likewise for the SRCU read-side critical sections of s (counted per
 * srcu_struct, not per CPU: srcu_up_read() may end on another CPU a section srcu_down_read()
 * began). Thread code is re-run from the start under the choices made so far (the same
 * interpreter as exec.ts), so both models read the programs identically.
 */
import { Run, NeedChoice, type ThreadPath } from './exec.js';
import { valueDomains } from './enumerate.js';
import type { Litmus, Value } from './parse.js';
import type { Candidate } from './model.js';

interface TState {
  choices: number[];
  /** rcu_read_lock() nesting depth */
  rcu: number;
  done: number;
  finished: boolean;
}

interface Probe {
  events: ThreadPath['events'];
  need?: NeedChoice;
  run: Run;
}

/** Final states (register and memory values) of every SC interleaving, keyed like run.ts. */
export function scFinalStates(t: Litmus, keys: string[], limit = 200_000): Set<string> {
  const dom = valueDomains(t);
  const domain = (l: string) => dom.get(l)!;
  const probe = (tid: number, choices: number[]): Probe => {
    const run = new Run(t.threads[tid]!, choices, domain, t.regInit);
    try {
      run.exec(t.threads[tid]!.body);
      return { events: run.events, run };
    } catch (e) {
      if (e instanceof NeedChoice) return { events: run.events, need: e, run };
      throw e;
    }
  };
  const out = new Set<string>();
  let steps = 0;
  const mem0 = new Map<string, Value>([...dom.keys()].map((l) => [l, t.init.get(l) ?? 0]));
  const seen = new Set<string>();
  const go = (ts: TState[], mem: Map<string, Value>, held: Map<string, number>, srcu: Map<string, number>) => {
    // interleavings reaching the same state have the same futures: visit each state once
    const key = JSON.stringify([ts, [...mem], [...held], [...srcu]]);
    if (seen.has(key)) return;
    seen.add(key);
    if (++steps > limit) throw new ScStateLimit(limit);
    let any = false;
    for (let tid = 0; tid < ts.length; tid++) {
      const st = ts[tid]!;
      if (st.finished) continue;
      let p = probe(tid, st.choices);
      let choices = st.choices;
      if (p.events.length === st.done) {
        if (!p.need) {
          // nothing left to do
          const next = ts.slice();
          next[tid] = { ...st, finished: true };
          go(next, mem, held, srcu);
          return; // finishing is invisible: no need to interleave it both ways
        }
        // the next event needs a choice: make the one SC makes now
        const nd = p.need;
        let c: number;
        if (nd.what === 'read') c = domain(nd.loc).indexOf(mem.get(nd.loc)!);
        else if (nd.what === 'trylock') c = held.has(nd.loc) ? 0 : 1;
        else c = held.has(nd.loc) ? 1 : 0;
        if (c < 0) throw new Error(`sc: value ${mem.get(nd.loc)} of ${nd.loc} outside its domain`);
        choices = [...st.choices, c];
        p = probe(tid, choices);
      }
      const e = p.events[st.done]!;
      // the events that happen in this one atomic step
      let k = 1;
      if (e.rmwW !== undefined) k = e.rmwW - st.done + 1;
      if (e.lock === 'LKR' && held.has(e.loc!)) continue; // spin_lock blocks
      if (e.fence === 'sync-rcu' && ts.some((o) => o.rcu > 0)) continue; // the grace period waits for every reader (its own: a deadlock)
      if (e.fence === 'sync-srcu' && (srcu.get(e.loc!) ?? 0) > 0) continue; // likewise, for the readers of its srcu_struct
      let rcu = st.rcu;
      const m2 = new Map(mem);
      const h2 = new Map(held);
      const s2 = new Map(srcu);
      for (let j = st.done; j < st.done + k; j++) {
        const ev = p.events[j]!;
        if (ev.kind === 'W' && !ev.lock) m2.set(ev.loc!, ev.val!);
        if (ev.lock === 'LKW') h2.set(ev.loc!, tid);
        if (ev.lock === 'UL') h2.delete(ev.loc!);
        if (ev.fence === 'rcu-lock') rcu++;
        if (ev.fence === 'rcu-unlock') rcu--;
        if (ev.tag === 'srcu-lock') s2.set(ev.loc!, (s2.get(ev.loc!) ?? 0) + 1);
        if (ev.tag === 'srcu-unlock') {
          const open = (s2.get(ev.loc!) ?? 0) - 1;
          if (open > 0) s2.set(ev.loc!, open);
          else s2.delete(ev.loc!);
        }
      }
      any = true;
      const next = ts.slice();
      next[tid] = { choices, done: st.done + k, finished: false, rcu };
      go(next, m2, h2, s2);
    }
    if (!any && ts.every((s) => s.finished)) {
      const regs = ts.map((s, tid) => probe(tid, s.choices).run);
      out.add(
        keys
          .map((k) => {
            const m = /^([0-9]+):(.+)$/.exec(k);
            const v = m ? (regs[Number(m[1])]!.env.get(m[2]!)?.v ?? 0) : mem.get(k);
            return `${k}=${v};`;
          })
          .join(' '),
      );
    }
  };
  go(t.threads.map(() => ({ choices: [], done: 0, finished: false, rcu: 0 })), mem0, new Map(), new Map());
  return out;
}

/** The SC brute force met more states than its limit: whatever it was asked stays undecided. */
export class ScStateLimit extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} sequentially consistent states`);
  }
}

/**
 * An interleaving of the SC machine above that produces exactly this candidate execution, as
 * its events in order, or null when none does; ScStateLimit past `limit` partial orders. It is
 * a topological order of po | rf | co | fr (one exists exactly when the execution is
 * sequentially consistent: each read then reads the latest write) that also keeps an RMW's (or
 * a spin_lock()'s) read and write together and lets synchronize_rcu() (synchronize_srcu(s)) run
 * only while no CPU is in an RCU (s's SRCU) read-side critical section, as scFinalStates does.
 * Initial writes are not in it.
 */
export function scLinearization(c: Candidate, limit = 200_000): number[] | null {
  const n = c.events.length;
  const order = c.po.union(c.rf, c.co, c.rf.inv().seq(c.co));
  if (!order.acyclic()) return null;
  // the write of the RMW whose read event i is (global index), from its thread-local index
  const pair = new Int32Array(n).fill(-1);
  const isPairW = new Uint8Array(n);
  const first = new Map<number, number>();
  c.events.forEach((g, i) => {
    if (g.thread >= 0 && !first.has(g.thread)) first.set(g.thread, i);
  });
  c.events.forEach((g, i) => {
    if (g.thread < 0 || g.ev.rmwW === undefined) return;
    const w = first.get(g.thread)! + g.ev.rmwW;
    if (w !== i) {
      pair[i] = w;
      isPairW[w] = 1;
    }
  });
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b && order.has(a, b)) preds[b]!.push(a);
  const placed = new Uint8Array(n);
  c.events.forEach((g, i) => {
    if (g.thread < 0) placed[i] = 1;
  });
  const threads = new Set(c.events.filter((g) => g.thread >= 0).map((g) => g.thread)).size;
  const rcu = new Int32Array(threads);
  const srcu = new Map<string, number>();
  const seq: number[] = [];
  const seen = new Set<string>();
  let states = 0;
  const toPlace = c.events.filter((g) => g.thread >= 0).length;
  const ready = (i: number, except: number) => preds[i]!.every((p) => placed[p] === 1 || p === except);
  const track = (g: Candidate['events'][number], dir: 1 | -1) => {
    if (g.ev.fence === 'rcu-lock') rcu[g.thread]! += dir;
    if (g.ev.fence === 'rcu-unlock') rcu[g.thread]! -= dir;
    if (g.ev.tag === 'srcu-lock') srcu.set(g.ev.loc!, (srcu.get(g.ev.loc!) ?? 0) + dir);
    if (g.ev.tag === 'srcu-unlock') srcu.set(g.ev.loc!, (srcu.get(g.ev.loc!) ?? 0) - dir);
  };
  const go = (): boolean => {
    if (seq.length === toPlace) return true;
    const key = String.fromCharCode(...placed);
    if (seen.has(key)) return false;
    seen.add(key);
    if (++states > limit) throw new ScStateLimit(limit);
    for (let i = 0; i < n; i++) {
      if (placed[i] || isPairW[i] || !ready(i, -1)) continue;
      const w = pair[i]!;
      if (w >= 0 && !ready(w, i)) continue;
      const e = c.events[i]!;
      if (e.ev.fence === 'sync-rcu' && rcu.some((d) => d > 0)) continue;
      if (e.ev.fence === 'sync-srcu' && (srcu.get(e.ev.loc!) ?? 0) > 0) continue;
      const unit = w >= 0 ? [i, w] : [i];
      for (const u of unit) {
        placed[u] = 1;
        seq.push(u);
        track(c.events[u]!, +1);
      }
      if (go()) return true;
      for (const u of unit.reverse()) {
        placed[u] = 0;
        seq.pop();
        track(c.events[u]!, -1);
      }
    }
    return false;
  };
  return go() ? seq : null;
}
