/**
 * A user's own property suite against the racewalk package: the built-in scenario, a custom
 * scenario built with the world builder, and a variant written in the test itself.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  assertClean, check, describeFailure, FOLL_GET, get_user_pages_fast, preemptionPoints, program,
  replayRecorded, runPoints, parseSchedule, zap_page_range_single, type PreemptionPoint, type Scenario, type VariantDef,
} from 'racewalk';
import {
  at, ghost, page_folio, pte_offset, pte_offset_map, pte_pfn, pte_present, pte_unmap, READ_ONCE,
  atomic_add_unless, type gup_pte_range,
} from 'racewalk/model';

describe('racewalk as a library', () => {
  test('check() finds the missing PTE re-check and returns a replayable counterexample', () => {
    const r = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' } });
    expect(r.explored.verdict).toBe('violation');
    expect(r.report.invariant).toBe('gup-returns-mapped-page');
    const again = replayRecorded(r.program, parseSchedule(r.report.schedule!).choices);
    expect(again.violation?.invariant).toBe('gup-returns-mapped-page');
  });

  test('the faithful v6.6 code is clean, exhaustively', () => {
    const r = check({ scenario: 'gup-fast-vs-zap' });
    expect(r.explored.verdict, r.explored.bounds.join('; ')).toBe('clean');
    expect(r.explored.executions).toBeGreaterThan(0);
  });

  test('faithful code holds every invariant under shrinking fast-check schedules', () => {
    const p = program('gup-fast-vs-zap');
    fc.assert(fc.property(preemptionPoints({ maxPreemptions: 3 }), (points) => assertClean(p, runPoints(p, points))), { numRuns: 200 });
  });

  // My own transcription: the reference on compound_head(page), and no PTE re-check.
  const mine: typeof gup_pte_range = function* (k, pmd, _pmdp, addr, end, _flags, r) {
    const fn = 'gup_pte_range';
    const ptem = yield* pte_offset_map(k, pmd, at(fn, 'ptem = pte_offset_map(&pmd, addr)'));
    if (ptem < 0) return 0;
    let ok = 1;
    do {
      const pte = yield* READ_ONCE(pte_offset(k, ptem, addr), at(fn, 'pte_t pte = READ_ONCE(*ptep)'));
      if (!pte_present(pte)) { ok = 0; break; }
      const page = pte_pfn(pte);
      yield* ghost({ type: 'gup_pte_read', addr, pfn: page }, at(fn, 'page = pte_page(pte)'));
      const head = yield* page_folio(k, page, at(fn, 'head = compound_head(page)'));
      if (!(yield* atomic_add_unless(k.L.refcount(head), 1, 0, at(fn, 'page_cache_get_speculative(head)')))) { ok = 0; break; }
      r.pages.push(page);
      r.nr++;
      yield* ghost({ type: 'gup_hold', addr, pfn: page, folio: head }, at(fn, 'pages[*nr] = page'));
    } while (++addr !== end);
    yield* pte_unmap(k, ptem, at(fn, 'pte_unmap(ptem)'));
    return ok;
  };
  const extraVariants: Record<string, VariantDef[]> = {
    gup_pte_range: [{ name: 'mine', description: 'no re-check', kernel: 'user', range: { from: 'v6.6', to: 'v6.6' }, fn: mine }],
  };

  test('fast-check finds the race in my variant and shrinks it to at most two preemptions', () => {
    const p = program('gup-fast-vs-zap', { variants: { gup_pte_range: 'mine' }, extraVariants });
    const out = fc.check(fc.property(preemptionPoints(), (points) => assertClean(p, runPoints(p, points))), { numRuns: 2000 });
    expect(out.failed).toBe(true);
    const points = out.counterexample![0] as PreemptionPoint[];
    expect(points.length).toBeLessThanOrEqual(2);
    const r = runPoints(p, points);
    expect(describeFailure(p, r)).toMatch(/gup-returns-mapped-page[\s\S]*racewalk replay --scenario gup-fast-vs-zap --variant gup_pte_range=mine/);
  });

  test('a scenario of my own, built with the world builder', () => {
    const mine2: Scenario = {
      name: 'my-gup-vs-zap-small-page',
      description: 'GUP-fast of one small anon page against munmap',
      kernel: 'v6.6',
      geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
      world: (b) => b.pageTable(0, 1).anonFolioPteMapped(3, 0, 1, 0),
      threads: (k) => [
        { name: 'get_user_pages_fast(0x0, 1)', *start() { return yield* get_user_pages_fast(k, 0, 1, FOLL_GET); } },
        { name: 'munmap(0x0, 0x1000)', *start() { yield* zap_page_range_single(k, 0, 1); } },
      ],
      knownRaces: [],
      cleanConfigs: [],
    };
    const r = check({ scenario: mine2 });
    expect(r.explored.verdict, r.report.message ?? '').toBe('clean');
  });
});
