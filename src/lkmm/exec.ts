/**
 * Thread semantics: the events one thread of a C litmus test produces along one control-flow
 * path, given the value each of its reads returns, with the addr/data/ctrl dependencies among
 * them. The primitives are the macros of tools/memory-model/linux-kernel.def (mainline, with
 * the v6.13 syntactic tags ONCE/RELEASE/ACQUIRE/NORETURN/MB): the table PRIMS below is that
 * file, one entry a macro, and nothing outside it is accepted.
 */
import { Unsupported, LitmusSyntaxError, allStmts, type Expr, type Stmt, type Thread, type Value } from './parse.js';

/** 'srcu-lock' / 'srcu-unlock': the bell's SRCU tags, on the load and store srcu_read_lock() and srcu_read_unlock() are */
export type AccessTag = 'ONCE' | 'RELEASE' | 'ACQUIRE' | 'NORETURN' | 'MB' | 'srcu-lock' | 'srcu-unlock';
export type FenceTag =
  | 'MB'
  | 'rmb'
  | 'wmb'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock'
  | 'after-srcu-read-unlock'
  /** synchronize_srcu(X): the one fence with a location, the srcu_struct X (the bell's `& loc` tests use it) */
  | 'sync-srcu';
export type LockKind = 'LKR' | 'LKW' | 'UL' | 'LF' | 'RL' | 'RU';

export interface Ev {
  kind: 'R' | 'W' | 'F';
  loc?: string;
  /** the value read or written (lock events: none) */
  val?: Value;
  /** access tag; undefined for a plain access */
  tag?: AccessTag;
  fence?: FenceTag;
  lock?: LockKind;
  /** an event of an RMW instruction (the bell's syntactic RMW set), successful or not */
  rmwInsn: boolean;
  /** for the read of a successful RMW (or an LKR): the local index of its write */
  rmwW?: number;
  /** the C the event comes from, for traces */
  text: string;
}

export interface ThreadPath {
  events: Ev[];
  /**
   * Set when the path dereferences a value that is not a location (`*r2` with r2 = 0): the
   * events are those before the dereference, and this says which. Such a path cannot be
   * decided; enumerate.ts drops it only where coherence alone rules its reads out.
   */
  fault?: string;
  addr: [number, number][];
  data: [number, number][];
  ctrl: [number, number][];
  regs: Map<string, Value>;
}

interface Val {
  v: Value;
  deps: Set<number>;
}

const NODEPS: ReadonlySet<number> = new Set();

type Ret = 'none' | 'new' | 'old' | 'zero' | 'neg' | 'unless';
interface RmwPrim {
  kind: 'rmw';
  op: '+' | '-' | '&' | '|' | '^' | '&~' | 'xchg' | 'cmpxchg' | 'unless';
  /** argument positions: v = operand, x = pointer, w = cmpxchg new value / add_unless limit */
  args: ('v' | 'x' | 'w' | '1')[];
  tag: AccessTag;
  ret: Ret;
}
type Prim =
  | { kind: 'load'; tag: AccessTag; lvalue: boolean }
  | { kind: 'store'; tag: AccessTag; lvalue: boolean; mb?: boolean }
  | { kind: 'fence'; fence: FenceTag }
  | { kind: 'sync-srcu' }
  | RmwPrim
  | { kind: 'lock' | 'unlock' | 'trylock' | 'islocked' };

/** linux-kernel.def, transcribed. `lvalue`: the macro takes `*p` (READ_ONCE(X)); otherwise a pointer. */
export const PRIMS: Record<string, Prim> = (() => {
  const p: Record<string, Prim> = {
    READ_ONCE: { kind: 'load', tag: 'ONCE', lvalue: true }, // READ_ONCE(X) __load{ONCE}(X)
    WRITE_ONCE: { kind: 'store', tag: 'ONCE', lvalue: true }, // WRITE_ONCE(X,V) { __store{ONCE}(X,V); }
    smp_store_release: { kind: 'store', tag: 'RELEASE', lvalue: false }, // __store{RELEASE}(*X,V)
    smp_load_acquire: { kind: 'load', tag: 'ACQUIRE', lvalue: false }, // __load{ACQUIRE}(*X)
    rcu_assign_pointer: { kind: 'store', tag: 'RELEASE', lvalue: true }, // __store{RELEASE}(X,V)
    rcu_dereference: { kind: 'load', tag: 'ONCE', lvalue: true }, // __load{ONCE}(X)
    smp_store_mb: { kind: 'store', tag: 'ONCE', lvalue: true, mb: true }, // { __store{ONCE}(X,V); __fence{MB}; }
    smp_mb: { kind: 'fence', fence: 'MB' },
    smp_rmb: { kind: 'fence', fence: 'rmb' },
    smp_wmb: { kind: 'fence', fence: 'wmb' },
    smp_mb__before_atomic: { kind: 'fence', fence: 'before-atomic' },
    smp_mb__after_atomic: { kind: 'fence', fence: 'after-atomic' },
    smp_mb__after_spinlock: { kind: 'fence', fence: 'after-spinlock' },
    smp_mb__after_unlock_lock: { kind: 'fence', fence: 'after-unlock-lock' },
    barrier: { kind: 'fence', fence: 'barrier' },
    spin_lock: { kind: 'lock' },
    spin_unlock: { kind: 'unlock' },
    spin_trylock: { kind: 'trylock' },
    spin_is_locked: { kind: 'islocked' },
    rcu_read_lock: { kind: 'fence', fence: 'rcu-lock' },
    rcu_read_unlock: { kind: 'fence', fence: 'rcu-unlock' },
    synchronize_rcu: { kind: 'fence', fence: 'sync-rcu' },
    synchronize_rcu_expedited: { kind: 'fence', fence: 'sync-rcu' },
    atomic_read: { kind: 'load', tag: 'ONCE', lvalue: false }, // READ_ONCE(*X)
    atomic_set: { kind: 'store', tag: 'ONCE', lvalue: false },
    atomic_read_acquire: { kind: 'load', tag: 'ACQUIRE', lvalue: false },
    atomic_set_release: { kind: 'store', tag: 'RELEASE', lvalue: false },
    // SRCU: the read-side primitives are a load and a store of the srcu_struct, so a critical
    // section split across CPUs (srcu_down_read() on one, srcu_up_read() on another) is matched
    // by the data dependency and rf that carry the index (the bell's srcu-rscs)
    srcu_read_lock: { kind: 'load', tag: 'srcu-lock', lvalue: false }, // __load{srcu-lock}(*X)
    srcu_read_unlock: { kind: 'store', tag: 'srcu-unlock', lvalue: false }, // { __store{srcu-unlock}(*X,Y); }
    srcu_down_read: { kind: 'load', tag: 'srcu-lock', lvalue: false }, // __load{srcu-lock}(*X)
    srcu_up_read: { kind: 'store', tag: 'srcu-unlock', lvalue: false }, // { __store{srcu-unlock}(*X,Y); }
    synchronize_srcu: { kind: 'sync-srcu' }, // { __srcu{sync-srcu}(X); }
    synchronize_srcu_expedited: { kind: 'sync-srcu' }, // { __srcu{sync-srcu}(X); }
    smp_mb__after_srcu_read_unlock: { kind: 'fence', fence: 'after-srcu-read-unlock' }, // { __fence{after-srcu-read-unlock}; }
  };
  // atomic_add(V,X) { __atomic_op{NORETURN}(X,+,V); } ...
  const noret: [string, RmwPrim['op']][] = [['add', '+'], ['sub', '-'], ['and', '&'], ['or', '|'], ['xor', '^'], ['andnot', '&~']];
  for (const [n, op] of noret) p[`atomic_${n}`] = { kind: 'rmw', op, args: ['v', 'x'], tag: 'NORETURN', ret: 'none' };
  p.atomic_inc = { kind: 'rmw', op: '+', args: ['1', 'x'], tag: 'NORETURN', ret: 'none' };
  p.atomic_dec = { kind: 'rmw', op: '-', args: ['1', 'x'], tag: 'NORETURN', ret: 'none' };
  const orders: [string, AccessTag][] = [['', 'MB'], ['_relaxed', 'ONCE'], ['_acquire', 'ACQUIRE'], ['_release', 'RELEASE']];
  for (const [suf, tag] of orders) {
    for (const [n, op] of [['add', '+'], ['sub', '-']] as const) p[`atomic_${n}_return${suf}`] = { kind: 'rmw', op, args: ['v', 'x'], tag, ret: 'new' };
    for (const [n, op] of [['inc', '+'], ['dec', '-']] as const) p[`atomic_${n}_return${suf}`] = { kind: 'rmw', op, args: ['1', 'x'], tag, ret: 'new' };
    for (const [n, op] of noret) p[`atomic_fetch_${n}${suf}`] = { kind: 'rmw', op, args: ['v', 'x'], tag, ret: 'old' };
    for (const [n, op] of [['inc', '+'], ['dec', '-']] as const) p[`atomic_fetch_${n}${suf}`] = { kind: 'rmw', op, args: ['1', 'x'], tag, ret: 'old' };
    p[`atomic_xchg${suf}`] = { kind: 'rmw', op: 'xchg', args: ['x', 'v'], tag, ret: 'old' };
    p[`xchg${suf}`] = { kind: 'rmw', op: 'xchg', args: ['x', 'v'], tag, ret: 'old' };
    p[`atomic_cmpxchg${suf}`] = { kind: 'rmw', op: 'cmpxchg', args: ['x', 'v', 'w'], tag, ret: 'old' };
    p[`cmpxchg${suf}`] = { kind: 'rmw', op: 'cmpxchg', args: ['x', 'v', 'w'], tag, ret: 'old' };
    p[`atomic_add_negative${suf}`] = { kind: 'rmw', op: '+', args: ['v', 'x'], tag, ret: 'neg' };
  }
  p.atomic_sub_and_test = { kind: 'rmw', op: '-', args: ['v', 'x'], tag: 'MB', ret: 'zero' };
  p.atomic_dec_and_test = { kind: 'rmw', op: '-', args: ['1', 'x'], tag: 'MB', ret: 'zero' };
  p.atomic_inc_and_test = { kind: 'rmw', op: '+', args: ['1', 'x'], tag: 'MB', ret: 'zero' };
  // atomic_add_unless(X,V,W) __atomic_add_unless{MB}(X,V,W): add V unless *X == W; true if added
  p.atomic_add_unless = { kind: 'rmw', op: 'unless', args: ['x', 'v', 'w'], tag: 'MB', ret: 'unless' };
  return p;
})();

/** A run dereferenced an integer: not a location, so nothing the model can say follows. */
export class NotALocation extends Unsupported {}

/** Thrown when a run needs a choice beyond its list: a read's value (loc) or a lock outcome. */
export class NeedChoice {
  constructor(
    readonly options: number,
    readonly loc: string,
    readonly what: 'read' | 'trylock' | 'islocked',
  ) {}
}

/** One run of a thread under a fixed list of choices (read values, trylock/is_locked outcomes). */
export class Run {
  events: Ev[] = [];
  addr: [number, number][] = [];
  data: [number, number][] = [];
  ctrl: [number, number][] = [];
  env = new Map<string, Val>();
  declared: string[] = [];
  ctrlStack: Set<number>[] = [];
  k = 0;
  constructor(
    readonly th: Thread,
    readonly choices: number[],
    readonly domain: (loc: string) => Value[],
    regInit: Map<string, Value>,
  ) {
    for (const p of th.params) this.env.set(p, { v: p, deps: new Set() });
    for (const [key, v] of regInit) {
      const [t, r] = key.split(':');
      if (Number(t) === th.id) {
        this.env.set(r!, { v, deps: new Set() });
        if (!this.declared.includes(r!)) this.declared.push(r!);
      }
    }
  }
  choose(n: number, loc: string, what: NeedChoice['what']): number {
    if (this.k < this.choices.length) return this.choices[this.k++]!;
    throw new NeedChoice(n, loc, what);
  }
  emit(e: Ev, addrDeps: ReadonlySet<number>, dataDeps: ReadonlySet<number>): number {
    const i = this.events.length;
    this.events.push(e);
    for (const d of addrDeps) this.addr.push([d, i]);
    for (const d of dataDeps) this.data.push([d, i]);
    for (const s of this.ctrlStack) for (const d of s) this.ctrl.push([d, i]);
    return i;
  }
  read(loc: string, tag: AccessTag | undefined, addrDeps: ReadonlySet<number>, text: string, rmwInsn = false): { i: number; v: Value } {
    const dom = this.domain(loc);
    const v = dom[this.choose(dom.length, loc, 'read')]!;
    const i = this.emit({ kind: 'R', loc, val: v, tag, rmwInsn, text }, addrDeps, NODEPS);
    return { i, v };
  }

  ptr(e: Expr, what: string): Val {
    const p = this.eval(e);
    if (typeof p.v !== 'string') throw new NotALocation(`${what}: the address ${show(e)} is the integer ${p.v}, not a location`);
    return p;
  }
  /** the location an lvalue-style macro argument (`*p`) names */
  lval(e: Expr, fn: string): Val {
    if (e.k !== 'deref') throw new Unsupported(`${fn}(${show(e)}): the argument must be '*pointer' as in the kernel's tests`);
    return this.ptr(e.e, fn);
  }

  eval(e: Expr): Val {
    switch (e.k) {
      case 'num':
        return { v: e.v, deps: new Set() };
      case 'var': {
        const r = this.env.get(e.name);
        if (!r) throw new LitmusSyntaxError(`P${this.th.id}: '${e.name}' is neither a parameter nor a declared local`);
        return r;
      }
      case 'deref': {
        const p = this.ptr(e.e, 'a plain read');
        const { i, v } = this.read(p.v as string, undefined, p.deps, `r = *${p.v}`);
        return { v, deps: new Set([i]) };
      }
      case 'addr':
        if (e.e.k === 'deref') return this.eval(e.e.e);
        throw new Unsupported(`taking the address of ${show(e.e)}`);
      case 'un': {
        const a = this.eval(e.e);
        return { v: arith(e.op === '-' ? 'neg' : e.op, a.v, 0), deps: a.deps };
      }
      case 'bin': {
        if (e.op === '&&' || e.op === '||') {
          // C short-circuit evaluation: the right operand's accesses happen only if needed
          const a = this.eval(e.a);
          const at = truthy(a.v);
          if ((e.op === '&&' && !at) || (e.op === '||' && at)) return { v: at ? 1 : 0, deps: a.deps };
          this.ctrlStack.push(a.deps);
          const b = this.eval(e.b);
          this.ctrlStack.pop();
          return { v: truthy(b.v) ? 1 : 0, deps: union(a.deps, b.deps) };
        }
        const a = this.eval(e.a);
        const b = this.eval(e.b);
        return { v: arith(e.op, a.v, b.v), deps: union(a.deps, b.deps) };
      }
      case 'call':
        return this.call(e);
    }
  }

  call(e: Extract<Expr, { k: 'call' }>): Val {
    const fn = e.fn;
    const prim = PRIMS[fn];
    if (!prim) throw new Unsupported(`${fn}(): not a primitive of linux-kernel.def that racewalk models`);
    const nargs = prim.kind === 'rmw' ? prim.args.filter((a) => a !== '1').length : prim.kind === 'store' ? 2 : prim.kind === 'fence' ? 0 : 1;
    if (e.args.length !== nargs) throw new LitmusSyntaxError(`P${this.th.id}: ${fn}() takes ${nargs} argument(s), found ${e.args.length}`);
    const text = `${fn}(${e.args.map(show).join(', ')})`;
    switch (prim.kind) {
      case 'load': {
        const p = prim.lvalue ? this.lval(e.args[0]!, fn) : this.ptr(e.args[0]!, fn);
        const { i, v } = this.read(p.v as string, prim.tag, p.deps, text);
        return { v, deps: new Set([i]) };
      }
      case 'store': {
        const p = prim.lvalue ? this.lval(e.args[0]!, fn) : this.ptr(e.args[0]!, fn);
        const v = this.eval(e.args[1]!);
        this.emit({ kind: 'W', loc: p.v as string, val: v.v, tag: prim.tag, rmwInsn: false, text }, p.deps, v.deps);
        if (prim.mb) this.emit({ kind: 'F', fence: 'MB', rmwInsn: false, text }, NODEPS, NODEPS);
        return { v: 0, deps: new Set() };
      }
      case 'fence':
        this.emit({ kind: 'F', fence: prim.fence, rmwInsn: false, text }, NODEPS, NODEPS);
        return { v: 0, deps: new Set() };
      case 'sync-srcu': {
        const p = this.ptr(e.args[0]!, fn);
        this.emit({ kind: 'F', fence: 'sync-srcu', loc: p.v as string, rmwInsn: false, text }, p.deps, NODEPS);
        return { v: 0, deps: new Set() };
      }
      case 'lock':
      case 'unlock':
      case 'trylock':
      case 'islocked': {
        const p = this.ptr(e.args[0]!, fn);
        const loc = p.v as string;
        if (prim.kind === 'unlock') {
          this.emit({ kind: 'W', loc, lock: 'UL', rmwInsn: false, text }, p.deps, NODEPS);
          return { v: 0, deps: new Set() };
        }
        if (prim.kind === 'islocked') {
          const locked = this.choose(2, loc, 'islocked') === 1;
          const i = this.emit({ kind: 'R', loc, lock: locked ? 'RL' : 'RU', rmwInsn: false, text }, p.deps, NODEPS);
          return { v: locked ? 1 : 0, deps: new Set([i]) };
        }
        const ok = prim.kind === 'lock' || this.choose(2, loc, 'trylock') === 1;
        if (!ok) {
          const i = this.emit({ kind: 'R', loc, lock: 'LF', rmwInsn: false, text }, p.deps, NODEPS);
          return { v: 0, deps: new Set([i]) };
        }
        const r = this.emit({ kind: 'R', loc, lock: 'LKR', rmwInsn: false, text }, p.deps, NODEPS);
        const w = this.emit({ kind: 'W', loc, lock: 'LKW', rmwInsn: false, text }, p.deps, NODEPS);
        this.events[r]!.rmwW = w;
        return { v: 1, deps: new Set([r]) };
      }
      case 'rmw':
        return this.rmw(prim, e.args, text);
    }
  }

  rmw(prim: RmwPrim, args: Expr[], text: string): Val {
    // evaluate the arguments in the macro's order, as C would left to right
    let x: Val | undefined;
    let v: Val = { v: 1, deps: new Set() };
    let w: Val = { v: 0, deps: new Set() };
    prim.args.forEach((a, j) => {
      if (a === '1') return;
      const arg = args[prim.args.filter((q) => q !== '1').indexOf(a)];
      void j;
      if (!arg) throw new LitmusSyntaxError(`${text}: missing argument`);
      if (a === 'x') x = this.ptr(arg, text);
      else if (a === 'v') v = this.eval(arg);
      else w = this.eval(arg);
    });
    const loc = x!.v as string;
    const { i: ri, v: old } = this.read(loc, prim.tag, x!.deps, text, true);
    let nv: Value | undefined;
    let dataDeps = v.deps;
    switch (prim.op) {
      case 'xchg':
        nv = v.v;
        break;
      case 'cmpxchg':
        if (eqv(old, v.v)) nv = w.v;
        dataDeps = w.deps;
        break;
      case 'unless':
        if (!eqv(old, w.v)) nv = arith('+', old, v.v);
        break;
      case '&~':
        nv = arith('&', old, arith('~', v.v, 0));
        break;
      default:
        nv = arith(prim.op, old, v.v);
    }
    let nvDeps: Set<number> = new Set([ri]);
    if (nv !== undefined) {
      const wi = this.emit({ kind: 'W', loc, val: nv, tag: prim.tag, rmwInsn: true, text }, x!.deps, dataDeps);
      this.events[ri]!.rmwW = wi;
      nvDeps = new Set([ri]);
    }
    switch (prim.ret) {
      case 'none':
        return { v: 0, deps: new Set() };
      case 'old':
        return { v: old, deps: nvDeps };
      case 'new':
        return { v: nv!, deps: nvDeps };
      case 'zero':
        return { v: nv === 0 ? 1 : 0, deps: nvDeps };
      case 'neg':
        return { v: typeof nv === 'number' && nv < 0 ? 1 : 0, deps: nvDeps };
      case 'unless':
        return { v: nv !== undefined ? 1 : 0, deps: nvDeps };
    }
  }

  exec(ss: Stmt[]): void {
    for (const s of ss) this.stmt(s);
  }
  stmt(s: Stmt): void {
    switch (s.k) {
      case 'decl': {
        // herd7's registers start at 0, so `int r4 = (r1 != r4);` reads 0
        if (s.init && !this.env.has(s.name)) this.env.set(s.name, { v: 0, deps: new Set() });
        const v = s.init ? this.eval(s.init) : { v: 0, deps: new Set<number>() };
        if (!s.init && this.env.has(s.name) && this.declared.includes(s.name)) return; // initialised in the state block
        this.env.set(s.name, v);
        if (!this.declared.includes(s.name)) this.declared.push(s.name);
        return;
      }
      case 'expr':
        this.eval(s.e);
        return;
      case 'assign': {
        if (s.lhs.k === 'var') {
          if (this.th.params.includes(s.lhs.name) && !this.declared.includes(s.lhs.name)) throw new Unsupported(`assigning to the parameter '${s.lhs.name}'`);
          // herd7 takes a register that is assigned without a declaration as an int local
          // (several of the kernel community's tests rely on it)
          const v = this.eval(s.rhs);
          if (!this.declared.includes(s.lhs.name)) this.declared.push(s.lhs.name);
          this.env.set(s.lhs.name, v);
          return;
        }
        // plain store *p = v: herd evaluates the address and the value, then writes
        const p = this.ptr((s.lhs as Extract<Expr, { k: 'deref' }>).e, 'a plain write');
        const v = this.eval(s.rhs);
        this.emit({ kind: 'W', loc: p.v as string, val: v.v, rmwInsn: false, text: `*${p.v} = ${show(s.rhs)}` }, p.deps, v.deps);
        return;
      }
      case 'if': {
        const c = this.eval(s.c);
        this.ctrlStack.push(c.deps);
        this.exec(truthy(c.v) ? s.t : s.e);
        this.ctrlStack.pop();
        return;
      }
      case 'block':
        this.exec(s.body);
        return;
    }
  }
}

/** Every control-flow path of a thread with reads drawing values from `domain`. */
export function threadPaths(th: Thread, domain: (loc: string) => Value[], regInit: Map<string, Value>, limit = 100_000): ThreadPath[] {
  const out: ThreadPath[] = [];
  const stack: number[][] = [[]];
  // the names the code assigns or declares anywhere, on any path
  const implicit = new Set<string>();
  for (const s of allStmts(th.body)) {
    if (s.k === 'decl') implicit.add(s.name);
    else if (s.k === 'assign' && s.lhs.k === 'var' && !th.params.includes(s.lhs.name)) implicit.add(s.lhs.name);
  }
  while (stack.length > 0) {
    const choices = stack.pop()!;
    const run = new Run(th, choices, domain, regInit);
    let fault: string | undefined;
    try {
      run.exec(th.body);
    } catch (e) {
      if (e instanceof NeedChoice) {
        for (let j = e.options - 1; j >= 0; j--) stack.push([...choices, j]);
        continue;
      }
      if (!(e instanceof NotALocation)) throw e;
      fault = e.message;
    }
    const regs = new Map<string, Value>();
    for (const r of run.declared) regs.set(r, run.env.get(r)!.v);
    // a register assigned without a declaration on another path only: herd7's registers start at 0
    for (const r of implicit) if (!regs.has(r)) regs.set(r, 0);
    out.push({ events: run.events, addr: run.addr, data: run.data, ctrl: run.ctrl, regs, ...(fault !== undefined ? { fault } : {}) });
    if (out.length > limit) throw new Unsupported(`P${th.id} has more than ${limit} paths`);
  }
  return out;
}

export function truthy(v: Value): boolean {
  return typeof v === 'string' ? true : v !== 0;
}
export function eqv(a: Value, b: Value): boolean {
  return a === b;
}

function union(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}

function arith(op: string, a: Value, b: Value): Value {
  if (op === '==') return a === b ? 1 : 0;
  if (op === '!=') return a !== b ? 1 : 0;
  if (op === '!') return truthy(a) ? 0 : 1;
  // `y + (r1 & 0)`: the kernel's tests fake an address dependency by adding a zero computed from
  // a read; an address plus or minus 0 is that address (other offsets would index an array)
  if (typeof a === 'string' && b === 0 && (op === '+' || op === '-')) return a;
  if (a === 0 && typeof b === 'string' && op === '+') return b;
  if (typeof a !== 'number' || typeof b !== 'number') throw new Unsupported(`arithmetic '${op}' on an address (${a}, ${b}): only an address plus or minus 0 is read (arrays are outside the subset)`);
  switch (op) {
    case '+':
      return (a + b) | 0;
    case '-':
      return (a - b) | 0;
    case 'neg':
      return -a | 0;
    case '~':
      return ~a;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '*':
      return Math.imul(a, b);
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '/':
    case '%':
      if (b === 0) throw new Unsupported(`division by zero`);
      return op === '/' ? (a / b) | 0 : a % b;
  }
  throw new Unsupported(`the operator '${op}'`);
}

export function show(e: Expr): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'var':
      return e.name;
    case 'deref':
      return `*${show(e.e)}`;
    case 'addr':
      return `&${show(e.e)}`;
    case 'un':
      return `${e.op}${show(e.e)}`;
    case 'bin':
      return `${show(e.a)} ${e.op} ${show(e.b)}`;
    case 'call':
      return `${e.fn}(${e.args.map(show).join(', ')})`;
  }
}
