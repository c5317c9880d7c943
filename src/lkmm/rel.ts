/**
 * A small relation algebra over the events of one candidate execution (indices 0..n-1), so that
 * the .cat definitions in model.ts transcribe one operator at a time: `;` is seq, `|` union,
 * `&` inter, `\` diff, `^-1` inv, `*` star, `+` plus, `?` opt, `[S]` id(S), `S * T` cross.
 *
 * A set is a bitset (Uint32Array of ceil(n/32) words); a relation is n such rows.
 */
export class EvSet {
  constructor(readonly n: number, readonly w: Uint32Array = new Uint32Array((n + 31) >>> 5)) {}
  static of(n: number, pred: (i: number) => boolean): EvSet {
    const s = new EvSet(n);
    for (let i = 0; i < n; i++) if (pred(i)) s.w[i >>> 5]! |= 1 << (i & 31);
    return s;
  }
  has(i: number): boolean {
    return (this.w[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
  union(o: EvSet): EvSet {
    const r = new EvSet(this.n);
    for (let k = 0; k < r.w.length; k++) r.w[k] = this.w[k]! | o.w[k]!;
    return r;
  }
  inter(o: EvSet): EvSet {
    const r = new EvSet(this.n);
    for (let k = 0; k < r.w.length; k++) r.w[k] = this.w[k]! & o.w[k]!;
    return r;
  }
  diff(o: EvSet): EvSet {
    const r = new EvSet(this.n);
    for (let k = 0; k < r.w.length; k++) r.w[k] = this.w[k]! & ~o.w[k]!;
    return r;
  }
  /** `~S`: the complement within all events. */
  compl(): EvSet {
    return EvSet.of(this.n, (i) => !this.has(i));
  }
  isEmpty(): boolean {
    return this.w.every((x) => x === 0);
  }
  members(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.has(i)) out.push(i);
    return out;
  }
}

/**
 * Scratch memory for relations that die together: a typed array of more than a few dozen bytes
 * gets its own off-heap store, and allocating those was a fifth of the decider's time (views of
 * one buffer, tried next, still cost a sixth). Inside withScratch(region, f), new relations take
 * arrays from that region's pool (one per size), zeroed as handed out. A region is handed back
 * whole: 'check' when the call ends (model.ts: one candidate's check, whose verdict holds no
 * relation), 'combination' when the next combination of thread paths is prepared (model.ts
 * keeps one prepared combination at a time). A relation that must outlive its region must be
 * made outside it.
 */
export type ScratchRegion = 'check' | 'combination';
type Pool = { arrays: Uint32Array[]; used: number };
const pools: Record<ScratchRegion, Map<number, Pool>> = { check: new Map(), combination: new Map() };
let current: ScratchRegion | null = null;
export function withScratch<T>(region: ScratchRegion, f: () => T): T {
  if (current !== null) {
    if (current !== region) throw new Error(`scratch region '${region}' opened inside '${current}'`);
    return f(); // nested: share the outer region
  }
  if (region === 'combination') for (const p of pools.combination.values()) p.used = 0;
  current = region;
  try {
    return f();
  } finally {
    current = null;
    if (region === 'check') for (const p of pools.check.values()) p.used = 0;
  }
}
function words32(len: number): Uint32Array {
  if (current === null) return new Uint32Array(len);
  const byLen = pools[current];
  let p = byLen.get(len);
  if (p === undefined) byLen.set(len, (p = { arrays: [], used: 0 }));
  if (p.used < p.arrays.length) {
    const m = p.arrays[p.used++]!;
    m.fill(0);
    return m;
  }
  const m = new Uint32Array(len);
  p.arrays.push(m);
  p.used++;
  return m;
}

/** the index of the lowest set bit of a non-zero word */
const low = (t: number): number => 31 - Math.clz32(t & -t);

export class Rel {
  readonly words: number;
  readonly m: Uint32Array;
  /**
   * Set while this relation is `[S]` as Rel.id built it: `;` with it then masks rows or
   * columns instead of composing (model.ts writes `[S] ; r ; [T]` everywhere). add() clears it.
   */
  private ident: EvSet | undefined;
  constructor(readonly n: number) {
    this.words = (n + 31) >>> 5;
    this.m = words32(n * this.words);
  }
  static of(n: number, pred: (a: number, b: number) => boolean): Rel {
    const r = new Rel(n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (pred(a, b)) r.add(a, b);
    return r;
  }
  static fromPairs(n: number, pairs: Iterable<readonly [number, number]>): Rel {
    const r = new Rel(n);
    for (const [a, b] of pairs) r.add(a, b);
    return r;
  }
  /** `[S]`: the identity restricted to S. */
  static id(s: EvSet): Rel {
    const r = new Rel(s.n);
    for (let i = 0; i < s.n; i++) if (s.has(i)) r.m[i * r.words + (i >>> 5)]! |= 1 << (i & 31);
    r.ident = s;
    return r;
  }
  /** the pairs (a, b) whose keys are equal and defined: an equivalence such as `loc` or `int` */
  static classes(n: number, key: (i: number) => unknown): Rel {
    const r = new Rel(n);
    const rows = new Map<unknown, Uint32Array>();
    for (let i = 0; i < n; i++) {
      const k = key(i);
      if (k === undefined) continue;
      let row = rows.get(k);
      if (row === undefined) rows.set(k, (row = new Uint32Array(r.words)));
      row[i >>> 5]! |= 1 << (i & 31);
    }
    for (let i = 0; i < n; i++) {
      const k = key(i);
      if (k !== undefined) r.m.set(rows.get(k)!, i * r.words);
    }
    return r;
  }
  /** `~r`: every pair not in r */
  compl(): Rel {
    const r = new Rel(this.n);
    const W = this.words;
    const tail = this.n & 31;
    for (let a = 0; a < this.n; a++) {
      for (let k = 0; k < W; k++) {
        let w = ~this.m[a * W + k]!;
        if (k === W - 1 && tail !== 0) w &= (1 << tail) - 1;
        r.m[a * W + k] = w;
      }
    }
    return r;
  }
  /** `S * T`. */
  static cross(s: EvSet, t: EvSet): Rel {
    const r = new Rel(s.n);
    for (let a = 0; a < s.n; a++) if (s.has(a)) for (let k = 0; k < r.words; k++) r.m[a * r.words + k] = t.w[k]!;
    return r;
  }
  add(a: number, b: number): void {
    this.ident = undefined;
    this.m[a * this.words + (b >>> 5)]! |= 1 << (b & 31);
  }
  has(a: number, b: number): boolean {
    return (this.m[a * this.words + (b >>> 5)]! & (1 << (b & 31))) !== 0;
  }
  union(...os: Rel[]): Rel {
    const r = new Rel(this.n);
    r.m.set(this.m);
    for (const o of os) for (let k = 0; k < r.m.length; k++) r.m[k]! |= o.m[k]!;
    return r;
  }
  inter(o: Rel): Rel {
    const r = new Rel(this.n);
    for (let k = 0; k < r.m.length; k++) r.m[k] = this.m[k]! & o.m[k]!;
    return r;
  }
  diff(o: Rel): Rel {
    const r = new Rel(this.n);
    for (let k = 0; k < r.m.length; k++) r.m[k] = this.m[k]! & ~o.m[k]!;
    return r;
  }
  /** `r1 ; r2`. */
  seq(...os: Rel[]): Rel {
    let r: Rel = this;
    for (const o of os) r = r.seq1(o);
    return r;
  }
  private seq1(o: Rel): Rel {
    const r = new Rel(this.n);
    const W = this.words;
    const n = this.n;
    if (o.ident !== undefined) {
      // r ; [S]: the columns in S
      const sw = o.ident.w;
      for (let a = 0; a < n; a++) for (let k = 0; k < W; k++) r.m[a * W + k] = this.m[a * W + k]! & sw[k]!;
      return r;
    }
    if (this.ident !== undefined) {
      // [S] ; r: the rows in S
      for (let a = 0; a < n; a++) if (this.ident.has(a)) for (let k = 0; k < W; k++) r.m[a * W + k] = o.m[a * W + k]!;
      return r;
    }
    for (let a = 0; a < n; a++) {
      for (let k = 0; k < W; k++) {
        let x = this.m[a * W + k]!;
        while (x !== 0) {
          const b = (k << 5) + low(x);
          x &= x - 1;
          for (let j = 0; j < W; j++) r.m[a * W + j]! |= o.m[b * W + j]!;
        }
      }
    }
    return r;
  }
  /** `r^-1`. */
  inv(): Rel {
    const r = new Rel(this.n);
    const W = this.words;
    for (let a = 0; a < this.n; a++) {
      for (let k = 0; k < W; k++) {
        let x = this.m[a * W + k]!;
        while (x !== 0) {
          const b = (k << 5) + low(x);
          x &= x - 1;
          r.m[b * W + (a >>> 5)]! |= 1 << (a & 31);
        }
      }
    }
    return r;
  }
  /** `r+` (Warshall). */
  plus(): Rel {
    const r = new Rel(this.n);
    r.m.set(this.m);
    const W = this.words;
    const n = this.n;
    for (let k = 0; k < n; k++) {
      const kw = k >>> 5;
      const kb = 1 << (k & 31);
      for (let a = 0; a < n; a++) {
        if ((r.m[a * W + kw]! & kb) === 0) continue;
        for (let j = 0; j < W; j++) r.m[a * W + j]! |= r.m[k * W + j]!;
      }
    }
    return r;
  }
  /** `r*` = id | r+. */
  star(): Rel {
    const r = this.plus();
    for (let i = 0; i < this.n; i++) r.m[i * r.words + (i >>> 5)]! |= 1 << (i & 31);
    return r;
  }
  /** `r?` = id | r. */
  opt(): Rel {
    const r = new Rel(this.n);
    r.m.set(this.m);
    for (let i = 0; i < this.n; i++) r.m[i * r.words + (i >>> 5)]! |= 1 << (i & 31);
    return r;
  }
  /** `[S] ; r`. */
  restrictDom(s: EvSet): Rel {
    return Rel.id(s).seq(this);
  }
  domain(): EvSet {
    return EvSet.of(this.n, (a) => {
      for (let k = 0; k < this.words; k++) if (this.m[a * this.words + k] !== 0) return true;
      return false;
    });
  }
  range(): EvSet {
    const s = new EvSet(this.n);
    const W = this.words;
    for (let a = 0; a < this.n; a++) for (let k = 0; k < W; k++) s.w[k]! |= this.m[a * W + k]!;
    return s;
  }
  isEmpty(): boolean {
    for (let k = 0; k < this.m.length; k++) if (this.m[k] !== 0) return false;
    return true;
  }
  irreflexive(): boolean {
    for (let i = 0; i < this.n; i++) if (this.has(i, i)) return false;
    return true;
  }
  /** no cycle: repeatedly remove events without predecessors (Kahn), no closure needed */
  acyclic(): boolean {
    const n = this.n;
    const W = this.words;
    const indeg = new Int32Array(n);
    for (let a = 0; a < n; a++) {
      for (let k = 0; k < W; k++) {
        let x = this.m[a * W + k]!;
        while (x !== 0) {
          indeg[(k << 5) + low(x)]!++;
          x &= x - 1;
        }
      }
    }
    const queue: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
    let seen = 0;
    while (queue.length > 0) {
      const a = queue.pop()!;
      seen++;
      for (let k = 0; k < W; k++) {
        let x = this.m[a * W + k]!;
        while (x !== 0) {
          const b = (k << 5) + low(x);
          x &= x - 1;
          if (--indeg[b]! === 0) queue.push(b);
        }
      }
    }
    return seen === n;
  }
  equals(o: Rel): boolean {
    for (let k = 0; k < this.m.length; k++) if (this.m[k] !== o.m[k]) return false;
    return true;
  }
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let a = 0; a < this.n; a++) for (let b = 0; b < this.n; b++) if (this.has(a, b)) out.push([a, b]);
    return out;
  }
}
