/**
 * folio_is_secretmem() and folio_fast_pin_allowed() in GUP-fast (issue 13 item 6), and the race
 * 65291dcfcf89 "mm/secretmem: fix GUP-fast succeeding on secretmem folios" fixed, written as a
 * user's scenario file and patch file (examples/scenarios/): found from scratch in v6.6's code,
 * clean exhaustively with the fix.
 *
 * CONFIG_SECRETMEM=n (--env secretmem=n, the default) compiles folio_is_secretmem() out. That
 * is verdict-preserving only in a world without a memfd_secret() folio, where the stub's reads
 * return values nothing depends on: checked here on every built-in GUP-fast scenario small
 * enough to exhaust both ways (same verdict, both exhaustive; every known race found in both),
 * and a world with a secretmem folio is refused under secretmem=n.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { racewalk } from './cli-process.js';
import { check } from '../src/run.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { buildProgram, type Scenario } from '../src/scenarios/scenario.js';
import { runExecution } from '../src/core/execution.js';
import { filePagePteMapped } from '../src/kernel/walkers_world.js';
import { FILE_MAPPING, SHMEM_MAPPING } from '../src/kernel/world.js';
import { FOLL_LONGTERM, FOLL_PIN, FOLL_WRITE, get_user_pages_fast, type GupResult } from '../src/kernel/paths/gup.js';

const out = mkdtempSync(join(tmpdir(), 'racewalk-secretmem-'));
const SCEN = 'examples/scenarios/gup-fast-vs-secretmem-isolate.ts';
const FIX = 'examples/scenarios/secretmem-no-lru-check.ts';

// the example imports racewalk/model, which resolves to the built dist/ (see scenario-files.test.ts)
const load = async () => (await import('../examples/scenarios/gup-fast-vs-secretmem-isolate.js')) as unknown as { default: Scenario; inFolioBatch: Scenario };

describe('GUP-fast and memfd_secret() folios (v6.6)', () => {
  test('a CPU that isolates the folio from the LRU for a moment makes folio_is_secretmem() miss it: found with one preemption', async () => {
    const { default: isolate } = await load();
    const r = check({ scenario: isolate });
    expect(r.report.verdict, String(r.report.schedule)).toBe('violation');
    expect(r.report.invariant).toBe('gup-fast-rejects-secretmem');
    expect(r.report.sequential).not.toBe(true);
    // the counterexample reads like the kernel: the isolation, then the check that exits early
    const stmts = r.report.trace.map((s) => `${s.fn}: ${s.stmt}`);
    expect(stmts.some((s) => s.startsWith('folio_isolate_lru: if (folio_test_clear_lru(folio))'))).toBe(true);
    expect(stmts.some((s) => s.startsWith('folio_is_secretmem:') && s.includes('!folio_test_lru(folio)'))).toBe(true);
  });

  test('a folio still in the per-CPU batch (PG_lru clear) is missed without any race, and the report says so', async () => {
    const { inFolioBatch } = await load();
    const r = check({ scenario: inFolioBatch });
    expect(r.report.verdict).toBe('violation');
    expect(r.report.invariant).toBe('gup-fast-rejects-secretmem');
    expect(r.report.sequential).toBe(true);
  });

  test('the faithful code on an LRU secretmem folio with no other CPU refuses it (GUP-fast falls back; no oracle complains)', async () => {
    const { default: isolate } = await load();
    const alone: Scenario = { ...isolate, name: 'secretmem-alone', threads: (k) => isolate.threads(k).slice(0, 1), knownRaces: [] };
    const r = check({ scenario: alone });
    expect(r.report.verdict, r.report.message ?? '').toBe('clean');
    expect(r.report.exhaustive).toBe(true);
  });

  test('check-patch of the fix: both interactions fixed, exhaustively clean', async () => {
    const r = await racewalk(['check-patch', FIX, '--scenario', 'gup-fast-vs-secretmem-isolate', '--scenario', 'gup-fast-vs-secretmem-lru-drain', '--out', out, '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.rows).toHaveLength(2);
    for (const row of d.rows) {
      expect(row).toMatchObject({ status: 'fixed', reaches: ['folio_is_secretmem'] });
      expect(row.baseline.invariant).toBe('gup-fast-rejects-secretmem');
      expect(row.patched).toMatchObject({ verdict: 'clean', exhaustive: true });
    }
  }, 300_000);

  test('a secretmem world under --env secretmem=n is refused (exit 2), naming the page and the choice to use', async () => {
    const r = await racewalk(['explore', '--scenario-file', SCEN, '--scenario', 'gup-fast-vs-secretmem-isolate', '--env', 'secretmem=n', '--out', out]);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.err).toMatch(/page\[4\] belongs to a memfd_secret\(\) file .* --env secretmem=n .*Use --env secretmem=y/);
  }, 120_000);
});

describe('CONFIG_SECRETMEM=n is verdict-preserving in worlds without a secretmem folio', () => {
  // GUP-fast scenarios whose faithful configuration DPOR exhausts within a few seconds both ways
  const SMALL = ['gup-fast-vs-zap', 'gup-fast-vs-collapse', 'gup-fast-pin-vs-fork', 'gup-fast-vs-split-huge-pmd', 'gup-fast-vs-migration', 'gup-fast-vs-split-and-zap'];
  const scenarios = SCENARIOS.filter((s) => SMALL.includes(s.name));
  test('the scenarios exist and reach folio_is_secretmem', () => {
    expect(scenarios.map((s) => s.name).sort()).toEqual([...SMALL].sort());
    for (const s of scenarios) {
      const p = buildProgram(s, {});
      expect(p.env.secretmem).toBe('n');
    }
  });
  test.each(scenarios.map((s) => [s.name, s] as const))('%s: the faithful verdict is the same with secretmem=y and n, both exhaustive', (_, s) => {
    const n = check({ scenario: s, env: { secretmem: 'n' }, minimize: false });
    const y = check({ scenario: s, env: { secretmem: 'y' }, minimize: false });
    expect(n.report.exhaustive && y.report.exhaustive).toBe(true);
    expect(y.report.verdict, String(y.report.schedule)).toBe(n.report.verdict);
    expect(y.report.executions).toBeGreaterThanOrEqual(n.report.executions);
  }, 120_000);
  const races = scenarios.flatMap((s) => s.knownRaces.map((race) => [`${s.name} ${Object.entries(race.variants).map(([p, v]) => `${p}=${v}`).join(' ')}`, s, race] as const));
  test.each(races)('%s: the known race is found with secretmem=y too', (_, s, race) => {
    const y = check({ scenario: s, variants: race.variants, env: { ...race.env, secretmem: 'y' }, minimize: false });
    expect(y.report.verdict, String(y.report.schedule)).toBe('violation');
    expect(y.report.invariant).toBe(race.invariant);
  }, 120_000);
});

describe('folio_fast_pin_allowed(): FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE of a file page', () => {
  // one CPU pins 0x0 long-term for writing; which pages GUP-fast hands back depends on the mapping
  const scenarioOf = (mapping: number, flags: number): Scenario => ({
    name: `longterm-pin-${mapping}-${flags}`,
    description: 'pin_user_pages_fast(FOLL_LONGTERM) of a page-cache page',
    kernel: 'v6.6',
    geometry: { nrPages: 6, ptrsPerPte: 2, ptrsPerPmd: 2 },
    world: (b) => filePagePteMapped(b.pageTable(0, 1), 4, 1, 0, true, { mapping }),
    threads: (k) => [{ name: 'pin_user_pages_fast(0x0, 1, ...)', *start() { return yield* get_user_pages_fast(k, 0, 1, flags); } }],
    knownRaces: [],
    cleanConfigs: [],
  });
  const pinned = (s: Scenario): number => {
    const p = buildProgram(s, {});
    const r = runExecution(p, { choose: (v) => v.enabled[0]! });
    expect(r.violation, r.violation?.message).toBeNull();
    return (r.threadResults[0] as GupResult).nr;
  };
  const LONGTERM_WRITE = FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE;
  test('a regular file page is left to the slow path, and no invariant calls that a failure', () => {
    expect(pinned(scenarioOf(FILE_MAPPING, LONGTERM_WRITE))).toBe(0);
    expect(check({ scenario: scenarioOf(FILE_MAPPING, LONGTERM_WRITE) }).report.verdict).toBe('clean');
  });
  test('shmem is whitelisted; without FOLL_LONGTERM (or FOLL_WRITE) nothing is checked', () => {
    expect(pinned(scenarioOf(SHMEM_MAPPING, LONGTERM_WRITE))).toBe(1);
    expect(pinned(scenarioOf(FILE_MAPPING, FOLL_PIN | FOLL_WRITE))).toBe(1);
    expect(pinned(scenarioOf(FILE_MAPPING, FOLL_PIN | FOLL_LONGTERM))).toBe(1);
  });
});
