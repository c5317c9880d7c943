/**
 * Properties of the THP split and migration paths beyond the known-race corpus: what
 * split_huge_page() and migration promise their callers, checked on the v6.6 models.
 *  - alone, an unpinned THP (PTE- or PMD-mapped) always splits, and comes back mapped by PTEs
 *    to independent pages with PageAnonExclusive restored from the migration entries;
 *  - a THP GUP holds (FOLL_PIN or FOLL_GET) is never split: -EAGAIN, the folio intact;
 *  - migration of a page GUP holds always aborts back to the source; alone it always moves;
 *  - under any fast-check schedule against GUP-fast, split_huge_page()'s return value says
 *    truthfully whether the folio was split, and every invariant holds.
 * Every check also runs every default invariant after every step (references balance, etc.).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import type { Path } from '../src/core/op.js';
import type { KernelInvariant } from '../src/kernel/invariants.js';
import { DEFAULT_INVARIANTS } from '../src/kernel/invariants.js';
import type { KernelMachine, WorldBuilder } from '../src/kernel/world.js';
import { PG_anon_exclusive, PG_head } from '../src/kernel/world.js';
import type { K } from '../src/kernel/mm.js';
import { pte_pfn, pte_present } from '../src/kernel/pgtable.js';
import { ghost, at } from '../src/kernel/primitives.js';
import { defineGhost } from '../src/kernel/ghosts.js';
import { FOLL_GET, FOLL_PIN, FOLL_WRITE, get_user_pages_fast, lockless_pages_from_mm, put_user_page, unpin_user_page } from '../src/kernel/paths/gup.js';
import { EAGAIN, split_huge_page_caller } from '../src/kernel/paths/huge_memory.js';
import { migrate_misplaced_folio } from '../src/kernel/paths/migrate.js';
import { buildProgram, type Scenario } from '../src/scenarios/scenario.js';
import { runExecution } from '../src/core/execution.js';
import { PreemptionPointsStrategy, preemptionPoints } from '../src/sched/points.js';
import { ReplayStrategy } from '../src/sched/replay.js';
import { describeFailure } from './helpers.js';

/** An invariant that only keeps the machine, so a test can look at the final state. */
function probe(): { inv: KernelInvariant; machine: () => KernelMachine } {
  let m: KernelMachine | null = null;
  return {
    inv: { name: 'probe', description: 'test probe', start: (mm) => ((m = mm as KernelMachine), {}) },
    machine: () => m!,
  };
}

const GEO = { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 };

/** Run `body` alone on one CPU (one schedule) with every default invariant; returns its result and the final machine. */
function runAlone(world: (b: WorldBuilder) => WorldBuilder, body: (k: K) => Path<unknown>, variants: Record<string, string> = {}, expectClean = true) {
  const p = probe();
  const scenario: Scenario = {
    name: 'split-migration-property',
    description: 'one CPU',
    kernel: 'v6.6',
    geometry: GEO,
    world,
    threads: (k) => [{ name: 'alone', start: () => body(k) }],
    invariants: [...DEFAULT_INVARIANTS, p.inv],
    knownRaces: [],
    cleanConfigs: [],
  };
  const program = buildProgram(scenario, { variants });
  const r = runExecution(program, new PreemptionPointsStrategy([]));
  if (expectClean) {
    expect(r.violation, r.violation === null ? '' : describeFailure(program, r)).toBeNull();
    expect(r.modelError).toBeNull();
  }
  return { result: r.threadResults[0], m: p.machine(), k: program.k, violation: r.violation };
}

const ptePteMapped = (b: WorldBuilder): WorldBuilder => b.pageTable(0, 1).anonFolioPteMapped(4, 1, 1, 0).extraRef(4, 1);
const ptePmdMapped = (b: WorldBuilder): WorldBuilder => b.anonThpPmdMapped(4, 1, 0, 1).extraRef(4, 1);

/** the PTE table now mapping 0x0..0x1000 (pt1 for both worlds: the deposited table is page[1] too) */
function ptes(m: KernelMachine): number[] {
  const L = m.world.L;
  return [0, 1].map((i) => m.mem[L.entry(1, i)]!);
}

describe('split_huge_page alone', () => {
  for (const [name, world] of [['PTE-mapped', ptePteMapped], ['PMD-mapped', ptePmdMapped]] as const) {
    test(`an unpinned ${name} THP always splits into independent, PTE-mapped, anon-exclusive pages`, () => {
      const { result, m } = runAlone(world, (k) => split_huge_page_caller(k, 4, 0));
      expect(result).toBe(0);
      const L = m.world.L;
      expect(m.mem[L.flags(4)]! & PG_head).toBe(0);
      expect(m.mem[L.compound_head(5)]).toBe(0);
      expect(ptes(m).map((v) => (pte_present(v) ? pte_pfn(v) : -1))).toEqual([4, 5]);
      for (const p of [4, 5]) {
        expect(m.mem[L.refcount(p)], `page[${p}]._refcount`).toBe(1);
        expect(m.mem[L.mapcount(p)], `page[${p}]._mapcount`).toBe(0);
        expect(m.mem[L.flags(p)]! & PG_anon_exclusive, `page[${p}] PageAnonExclusive`).not.toBe(0);
      }
    });
  }

  for (const [flagName, flags] of [['FOLL_PIN', FOLL_PIN | FOLL_WRITE], ['FOLL_GET', FOLL_GET | FOLL_WRITE]] as const) {
    for (const [name, world] of [['PTE-mapped', ptePteMapped], ['PMD-mapped', ptePmdMapped]] as const) {
      test(`a ${name} THP held by ${flagName} GUP is never split: -EAGAIN, the folio intact`, () => {
        const { result, m } = runAlone(world, function* (k) {
          const r = yield* lockless_pages_from_mm(k, 0, 2, flags);
          expect(r.nr).toBe(2);
          const ret = yield* split_huge_page_caller(k, 4, 0);
          for (const page of r.pages) yield* (flags & FOLL_PIN ? unpin_user_page(k, page) : put_user_page(k, page));
          return ret;
        });
        expect(result).toBe(EAGAIN);
        const L = m.world.L;
        expect(m.mem[L.flags(4)]! & PG_head).not.toBe(0);
        expect(m.mem[L.compound_head(5)]! % 2).toBe(1); // still a tail of page[4]
        if (flags & FOLL_PIN) expect(m.mem[L.flags(4)]! & PG_anon_exclusive, 'a pinned page stays PageAnonExclusive').not.toBe(0);
      });
    }
  }
});

describe('controls: the broken variants break these properties', () => {
  test('split_huge_page_to_list=no-refcount-check splits a THP held by FOLL_PIN GUP', () => {
    const { violation } = runAlone(ptePteMapped, function* (k) {
      const r = yield* lockless_pages_from_mm(k, 0, 2, FOLL_PIN | FOLL_WRITE);
      const ret = yield* split_huge_page_caller(k, 4, 0);
      for (const page of r.pages) yield* unpin_user_page(k, page);
      return ret;
    }, { split_huge_page_to_list: 'no-refcount-check' }, false);
    expect(violation?.invariant).toBe('refcount-covers-mapcount-and-pins');
  });
  test('split_huge_page_to_list=no-refcount-check splits a THP held by FOLL_GET GUP', () => {
    const { violation } = runAlone(ptePteMapped, function* (k) {
      const r = yield* lockless_pages_from_mm(k, 0, 2, FOLL_GET | FOLL_WRITE);
      const ret = yield* split_huge_page_caller(k, 4, 0);
      for (const page of r.pages) yield* put_user_page(k, page);
      return ret;
    }, { split_huge_page_to_list: 'no-refcount-check' }, false);
    expect(violation?.invariant).toBe('gup-folio-not-split');
  });
  test('folio_migrate_mapping=no-refcount-check migrates a page held by FOLL_GET GUP', () => {
    const { violation } = runAlone((b) => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0), function* (k) {
      const r = yield* lockless_pages_from_mm(k, 0, 1, FOLL_GET | FOLL_WRITE);
      const ret = yield* migrate_misplaced_folio(k, 4, 0);
      for (const page of r.pages) yield* put_user_page(k, page);
      return ret;
    }, { folio_migrate_mapping: 'no-refcount-check' }, false);
    expect(violation?.invariant).toBe('gup-page-not-migrated');
  });
});

describe('migration alone', () => {
  const small = (b: WorldBuilder): WorldBuilder => b.pageTable(0, 1).anonFolioPteMapped(4, 0, 1, 0);

  test('an unreferenced page always migrates: the PTE maps the new page, the old one is freed', () => {
    const { result, m } = runAlone(small, (k) => migrate_misplaced_folio(k, 4, 0));
    expect(result).toBe(1);
    const pte = ptes(m)[0]!;
    expect(pte_present(pte)).toBe(true);
    expect(pte_pfn(pte)).not.toBe(4);
    expect(m.world.pages[4]!.use).toBe('free');
    expect(m.mem[m.world.L.flags(pte_pfn(pte))]! & PG_anon_exclusive).not.toBe(0);
  });

  for (const [flagName, flags] of [['FOLL_PIN', FOLL_PIN | FOLL_WRITE], ['FOLL_GET', FOLL_GET | FOLL_WRITE]] as const) {
    test(`a page held by ${flagName} GUP always stays: migration aborts back to the source`, () => {
      const { result, m } = runAlone(small, function* (k) {
        const r = yield* lockless_pages_from_mm(k, 0, 1, flags);
        expect(r.nr).toBe(1);
        const ret = yield* migrate_misplaced_folio(k, 4, 0);
        for (const page of r.pages) yield* (flags & FOLL_PIN ? unpin_user_page(k, page) : put_user_page(k, page));
        return ret;
      });
      expect(result).toBe(0);
      const pte = ptes(m)[0]!;
      expect(pte_present(pte) && pte_pfn(pte)).toBe(4);
      expect(m.mem[m.world.L.flags(4)]! & PG_anon_exclusive).not.toBe(0);
    });
  }
});

/** the test's own ghost event: what split_huge_page() returned */
const splitRet = defineGhost('split_ret', { meaning: 'split_huge_page() returned ret (0: split, -EAGAIN: refused)', fields: { ret: 'number' } });

describe('split_huge_page against GUP-fast, any schedule', () => {
  test('the return value says whether the folio was split, and every invariant holds', () => {
    const p = probe();
    const scenario: Scenario = {
      name: 'split-return-truthful',
      description: 'pin_user_pages_fast vs split_huge_page, reporting the split result',
      kernel: 'v6.6',
      geometry: GEO,
      world: ptePteMapped,
      threads: (k) => [
        { name: 'pin_user_pages_fast(0x0, 2, FOLL_WRITE)', start: () => get_user_pages_fast(k, 0, 2, FOLL_PIN | FOLL_WRITE) },
        {
          name: 'split_folio(page[4])',
          *start() {
            const ret = yield* split_huge_page_caller(k, 4, 0);
            yield* splitRet.emit({ ret }, at('test', 'return'));
            return ret;
          },
        },
      ],
      invariants: [...DEFAULT_INVARIANTS, p.inv],
      knownRaces: [],
      cleanConfigs: [],
    };
    const program = buildProgram(scenario);
    let splits = 0;
    let refusals = 0;
    fc.assert(
      fc.property(preemptionPoints({ maxPreemptions: 3 }), (points) => {
        const r = runExecution(program, new PreemptionPointsStrategy(points));
        const replay = () => describeFailure(program, runExecution(program, new ReplayStrategy(r.choices), false));
        expect(r.violation, replay()).toBeNull();
        expect(r.modelError).toBeNull();
        const m = p.machine();
        const split = (m.mem[m.world.L.flags(4)]! & PG_head) === 0;
        const ret = r.threadResults[1];
        expect(ret === 0 || ret === EAGAIN, replay()).toBe(true);
        expect(split, replay()).toBe(ret === 0);
        if (ret === 0) splits++;
        else refusals++;
      }),
      { numRuns: 400 },
    );
    // both outcomes must actually occur, or the property says nothing
    expect(splits).toBeGreaterThan(0);
    expect(refusals).toBeGreaterThan(0);
  });
});
