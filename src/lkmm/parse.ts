/**
 * Reader for the kernel's C litmus format, the subset tools/memory-model/litmus-tests/ uses:
 *
 *   C <name>
 *   (* comments *)
 *   { x=1; p=y; 0:r1=2; }                 initial state (locations default to 0)
 *   P0(int *x, spinlock_t *l) { ... }     one function per thread
 *   locations [0:r1; x]                   optional: extra things to print in each state
 *   filter (...)                          optional: only executions satisfying it are counted
 *   exists (...) | ~exists (...) | forall (...)
 *
 * Anything outside the subset throws Unsupported with what it was, never a guess.
 */

export class Unsupported extends Error {
  override readonly name = 'Unsupported';
}
/** Malformed input (not a litmus test at all, or a syntax error in it). */
export class LitmusSyntaxError extends Error {
  override readonly name = 'LitmusSyntaxError';
}

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'var'; name: string }
  | { k: 'deref'; e: Expr }
  | { k: 'addr'; e: Expr }
  | { k: 'un'; op: '-' | '!' | '~'; e: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'call'; fn: string; args: Expr[] };

export type Stmt =
  | { k: 'decl'; name: string; init?: Expr }
  | { k: 'expr'; e: Expr }
  | { k: 'assign'; lhs: Expr; rhs: Expr }
  | { k: 'if'; c: Expr; t: Stmt[]; e: Stmt[] }
  | { k: 'block'; body: Stmt[] };

/** An expression and every expression inside it. */
export function* subExprs(e: Expr): Generator<Expr> {
  yield e;
  if (e.k === 'deref' || e.k === 'addr' || e.k === 'un') yield* subExprs(e.e);
  else if (e.k === 'bin') {
    yield* subExprs(e.a);
    yield* subExprs(e.b);
  } else if (e.k === 'call') for (const a of e.args) yield* subExprs(a);
}

/** The expressions a statement holds itself (not those of the statements nested in it). */
export function ownExprs(s: Stmt): Expr[] {
  if (s.k === 'decl') return s.init ? [s.init] : [];
  if (s.k === 'expr') return [s.e];
  if (s.k === 'assign') return [s.lhs, s.rhs];
  if (s.k === 'if') return [s.c];
  return [];
}

/** Every statement of a body, nested ones included, in text order. */
export function* allStmts(ss: Stmt[]): Generator<Stmt> {
  for (const s of ss) {
    yield s;
    if (s.k === 'if') {
      yield* allStmts(s.t);
      yield* allStmts(s.e);
    } else if (s.k === 'block') yield* allStmts(s.body);
  }
}

/** The `key=value` comparisons of a condition. */
export function* propAtoms(p: Prop | undefined): Generator<Extract<Prop, { k: 'eq' }>> {
  if (!p) return;
  if (p.k === 'eq') yield p;
  else if (p.k === 'not') yield* propAtoms(p.p);
  else if (p.k === 'and' || p.k === 'or') {
    yield* propAtoms(p.a);
    yield* propAtoms(p.b);
  }
}

export interface Thread {
  id: number;
  params: string[];
  body: Stmt[];
}

export type Value = number | string; // string: the address of that location

export type Prop =
  | { k: 'true' }
  | { k: 'false' }
  | { k: 'not'; p: Prop }
  | { k: 'and'; a: Prop; b: Prop }
  | { k: 'or'; a: Prop; b: Prop }
  /** `what=v`, or with `to`, `what=to`: two registers compared (`0:r1=0:r4`) */
  | { k: 'eq'; what: StateKey; v: Value; neg: boolean; to?: StateKey };

/** `x` (final value of a location) or `0:r1` (final value of a register of thread 0). */
export type StateKey = string;

export interface Litmus {
  name: string;
  init: Map<string, Value>; // locations
  regInit: Map<string, Value>; // "0:r1"
  threads: Thread[];
  locations: StateKey[];
  filter?: Prop;
  quantifier: 'exists' | 'not exists' | 'forall';
  cond: Prop;
  condText: string;
}

// ---------------------------------------------------------------------------------------------

interface Tok {
  t: 'id' | 'num' | 'p';
  v: string;
  line: number;
}

const PUNCT = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '/\\', '\\/', '(', ')', '{', '}', '[', ']', ';', ',', '*', '&', '=', '+', '-', '|', '^', '~', '!', '<', '>', ':', '%', '/', '?', '.'];

function tokenize(src: string, line0: number): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = line0;
  let depth = 0; // (* ... *) comments only outside thread bodies: inside, '(*' is '(' '*x'
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('/*', i) || (depth === 0 && src.startsWith('(*', i))) {
      const close = src[i] === '/' ? '*/' : '*)';
      const j = src.indexOf(close, i + 2);
      if (j < 0) throw new LitmusSyntaxError(`line ${line}: unterminated comment`);
      for (let k = i; k < j; k++) if (src[k] === '\n') line++;
      i = j + 2;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 200));
    if (id) {
      out.push({ t: 'id', v: id[0], line });
      i += id[0].length;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|[0-9]+)/.exec(src.slice(i, i + 40));
    if (num) {
      out.push({ t: 'num', v: num[0], line });
      i += num[0].length;
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (!p) throw new LitmusSyntaxError(`line ${line}: unexpected character '${c}'`);
    out.push({ t: 'p', v: p, line });
    if (p === '{') depth++;
    if (p === '}') depth--;
    i += p.length;
  }
  return out;
}

class Cursor {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  at(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t !== undefined && t.v === v && (t.t === 'p' || t.t === 'id');
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new LitmusSyntaxError(`unexpected end of input`);
    return t;
  }
  expect(v: string): Tok {
    const t = this.next();
    if (t.v !== v) throw new LitmusSyntaxError(`line ${t.line}: expected '${v}', found '${t.v}'`);
    return t;
  }
  ident(): string {
    const t = this.next();
    if (t.t !== 'id') throw new LitmusSyntaxError(`line ${t.line}: expected a name, found '${t.v}'`);
    return t.v;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
}

const IDENTITY_CASTS = new Set(['void', 'int', 'long', 'unsigned', 'intptr_t', 'uintptr_t']);
const TYPE_WORDS = new Set(['int', 'unsigned', 'long', 'char', 'short', 'signed', 'const', 'volatile', 'u32', 'u64', 'u8', 'u16', 'intptr_t', 'uintptr_t', 'atomic_t', 'spinlock_t', 'bool']);

// ---------------------------------------------------------------------------------------------
// C expressions: precedence climbing over the C operators the litmus tests use

const BIN_PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

function parseExpr(c: Cursor, minPrec = 1): Expr {
  let a = parseUnary(c);
  for (;;) {
    const t = c.peek();
    if (!t || t.t !== 'p') break;
    if (t.v === '?') throw new Unsupported(`the conditional operator '?:' (line ${t.line})`);
    const p = BIN_PREC[t.v];
    if (p === undefined || p < minPrec) break;
    c.next();
    const b = parseExpr(c, p + 1);
    a = { k: 'bin', op: t.v, a, b };
  }
  return a;
}

function parseUnary(c: Cursor): Expr {
  const t = c.next();
  if (t.t === 'num') return { k: 'num', v: Number(t.v) };
  if (t.t === 'p') {
    if (t.v === '*') return { k: 'deref', e: parseUnary(c) };
    if (t.v === '&') return { k: 'addr', e: parseUnary(c) };
    if (t.v === '-' || t.v === '!' || t.v === '~') return { k: 'un', op: t.v, e: parseUnary(c) };
    if (t.v === '(') {
      if (c.peek()?.t === 'id' && (TYPE_WORDS.has(c.peek()!.v) || c.peek()!.v === 'void')) {
        // (void)f(...) discards a value; a cast between the word-sized integer types the tests use,
        // or to a pointer to one ((intptr_t **)x), is the identity: values here have no size
        const ty = c.next().v;
        while (c.at('*')) c.next();
        if (!IDENTITY_CASTS.has(ty)) throw new Unsupported(`the cast to '${ty}' (line ${t.line}): only casts between int, long, unsigned, intptr_t and uintptr_t (and pointers to them) are read, a narrower type would be a mixed-size access`);
        c.expect(')');
        return parseUnary(c);
      }
      const e = parseExpr(c);
      c.expect(')');
      return e;
    }
    throw new LitmusSyntaxError(`line ${t.line}: unexpected '${t.v}' in an expression`);
  }
  // identifier: variable or call
  if (c.at('(')) {
    c.next();
    const args: Expr[] = [];
    if (!c.at(')')) {
      for (;;) {
        args.push(parseExpr(c));
        if (c.at(',')) {
          c.next();
          continue;
        }
        break;
      }
    }
    c.expect(')');
    return { k: 'call', fn: t.v, args };
  }
  if (c.at('[') || c.at('.') || (c.at('-') && c.at('>', 1))) throw new Unsupported(`arrays, structures and '->' (line ${t.line})`);
  if (c.at('+') && c.at('+', 1)) throw new Unsupported(`'++' (line ${t.line})`);
  return { k: 'var', name: t.v };
}

function parseStmt(c: Cursor): Stmt[] {
  const t = c.peek()!;
  if (t.v === ';' && t.t === 'p') {
    c.next();
    return [];
  }
  if (t.v === '{' && t.t === 'p') {
    c.next();
    const body: Stmt[] = [];
    while (!c.at('}')) body.push(...parseStmt(c));
    c.expect('}');
    return [{ k: 'block', body }];
  }
  if (t.t === 'id' && (t.v === 'while' || t.v === 'for' || t.v === 'do' || t.v === 'goto' || t.v === 'switch' || t.v === 'return' || t.v === 'break'))
    throw new Unsupported(`'${t.v}' (line ${t.line}): only straight-line code and if/else are in the subset`);
  if (t.t === 'id' && t.v === 'if') {
    c.next();
    c.expect('(');
    const cond = parseExpr(c);
    c.expect(')');
    const th = parseStmt(c);
    let el: Stmt[] = [];
    if (c.at('else')) {
      c.next();
      el = parseStmt(c);
    }
    return [{ k: 'if', c: cond, t: th, e: el }];
  }
  if (t.t === 'id' && TYPE_WORDS.has(t.v)) {
    while (c.peek()?.t === 'id' && TYPE_WORDS.has(c.peek()!.v)) c.next();
    if (c.at('struct')) throw new Unsupported(`struct types (line ${t.line})`);
    const out: Stmt[] = [];
    for (;;) {
      while (c.at('*')) c.next();
      const name = c.ident();
      if (c.at('[')) throw new Unsupported(`arrays (line ${t.line})`);
      if (c.at('=')) {
        c.next();
        out.push({ k: 'decl', name, init: parseExpr(c) });
      } else out.push({ k: 'decl', name });
      if (c.at(',')) {
        c.next();
        continue;
      }
      break;
    }
    c.expect(';');
    return out;
  }
  const e = parseExpr(c);
  if (c.at('=') ) {
    c.next();
    const rhs = parseExpr(c);
    c.expect(';');
    if (e.k !== 'var' && e.k !== 'deref') throw new LitmusSyntaxError(`line ${t.line}: cannot assign to this expression`);
    return [{ k: 'assign', lhs: e, rhs }];
  }
  const nt = c.peek();
  if (nt && nt.t === 'p' && ['+', '-', '|', '&', '^'].includes(nt.v) && c.at('=', 1)) throw new Unsupported(`compound assignment '${nt.v}=' (line ${nt.line})`);
  c.expect(';');
  return [{ k: 'expr', e }];
}

// ---------------------------------------------------------------------------------------------
// the condition language: /\ \/ ~, true/false, key=value, key!=value

function parseValue(c: Cursor): Value {
  const t = c.next();
  if (t.t === 'num') return Number(t.v);
  if (t.t === 'p' && t.v === '-') return -Number(c.next().v);
  if (t.t === 'p' && t.v === '&') return c.ident();
  if (t.t === 'id') return t.v;
  throw new LitmusSyntaxError(`line ${t.line}: expected a value, found '${t.v}'`);
}

function parseKey(c: Cursor): StateKey {
  const t = c.next();
  if (t.t === 'num' && c.at(':')) {
    c.next();
    return `${t.v}:${c.ident()}`;
  }
  if (t.t === 'p' && t.v === '[') {
    const k = c.ident();
    c.expect(']');
    return k;
  }
  if (t.t === 'id') return t.v;
  throw new LitmusSyntaxError(`line ${t.line}: expected a location or a register like 0:r0, found '${t.v}'`);
}

function parseProp(c: Cursor): Prop {
  let a = parseConj(c);
  while (c.at('\\/')) {
    c.next();
    a = { k: 'or', a, b: parseConj(c) };
  }
  return a;
}
function parseConj(c: Cursor): Prop {
  let a = parsePropUnary(c);
  while (c.at('/\\')) {
    c.next();
    a = { k: 'and', a, b: parsePropUnary(c) };
  }
  return a;
}
function parsePropUnary(c: Cursor): Prop {
  if (c.at('~') || c.at('not')) {
    c.next();
    return { k: 'not', p: parsePropUnary(c) };
  }
  if (c.at('(')) {
    c.next();
    const p = parseProp(c);
    c.expect(')');
    return p;
  }
  if (c.at('true')) {
    c.next();
    return { k: 'true' };
  }
  if (c.at('false')) {
    c.next();
    return { k: 'false' };
  }
  const what = parseKey(c);
  const op = c.next();
  if (op.v !== '=' && op.v !== '==' && op.v !== '!=') throw new Unsupported(`the comparison '${op.v}' in the condition (line ${op.line})`);
  if (c.peek()?.t === 'num' && c.at(':', 1)) return { k: 'eq', what, v: 0, neg: op.v === '!=', to: parseKey(c) };
  return { k: 'eq', what, v: parseValue(c), neg: op.v === '!=' };
}

// ---------------------------------------------------------------------------------------------

export function parseLitmus(text: string): Litmus {
  const lines = text.split('\n');
  let li = 0;
  while (li < lines.length && lines[li]!.trim() === '') li++;
  const head = (lines[li] ?? '').trim().split(/\s+/);
  if (head[0] !== 'C') {
    if (head[0] && /^[A-Za-z0-9]+$/.test(head[0]) && head[1]) throw new Unsupported(`litmus tests for architecture '${head[0]}': only C litmus tests (first line 'C <name>') are read`);
    throw new LitmusSyntaxError(`the first line must be 'C <test name>', found '${lines[li] ?? ''}'`);
  }
  const name = head.slice(1).join(' ');
  if (!name) throw new LitmusSyntaxError(`the first line 'C' has no test name`);
  // herd7's information lines between the name and the initial state: a quoted description
  // ("PodWW Rfe ...") and key=value lines (Cycle=..., Relax=..., Safe=...) of generated tests
  let body = li + 1;
  while (body < lines.length && /^\s*("[^"]*"\s*|[A-Za-z][A-Za-z0-9_-]*=.*)$/.test(lines[body]!)) lines[body++] = '';
  const c = new Cursor(tokenize(lines.slice(li + 1).join('\n'), li + 2));
  const lit: Litmus = { name, init: new Map(), regInit: new Map(), threads: [], locations: [], quantifier: 'exists', cond: { k: 'true' }, condText: '' };

  // initial state
  c.expect('{');
  while (!c.at('}')) {
    if (c.at(';')) {
      c.next();
      continue;
    }
    while (c.peek()?.t === 'id' && (TYPE_WORDS.has(c.peek()!.v) || c.at('*'))) c.next();
    while (c.at('*')) c.next();
    const key = parseKey(c);
    if (c.at(';') || c.at('}')) {
      // a declaration without a value (`int x;`, `int *1:r1;`): herd7 starts it at 0
      setInit(lit, key, 0);
      if (!c.at('}')) c.expect(';');
      continue;
    }
    c.expect('=');
    if (c.peek()?.v === 'ATOMIC_INIT') {
      c.next();
      c.expect('(');
      const v = parseValue(c);
      c.expect(')');
      setInit(lit, key, v);
    } else setInit(lit, key, parseValue(c));
    if (!c.at('}')) c.expect(';');
  }
  c.expect('}');

  // threads
  while (!c.done()) {
    const t = c.peek()!;
    if (t.t === 'id' && /^P[0-9]+$/.test(t.v) && c.at('(', 1)) {
      c.next();
      const id = Number(t.v.slice(1));
      if (id !== lit.threads.length) throw new LitmusSyntaxError(`line ${t.line}: threads must be P0, P1, ... in order; found ${t.v}`);
      c.expect('(');
      const params: string[] = [];
      while (!c.at(')')) {
        let last = '';
        while (!c.at(',') && !c.at(')')) {
          const x = c.next();
          if (x.t === 'id') last = x.v;
        }
        if (!last) throw new LitmusSyntaxError(`line ${t.line}: a parameter of ${t.v} has no name`);
        params.push(last);
        if (c.at(',')) c.next();
      }
      c.expect(')');
      c.expect('{');
      const body: Stmt[] = [];
      while (!c.at('}')) body.push(...parseStmt(c));
      c.expect('}');
      lit.threads.push({ id, params, body });
      continue;
    }
    break;
  }
  if (lit.threads.length === 0) throw new LitmusSyntaxError(`no thread functions P0(...) { ... } found`);

  // locations / filter / condition
  let sawCond = false;
  while (!c.done()) {
    const t = c.peek()!;
    if (t.v === 'locations') {
      c.next();
      c.expect('[');
      while (!c.at(']')) {
        lit.locations.push(parseKey(c));
        if (c.at(';')) c.next();
      }
      c.expect(']');
      continue;
    }
    if (t.v === 'filter') {
      c.next();
      lit.filter = parseProp(c);
      continue;
    }
    const start = c.i;
    if (t.v === 'exists') {
      c.next();
      lit.quantifier = 'exists';
    } else if (t.v === '~' && c.at('exists', 1)) {
      c.next();
      c.next();
      lit.quantifier = 'not exists';
    } else if (t.v === 'forall') {
      c.next();
      lit.quantifier = 'forall';
    } else throw new LitmusSyntaxError(`line ${t.line}: expected 'exists', '~exists', 'forall', 'filter' or 'locations', found '${t.v}'`);
    lit.cond = parseProp(c);
    lit.condText = c.toks.slice(start, c.i).map((x) => x.v).join(' ').replace(/\( /g, '(').replace(/ \)/g, ')').replace(/ : /g, ':').replace(/ = /g, '=');
    sawCond = true;
    if (!c.done()) throw new LitmusSyntaxError(`line ${c.peek()!.line}: unexpected '${c.peek()!.v}' after the condition`);
  }
  if (!sawCond) throw new LitmusSyntaxError(`no 'exists', '~exists' or 'forall' condition`);
  return lit;
}

function setInit(lit: Litmus, key: StateKey, v: Value) {
  if (key.includes(':')) lit.regInit.set(key, v);
  else lit.init.set(key, v);
}
