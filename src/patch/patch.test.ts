/** The patch API in-process: load, check side by side, structured rows; the guard and locators. */
import { describe, expect, test } from 'vitest';
import { loadPatch } from './load.js';
import { checkPatch, explorePatch } from './run.js';
import { checkOp, guardVariant, VariantFault } from './guard.js';
import { frameIn, lineOf, lineOfKey } from './locate.js';
import { replayRecorded } from '../run.js';
import { parseSchedule } from '../sched/schedule.js';
import { at } from '../kernel/primitives.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('checkPatch on the worked example', () => {
  test('the v4.5 patch fixes v4.4\'s gup-fast-progress failure and introduces nothing', async () => {
    const p = await loadPatch('examples/patches/gup-compound-head.ts', { scenarios: ['gup-fast-vs-zap'] });
    expect(p.patched).toEqual({ gup_pte_range: 'gup-compound-head' });
    expect(p.baseline).toEqual({ gup_pte_range: 'tail-page-ref' });
    const d = await checkPatch(p);
    expect(d.introduced).toBe(false);
    const [row] = d.rows;
    expect(row!.status).toBe('fixed');
    expect(row!.baseline.report.invariant).toBe('gup-fast-progress');
    expect(row!.patched.explored.verdict, row!.patched.explored.bounds.join('; ')).toBe('clean');
    expect(row!.patched.explored.executions).toBeGreaterThan(1);
  });

  test('the transcription without the PTE re-check introduces gup-returns-mapped-page, with a replayable schedule', async () => {
    const p = await loadPatch('examples/patches/gup-compound-head-no-recheck.ts', { scenarios: ['gup-fast-vs-zap'] });
    const d = await checkPatch(p);
    expect(d.introduced).toBe(true);
    const [row] = d.rows;
    expect(row!.status).toBe('new-violation');
    expect(row!.patched.report.invariant).toBe('gup-returns-mapped-page');
    // the baseline fails on another invariant: it was re-explored for this one alone, and keeps it
    expect(row!.focused?.report.invariant ?? null).toBeNull();
    const again = replayRecorded(row!.patched.program, parseSchedule(row!.patched.report.schedule!).choices);
    expect(again.violation?.invariant).toBe('gup-returns-mapped-page');
  });

  test('a transcription that forgets its gup_hold emit is refused as such, never reported clean', async () => {
    const src = readFileSync('examples/patches/gup-compound-head.ts', 'utf8');
    const forgot = src.replace(/yield\* ghost\(\{ type: 'gup_hold'[^\n]*\n/, '// (gup_hold forgotten)\n').replace("name: 'gup-compound-head'", "name: 'forgot-gup-hold'");
    expect(forgot).toContain('(gup_hold forgotten)');
    const file = join(mkdtempSync(join(tmpdir(), 'racewalk-forgot-')), 'forgot.ts');
    writeFileSync(file, forgot);
    const p = await loadPatch(file, { scenarios: ['gup-fast-vs-zap'] });
    await expect(checkPatch(p)).rejects.toThrow(/your variant's ghost events do not add up .*returned 2 page\(s\) but emitted gup_hold for 0/);
  });

  test('explorePatch gives one structured result per scenario', async () => {
    const p = await loadPatch('examples/patches/gup-compound-head.ts', { scenarios: ['gup-fast-vs-zap'] });
    const { runs, notApplicable } = await explorePatch(p);
    expect(notApplicable).toEqual([]);
    expect(runs.map((r) => [r.scenario.name, r.result.explored.verdict])).toEqual([['gup-fast-vs-zap', 'clean']]);
    expect(runs[0]!.result.program.variants).toEqual({ gup_pte_range: 'gup-compound-head' });
  });

  test('a v4.5 patch is not applicable under FOLL_PIN callers, and says why instead of reporting a violation', async () => {
    const p = await loadPatch('examples/patches/gup-compound-head.ts');
    const { runs, notApplicable } = await explorePatch(p, { maxExecutions: 20_000 });
    const na = notApplicable.map((n) => n.scenario.name).sort();
    expect(na).toEqual(['gup-fast-pin-vs-fork', 'gup-fast-vs-split-huge-page', 'gup-fast-vs-split-huge-pmd', 'gup-fast-vs-split-pmd-mapped-thp']);
    for (const n of notApplicable) expect(n.reason).toMatch(/FOLL_PIN.*since v5\.6/);
    // no run reports a violation that fails without concurrency: those were the era mismatches
    for (const r of runs) expect(r.result.report.sequential ?? false, r.scenario.name).toBe(false);
  });
});

describe('guard', () => {
  const label = at('gup_pte_range', 'pte_t pte = READ_ONCE(*ptep)');
  test.each([
    [{ kind: 'load', loc: Number.NaN, order: 'once', label }, /location NaN/],
    [{ kind: 'load', loc: 5000, order: 'once', label }, /location 5000/],
    [{ kind: 'load', loc: 3, order: 'once' }, /without a label/],
    [{ kind: 'store', loc: 3, value: undefined, order: 'once', label }, /stores undefined/],
    [42, /not an operation/],
    [{ kind: 'ghost', event: { type: 'gup_hodl', addr: 0, pfn: 4, folio: 4 }, label }, /ghost event 'gup_hodl' is not declared\. Did you mean 'gup_hold'\?/],
    [{ kind: 'ghost', event: { type: 'gup_hold', pfn: 4 }, label }, /'gup_hold' lacks its field 'addr'/],
  ])('rejects %j', (op, msg) => {
    expect(() => checkOp(op, 'gup_pte_range', 100)).toThrow(msg);
  });
  test('accepts well-formed ops, local ones included', () => {
    checkOp({ kind: 'load', loc: 3, order: 'once', label }, 'gup_pte_range', 100);
    checkOp({ kind: 'ghost', event: { type: 'gup_hold', addr: 0, pfn: 4, folio: 4 }, label }, 'gup_pte_range', 100);
  });
  test('a variant that is not a generator is named', () => {
    const g = guardVariant('gup_pte_range', (() => 7) as never);
    const k = { L: { size: 10 } } as never;
    expect(() => g(k).next()).toThrow(VariantFault);
  });
});

describe('locating the user\'s line', () => {
  const src = "import x from 'y';\nexport default definePatch({\n  name: 'p',\n  variants: {\n    gup_pte_rnage: f,\n  },\n});\n";
  test('keys and statements', () => {
    expect(lineOfKey(src, 'gup_pte_rnage')).toBe(5);
    expect(lineOfKey(src, 'name')).toBe(3);
    expect(lineOf(src, 'definePatch')).toBe(2);
    expect(lineOf(src, 'nowhere')).toBeNull();
  });
  test('the innermost stack frame in the file, file: URLs or paths', () => {
    const e = { stack: 'TypeError: x\n    at inner (/lib/a.ts:1:1)\n    at f (file:///home/me/p.ts:12:7)\n    at g (/home/me/p.ts:20:3)' };
    expect(frameIn(e, '/home/me/p.ts')).toEqual({ line: 12, column: 7 });
    expect(frameIn(e, '/other.ts')).toBeNull();
    expect(frameIn('not an error', '/home/me/p.ts')).toBeNull();
  });
});
