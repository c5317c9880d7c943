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

export class Rel {
  readonly words: number;
  readonly m: Uint32Array;
  constructor(readonly n: number) {
    this.words = (n + 31) >>> 5;
    this.m = new Uint32Array(n * this.words);
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
    for (let i = 0; i < s.n; i++) if (s.has(i)) r.add(i, i);
    return r;
  }
  /** `S * T`. */
  static cross(s: EvSet, t: EvSet): Rel {
    const r = new Rel(s.n);
    for (let a = 0; a < s.n; a++) if (s.has(a)) for (let k = 0; k < r.words; k++) r.m[a * r.words + k] = t.w[k]!;
    return r;
  }
  add(a: number, b: number): void {
    this.m[a * this.words + (b >>> 5)]! |= 1 << (b & 31);
  }
  has(a: number, b: number): boolean {
    return (this.m[a * this.words + (b >>> 5)]! & (1 << (b & 31))) !== 0;
  }
  private zip(o: Rel, f: (x: number, y: number) => number): Rel {
    const r = new Rel(this.n);
    for (let k = 0; k < r.m.length; k++) r.m[k] = f(this.m[k]!, o.m[k]!);
    return r;
  }
  union(...os: Rel[]): Rel {
    let r: Rel = this;
    for (const o of os) r = r.zip(o, (x, y) => x | y);
    return r;
  }
  inter(o: Rel): Rel {
    return this.zip(o, (x, y) => x & y);
  }
  diff(o: Rel): Rel {
    return this.zip(o, (x, y) => x & ~y);
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
    for (let a = 0; a < this.n; a++) {
      for (let b = 0; b < this.n; b++) {
        if (!this.has(a, b)) continue;
        for (let k = 0; k < W; k++) r.m[a * W + k]! |= o.m[b * W + k]!;
      }
    }
    return r;
  }
  /** `r^-1`. */
  inv(): Rel {
    const r = new Rel(this.n);
    for (let a = 0; a < this.n; a++) for (let b = 0; b < this.n; b++) if (this.has(a, b)) r.add(b, a);
    return r;
  }
  /** `r+` (Warshall). */
  plus(): Rel {
    const r = new Rel(this.n);
    r.m.set(this.m);
    const W = this.words;
    for (let k = 0; k < this.n; k++) {
      for (let a = 0; a < this.n; a++) {
        if (!r.has(a, k)) continue;
        for (let j = 0; j < W; j++) r.m[a * W + j]! |= r.m[k * W + j]!;
      }
    }
    return r;
  }
  /** `r*` = id | r+. */
  star(): Rel {
    const r = this.plus();
    for (let i = 0; i < this.n; i++) r.add(i, i);
    return r;
  }
  /** `r?` = id | r. */
  opt(): Rel {
    const r = new Rel(this.n);
    r.m.set(this.m);
    for (let i = 0; i < this.n; i++) r.add(i, i);
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
    return EvSet.of(this.n, (b) => {
      for (let a = 0; a < this.n; a++) if (this.has(a, b)) return true;
      return false;
    });
  }
  isEmpty(): boolean {
    return this.m.every((x) => x === 0);
  }
  irreflexive(): boolean {
    for (let i = 0; i < this.n; i++) if (this.has(i, i)) return false;
    return true;
  }
  acyclic(): boolean {
    return this.plus().irreflexive();
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
