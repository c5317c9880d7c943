/**
 * `racewalk litmus` against the kernel's own litmus tests (tools/memory-model/litmus-tests/,
 * kept in ../shared/litmus/kernel/ beside the repository, never copied into it), against the
 * project's own tests in litmus/ (results derived from linux-kernel.cat and explanation.txt),
 * and against sequential consistency on generated programs: the LKMM must allow every
 * behaviour an interleaving produces.
 */
import { describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide, decideText, valueOf } from '../src/lkmm/run.js';
import { executions } from '../src/lkmm/enumerate.js';
import { parseLitmus } from '../src/lkmm/parse.js';
import { scFinalStates, scLinearization } from '../src/lkmm/sc.js';
import { main } from '../src/cli/main.js';
import { herdLike } from '../src/cli/litmus.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * CI puts shared/ beside the clone (<repo>/../shared); a git worktree one level deeper finds it
 * at <repo>/../../shared. Missing under CI=true is a failure, not a skip.
 */
function kernelDir(): string | null {
  for (const d of [join(repo, '..', 'shared', 'litmus', 'kernel'), join(repo, '..', '..', 'shared', 'litmus', 'kernel')]) if (existsSync(d)) return d;
  return null;
}
const KDIR = kernelDir();
if (KDIR === null && process.env.CI === 'true') throw new Error(`the kernel litmus tests are missing: expected them in ${join(repo, '..', 'shared', 'litmus', 'kernel')} (CI copies shared/ beside the clone)`);

/**
 * Kernel tests outside the subset, each with why. Empty: every test of current mainline's
 * tools/memory-model/litmus-tests/ (35) and the historical ones is in the subset.
 */
const OUT_OF_SUBSET: Record<string, string> = {};

function expected(text: string): string | undefined {
  return /Result:\s*(Never|Sometimes|Always)/.exec(text)?.[1];
}

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

describe.skipIf(KDIR === null)('the kernel litmus tests give their Result:', () => {
  const files = KDIR === null ? [] : readdirSync(KDIR).filter((f) => f.endsWith('.litmus'));
  const hist = KDIR === null ? [] : readdirSync(join(KDIR, 'historical')).filter((f) => f.endsWith('.litmus')).map((f) => `historical/${f}`);
  test('all 35 mainline tests are there', () => {
    expect(files.length).toBe(35);
  });
  for (const f of [...files, ...hist]) {
    const text = KDIR === null ? '' : readFileSync(join(KDIR, f), 'utf8');
    const want = expected(text);
    if (f in OUT_OF_SUBSET) {
      test(`${f}: not supported (${OUT_OF_SUBSET[f]})`, () => {
        expect(() => decideText(text)).toThrow(OUT_OF_SUBSET[f]);
      });
      continue;
    }
    if (want === undefined) {
      // historical tests without a Result: line must still be decided
      test(`${f}: decided`, () => {
        expect(['Never', 'Sometimes', 'Always']).toContain(decideText(text).outcome);
      });
      continue;
    }
    test(`${f}: ${want}`, () => {
      expect(decideText(text).outcome).toBe(want);
    });
  }
  test('racewalk litmus --json over every mainline test: exit 0, the contract shape, every result as stated', async () => {
    const r = await cli(['litmus', '--json', ...files.map((f) => join(KDIR!, f))]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out) as { tests: { file: string; name: string; result: string; states: string[]; reason?: string }[] };
    expect(d.tests).toHaveLength(files.length);
    for (const t of d.tests) {
      expect(Object.keys(t).sort()).toEqual(['file', 'name', 'result', 'states']);
      expect(t.result).toBe(expected(readFileSync(t.file, 'utf8')));
      expect(t.states.length).toBeGreaterThan(0);
    }
  });
});

describe("the project's own litmus tests (litmus/)", () => {
  const dir = join(repo, 'litmus');
  const files = readdirSync(dir).filter((f) => f.endsWith('.litmus'));
  test('there are tests of locks, RCU, SRCU, atomics, dependencies and plain races', () => {
    const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    for (const p of ['spin_lock', 'spin_trylock', 'synchronize_rcu', 'rcu_dereference', 'atomic_add_unless', 'cmpxchg', 'xchg_relaxed', 'smp_mb__after_atomic', '*x = 1', 'srcu_read_lock', 'synchronize_srcu', 'srcu_down_read', 'srcu_up_read', 'smp_mb__after_srcu_read_unlock']) expect(all).toContain(p);
  });
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const want = expected(text);
    test(`${f}: ${want}`, () => {
      expect(want).toBeDefined();
      expect(decideText(text).outcome).toBe(want);
    });
  }
  test('--check-result judges every test as the kernel\'s judgelitmus.sh does: all agree, exit 0', async () => {
    const r = await cli(['litmus', '--check-result', ...files.map((f) => join(dir, f))]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Judged ${files.length} test(s) against their Result: comment: ${files.length} agree, 0 disagree`);
  });
  test('--check-result: a wrong outcome, a predicted race not modelled and an unexpected one each disagree, exit 1', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const tmp = mkdtempSync(join(tmpdir(), 'racewalk-judge-'));
    const sb = readFileSync(join(dir, 'SB-xchg.litmus'), 'utf8'); // Never
    const race = readFileSync(join(dir, 'MP-plain-race.litmus'), 'utf8'); // Sometimes DATARACE
    const cases: [string, string, string][] = [
      ['wrong.litmus', sb.replace(/Result: Never/, 'Result: Sometimes'), '!!! Unexpected non-Sometimes verification (Never)'],
      ['unmodelled.litmus', sb.replace(/Result: Never/, 'Result: Never DATARACE'), '!!! Predicted data race not modeled'],
      ['unexpected.litmus', race.replace(/Result: Sometimes DATARACE/, 'Result: Sometimes'), '!!! Unexpected data race modeled'],
    ];
    for (const [f, text] of cases) writeFileSync(join(tmp, f), text);
    const r = await cli(['litmus', '--check-result', ...cases.map(([f]) => join(tmp, f))]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('3 test(s) against their Result: comment: 0 agree, 3 disagree');
    for (const [f, , why] of cases) expect(r.out).toContain(`${join(tmp, f)}: ${why}`);
    const j = await cli(['litmus', '--check-result', '--json', join(tmp, 'wrong.litmus')]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out).tests[0].judged).toEqual({ expected: 'Sometimes', ok: false, reason: '!!! Unexpected non-Sometimes verification (Never)' });
  });
  test('a plain-access race is flagged like herd ("Flag data-race"); release/acquire removes it', async () => {
    const racy = await cli(['litmus', join(dir, 'MP-plain-race.litmus')]);
    expect(racy.code).toBe(0);
    expect(racy.out).toContain('Flag data-race');
    expect(racy.out).toContain('Observation MP-plain-race Sometimes 1 3');
    const ordered = await cli(['litmus', join(dir, 'MP-plain-release-acquire.litmus')]);
    expect(ordered.out).not.toContain('Flag data-race');
  });
  test('a reachable exists prints a witness execution and says whether an interleaving reaches it', async () => {
    const r = await cli(['litmus', join(dir, 'RCU-no-sync.litmus')]);
    expect(r.out).toContain('Witness:');
    expect(r.out).toMatch(/reads from init\(x=0\)/);
    expect(r.out).toContain('Schedule:');
  });
  test('a schedule never runs a grace period inside an open read-side section', async () => {
    // the witness is acyclic in po | rf | co | fr, but each of its topological orders runs
    // synchronize_srcu() while srcu_down_read()'s section is open: no SC interleaving (as sc.ts
    // runs them) produces it; a plain topological sort printed one that does
    const r = await cli(['litmus', join(dir, 'SRCU-up-without-index.litmus')]);
    expect(r.out).toContain('Schedule: none: no interleaving of a sequentially consistent machine reaches this state');
  });
  test('a state reached by weak memory in one execution and by an interleaving in another says so, with the interleaving', () => {
    // SB whose condition only constrains P0: the witness enumerated first has P1 read x=0 too
    // (not SC); P1 reading x=1 gives the same state and is SC
    const text = 'C SB-half\n\n{}\n\nP0(int *x, int *y)\n{\n\tint r0;\n\n\tWRITE_ONCE(*x, 1);\n\tr0 = READ_ONCE(*y);\n}\n\nP1(int *x, int *y)\n{\n\tint r0;\n\n\tWRITE_ONCE(*y, 1);\n\tr0 = READ_ONCE(*x);\n}\n\nlocations [0:r0]\nexists (0:r0=0)\n';
    const out = herdLike(decideText(text)).join('\n');
    expect(out).toContain('#1 R[ONCE] x=0  READ_ONCE(*x)   reads from init(x=0)');
    expect(out).toContain('Schedule: none for this execution, which is not sequentially consistent; this interleaving reaches the same state in another execution: P0 P1\n');
  });
});

describe('herd7 conveniences the kernel community\'s tests use', () => {
  const mp = (p1: string, cond: string, init = '{}') =>
    `C mp\n\n${init}\n\nP0(int *x, int *y)\n{\n\tWRITE_ONCE(*x, 1);\n\tsmp_store_release(y, 1);\n}\n\nP1(int *x, int *y)\n{\n${p1}\n}\n\nexists (${cond})\n`;
  test('a register assigned without a declaration is an int local, 0 on paths that do not assign it', () => {
    const r = decideText(mp('\tr0 = smp_load_acquire(y);\n\tif (r0)\n\t\tr1 = READ_ONCE(*x);', '1:r0=1 /\\ 1:r1=0'));
    expect(r.outcome).toBe('Never');
    expect(r.states).toContain('1:r0=0; 1:r1=0;');
  });
  test('a condition may compare two registers (0:r1=0:r4)', () => {
    const body = '\tint r0;\n\tint r1;\n\n\tr0 = smp_load_acquire(y);\n\tr1 = READ_ONCE(*x);';
    expect(decideText(mp(body, '1:r0=1:r1')).outcome).toBe('Sometimes');
    expect(decideText(mp(body, '1:r0=1 /\\ ~1:r0=1:r1')).outcome).toBe('Never');
  });
  test("a generated test's information lines, intptr_t casts and a register read in its own initialiser", () => {
    const text = 'C gen\n"PodWW Rfe PodRW Fre"\nCycle=PodWW Rfe PodRW Fre\nRelax=Rfe\n{\n}\n\nP0(intptr_t *x, intptr_t *y)\n{\n\tWRITE_ONCE(*x, 1);\n\tsmp_store_release(y, 1);\n}\n\nP1(intptr_t *x, intptr_t *y)\n{\n\tintptr_t r0 = (intptr_t)smp_load_acquire((intptr_t *)y);\n\tintptr_t r1 = READ_ONCE(*x);\n\tintptr_t r2 = (r2 != r1);\n}\n\nexists (1:r0=1 /\\ 1:r2=0)\n';
    const r = decideText(text);
    expect(r.name).toBe('gen');
    expect(r.outcome).toBe('Never'); // r0=1 orders the read of x after x=1, so r1=1 and r2 = (0 != 1) = 1
  });
  test('a cast to a narrower type is not supported: it would be a mixed-size access', () => {
    expect(() => decideText('C narrow\n{}\nP0(int *x)\n{\n\tint r0 = (char)READ_ONCE(*x);\n}\nexists (0:r0=0)\n')).toThrow(/cast to 'char'.*mixed-size/);
  });
  test('a declaration without a value in the initial state starts at 0', () => {
    const body = '\tint r0;\n\n\tr0 = READ_ONCE(*x);';
    const r = decideText(mp(body, '1:r0=0', '{\nint x;\nint *1:r5;\n}'));
    expect(r.outcome).toBe('Sometimes');
  });
});

describe('input outside the subset: "not supported: ...", exit 2, never a guess', () => {
  const cases: [string, string][] = [
    ['P0(int *x) { while (READ_ONCE(*x) == 0) ; }', "'while'"],
    ['P0(int *x, struct srcu_struct *s) { int r0; r0 = srcu_read_lock(s); WRITE_ONCE(*s, 1); srcu_read_unlock(s, r0); }', 'srcu_struct'],
    ['P0(int *x) { raw_spin_lock(x); }', 'raw_spin_lock(): not a primitive'],
    ['P0(int *x) { int r0; r0 = READ_ONCE(x); }', "must be '*pointer'"],
    ['P0(spinlock_t *s) { spin_lock(s); spin_lock(s); }', 'lock-nest'],
    // q's initial 0 can be read (nothing rules it out): dereferencing it is not a guess we make
    ['P0(int *x, int **q) { int *r0; int r1; r0 = READ_ONCE(*q); r1 = READ_ONCE(*r0); } P1(int *x, int **q) { WRITE_ONCE(*q, x); }', 'the integer 0, not a location (on a path that coherence does not rule out)'],
  ];
  for (const [body, why] of cases) {
    test(why, async () => {
      const file = join(repo, 'node_modules', '.litmus-unsupported.litmus');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, `C unsupported\n{}\n${body}\nexists (0:r0=0)\n`);
      const r = await cli(['litmus', '--json', file]);
      expect(r.code).toBe(2);
      const t = JSON.parse(r.out).tests[0];
      expect(t.result).toBe('unsupported');
      expect(t.reason).toContain('not supported');
      expect(t.reason).toContain(why);
    });
  }
  test('an unreadable file is a usage error', async () => {
    const r = await cli(['litmus', join(repo, 'no-such.litmus')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("cannot read litmus file");
  });
});

// ---------------------------------------------------------------------------------------------
// LKMM ⊇ SC on generated programs

const LOCS = ['x', 'y'];
const stmtArb = (tid: number, regs: string[]) => {
  const loc = fc.constantFrom(...LOCS);
  const val = fc.constantFrom(1, 2);
  const reg = fc.constantFrom(...regs);
  const simple = fc.oneof(
    fc.tuple(loc, val).map(([l, v]) => `WRITE_ONCE(*${l}, ${v});`),
    fc.tuple(loc, val).map(([l, v]) => `smp_store_release(${l}, ${v});`),
    fc.tuple(loc, val).map(([l, v]) => `*${l} = ${v};`),
    fc.tuple(reg, loc).map(([r, l]) => `${r} = READ_ONCE(*${l});`),
    fc.tuple(reg, loc).map(([r, l]) => `${r} = smp_load_acquire(${l});`),
    fc.tuple(reg, loc).map(([r, l]) => `${r} = *${l};`),
    fc.tuple(reg, loc, val).map(([r, l, v]) => `${r} = xchg_relaxed(${l}, ${v});`),
    fc.tuple(reg, loc, val).map(([r, l, v]) => `${r} = xchg(${l}, ${v});`),
    fc.tuple(reg, loc, val).map(([r, l, v]) => `${r} = cmpxchg(${l}, 0, ${v});`),
    fc.tuple(reg, loc).map(([r, l]) => `${r} = atomic_fetch_add_acquire(1, ${l});`),
    loc.map((l) => `atomic_inc(${l});`),
    fc.tuple(loc, reg).map(([l, r]) => `WRITE_ONCE(*${l}, ${r});`),
    fc.tuple(reg, loc, val).map(([r, l, v]) => `if (${r}) WRITE_ONCE(*${l}, ${v});`),
    fc.constantFrom('smp_mb();', 'smp_wmb();', 'smp_rmb();', 'synchronize_rcu();', 'smp_mb__after_atomic();', 'synchronize_srcu(ss);'),
  );
  void tid;
  return fc.oneof(
    { weight: 6, arbitrary: simple.map((s) => [s]) },
    { weight: 1, arbitrary: fc.array(simple, { minLength: 1, maxLength: 2 }).map((b) => ['spin_lock(s);', ...b, 'spin_unlock(s);']) },
    { weight: 1, arbitrary: fc.array(simple, { minLength: 1, maxLength: 2 }).map((b) => ['rcu_read_lock();', ...b, 'rcu_read_unlock();']) },
    { weight: 1, arbitrary: fc.array(simple, { minLength: 1, maxLength: 2 }).map((b) => ['r2 = srcu_read_lock(ss);', ...b, 'srcu_read_unlock(ss, r2);', 'smp_mb__after_srcu_read_unlock();']) },
  );
};
const programArb = fc.integer({ min: 2, max: 3 }).chain((nt) =>
  fc.tuple(...Array.from({ length: nt }, (_, t) => fc.array(stmtArb(t, ['r0', 'r1']), { minLength: 1, maxLength: 3 }).map((ss) => ss.flat()))),
);
/** Statements that may write location l (co orders grow factorially: keep them few). */
function writesTo(threads: string[][], l: string): number {
  const w = new RegExp(`(WRITE_ONCE\\(\\*${l}|smp_store_release\\(${l}|^\\*${l} =|xchg(_relaxed)?\\(${l}|cmpxchg\\(${l}|atomic_inc\\(${l}|atomic_fetch_add_acquire\\(1, ${l})`);
  return threads.flat().filter((s) => w.test(s)).length;
}
function programText(threads: string[][]): string {
  const ps = threads.map((ss, t) => `P${t}(int *x, int *y, spinlock_t *s, struct srcu_struct *ss)\n{\n\tint r0;\n\tint r1;\n\tint r2;\n\n\t${ss.join('\n\t')}\n}\n`);
  const regs = threads.flatMap((_, t) => [`${t}:r0`, `${t}:r1`, `${t}:r2`]);
  return `C generated\n\n{}\n\n${ps.join('\n')}\nlocations [${[...LOCS, ...regs].join('; ')}]\nexists (x=0)\n`;
}

describe('the LKMM allows every sequentially consistent behaviour', () => {
  ptest.prop([programArb], { numRuns: 300 })('generated programs: states(sc) ⊆ states(lkmm)', (threads) => {
    // candidate executions grow with co orders (factorial in the writes) and read values: keep them few
    fc.pre(LOCS.every((l) => writesTo(threads, l) <= 3) && threads.flat().filter((s) => s.startsWith('srcu_read_unlock')).length <= 2 && threads.flat().length <= 8);
    const t = parseLitmus(programText(threads));
    const r = decide(t);
    const sc = scFinalStates(t, r.keys);
    for (const s of sc) expect(r.states, `SC reaches ${s} but the LKMM does not:\n${programText(threads)}`).toContain(s);
  });
  ptest.prop([programArb], { numRuns: 150 })('generated programs: the candidates scLinearization can interleave reach exactly the SC states', (threads) => {
    // the litmus command prints a witness's schedule from scLinearization (and looks among the
    // candidates for an interleaving reaching the same state), so it must agree with the brute
    // force both ways: an order it finds is an interleaving of the SC machine, and every state
    // that machine reaches comes from a candidate it can order
    fc.pre(LOCS.every((l) => writesTo(threads, l) <= 3) && threads.flat().filter((s) => s.startsWith('srcu_read_unlock')).length <= 2 && threads.flat().length <= 8);
    const t = parseLitmus(programText(threads));
    const keys = decide(t).keys;
    const ordered = new Set<string>();
    for (const x of executions(t, () => ({ consistent: true, flags: [] }))) {
      if (scLinearization(x.cand) !== null) ordered.add(keys.map((k) => `${k}=${valueOf(t, x, k)};`).join(' '));
    }
    expect([...ordered].sort(), programText(threads)).toEqual([...scFinalStates(t, keys)].sort());
  });
  test('a write under a condition fed by another thread\'s write is in the domains (CI seed -227475311 shrunk to this)', () => {
    // y=1 is written only once P0 can read x=1, which only P2's xchg writes: the value domains
    // need two rounds, and a bound on them taken from the first round's paths stopped after one,
    // so every execution with y=1 was missing and `exists (y=1)` came out Never
    const text = 'C cond-write\n\n{}\n\nP0(int *x, int *y)\n{\n\tint r0;\n\n\tr0 = READ_ONCE(*x);\n\tif (r0)\n\t\tWRITE_ONCE(*y, 1);\n}\n\nP1(int *x)\n{\n\tint r0;\n\n\tr0 = smp_load_acquire(x);\n}\n\nP2(int *x, int *y)\n{\n\tint r0;\n\tint r1;\n\n\tr0 = xchg(x, 1);\n\tr1 = READ_ONCE(*y);\n}\n\nexists (y=1 /\\ 2:r1=1)\n';
    const r = decideText(text);
    expect(r.outcome).toBe('Sometimes');
    const sc = scFinalStates(r.test, r.keys);
    for (const s of sc) expect(r.states).toContain(s);
    expect([...sc].some((s) => s.includes('y=1;') && s.includes('2:r1=1;'))).toBe(true);
  });
  test('a chain of three conditional writes reaches its end', () => {
    const text = 'C chain\n\n{}\n\nP0(int *x, int *y)\n{\n\tint r0;\n\n\tr0 = READ_ONCE(*x);\n\tif (r0)\n\t\tWRITE_ONCE(*y, 1);\n}\n\nP1(int *y, int *z)\n{\n\tint r0;\n\n\tr0 = READ_ONCE(*y);\n\tif (r0)\n\t\tWRITE_ONCE(*z, 1);\n}\n\nP2(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\n\nexists (z=1)\n';
    expect(decideText(text).outcome).toBe('Sometimes');
  });
  test('and the check can fail: SC forbids what the LKMM allows on SB', () => {
    const text = readFileSync(join(repo, 'litmus', 'SB-xchg-relaxed.litmus'), 'utf8');
    const t = parseLitmus(text);
    const r = decide(t);
    const sc = scFinalStates(t, r.keys);
    expect(r.states.length).toBe(sc.size + 1);
  });
});
