/**
 * Issue 12 item 3, a per-thread current mm: `WorldBuilder.addMm(name, pmdTable, build)` gives the
 * world another mm_struct with its own PMD table, mm_struct fields and mm_cpumask, and
 * `k.forMm(name)` is the kernel a thread runs with that mm as current->mm. Every path that walks
 * `k.pmdTable` (GUP-fast, zap, split, fault) or takes an mm lock (`k.mm(MM_MMAP_LOCK)`,
 * write_protect_seq, mm->flags) then works on that thread's mm, and the invariants that read page
 * tables read every mm's. Each test below fails if the piece it names is taken out.
 */
import { describe, expect, test } from 'vitest';
import { check } from '../src/run.js';
import { defineScenario } from '../src/scenarios/define.js';
import { at, ghost, READ_ONCE } from '../src/kernel/primitives.js';
import { mmap_write_lock, mmap_write_unlock, type K } from '../src/kernel/mm.js';
import { FOLL_GET, get_user_pages_fast } from '../src/kernel/paths/gup.js';
import { zap_page_range_single } from '../src/kernel/paths/memory.js';
import { DEFAULT_INVARIANTS, type KernelInvariant } from '../src/kernel/invariants.js';
import { isGhost } from '../src/kernel/ghosts.js';
import { renderText } from '../src/report/text.js';
import { MM_MMAP_LOCK, WorldBuilder } from '../src/kernel/world.js';
import { gupFastPinVsFork } from '../src/scenarios/gup-fast-pin-vs-fork.js';
import type { Scenario } from '../src/scenarios/scenario.js';

const GEO = { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 };

/**
 * mm: pmd[0] -> pt1 maps page[4] at 0x0. mm B (PMD table page 2): B.pmd[0] -> pt3 maps page[5]
 * at the same address 0x0. Both anon, exclusive, one reference each.
 */
const twoMms = (b: WorldBuilder) =>
  b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0).addMm('B', 2, (B) => B.pageTable(0, 3).anonFolioPteMapped(5, 0, 3, 0));

/** a user's invariant: what mm B's GUP hands back is mm B's page */
const gupInBReturnsBsPage: KernelInvariant = {
  name: 'gup-in-B-returns-Bs-page',
  description: "get_user_pages_fast() on cpu0 (current->mm is B) returns B's page at 0x0, page[5]",
  // no state: DPOR need not order anything for it
  state: 'tracked',
  start: () => ({
    ghost: (tid, ev) => (tid === 0 && isGhost(ev, 'gup_hold') && ev.pfn !== 5 ? `GUP on cpu0 returned page[${ev.pfn}], not mm B's page[5]` : null),
  }),
};

const gupVsZap = (gupMm: (k: K) => K) => defineScenario({
  name: 'gup-in-B-vs-zap-in-A',
  description: "get_user_pages_fast(0x0) in mm B against munmap(0x0) in the first mm, which frees its own page at the same address",
  kernel: 'v6.6',
  geometry: GEO,
  world: twoMms,
  invariants: [...DEFAULT_INVARIANTS, gupInBReturnsBsPage],
  threads: (k) => [
    {
      name: 'mm B: get_user_pages_fast(0x0, 1, FOLL_GET)',
      *start() {
        return yield* get_user_pages_fast(gupMm(k), 0, 1, FOLL_GET);
      },
    },
    {
      name: 'mm: munmap(0x0, 0x2000)',
      *start() {
        yield* zap_page_range_single(k, 0, 2);
        yield* ghost({ type: 'munmap_done' }, at('munmap', 'return'));
      },
    },
  ],
});

describe('more than one mm (WorldBuilder.addMm, k.forMm)', () => {
  test("GUP-fast in mm B walks B's tables: exhaustively clean against the other mm's munmap, and returns B's page", () => {
    const r = check({ scenario: gupVsZap((k) => k.forMm('B')), minimize: false });
    expect(r.explored.verdict).toBe('clean');
    expect(r.explored.exhaustive).toBe(true);
  });

  test("the same thread with the first mm as current->mm is seen by the user's invariant: it returns page[4]", () => {
    const r = check({ scenario: gupVsZap((k) => k), minimize: true });
    expect(r.explored.verdict, r.report.schedule ?? '').toBe('violation');
    expect(r.report.invariant).toBe('gup-in-B-returns-Bs-page');
  });

  test("traces name the second mm's cells by its name: B.pmd[0], B.mm_users", () => {
    const b = twoMms(new WorldBuilder(GEO));
    expect(b.L.nameOf(b.L.entry(2, 0))).toBe('B.pmd[0]');
    expect(b.L.nameOf(b.L.entry(0, 1))).toBe('pmd[1]');
    expect(b.L.nameOf(b.L.mm(MM_MMAP_LOCK, 1))).toBe('B.mmap_lock');
    expect(b.L.nameOf(b.L.mm(MM_MMAP_LOCK))).toBe('mm.mmap_lock');
    // a trace of mm B's GUP: an invariant that stops at its first gup_hold
    const stopAtHold: KernelInvariant = { ...gupInBReturnsBsPage, name: 'stop-at-hold', start: () => ({ ghost: (_t, ev) => (isGhost(ev, 'gup_hold') ? 'held' : null) }) };
    const r = check({ scenario: { ...gupVsZap((k) => k.forMm('B')), invariants: [stopAtHold] }, minimize: true });
    expect(r.explored.verdict).toBe('violation');
    const text = renderText(r.report);
    expect(text).toMatch(/B\.pmd\[0\]/);
    expect(text).toMatch(/pt3\.pte\[0\]/);
    expect(text).not.toMatch(/pt1\.pte\[0\]/);
  });

  test("references-balanced counts every mm's PMD mappings: a THP PMD-mapped only in mm B balances", () => {
    const thpInB = (order: number) => defineScenario({
      name: 'thp-in-B',
      description: 'a THP PMD-mapped in mm B; mm B takes and drops its mmap_lock',
      kernel: 'v6.6',
      geometry: GEO,
      world: (b) => b.addMm('B', 1, (B) => B.anonThpPmdMapped(4, order, 0, 2)),
      threads: (k) => [
        {
          name: 'mm B: mmap_write_lock(); mmap_write_unlock()',
          *start() {
            yield* mmap_write_lock(k.forMm('B'), at('mm B', 'mmap_write_lock(mm)'));
            yield* mmap_write_unlock(k.forMm('B'), at('mm B', 'mmap_write_unlock(mm)'));
          },
        },
      ],
    });
    const r = check({ scenario: thpInB(1), minimize: false });
    expect(r.explored.verdict, r.report.message ?? '').toBe('clean');
  });

  test("each mm has its own mmap_lock: write-holders in two mms overlap, in one mm they exclude each other", () => {
    const holders = (other: (k: K) => K) => defineScenario({
      name: 'two-writers',
      description: 'two CPUs hold mmap_write_lock at once',
      kernel: 'v6.6',
      geometry: GEO,
      world: twoMms,
      invariants: [{
        name: 'two-write-holders',
        description: 'two CPUs are inside mmap_write_lock() at once',
        start: () => {
          let inside = 0;
          return {
            ghost: (_tid, ev) => (isGhost(ev, 'walk_begin') ? (++inside === 2 ? 'two CPUs hold mmap_write_lock at once' : null) : isGhost(ev, 'walk_end') ? (inside--, null) : null),
            step: () => null,
            end: () => null,
          };
        },
      }],
      threads: (k) => [other(k), k].map((kk, i) => ({
        name: `cpu${i}: mmap_write_lock()`,
        *start() {
          yield* mmap_write_lock(kk, at('writer', 'mmap_write_lock(mm)'));
          yield* ghost({ type: 'walk_begin', start: 0, end: 1 }, at('writer', 'inside'));
          // a shared access inside: ghost events between two shared steps go with the first
          yield* READ_ONCE(kk.L.flags(4), at('writer', 'READ_ONCE(page->flags)'));
          yield* ghost({ type: 'walk_end', err: 0 }, at('writer', 'leaving'));
          yield* mmap_write_unlock(kk, at('writer', 'mmap_write_unlock(mm)'));
        },
      })),
    });
    const two = check({ scenario: holders((k) => k.forMm('B')), minimize: false });
    expect(two.explored.verdict, two.report.message ?? '').toBe('violation');
    const same = check({ scenario: holders((k) => k), minimize: false });
    expect(same.explored.verdict).toBe('clean');
    expect(same.explored.exhaustive).toBe(true);
  });

  test('bad mm names are errors that say what exists', () => {
    expect(() => new WorldBuilder(GEO).addMm('B', 1).addMm('B', 2)).toThrow(/an mm named 'B' exists already \(names: mm, B\)/);
    expect(() => new WorldBuilder(GEO).addMm('b-2', 1)).toThrow(/'b-2' is not an identifier/);
    expect(() => new WorldBuilder(GEO).addMm('B', 0)).toThrow(/page 0 used twice/);
    expect(() => new WorldBuilder(GEO).inMm('C')).toThrow(/no mm named 'C' \(mms: mm; addMm adds one\)/);
    const s = defineScenario({ ...gupVsZap((k) => k.forMm('C')) });
    // forMm() called inside a thread's start(): the execution ends as a model error that says so
    const r = check({ scenario: s, minimize: false });
    expect(r.explored.verdict).toBe('model-error');
    expect(r.report.message).toMatch(/k\.forMm\('C'\): the world has no mm named 'C' \(its mms: mm, B; WorldBuilder\.addMm adds one\)/);
  });

  test('gup_fast_begin without pgd in a world of two mms is a model error, not a verdict', () => {
    const s = defineScenario({
      name: 'no-pgd',
      description: 'a variant that emits gup_fast_begin without saying which mm it walks',
      kernel: 'v6.6',
      geometry: GEO,
      world: twoMms,
      threads: () => [{
        name: 'mine',
        *start() {
          yield* ghost({ type: 'gup_fast_begin', start: 0, nr: 1, write: 0, pin: 0, longterm: 0 }, at('mine', 'begin'));
          yield* ghost({ type: 'gup_fast_end', nr: 0 }, at('mine', 'end'));
        },
      }],
    });
    const r = check({ scenario: s, minimize: false });
    expect(r.explored.verdict).toBe('model-error');
    expect(r.report.message).toMatch(/gup_fast_begin without pgd in a world of 2 mms: emit pgd: k\.pmdTable/);
  });
});

describe('fork() into a child mm (dup_mmap(k, addr, end, child))', () => {
  test("gup-fast-pin-vs-fork installs the child's table in child.pmd[0] (pte_alloc -> pmd_install under the child's PMD lock)", () => {
    const stop: KernelInvariant = {
      name: 'stop-at-fork-done', description: 'ends the run at fork_done', state: 'tracked',
      start: () => ({ ghost: (_t, ev) => (isGhost(ev, 'fork_done') ? 'fork done' : null) }),
    };
    const r = check({ scenario: { ...gupFastPinVsFork, invariants: [stop] }, strategy: 'random', maxExecutions: 1, minimize: false });
    expect(r.explored.verdict).toBe('violation');
    const text = renderText(r.report);
    expect(text).toMatch(/pmd_install\(\):[\s\S]*child\.pmd\[0\]: none -> table\(pt=\d\)/);
    expect(text).toMatch(/page\[7\]\.ptl: unlocked -> locked by cpu1/); // pmd_lock(dst_mm, dst_pmd): the child's PMD table's lock
  });
});

describe('examples/scenarios/retract-two-mms.ts: every declared expectation, from scratch', () => {
  test('its known race is found and each clean configuration is clean exhaustively', async () => {
    const scenario = (await import('../examples/scenarios/retract-two-mms.js')).default as unknown as Scenario;
    for (const race of scenario.knownRaces) {
      const r = check({ scenario, variants: race.variants, minimize: false });
      expect(r.explored.verdict, JSON.stringify(race.variants)).toBe('violation');
      expect(r.report.invariant).toBe(race.invariant);
    }
    for (const c of scenario.cleanConfigs) {
      const r = check({ scenario, variants: c.variants, env: c.env, minimize: false });
      expect(r.explored.verdict, `${JSON.stringify(c.variants)} ${r.report.schedule ?? ''}`).toBe('clean');
      expect(r.explored.exhaustive).toBe(true);
    }
    expect(scenario.knownRaces.length + scenario.cleanConfigs.length).toBe(5);
  });
});
