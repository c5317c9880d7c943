/**
 * Sharded exploration: one exhaustive run split deterministically into n parts (CI jobs,
 * machines, or worker threads), and the merge of their results into one verdict.
 *
 * The split is static and sound for every exhaustive strategy: the first K scheduling decisions
 * are enumerated by plain DFS (the prefix tree of depth K, grown one level at a time until it
 * has at least `prefixesPerShard * n` leaves), prefix j goes to shard (j mod n) + 1, and below
 * each prefix the chosen strategy runs restricted to it (`StrategyOptions.prefix`). Every
 * execution starts with exactly one leaf of that tree, so the shards partition the space: the
 * union of their executions is the unsharded space, and the run is clean only if every shard
 * is clean and exhaustive. The prefix tree depends only on the program and n, so every shard
 * computes the same one without talking to the others.
 *
 * DPOR restricted to a prefix loses the reduction across prefixes (two prefixes that only
 * reorder independent steps are both explored), which is why K stays small: a few prefixes
 * per shard, enough to balance the load.
 *
 * Sampling strategies (random, PCT) have nothing to partition: shard g runs the same strategy
 * over the whole space with its own seed derived from --seed, so n shards draw n independent
 * streams of samples.
 */
import { runExecution, ScheduleError, type ExecResult, type Program, type SchedView } from '../core/execution.js';
import type { ExploreResult, Verdict } from '../core/explore.js';
import type { SharedOp } from '../core/op.js';
import { dependent, stepFootprint, type Footprint } from './footprint.js';
import { UsageError } from '../core/errors.js';
import { findStrategy, type StrategyDef, type StrategyOptions } from './index.js';
import type { Cutoff, SegmentStats, Strategy } from './strategy.js';
import { ReplayStrategy } from './replay.js';

/** `--shard i/n`, 1-based as vitest and playwright number shards. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  if (m === null) throw new UsageError(`--shard '${text}' is malformed: expected --shard i/n with 1 <= i <= n, e.g. --shard 2/4 (the second of four shards)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text} is out of range: expected --shard i/n with 1 <= i <= n, e.g. --shard 2/4`);
  return { index, count };
}

export interface Prefix {
  readonly choices: readonly number[];
  /** preemptions the prefix takes (switching away from a CPU that could continue) */
  readonly preemptions: number;
  /** with sleep sets: per prefix node, the CPUs asleep there (bitmask) */
  readonly asleep?: readonly number[];
  /** with sleep sets: per prefix node, the exact footprint of each asleep CPU's next step there */
  readonly asleepFps?: readonly (readonly (Footprint | undefined)[])[];
}

export interface PrefixTree {
  /** the deepest prefix length */
  readonly depth: number;
  /** the leaves, in DFS order (CPU ascending at every step) */
  readonly prefixes: readonly Prefix[];
}

/** Aborts an execution once the enumerator has seen the decision it wanted. */
class PrefixCut extends ScheduleError {}

/** Replays a prefix, then records the runnable CPUs at the next decision and aborts. */
class Expander {
  enabled: readonly number[] | null = null;
  current = -1;
  readonly wantsWrites = true;
  /** exact footprint of each step taken (with its invariant checks' reads) */
  readonly fps: Footprint[] = [];
  constructor(private readonly prefix: readonly number[]) {}
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.fps.push(stepFootprint(op, tid, view.threadCount, view.lastWrites, view.lastReads));
  }
  choose(view: SchedView): number {
    const i = view.stepIndex;
    if (i < this.prefix.length) return this.prefix[i]!;
    this.enabled = [...view.enabled];
    this.current = view.current;
    throw new PrefixCut('prefix cut');
  }
}

interface Leaf {
  readonly p: Prefix;
  readonly open: boolean;
  /** per prefix node d: CPUs asleep there (its sleep set plus the siblings explored before) */
  readonly asleep: readonly number[];
  /**
   * per prefix node d: the footprint of each asleep CPU's next step there. One array per node,
   * shared by its children: an explored sibling's entry is filled in when that sibling's own
   * leaf is expanded (its last step is the step in question).
   */
  readonly asleepFps: (Footprint | undefined)[][];
}

/**
 * The prefix tree of the first scheduling decisions, grown one level at a time until it has at
 * least `minLeaves` leaves (or the tree is complete, or `maxDepth` is reached). A leaf shorter
 * than the depth is a whole execution (it ended, deadlocked or violated within the prefix).
 *
 * With `sleepSets` (for strategies that promise one execution per Mazurkiewicz class, not every
 * interleaving), the tree is explored as DFS with sleep sets (Godefroid): at each node, a CPU
 * whose next step commutes with everything taken since a sibling branch explored it is asleep
 * and not branched on, and each leaf carries the sleep sets of its nodes (`Prefix.asleep`) for
 * the strategy below it. Without them every shard's DPOR would re-explore nearly every class:
 * the first steps of different CPUs almost always commute, so almost every class has
 * linearizations starting with each CPU. "Commutes" uses the exact footprint of the asleep
 * CPU's step as it ran in its sibling branch, invariant checks' reads included (as DPOR's own
 * sleep sets do), so a CPU whose check would see a change is woken.
 */
export function enumeratePrefixes<W>(program: Program<W>, minLeaves: number, opts: { maxDepth?: number; sleepSets?: boolean } = {}): PrefixTree {
  const maxDepth = opts.maxDepth ?? 64;
  const sleepSets = opts.sleepSets === true;
  let leaves: Leaf[] = [{ p: { choices: [], preemptions: 0 }, open: true, asleep: [], asleepFps: [] }];
  let depth = 0;
  const expand = (l: Leaf): Expander => {
    const x = new Expander(l.p.choices);
    try {
      runExecution(program, x);
    } catch (e) {
      if (!(e instanceof PrefixCut)) throw e;
    }
    // this leaf's last step is the step its later siblings' sleep sets need the footprint of
    const d = l.p.choices.length;
    if (d > 0 && x.fps.length >= d) l.asleepFps[d - 1]![l.p.choices[d - 1]!] = x.fps[d - 1];
    return x;
  };
  while (leaves.length < minLeaves && depth < maxDepth && leaves.some((l) => l.open)) {
    const next: Leaf[] = [];
    for (const l of leaves) {
      if (!l.open) {
        next.push(l);
        continue;
      }
      const x = expand(l);
      if (x.enabled === null) {
        next.push({ ...l, open: false }); // the execution ended within the prefix
        continue;
      }
      // this node's sleep set: CPUs asleep at the parent whose next step commutes with the step taken
      const d = l.p.choices.length;
      let sleep = 0;
      const fpsHere: (Footprint | undefined)[] = [];
      if (sleepSets && d > 0) {
        const taken = l.p.choices[d - 1]!;
        const fp = x.fps[d - 1]!;
        for (let m = l.asleep[d - 1]! & ~(1 << taken); m !== 0; m &= m - 1) {
          const q = 31 - Math.clz32(m & -m);
          const fq = l.asleepFps[d - 1]![q];
          if (fq !== undefined && !dependent(fq, fp)) {
            sleep |= 1 << q;
            fpsHere[q] = fq;
          }
        }
      }
      const curEnabled = x.enabled.includes(x.current);
      const asleepFps = [...l.asleepFps, fpsHere];
      let explored = 0;
      for (const tid of x.enabled) {
        if ((sleep & (1 << tid)) !== 0) continue; // covered below an earlier sibling
        const preempt = x.current >= 0 && curEnabled && tid !== x.current ? 1 : 0;
        const asleep = [...l.asleep, sleep | explored];
        next.push({
          p: { choices: [...l.p.choices, tid], preemptions: l.p.preemptions + preempt, asleep: sleepSets ? asleep : undefined, asleepFps: sleepSets ? asleepFps : undefined },
          open: true,
          asleep,
          asleepFps,
        });
        if (sleepSets) explored |= 1 << tid;
      }
      // every runnable CPU asleep: a sleep-set-blocked prefix, nothing new below it
    }
    leaves = next;
    depth++;
  }
  // the last level's leaves were not expanded: run each once for the footprint of its last step
  if (sleepSets) for (const l of leaves) if (l.open) expand(l);
  return { depth, prefixes: leaves.map((l) => l.p) };
}

/** Fails loudly if a strategy does not honour the prefix it was given: the split would be unsound. */
class PrefixGuard implements Strategy {
  constructor(private readonly inner: Strategy, private readonly prefix: readonly number[]) {}
  get name() {
    return this.inner.name;
  }
  get complete() {
    return this.inner.complete;
  }
  get bounds() {
    return this.inner.bounds;
  }
  get sleepBlocked() {
    return this.inner.sleepBlocked;
  }
  nextExecution() {
    return this.inner.nextExecution();
  }
  endExecution(r: ExecResult) {
    this.inner.endExecution(r);
  }
  get wantsWrites() {
    return this.inner.wantsWrites;
  }
  choose(view: SchedView): number {
    const tid = this.inner.choose(view);
    const i = view.stepIndex;
    if (tid >= 0 && i < this.prefix.length && tid !== this.prefix[i]) {
      throw new Error(`strategy '${this.inner.name}' ignored its shard prefix at step ${i} (chose cpu${tid}, prefix says cpu${this.prefix[i]}): it cannot be sharded soundly`);
    }
    return tid;
  }
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.inner.onStep?.(tid, op, view);
  }
}

/** `--shard i/n`, optionally split further among worker threads. */
export interface ShardRun extends ShardSpec {
  /** worker w of `count` within this shard (--jobs) */
  readonly worker?: { readonly index: number; readonly count: number };
  /** leaves per shard the prefix tree is grown to (default 8) */
  readonly prefixesPerShard?: number;
}

/** A seed for sub-shard g derived from --seed (g = 0 keeps --seed itself). */
export function shardSeed(seed: number, g: number): number {
  if (g === 0) return seed >>> 0;
  let z = (seed + Math.imul(g, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The strategy for one shard (or one worker's part of it): for an exhaustive strategy, a
 * ShardStrategy over the owned prefixes; for a sampling one, the strategy with its own seed.
 */
export function createShardStrategy<W>(program: Program<W>, def: StrategyDef, sopts: StrategyOptions, run: ShardRun, cutoff?: Cutoff): Strategy {
  const worker = run.worker ?? { index: 0, count: 1 };
  if (!def.exhaustive) {
    const g = run.index - 1 + run.count * worker.index;
    return new SegmentStrategy(def.create({ ...sopts, seed: shardSeed(sopts.seed, g) }), g, cutoff);
  }
  const tree = enumeratePrefixes(program, (run.prefixesPerShard ?? 8) * run.count, { sleepSets: PARTIAL_ORDER.has(def.name) });
  const owned: { p: Prefix; index: number }[] = [];
  tree.prefixes.forEach((p, j) => {
    if (j % run.count === run.index - 1 && Math.floor(j / run.count) % worker.count === worker.index) owned.push({ p, index: j });
  });
  return new ShardStrategy(def, sopts, owned, tree, cutoff);
}

/** Per-segment accounting shared by ShardStrategy and SegmentStrategy. */
class Segments {
  readonly list: SegmentStats[] = [];
  cur: SegmentStats | null = null;
  cut = false;
  constructor(private readonly cutoff: Cutoff | undefined) {}
  /** start segment `key`; false if a lower one already has a violation (cut off) */
  begin(key: number): boolean {
    if (this.cutoff !== undefined && key > this.cutoff.best()) {
      this.cut = true;
      this.cur = null;
      return false;
    }
    this.cur = { key, executions: 0, steps: 0, maxDepth: 0, sleepBlocked: 0, complete: false, failing: false };
    this.list.push(this.cur);
    return true;
  }
  /** whether the current segment may go on */
  mayContinue(): boolean {
    if (this.cur === null || this.cutoff === undefined || this.cur.key <= this.cutoff.best()) return true;
    this.cut = true;
    return false;
  }
  end(r: ExecResult, blockedSoFar: number): void {
    const c = this.cur;
    if (c === null) return;
    c.executions++;
    c.steps += r.steps;
    if (r.steps > c.maxDepth) c.maxDepth = r.steps;
    c.sleepBlocked = blockedSoFar;
    if (r.violation !== null || r.modelError !== null) {
      c.failing = true;
      this.cutoff?.found(c.key);
    }
  }
}

/** A sampling strategy as one segment of a split run (key: its sub-shard number). */
class SegmentStrategy implements Strategy {
  private readonly seg: Segments;
  private started = false;
  constructor(private readonly inner: Strategy, private readonly key: number, cutoff?: Cutoff) {
    this.seg = new Segments(cutoff);
  }
  get name() {
    return this.inner.name;
  }
  get complete() {
    return this.inner.complete && !this.seg.cut;
  }
  get bounds() {
    return this.seg.cut ? [...this.inner.bounds, 'cut off: a lower part of the run found a violation'] : this.inner.bounds;
  }
  get sleepBlocked() {
    return this.inner.sleepBlocked;
  }
  get segments() {
    return this.seg.list;
  }
  get wantsWrites() {
    return this.inner.wantsWrites;
  }
  nextExecution(): boolean {
    if (!this.started) {
      this.started = true;
      if (!this.seg.begin(this.key)) return false;
    } else if (!this.seg.mayContinue()) return false;
    const more = this.inner.nextExecution();
    if (!more && this.seg.cur !== null) this.seg.cur.complete = true;
    return more;
  }
  choose(view: SchedView): number {
    return this.inner.choose(view);
  }
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.inner.onStep?.(tid, op, view);
  }
  endExecution(r: ExecResult): void {
    this.inner.endExecution(r);
    this.seg.end(r, this.inner.sleepBlocked ?? 0);
  }
}

/** strategies that promise one execution per Mazurkiewicz class, not every interleaving */
const PARTIAL_ORDER = new Set(['dpor', 'iterative-dpor']);

/** iterative-deepening strategies and the bounded search each of their levels runs */
const LEVELLED: Readonly<Record<string, string>> = { iterative: 'dfs', 'iterative-dpor': 'dpor' };

/**
 * One strategy run below each owned prefix in turn, presented to the explorer as one strategy:
 * complete once every prefix is, bounded by the union of their bounds.
 */
export class ShardStrategy implements Strategy {
  readonly name: string;
  private cur: Strategy | null = null;
  private readonly tasks: Generator<Strategy, void, void>;
  private readonly bound = new Set<string>();
  private finished = false;
  private blockedBefore = 0;
  private readonly seg: Segments;
  /** the segment key of each strategy the task generator yields */
  private nextKey = 0;
  /** owned prefixes explored completely */
  done = 0;

  constructor(
    def: StrategyDef,
    private readonly sopts: StrategyOptions,
    readonly owned: readonly { readonly p: Prefix; readonly index: number }[],
    readonly tree: PrefixTree,
    cutoff?: Cutoff,
  ) {
    this.seg = new Segments(cutoff);
    // the name the strategy gives itself under these options (`dpor --no-commuting-adds`)
    this.name = def.create(sopts).name;
    const level = LEVELLED[def.name];
    this.tasks = level !== undefined ? this.levels(findStrategy(level)) : this.each(def);
  }

  private create(def: StrategyDef, p: Prefix, preemptions: number): Strategy {
    return new PrefixGuard(def.create({ ...this.sopts, preemptions, prefix: p.choices, prefixPreemptions: p.preemptions, prefixSleep: p.asleep, prefixSleepFps: p.asleepFps }), p.choices);
  }

  private *each(def: StrategyDef): Generator<Strategy, void, void> {
    for (const { p, index } of this.owned) {
      const s = this.create(def, p, this.sopts.preemptions);
      this.nextKey = index;
      yield s;
      for (const b of s.bounds) this.bound.add(b);
      this.done++;
    }
  }

  /**
   * Iterative deepening across all owned prefixes, level by level (the plain DFS at preemption
   * bound 0, then 1, …), so the shard's first counterexample still has the fewest preemptions.
   */
  private *levels(dfs: StrategyDef): Generator<Strategy, void, void> {
    let remaining = this.owned;
    const P = this.tree.prefixes.length;
    for (let level = 0; remaining.length > 0; level++) {
      const next: { p: Prefix; index: number }[] = [];
      for (const o of remaining) {
        const s = this.create(dfs, o.p, level);
        // (level, prefix) in the order every worker explores them
        this.nextKey = level * P + o.index;
        yield s;
        if (s.bounds.length > 0) next.push(o);
        else this.done++;
      }
      if (next.length > 0 && level >= this.sopts.preemptions) {
        this.bound.add(`preemptions <= ${level}`);
        return;
      }
      remaining = next;
    }
  }

  get complete(): boolean {
    return this.finished && !this.seg.cut;
  }
  get bounds(): readonly string[] {
    return this.seg.cut ? [...this.bound, 'cut off: a lower part of the run found a violation'] : [...this.bound];
  }
  get sleepBlocked(): number {
    return this.blockedBefore + (this.cur?.sleepBlocked ?? 0);
  }
  // boolean, not `boolean | undefined`: the emitted .d.ts must satisfy `Strategy` under a
  // consumer's exactOptionalPropertyTypes (tsc --init's default)
  get wantsWrites(): boolean {
    return this.cur?.wantsWrites === true;
  }
  get segments(): readonly SegmentStats[] {
    return this.seg.list;
  }

  nextExecution(): boolean {
    for (;;) {
      if (this.finished) return false;
      if (this.cur !== null) {
        if (!this.seg.mayContinue()) {
          this.finished = true;
          return false;
        }
        if (this.cur.nextExecution()) return true;
        this.blockedBefore += this.cur.sleepBlocked ?? 0;
        if (this.seg.cur !== null) this.seg.cur.complete = true;
      }
      // the current prefix is exhausted (the generator records its bounds when resumed)
      const t = this.tasks.next();
      if (t.done === true) {
        this.cur = null;
        this.finished = true;
        return false;
      }
      this.cur = t.value;
      if (!this.seg.begin(this.nextKey)) {
        this.finished = true;
        return false;
      }
    }
  }
  choose(view: SchedView): number {
    return this.cur!.choose(view);
  }
  onStep(tid: number, op: SharedOp, view: SchedView): void {
    this.cur!.onStep?.(tid, op, view);
  }
  endExecution(r: ExecResult): void {
    this.cur!.endExecution(r);
    this.seg.end(r, this.cur!.sleepBlocked ?? 0);
  }
}

/** What one shard (or worker) hands back: plain data, so it crosses threads and files. */
export interface ShardSummary extends Omit<ExploreResult, 'failing'> {
  /** the counterexample's choices (re-run to get its ExecResult) */
  readonly failingChoices: readonly number[] | null;
}

export function summarize(r: ExploreResult): ShardSummary {
  const { failing, ...rest } = r;
  return { ...rest, bounds: [...r.bounds], failingChoices: failing === null ? null : [...failing.choices] };
}

/** Preemptions of a schedule as the schedule string shows them: CPU switches. */
function switches(choices: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < choices.length; i++) if (choices[i] !== choices[i - 1]) n++;
  return n;
}

/**
 * Merge the parts of one run. A violation in any part is the run's violation. When every part
 * reports its segments (shard prefixes, each worker's stream), the winner is the violation of
 * the lowest segment key and the counts are those of the segments up to it: every segment below
 * the winner is explored completely in every run (the cut-off only stops segments above it), so
 * the counterexample and the counts do not depend on which worker finished first. Without
 * segments (older shard reports): the violation with the fewest CPU switches, then the fewest
 * steps, then the lowest part. The run is clean only if every part is clean and exhaustive and
 * none is missing (`expected` parts).
 */
export function mergeSummaries(parts: readonly ShardSummary[], expected: number, missing: readonly string[] = []): ShardSummary & { readonly winner: number } {
  let winner = -1;
  let winnerKey = Infinity;
  const segmented = parts.length > 0 && parts.every((p) => p.segments !== undefined);
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i]!.failingChoices;
    if (c === null) continue;
    if (segmented) {
      const key = Math.min(...parts[i]!.segments!.filter((s) => s.failing).map((s) => s.key));
      if (key < winnerKey || (key === winnerKey && winner < 0)) {
        winnerKey = key;
        winner = i;
      }
      continue;
    }
    const w = winner < 0 ? null : parts[winner]!.failingChoices!;
    if (w === null || switches(c) < switches(w) || (switches(c) === switches(w) && c.length < w.length)) winner = i;
  }
  const bounds = new Set<string>();
  for (const p of parts) for (const b of p.bounds) bounds.add(b.startsWith('stopped after') ? 'stopped at --max-executions' : b);
  if (parts.length < expected) bounds.add(`only ${parts.length} of ${expected} shards explored${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  const exhaustive = winner < 0 && parts.length === expected && parts.every((p) => p.exhaustive);
  const counted = segmented && winner >= 0 ? parts.flatMap((p) => p.segments!).filter((s) => s.key <= winnerKey) : null;
  const sum = (f: (p: ShardSummary) => number, g: (s: SegmentStats) => number) => (counted !== null ? counted.reduce((a, s) => a + g(s), 0) : parts.reduce((a, p) => a + f(p), 0));
  let verdict: Verdict;
  if (winner >= 0) verdict = parts[winner]!.verdict;
  else verdict = exhaustive ? 'clean' : 'no-violation-found';
  const executions = sum((p) => p.executions, (s) => s.executions);
  const segments = segmented ? parts.flatMap((p) => p.segments!).sort((a, b) => a.key - b.key) : undefined;
  return {
    verdict,
    strategy: parts[0]?.strategy ?? '',
    executions,
    steps: sum((p) => p.steps, (s) => s.steps),
    maxDepth: counted !== null ? counted.reduce((a, s) => Math.max(a, s.maxDepth), 0) : parts.reduce((a, p) => Math.max(a, p.maxDepth), 0),
    exhaustive,
    // after a violation, 'interrupted' and the cut-off only mean the other parts were stopped early
    bounds: exhaustive ? [] : [...bounds].filter((b) => winner < 0 || (b !== 'interrupted' && !b.startsWith('cut off'))),
    sleepBlocked: sum((p) => p.sleepBlocked, (s) => s.sleepBlocked),
    interrupted: parts.some((p) => p.interrupted),
    foundAt: winner < 0 ? 0 : counted !== null ? executions : parts[winner]!.foundAt,
    failingChoices: winner < 0 ? null : parts[winner]!.failingChoices,
    ...(segments !== undefined ? { segments } : {}),
    winner,
  };
}

/** Turn a merged summary back into an ExploreResult, re-running the counterexample here. */
export function toExploreResult<W>(program: Program<W>, m: ShardSummary): ExploreResult {
  const failing = m.failingChoices === null ? null : runExecution(program, new ReplayStrategy(m.failingChoices));
  return {
    verdict: m.verdict,
    strategy: m.strategy,
    executions: m.executions,
    steps: m.steps,
    maxDepth: m.maxDepth,
    exhaustive: m.exhaustive,
    bounds: m.bounds,
    sleepBlocked: m.sleepBlocked,
    failing,
    foundAt: m.foundAt,
    interrupted: m.interrupted,
  };
}
