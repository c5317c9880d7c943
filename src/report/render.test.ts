import { describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { check } from '../run.js';
import { SCENARIOS } from '../scenarios/index.js';
import { activeCpus, laneWidth, layoutLanes, renderLanes, wrap } from './lanes.js';
import { renderText } from './text.js';
import { REPORTERS } from './index.js';
import { schemaError } from './schema.js';
import { RACEWALK_VERSION } from './trace.js';
import { readFileSync } from 'node:fs';
import { returnedValue, type LoadOp, type RmwOp } from '../core/op.js';
import { page_folio, type K } from '../kernel/mm.js';
import { encodeCompoundHead } from '../kernel/world.js';

const race = SCENARIOS.flatMap((s) => s.knownRaces.map((r) => ({ s, r })))[0]!;
const { report } = check({ scenario: race.s, variants: race.r.variants, env: race.r.env, maxExecutions: 50_000 });

describe('lanes', () => {
  ptest.prop([fc.string({ maxLength: 300 }), fc.integer({ min: 8, max: 120 })])('wrap never exceeds the width and keeps every non-space character', (text, w) => {
    const lines = wrap(text, w, 2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(w);
    expect(lines.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });

  ptest.prop([fc.integer({ min: 60, max: 240 })])('every lane line fits the width, and each step sits in its own CPU lane', (width) => {
    const n = activeCpus(report).length;
    fc.pre(laneWidth(n, width) > 16);
    const lines = renderLanes(layoutLanes(report, { width, notes: true }), width, n, (s) => s.text);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(width);
    // first line of each step: the step number, then text only in its lane
    const w = laneWidth(n, width);
    const lanes = activeCpus(report);
    for (const s of report.trace) {
      const line = lines.find((l) => new RegExp(`^\\s*${s.step}[ !*] `).test(l))!;
      expect(line, `step ${s.step}`).toBeDefined();
      const col = lanes.indexOf(s.cpu);
      const start = 6 + col * (w + 3);
      expect(line.slice(start, start + w).trim().length, line).toBeGreaterThan(0);
    }
  });
});

describe('renderers', () => {
  test('plain text has no escape codes; colour only when asked', () => {
    expect(renderText(report)).not.toMatch(/\x1b\[/);
    expect(renderText(report, { color: true })).toMatch(/\x1b\[31m/);
  });

  test('every reporter renders, and the JSON one round-trips and matches the schema', () => {
    for (const r of Object.values(REPORTERS)) expect(r.render(report).length).toBeGreaterThan(100);
    const back = JSON.parse(REPORTERS.json!.render(report));
    expect(back).toEqual(JSON.parse(JSON.stringify(report)));
    expect(schemaError(back)).toBeNull();
  });

  test('the schema names the first field that is wrong', () => {
    const bad = JSON.parse(JSON.stringify(report));
    bad.trace[1].cpu = 'zero';
    expect(schemaError(bad)).toBe('trace[1].cpu: must be integer');
    delete bad.trace[1].cpu;
    expect(schemaError(bad)).toBe('trace[1].cpu: missing');
    expect(schemaError({ ...report, version: 2 })).toBe('version: must be equal to constant 1');
    expect(schemaError({ ...report, minimization: { original: { steps: 1 } } })).toBe('minimization.minimized: missing');
  });

  test("the report names racewalk's own version", () => {
    expect(report.racewalk).toBe(RACEWALK_VERSION);
    expect(RACEWALK_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  test('HTML is self-contained: no external URL is fetched', () => {
    const html = REPORTERS.html!.render(report);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
  });
});

describe('what a call returns, apart from what it read', () => {
  test('returnedValue follows each primitive\'s C result', () => {
    const rmw = (a: number, returns: RmwOp['returns']): RmwOp => ({ kind: 'rmw', loc: 0, rmw: 'add', a, b: 0, order: 'full', label: { fn: 'f', stmt: 's' }, ...(returns ? { returns } : {}) });
    expect(returnedValue(rmw(1, { kind: 'new' }), 4)).toBe('5');
    expect(returnedValue(rmw(-1, { kind: 'new-zero' }), 1)).toBe('true');
    expect(returnedValue(rmw(-1, { kind: 'new-zero' }), 2)).toBe('false');
    expect(returnedValue(rmw(-3, { kind: 'new-negative' }), 2)).toBe('true');
    expect(returnedValue(rmw(1, { kind: 'old-not', value: 0 }), 0)).toBe('false');
    expect(returnedValue(rmw(1, { kind: 'old-is', value: 2 }), 2)).toBe('true');
    expect(returnedValue(rmw(1, { kind: 'bit', bit: 4 }), 5)).toBe('true');
    expect(returnedValue(rmw(1, { kind: 'no-bit', bit: 4 }), 5)).toBe('false');
    expect(returnedValue(rmw(1, undefined), 5)).toBeNull();
    expect(returnedValue(rmw(1, { kind: 'gt', value: 0 }), 0)).toBe('false');
    expect(returnedValue(rmw(1, { kind: 'ge', value: 1024 }), 1024)).toBe('true');
    // page_folio(): a tail's compound_head holds (head << 1 | 1), a head's or a small page's 0
    expect(returnedValue(rmw(1, { kind: 'tagged', self: 5, name: 'page' }), 9)).toBe('page[4]');
    expect(returnedValue(rmw(1, { kind: 'tagged', self: 5, name: 'page' }), 0)).toBe('page[5]');
  });

  test('page_folio() of a tail page shows the folio it returns, not the raw compound_head', () => {
    // the split race: GUP-fast reads a tail's compound_head, whose raw value (head | 1) is not the folio
    const r = check({ scenario: 'gup-fast-vs-split-huge-page', variants: { split_huge_page_to_list: 'no-refcount-check' }, maxExecutions: 50_000 }).report;
    const folios = r.trace.filter((s) => s.kind === 'load' && /page_folio\(page\)/.test(s.stmt));
    expect(folios.length).toBeGreaterThan(0);
    for (const s of folios) expect(s.returned).toMatch(/^page\[\d+\]$/);
    const frozen = r.trace.filter((s) => s.stmt.includes('folio_ref_freeze('));
    expect(frozen.length).toBeGreaterThan(0);
    for (const s of frozen) expect(s.returned).toBe(String(s.read === '4'));
    // a tail page: the op page_folio() yields decodes (head | 1) to the head
    const op = page_folio({ L: { compound_head: (p: number) => p * 8 } } as unknown as K, 5, { fn: 'try_get_folio', stmt: 'folio = page_folio(page)' }).next().value as LoadOp;
    expect(returnedValue(op, encodeCompoundHead(4))).toBe('page[4]');
    expect(returnedValue(op, 0)).toBe('page[5]');
  });

  test('a trace shows test_bit()\'s result as the call\'s, and a plain READ_ONCE only as a read', () => {
    const r = check({ scenario: 'gup-fast-pin-vs-fork', variants: { copy_page_range: 'no-write-protect-seq' }, maxExecutions: 50_000 }).report;
    const tested = r.trace.filter((s) => s.stmt.includes('test_bit(MMF_HAS_PINNED'));
    expect(tested.length).toBeGreaterThan(0);
    for (const s of tested) expect(s.returned).toBe(String(s.read !== '0'));
    const plain = r.trace.filter((s) => s.kind === 'load' && /READ_ONCE|ptep_get/.test(s.stmt));
    expect(plain.length).toBeGreaterThan(0);
    for (const s of plain) expect(s.returned).toBeNull();
    expect(renderText(r)).toMatch(/the call returns (true|false)/);
  });
});
