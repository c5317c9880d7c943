/**
 * `racewalk ablate` (issue 14 item 5): the table, its JSON and files, the counterexamples'
 * replay, bad input; and every ablated program of a kernel scenario cross-checked against brute
 * force (an ablation is a mechanism that changes verdicts: it must not invent or hide one).
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { ablateProgram } from '../src/run.js';
import { buildProgram } from '../src/scenarios/scenario.js';
import { findScenario } from '../src/scenarios/index.js';
import { crossCheckProgram } from '../src/sched/cross-check.js';
import type { Program } from '../src/core/execution.js';
import { ablateScenario } from '../src/ablate.js';
import { renderAblationMarkdown } from '../src/report/ablation.js';
import { SYNC_KIND_NAMES } from '../src/sched/ablation.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, command: 'racewalk' });
  return { code, out, err };
}
const outDir = () => mkdtempSync(join(tmpdir(), 'racewalk-ablate-'));
const RECHECK = 'recheck@gup_pte_range: unlikely(pte_val(pte) != pte_val(ptep_get(ptep))))';

describe('racewalk ablate', () => {
  test('gup_pte_range in gup-fast-vs-zap: only the PTE re-check is load-bearing, and its counterexample replays', async () => {
    const dir = outDir();
    const r = await cli(['ablate', '--scenario', 'gup-fast-vs-zap', '--path', 'gup_pte_range', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('as written: CLEAN');
    expect(r.out).toMatch(/recheck +gup_pte_range: unlikely\(pte_val\(pte\) != pte_val\(ptep_get\(ptep\)\)\)\) +\[cpu0\]\n +-> VIOLATION of gup-returns-mapped-page/);
    expect(r.out).toContain(`--ablate '${RECHECK}' --schedule rw1:gup-fast-vs-zap:`);
    const table = JSON.parse(readFileSync(join(dir, 'gup-fast-vs-zap.ablate.json'), 'utf8'));
    expect(table).toMatchObject({ format: 'racewalk-ablation', version: 1, scenario: 'gup-fast-vs-zap', path: 'gup_pte_range', complete: true, loadBearing: [RECHECK] });
    // the other points of gup_pte_range are clean without them, exhaustively
    for (const p of table.points.filter((x: { key: string }) => x.key !== RECHECK)) expect(p, p.key).toMatchObject({ verdict: 'clean', exhaustive: true });
    const row = table.points.find((x: { key: string }) => x.key === RECHECK);
    expect(existsSync(row.report)).toBe(true);
    expect(existsSync(join(dir, 'gup-fast-vs-zap.ablate.md'))).toBe(true);
    const report = JSON.parse(readFileSync(row.report, 'utf8'));
    expect(report.ablated).toBe(RECHECK);
    const again = await cli(['replay', row.report]);
    expect(again.code, again.err).toBe(1);
    expect(again.out).toContain(`ablated: ${RECHECK}`);
    // the printed command replays the same counterexample
    const sched = await cli(['replay', '--scenario', 'gup-fast-vs-zap', '--ablate', RECHECK, '--schedule', row.schedule]);
    expect(sched.code).toBe(1);
    // the code as written runs that schedule clean: the ablation is what breaks it
    expect((await cli(['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', row.schedule])).code).toBe(0);
  });

  test('--json prints the table; explore --ablate runs one point and names it in the report file', async () => {
    const dir = outDir();
    const j = await cli(['ablate', '--scenario', 'gup-fast-vs-zap', '--path', 'gup_pte_range', '--json', '--out', dir]);
    expect(j.code).toBe(0);
    const d = JSON.parse(j.out);
    expect(d.loadBearing).toEqual([RECHECK]);
    expect(d.points.every((p: { replay: string | null; verdict: string }) => (p.replay !== null) === (p.verdict === 'violation'))).toBe(true);
    const e = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--ablate', RECHECK, '--out', dir, '--json']);
    expect(e.code).toBe(1);
    const s = JSON.parse(e.out);
    expect(s.report).toMatch(/gup-fast-vs-zap--ablate-recheck_gup_pte_range_[A-Za-z0-9_]*-[0-9a-f]{8}\.json$/);
    expect(s.replay).toContain(`--ablate '${RECHECK}'`);
  });

  test('bad input: an unknown --path, a malformed or absent point, a baseline that already fails', async () => {
    const p = await cli(['ablate', '--scenario', 'gup-fast-vs-zap', '--path', 'gup_pte_rang', '--out', outDir()]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/--path 'gup_pte_rang'.*Did you mean 'gup_pte_range'\?.*Functions with points: /s);
    const bad = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--ablate', 'gup_pte_range: pte', '--out', outDir()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('expected KIND@FUNCTION: STATEMENT');
    const absent = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--ablate', 'lock@gup_pte_range: spin_lock(nothing)', '--out', outDir()]);
    expect(absent.code).toBe(2);
    expect(absent.err).toContain('removed nothing');
    const failing = await cli(['ablate', '--scenario', 'gup-fast-vs-zap', '--variant', 'gup_pte_range=no-pte-recheck', '--out', outDir()]);
    expect(failing.code).toBe(1);
    expect(failing.out).toContain('already fails: nothing to ablate');
    const both = await cli(['explore', '--variant-file', 'x.ts', '--ablate', RECHECK]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--ablate cannot be combined with --variant-file');
  });
});

describe('ablated kernel programs against brute force', () => {
  test('every point of gup-fast-vs-zap, removed: DPOR agrees with full DFS, bounded DFS, PCT, random and shards; docs/ablation.md shows this table', () => {
    const result = ablateScenario({ scenario: 'gup-fast-vs-zap' });
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'ablation.md'), 'utf8');
    const block = /<!-- ablate gup-fast-vs-zap -->\n([\s\S]*?)<!-- \/ablate -->/.exec(doc)?.[1];
    expect(block, 'docs/ablation.md: regenerate the block with racewalk ablate --scenario gup-fast-vs-zap (reports/…ablate.md)').toBe(renderAblationMarkdown(result));
    // the kinds the docs explain are the kinds declared
    for (const k of SYNC_KIND_NAMES) expect(doc).toContain(`| \`${k}\` |`);
    const keys = result.rows.filter((r) => r.explored).map((r) => r.key);
    expect(keys.length).toBeGreaterThanOrEqual(8);
    for (const key of keys) {
      const p = ablateProgram(buildProgram(findScenario('gup-fast-vs-zap')!), key);
      const r = crossCheckProgram(p as Program<unknown>, `gup-fast-vs-zap --ablate '${key}'`, 'gup-fast-vs-zap', { dfsCap: 1500, boundedCap: 1500, samples: 100, shards: [2] });
      expect(r.disagreements, r.disagreements.join('\n')).toEqual([]);
      expect(r.tooBig, `${key}: too big for the cross-check's DPOR budget`).toBe(false);
    }
  });
});
