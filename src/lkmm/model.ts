/**
 * The Linux-kernel memory model, transcribed from tools/memory-model/ of mainline Linux
 * (linux-kernel.bell, lock.cat, linux-kernel.cat; v6.13+ with the syntactic tags and the
 * "Mb tags on RMWs" lines): one `let` of the .cat a line here, in the same order, each quoted.
 * Checks return which axiom failed; flags (data-race, mixed-accesses) are reported, not filtered.
 *
 * The candidate execution's base relations (po, rf, co, addr, data, ctrl, rmw, and the lock
 * events' rf/co as lock.cat generates them) come from enumerate.ts.
 */
import { EvSet, Rel, withScratch } from './rel.js';
import type { Ev } from './exec.js';

export interface GEv {
  ev: Ev;
  /** thread id; -1 for an initial write (IW) */
  thread: number;
}

export interface Candidate {
  events: GEv[];
  po: Rel;
  /** lock.cat's final rf, including the LKR/LF/RL/RU edges */
  rf: Rel;
  /** lock.cat's final co (critical sections merged in) */
  co: Rel;
  /** the RMW pairs of successful atomic RMW instructions (herd's rmw), without lk-rmw */
  rmwBase: Rel;
  addr: Rel;
  data: Rel;
  ctrl: Rel;
}

export interface Verdict {
  consistent: boolean;
  /** the first failed check, when not consistent */
  failed?: string;
  flags: string[];
}

/**
 * What checkLkmm derives from a candidate's events, po, dependencies and rmw alone (the event
 * sets, and every relation not built on rf or co): the same for every rf/co choice of one
 * combination of thread paths, which enumerate.ts yields with the same arrays, so computed once
 * per combination. Nothing here is mutated afterwards.
 */
function prepare(x: Candidate) {
  const n = x.events.length;
  const set = (p: (e: GEv) => boolean) => EvSet.of(n, (i) => p(x.events[i]!));
  const I = (s: EvSet) => Rel.id(s);
  const po = x.po;
  const poq = po.opt();
  // loc, int, ext and id, built a class at a time (Rel.of would ask about every pair)
  const sameLoc = Rel.classes(n, (i) => x.events[i]!.ev.loc);
  const int = Rel.classes(n, (i) => (x.events[i]!.thread >= 0 ? x.events[i]!.thread : undefined));
  // ext = ~int: every pair of different threads, and every pair from an initial write
  const ext = int.compl();
  const all = new EvSet(n).compl();
  const idr = Rel.id(all);
  const poLoc = po.inter(sameLoc);

  // --- event sets (herd primitives, then linux-kernel.bell, then lock.cat's additions) ---
  const IW = set((e) => e.thread < 0);
  const LKR = set((e) => e.ev.lock === 'LKR');
  const LKW = set((e) => e.ev.lock === 'LKW');
  const UL = set((e) => e.ev.lock === 'UL');
  const LF = set((e) => e.ev.lock === 'LF');
  const RL = set((e) => e.ev.lock === 'RL');
  const RU = set((e) => e.ev.lock === 'RU');
  // let R = R | LKR | LF | RL | RU ; let W = W | LKW ; ... let W = W | UL ; let M = R | W
  const R = set((e) => e.ev.kind === 'R');
  const W = set((e) => e.ev.kind === 'W');
  const M = R.union(W);
  const tag = (t: string) => set((e) => e.ev.kind !== 'F' && e.ev.tag === t);
  const fenceT = (t: string) => set((e) => e.ev.kind === 'F' && e.ev.fence === t);
  const RMW = set((e) => e.ev.rmwInsn); // instructions RMW[Accesses]
  const rmw0 = x.rmwBase;
  // let FailedRMW = RMW \ (domain(rmw) | range(rmw))
  const FailedRMW = RMW.diff(rmw0.domain().union(rmw0.range()));
  // let Acquire = ACQUIRE \ W \ FailedRMW   (lock.cat: let Acquire = Acquire | LKR)
  const Acquire = tag('ACQUIRE').diff(W).diff(FailedRMW).union(LKR);
  // let Release = RELEASE \ R \ FailedRMW   (lock.cat: let Release = Release | UL)
  const Release = tag('RELEASE').diff(R).diff(FailedRMW).union(UL);
  // let Mb = MB \ FailedRMW   ('MB is both smp_mb()'s fence tag and the fully ordered RMW tag)
  const Mb = tag('MB').union(fenceT('MB')).diff(FailedRMW);
  // let Noreturn = NORETURN \ W
  const Noreturn = tag('NORETURN').diff(W);
  const Rmb = fenceT('rmb');
  const Wmb = fenceT('wmb');
  const Barrier = fenceT('barrier');
  const BeforeAtomic = fenceT('before-atomic');
  const AfterAtomic = fenceT('after-atomic');
  const AfterSpinlock = fenceT('after-spinlock');
  const AfterUnlockLock = fenceT('after-unlock-lock');
  const RcuLock = fenceT('rcu-lock');
  const RcuUnlock = fenceT('rcu-unlock');
  const SyncRcu = fenceT('sync-rcu');
  const empty = new EvSet(n);
  // enum SRCU = 'srcu-lock || 'srcu-unlock || 'sync-srcu ; instructions SRCU[SRCU]
  // (linux-kernel.def: srcu_read_lock() is __load{srcu-lock}, srcu_read_unlock() __store{srcu-unlock},
  // synchronize_srcu() __srcu{sync-srcu}, an event carrying the srcu_struct's location)
  const SyncSrcu = fenceT('sync-srcu');
  const SrcuLock = tag('srcu-lock');
  const SrcuUnlock = tag('srcu-unlock');
  const AfterSrcuReadUnlock = fenceT('after-srcu-read-unlock');
  // let Marked = (~M) | IW | ONCE | RELEASE | ACQUIRE | MB | RMW |
  //              LKR | LKW | UL | LF | RL | RU | Srcu-lock | Srcu-unlock
  const Marked = M.compl().union(IW).union(tag('ONCE')).union(tag('RELEASE')).union(tag('ACQUIRE')).union(tag('MB')).union(RMW)
    .union(LKR).union(LKW).union(UL).union(LF).union(RL).union(RU).union(SrcuLock).union(SrcuUnlock);
  // let Plain = M \ Marked
  const Plain = M.diff(Marked);
  const notSrcuUnlock = SrcuUnlock.compl();

  // rcu-rscs: matching pairs of nested Rcu-lock and Rcu-unlock (bell's let rec, computed as
  // bracket matching along po, which is what the recursion's fixpoint is)
  const rcuRscs = matchNested(x, RcuLock, RcuUnlock);
  // lock.cat: let lk-rmw = ([LKR] ; po-loc ; [LKW]) \ (po ; po) ; let rmw = rmw | lk-rmw
  const lkRmw = I(LKR).seq(poLoc, I(LKW)).diff(po.seq(po));
  const rmw = rmw0.union(lkRmw);
  const fencerel = (S: EvSet) => po.inter(Rel.cross(all, S)).seq(po);

  // let acq-po = [Acquire] ; po ; [M]
  const acqPo = I(Acquire).seq(po, I(M));
  // let po-rel = [M] ; po ; [Release]
  const poRel = I(M).seq(po, I(Release));
  // let R4rmb = R \ Noreturn
  const R4rmb = R.diff(Noreturn);
  // let rmb = [R4rmb] ; fencerel(Rmb) ; [R4rmb]
  const rmb = I(R4rmb).seq(fencerel(Rmb), I(R4rmb));
  // let wmb = [W] ; fencerel(Wmb) ; [W]
  const wmb = I(W).seq(fencerel(Wmb), I(W));
  // let mb = ([M] ; fencerel(Mb) ; [M]) |
  //   ([M] ; po ; [Mb & R]) | ([Mb & W] ; po ; [M]) |
  //   ([M] ; fencerel(Before-atomic) ; [RMW] ; po? ; [M]) |
  //   ([M] ; po? ; [RMW] ; fencerel(After-atomic) ; [M]) |
  //   ([M] ; po? ; [LKW] ; fencerel(After-spinlock) ; [M]) |
  //   ([M] ; po ; [UL] ; (co | po) ; [LKW] ; fencerel(After-unlock-lock) ; [M]) |
  //   ([M] ; po? ; [Srcu-unlock] ; fencerel(After-srcu-read-unlock) ; [M])
  // (the last disjunct is a later mainline addition than the rest of this file, made with
  // smp_mb__after_srcu_read_unlock() in linux-kernel.def; without it that primitive orders nothing)
  // (the disjunct through co is added per candidate, in checkLkmm)
  const mbStatic = I(M).seq(fencerel(Mb), I(M)).union(
    I(M).seq(po, I(Mb.inter(R))),
    I(Mb.inter(W)).seq(po, I(M)),
    I(M).seq(fencerel(BeforeAtomic), I(RMW), poq, I(M)),
    I(M).seq(poq, I(RMW), fencerel(AfterAtomic), I(M)),
    I(M).seq(poq, I(LKW), fencerel(AfterSpinlock), I(M)),
    I(M).seq(poq, I(SrcuUnlock), fencerel(AfterSrcuReadUnlock), I(M)),
  );
  // let gp = po ; [Sync-rcu | Sync-srcu] ; po?
  const gp = po.seq(I(SyncRcu.union(SyncSrcu)), poq);
  // let barrier = fencerel(Barrier | Rmb | Wmb | Mb | Sync-rcu | Sync-srcu | Before-atomic |
  //   After-atomic | Acquire | Release | Rcu-lock | Rcu-unlock | Srcu-lock | Srcu-unlock) |
  //   (po ; [Release]) | ([Acquire] ; po)
  const barrier = fencerel(
    Barrier.union(Rmb).union(Wmb).union(Mb).union(SyncRcu).union(SyncSrcu).union(BeforeAtomic).union(AfterAtomic)
      .union(Acquire).union(Release).union(RcuLock).union(RcuUnlock).union(SrcuLock).union(SrcuUnlock),
  ).union(po.seq(I(Release)), I(Acquire).seq(po));
  return { n, set, I, po, poq, sameLoc, int, ext, idr, poLoc, IW, LKR, LKW, UL, W, M, Noreturn, Rmb, AfterUnlockLock, RcuLock, RcuUnlock, SyncRcu, empty, SyncSrcu, SrcuLock, SrcuUnlock, Marked, Plain, notSrcuUnlock, rcuRscs, rmw, fencerel, acqPo, poRel, R4rmb, rmb, wmb, mbStatic, gp, barrier };
}

type Prepared = ReturnType<typeof prepare>;
/** the last combination prepared: enumerate.ts yields one combination's candidates in a row */
let last: { key: readonly unknown[]; p: Prepared } | undefined;
function prepared(x: Candidate): Prepared {
  const key = [x.events, x.po, x.addr, x.data, x.ctrl, x.rmwBase];
  if (last !== undefined && last.key.every((r, i) => r === key[i])) return last.p;
  // the previous combination's relations are handed back here: `last` was their only holder
  last = undefined;
  const p = withScratch('combination', () => prepare(x));
  last = { key, p };
  return p;
}

export function checkLkmm(x: Candidate): Verdict {
  const p = prepared(x);
  // every relation below dies with this check (the verdict holds none): scratch memory
  return withScratch('check', () => check(x, p));
}

function check(x: Candidate, p: Prepared): Verdict {
  const { n, set, I, po, poq, sameLoc, int, ext, idr, poLoc, IW, LKR, LKW, UL, W, M, Noreturn, Rmb, AfterUnlockLock, RcuLock, RcuUnlock, SyncRcu, empty, SyncSrcu, SrcuLock, SrcuUnlock, Marked, Plain, notSrcuUnlock, rcuRscs, rmw, fencerel, acqPo, poRel, R4rmb, rmb, wmb, mbStatic, gp, barrier } = p;
  const rf = x.rf;
  const co = x.co;
  const rfi = rf.inter(int);
  const rfe = rf.inter(ext);
  // let carry-dep = (data ; [~ Srcu-unlock] ; rfi)*
  const carryDep = x.data.seq(I(notSrcuUnlock), rfi).star();
  // let addr = carry-dep ; addr   let ctrl = carry-dep ; ctrl   let data = carry-dep ; data
  const addr = carryDep.seq(x.addr);
  const ctrl = carryDep.seq(x.ctrl);
  const data = carryDep.seq(x.data);

  // (* Compute matching pairs of nested Srcu-lock and Srcu-unlock *)
  // let carry-srcu-data = (data ; [~ Srcu-unlock] ; rf)*
  // let srcu-rscs = ([Srcu-lock] ; carry-srcu-data ; data ; [Srcu-unlock]) & loc
  // (the bell's own data, before the .cat extends it with carry-dep)
  const carrySrcuData = x.data.seq(I(notSrcuUnlock), x.rf).star();
  const srcuRscs = I(SrcuLock).seq(carrySrcuData, x.data, I(SrcuUnlock)).inter(sameLoc);

  // lock.cat: let fr = rf^-1 ; co
  const fr = rf.inv().seq(co);
  const fre = fr.inter(ext);
  const coe = co.inter(ext);

  // let po-unlock-lock-po = po ; [UL] ; (po|rf) ; [LKR] ; po
  const poUnlockLockPo = po.seq(I(UL), po.union(rf), I(LKR), po);

  // let mb = mbStatic | ([M] ; po ; [UL] ; (co | po) ; [LKW] ; fencerel(After-unlock-lock) ; [M])
  // (fencerel of an empty set is empty: skipped when no smp_mb__after_unlock_lock())
  const mb = AfterUnlockLock.isEmpty() ? mbStatic : mbStatic.union(I(M).seq(po, I(UL), co.union(po), I(LKW), fencerel(AfterUnlockLock), I(M)));
  // let strong-fence = mb | gp
  const strongFence0 = mb.union(gp);
  // let nonrw-fence = strong-fence | po-rel | acq-po
  const nonrwFence = strongFence0.union(poRel, acqPo);
  // let fence = nonrw-fence | wmb | rmb
  const fence0 = nonrwFence.union(wmb, rmb);
  const flags: string[] = [];
  const fail = (failed: string): Verdict => ({ consistent: false, failed, flags });
  // flag ~empty Rcu-lock \ domain(rcu-rscs) as unmatched-rcu-lock
  if (!RcuLock.diff(rcuRscs.domain()).isEmpty()) flags.push('unmatched-rcu-lock');
  // flag ~empty Rcu-unlock \ range(rcu-rscs) as unmatched-rcu-unlock
  if (!RcuUnlock.diff(rcuRscs.range()).isEmpty()) flags.push('unmatched-rcu-unlock');
  // flag ~empty Srcu-lock \ domain(srcu-rscs) as unmatched-srcu-lock
  if (!SrcuLock.diff(srcuRscs.domain()).isEmpty()) flags.push('unmatched-srcu-lock');
  // flag ~empty Srcu-unlock \ range(srcu-rscs) as unmatched-srcu-unlock
  if (!SrcuUnlock.diff(srcuRscs.range()).isEmpty()) flags.push('unmatched-srcu-unlock');
  // flag ~empty (srcu-rscs^-1 ; srcu-rscs) \ id as multiple-srcu-matches
  if (!srcuRscs.inv().seq(srcuRscs).diff(idr).isEmpty()) flags.push('multiple-srcu-matches');
  // flag ~empty rcu-rscs & (po ; [Sync-srcu] ; po) as invalid-sleep
  if (!rcuRscs.inter(po.seq(I(SyncSrcu), po)).isEmpty()) flags.push('invalid-sleep');
  // flag ~empty different-values(srcu-rscs) as srcu-bad-value-match
  if (srcuRscs.pairs().some(([a, b]) => x.events[a]!.ev.val !== x.events[b]!.ev.val)) flags.push('srcu-bad-value-match');

  // lock.cat checks on the lock events (enumerate.ts generates only executions that satisfy
  // lock-nest and unmatched-locks; the flags are reported)
  // let com = rf | co | fr ; acyclic po-loc | com as coherence
  const com = rf.union(co, fr);
  if (!poLoc.union(com).acyclic()) return fail('coherence');
  // empty rmw & (fre ; coe) as atomic
  if (!rmw.inter(fre.seq(coe)).isEmpty()) return fail('atomic');

  // let dep = addr | data
  const dep = addr.union(data);
  // let rwdep = (dep | ctrl) ; [W]
  const rwdep = dep.union(ctrl).seq(I(W));
  // let overwrite = co | fr
  const overwrite = co.union(fr);
  // let to-w = rwdep | (overwrite & int) | (addr ; [Plain] ; wmb)
  const toW = rwdep.union(overwrite.inter(int), addr.seq(I(Plain), wmb));
  // let to-r = addr | (dep ; [Marked] ; rfi)
  const toR = addr.union(dep.seq(I(Marked), rfi));
  // let ppo = to-r | to-w | fence | (po-unlock-lock-po & int)
  const ppo = toR.union(toW, fence0, poUnlockLockPo.inter(int));

  // let A-cumul(r) = (rfe ; [Marked])? ; r
  const Acumul = (r: Rel) => rfe.seq(I(Marked)).opt().seq(r);
  // let cumul-fence = [Marked] ; (A-cumul(strong-fence | po-rel) | wmb | po-unlock-lock-po) ; [Marked]
  const cumulFence = I(Marked).seq(Acumul(strongFence0.union(poRel)).union(wmb, poUnlockLockPo), I(Marked));
  // let prop = [Marked] ; (overwrite & ext)? ; cumul-fence* ; [Marked] ; rfe? ; [Marked]
  const prop = I(Marked).seq(overwrite.inter(ext).opt(), cumulFence.star(), I(Marked), rfe.opt(), I(Marked));
  // let hb = [Marked] ; (ppo | rfe | ((prop \ id) & int)) ; [Marked]
  const hb = I(Marked).seq(ppo.union(rfe, prop.diff(idr).inter(int)), I(Marked));
  // acyclic hb as happens-before
  if (!hb.acyclic()) return fail('happens-before');
  const hbStar = hb.star();
  // let pb = prop ; strong-fence ; hb* ; [Marked]
  const pb = prop.seq(strongFence0, hbStar, I(Marked));
  // acyclic pb as propagation
  if (!pb.acyclic()) return fail('propagation');
  const pbStar = pb.star();

  // let rcu-gp = [Sync-rcu] ; let srcu-gp = [Sync-srcu]
  const rcuGp = I(SyncRcu);
  const srcuGp = I(SyncSrcu);
  // let srcu-rscsi = srcu-rscs^-1
  const srcuRscsi = srcuRscs.inv();
  // let rcu-rscsi = rcu-rscs^-1
  const rcuRscsi = rcuRscs.inv();
  // let rcu-link = po? ; hb* ; pb* ; prop ; po
  const rcuLink = poq.seq(hbStar, pbStar, prop, po);
  // let rec rcu-order = rcu-gp | srcu-gp |
  //   (rcu-gp ; rcu-link ; rcu-rscsi) | ((srcu-gp ; rcu-link ; srcu-rscsi) & loc) |
  //   (rcu-rscsi ; rcu-link ; rcu-gp) | ((srcu-rscsi ; rcu-link ; srcu-gp) & loc) |
  //   (rcu-gp ; rcu-link ; rcu-order ; rcu-link ; rcu-rscsi) |
  //   ((srcu-gp ; rcu-link ; rcu-order ; rcu-link ; srcu-rscsi) & loc) |
  //   (rcu-rscsi ; rcu-link ; rcu-order ; rcu-link ; rcu-gp) |
  //   ((srcu-rscsi ; rcu-link ; rcu-order ; rcu-link ; srcu-gp) & loc) |
  //   (rcu-order ; rcu-link ; rcu-order)
  // (`& loc`: an SRCU grace period waits only for readers of its own srcu_struct)
  let rcuOrder = new Rel(n);
  for (;;) {
    const next = rcuGp.union(
      srcuGp,
      rcuGp.seq(rcuLink, rcuRscsi),
      srcuGp.seq(rcuLink, srcuRscsi).inter(sameLoc),
      rcuRscsi.seq(rcuLink, rcuGp),
      srcuRscsi.seq(rcuLink, srcuGp).inter(sameLoc),
      rcuGp.seq(rcuLink, rcuOrder, rcuLink, rcuRscsi),
      srcuGp.seq(rcuLink, rcuOrder, rcuLink, srcuRscsi).inter(sameLoc),
      rcuRscsi.seq(rcuLink, rcuOrder, rcuLink, rcuGp),
      srcuRscsi.seq(rcuLink, rcuOrder, rcuLink, srcuGp).inter(sameLoc),
      rcuOrder.seq(rcuLink, rcuOrder),
    );
    if (next.equals(rcuOrder)) break;
    rcuOrder = next;
  }
  // let rcu-fence = po ; rcu-order ; po?
  const rcuFence = po.seq(rcuOrder, poq);
  // let fence = fence | rcu-fence ; let strong-fence = strong-fence | rcu-fence
  const fence = fence0.union(rcuFence);
  const strongFence = strongFence0.union(rcuFence);
  // let rb = prop ; rcu-fence ; hb* ; pb* ; [Marked]
  const rb = prop.seq(rcuFence, hbStar, pbStar, I(Marked));
  // irreflexive rb as rcu
  if (!rb.irreflexive()) return fail('rcu');

  // let mixed-accesses = ([Plain & W] ; (po-loc \ barrier) ; [Marked]) |
  //   ([Marked] ; (po-loc \ barrier) ; [Plain & W])
  const plainW = Plain.inter(W);
  const mixed = I(plainW).seq(poLoc.diff(barrier), I(Marked)).union(I(Marked).seq(poLoc.diff(barrier), I(plainW)));
  if (!mixed.isEmpty()) flags.push('mixed-accesses');

  // plain accesses are rare in litmus tests; skip the race machinery when there are none
  if (Plain.isEmpty()) return { consistent: true, flags };

  // let xbstar = (hb | pb | rb)*
  const xbstar = hb.union(pb, rb).star();
  // let vis = cumul-fence* ; rfe? ; [Marked] ; ((strong-fence ; [Marked] ; xbstar) | (xbstar & int))
  const vis = cumulFence.star().seq(rfe.opt(), I(Marked), strongFence.seq(I(Marked), xbstar).union(xbstar.inter(int)));
  const notNoreturn = Noreturn.compl();
  // let w-pre-bounded = [Marked] ; (addr | fence)?
  const wPre = I(Marked).seq(addr.union(fence).opt());
  // let r-pre-bounded = [Marked] ; (addr | nonrw-fence | ([R4rmb] ; fencerel(Rmb) ; [~Noreturn]))?
  const rPre = I(Marked).seq(addr.union(nonrwFence, I(R4rmb).seq(fencerel(Rmb), I(notNoreturn))).opt());
  // let w-post-bounded = fence? ; [Marked]
  const wPost = fence.opt().seq(I(Marked));
  // let r-post-bounded = (nonrw-fence | ([~Noreturn] ; fencerel(Rmb) ; [R4rmb]))? ; [Marked]
  const rPost = nonrwFence.union(I(notNoreturn).seq(fencerel(Rmb), I(R4rmb))).opt().seq(I(Marked));
  // let ww-vis = fence | (strong-fence ; xbstar ; w-pre-bounded) | (w-post-bounded ; vis ; w-pre-bounded)
  const wwVis = fence.union(strongFence.seq(xbstar, wPre), wPost.seq(vis, wPre));
  // let wr-vis = fence | (strong-fence ; xbstar ; r-pre-bounded) | (w-post-bounded ; vis ; r-pre-bounded)
  const wrVis = fence.union(strongFence.seq(xbstar, rPre), wPost.seq(vis, rPre));
  // let rw-xbstar = fence | (r-post-bounded ; xbstar ; w-pre-bounded)
  const rwXbstar = fence.union(rPost.seq(xbstar, wPre));
  // let pre-race = ext & ((Plain * M) | ((M \ IW) * Plain))
  const preRace = ext.inter(Rel.cross(Plain, M).union(Rel.cross(M.diff(IW), Plain)));
  // let wr-incoh = pre-race & rf & rw-xbstar^-1
  const wrIncoh = preRace.inter(rf).inter(rwXbstar.inv());
  // let rw-incoh = pre-race & fr & wr-vis^-1
  const rwIncoh = preRace.inter(fr).inter(wrVis.inv());
  // let ww-incoh = pre-race & co & ww-vis^-1
  const wwIncoh = preRace.inter(co).inter(wwVis.inv());
  // empty (wr-incoh | rw-incoh | ww-incoh) as plain-coherence
  if (!wrIncoh.union(rwIncoh, wwIncoh).isEmpty()) return fail('plain-coherence');
  // let ww-nonrace = ww-vis & ((Marked * W) | rw-xbstar) & ((W * Marked) | wr-vis)
  const wwNonrace = wwVis.inter(Rel.cross(Marked, W).union(rwXbstar)).inter(Rel.cross(W, Marked).union(wrVis));
  // let ww-race = (pre-race & co) \ ww-nonrace
  const wwRace = preRace.inter(co).diff(wwNonrace);
  // let wr-race = (pre-race & (co? ; rf)) \ wr-vis \ rw-xbstar^-1
  const wrRace = preRace.inter(co.opt().seq(rf)).diff(wrVis).diff(rwXbstar.inv());
  // let rw-race = (pre-race & fr) \ rw-xbstar
  const rwRace = preRace.inter(fr).diff(rwXbstar);
  // flag ~empty (ww-race | wr-race | rw-race) as data-race
  if (!wwRace.union(wrRace, rwRace).isEmpty()) flags.push('data-race');
  return { consistent: true, flags };
}

/** Bracket matching of lock/unlock fences along each thread's po (innermost pairs first). */
function matchNested(x: Candidate, L: EvSet, U: EvSet): Rel {
  const n = x.events.length;
  const r = new Rel(n);
  const byThread = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!L.has(i) && !U.has(i)) continue;
    const t = x.events[i]!.thread;
    if (!byThread.has(t)) byThread.set(t, []);
    byThread.get(t)!.push(i);
  }
  for (const evs of byThread.values()) {
    evs.sort((a, b) => (x.po.has(a, b) ? -1 : x.po.has(b, a) ? 1 : 0));
    const stack: number[] = [];
    for (const i of evs) {
      if (L.has(i)) stack.push(i);
      else if (stack.length > 0) r.add(stack.pop()!, i);
    }
  }
  return r;
}
