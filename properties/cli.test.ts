/** The CLI contract other issues and users build on: list --json, explore --json, replay, exit codes. */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { main } from '../src/cli/main.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const outDir = () => mkdtempSync(join(tmpdir(), 'racewalk-'));

describe('racewalk CLI', () => {
  test('list --json follows the contract', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.scenarios[0]).toMatchObject({ name: 'gup-fast-vs-zap', paths: expect.any(Array), description: expect.any(String) });
    const gup = d.paths.find((p: { name: string }) => p.name === 'gup_pte_range');
    expect(gup.kernel).toBe('v6.6');
    expect(gup.variants.map((v: { name: string }) => v.name)).toContain('no-pte-recheck');
    // what a variant does is per scenario now: the known race names it
    const zap = d.scenarios.find((s: { name: string }) => s.name === 'gup-fast-vs-zap');
    expect(zap.knownRaces.map((r: { variants: Record<string, string>; invariant: string }) => `${r.variants.gup_pte_range}:${r.invariant}`)).toContain('no-pte-recheck:gup-returns-mapped-page');
    expect(d.invariants.map((i: { name: string }) => i.name)).toContain('gup-returns-mapped-page');
    expect(d.strategies.map((s: { name: string }) => s.name)).toContain('dfs');
  });

  test('explore finds the no-re-check race from scratch, writes the report, and replay reproduces it', async () => {
    const dir = outDir();
    const r = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--variant', 'gup_pte_range=no-pte-recheck', '--out', dir, '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ verdict: 'violation', invariant: 'gup-returns-mapped-page', exhaustive: false });
    expect(s.schedule).toMatch(/^rw1:gup-fast-vs-zap:/);
    expect(s.executions).toBeGreaterThan(0);
    expect(s.steps).toBeGreaterThan(0);
    const byString = await cli(['replay', '--scenario', 'gup-fast-vs-zap', '--variant', 'gup_pte_range=no-pte-recheck', '--schedule', s.schedule]);
    expect(byString.code, byString.err).toBe(1);
    expect(byString.out).toContain('gup-returns-mapped-page');
    const byReport = await cli(['replay', s.report]);
    expect(byReport.code, byReport.err).toBe(1);
    expect(readFileSync(s.report, 'utf8')).toContain('"format": "racewalk-report"');
  });

  test('replay of a schedule on the faithful code exits 0 (no violation)', async () => {
    const dir = outDir();
    const found = JSON.parse((await cli(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--out', dir, '--json'])).out);
    const r = await cli(['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', found.schedule]);
    expect(r.code, r.err).toBe(0);
  });

  test.each([
    [['explore', '--scenario', 'gup-fast-vs-zapp'], /unknown scenario 'gup-fast-vs-zapp'. Did you mean 'gup-fast-vs-zap'/],
    [['explore', '--variant', 'gup_pte_range=no-recheck'], /no variant 'no-recheck'.*Did you mean 'no-pte-recheck'/],
    [['explore', '--variant', 'gup_pte_rang=faithful'], /unknown path 'gup_pte_rang'/],
    [['explore', '--strategy', 'dpro'], /unknown strategy 'dpro'/],
    [['explore', '--max-executions=-5'], /--max-executions '-5' is not a whole number/],
    [['explore', '--max-executions', '0'], /--max-executions 0 is out of range/],
    [['explore', '--env', 'tlb=sometimes'], /tlb is one of: broadcast, ipi/],
    [['explore', '--bogus'], /unknown option '--bogus'/],
    [['replay', '--schedule', 'rw0:x:0x1'], /format 'rw0' is not supported/],
    [['replay', '/nonexistent/report.json'], /cannot read report/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad input %j is a clear error with exit 2', async (argv, msg) => {
    const r = await cli(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('npx racewalk works from the repo root', () => {
    const out = execFileSync('npx', ['--no-install', 'racewalk', 'list', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(JSON.parse(out).scenarios.length).toBeGreaterThan(0);
    const bad = spawnSync('node', ['bin/racewalk.mjs', 'explore', '--scenario', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
