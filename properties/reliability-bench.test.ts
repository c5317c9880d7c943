/**
 * The reliability table's harness (bench/reliability.ts, `npm run bench -- --sections=reliability`)
 * in its quick mode: every fault class runs real cases and none fails; and its judge of a report
 * folder tells a whole set from a partial one, so a zero in the table is a measurement.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchReliability, wholeSetOrNone } from '../bench/reliability.js';

describe('the reliability harness', () => {
  test('its judge of a report folder rejects a partial set, a temporary file and a summary that does not match', () => {
    const d = mkdtempSync(join(tmpdir(), 'racewalk-judge-'));
    expect(wholeSetOrNone(join(d, 'absent'), '')).toBe('');
    writeFileSync(join(d, 'x.json'), JSON.stringify({ verdict: 'violation' }));
    writeFileSync(join(d, 'x.txt'), '');
    expect(wholeSetOrNone(d, '')).toMatch(/partial set/);
    writeFileSync(join(d, 'x.md'), '');
    writeFileSync(join(d, 'x.html'), '');
    const summary = (verdict: string) => JSON.stringify({ verdict, report: join(d, 'x.json') });
    expect(wholeSetOrNone(d, summary('violation'))).toBe('');
    expect(wholeSetOrNone(d, summary('clean'))).toMatch(/report verdict violation, summary clean/);
    expect(wholeSetOrNone(d, summary('violation').slice(0, 10))).toMatch(/not the whole JSON summary/);
    writeFileSync(join(d, '.1.2.tmp'), '');
    expect(wholeSetOrNone(d, summary('violation'))).toMatch(/temporary file left/);
  });

  test('quick mode: every fault class runs cases, and none fails', async () => {
    const lines: string[] = [];
    const r = await benchReliability(true, (s) => void lines.push(s));
    expect(r.failed, lines.join('\n')).toEqual([]);
    expect(r.classes.length).toBe(6);
    for (const c of r.classes) expect(c.cases, c.what).toBeGreaterThan(0);
  }, 300_000);
});
