/**
 * Litmus timing for `npm run bench`: every kernel litmus test (../shared/litmus/kernel beside
 * the repository) and the project's own (litmus/) decided under the LKMM, with the candidate
 * executions examined and the time each took. Measured, never asserted.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideText } from '../src/lkmm/run.js';

export interface LitmusBenchRow {
  file: string;
  outcome: string;
  expected?: string;
  candidates: number;
  ms: number;
}

export function benchLitmus(log: (s: string) => void = console.log): LitmusBenchRow[] {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dirs = [join(repo, '..', 'shared', 'litmus', 'kernel'), join(repo, '..', '..', 'shared', 'litmus', 'kernel')].filter(existsSync).slice(0, 1);
  dirs.push(join(repo, 'litmus'));
  const rows: LitmusBenchRow[] = [];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.litmus')).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      const t0 = performance.now();
      const r = decideText(text);
      rows.push({ file: f, outcome: r.outcome, expected: /Result:\s*(\w+)/.exec(text)?.[1], candidates: r.candidates, ms: performance.now() - t0 });
    }
  }
  log('\nlitmus (LKMM): each test decided');
  log(`${'test'.padEnd(62)} ${'result'.padEnd(10)} ${'cands'.padStart(6)} ${'ms'.padStart(7)}`);
  for (const r of rows) log(`${r.file.padEnd(62)} ${(r.outcome + (r.expected && r.expected !== r.outcome ? '(!)' : '')).padEnd(10)} ${String(r.candidates).padStart(6)} ${r.ms.toFixed(1).padStart(7)}`);
  const agree = rows.filter((r) => r.expected !== undefined && r.expected === r.outcome).length;
  const withResult = rows.filter((r) => r.expected !== undefined).length;
  log(`agreement with Result: ${agree}/${withResult}; slowest ${Math.max(...rows.map((r) => r.ms)).toFixed(1)} ms; total ${rows.reduce((a, r) => a + r.ms, 0).toFixed(0)} ms`);
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) benchLitmus();
