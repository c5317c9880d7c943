/**
 * Every `--json` output has a published JSON Schema (src/report/*.schema.json, shipped as
 * `racewalk/schema/<name>.json`), and what each command prints conforms to it: checked here with
 * ajv compiled straight from the schema files, as a third-party consumer would, and with
 * racewalk's own `schemaError` (which must give the same answer).
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { main } from '../src/cli/main.js';
import { SCHEMAS, schemaError, type SchemaName } from '../src/report/schema.js';
import { SYNC_KIND_NAMES } from '../src/sched/ablation.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const dir = join(import.meta.dirname, '..', 'src', 'report');
const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));
const schemas = Object.fromEntries(files.map((f) => [f.replace(/\.schema\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8'))]));
const thirdParty = new Ajv2020({ strict: true, allErrors: true });
for (const s of Object.values(schemas)) thirdParty.addSchema(s);

function conforms(name: SchemaName, data: unknown) {
  const v = thirdParty.getSchema(schemas[name].$id)!;
  const ok = v(data);
  expect(ok, `${name}: ${JSON.stringify(v.errors, null, 2)}`).toBe(true);
  expect(schemaError(data, name)).toBeNull();
}

const out = () => mkdtempSync(join(tmpdir(), 'racewalk-schemas-'));

describe('published JSON Schemas', () => {
  test('one schema file per name racewalk validates with, each a valid draft 2020-12 schema with a unique $id, exported by the package', () => {
    expect(Object.keys(schemas).sort()).toEqual([...SCHEMAS].sort());
    const ids = Object.values(schemas).map((s) => s.$id as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of Object.values(schemas)) expect(thirdParty.validateSchema(s), JSON.stringify(thirdParty.errors)).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.exports['./schema/*.json']).toBe('./dist/report/*.schema.json');
  });

  test('list --json', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    conforms('list', JSON.parse(r.out));
  });

  test('explore --json (clean and violation), its report file, replay --json', async () => {
    const o = out();
    const clean = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--out', o, '--json']);
    expect(clean.code, clean.err).toBe(0);
    conforms('explore-summary', JSON.parse(clean.out));
    const bad = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--variant', 'gup_pte_range=no-pte-recheck', '--out', o, '--json']);
    expect(bad.code, bad.err).toBe(1);
    const summary = JSON.parse(bad.out);
    conforms('explore-summary', summary);
    conforms('report', JSON.parse(readFileSync(summary.report, 'utf8')));
    const replay = await cli(['replay', summary.report, '--json']);
    expect(replay.code, replay.err).toBe(1);
    conforms('report', JSON.parse(replay.out));
    // and the schema is not vacuous: a summary without its verdict is refused by both
    const { verdict: _, ...noVerdict } = summary;
    expect(thirdParty.getSchema(schemas['explore-summary'].$id)!(noVerdict)).toBe(false);
    expect(schemaError(noVerdict, 'explore-summary')).toBe('verdict: missing');
  });

  test('explore --variant-file --json and check-patch --json', async () => {
    const o = out();
    const ep = await cli(['explore', '--variant-file', 'examples/patches/gup-compound-head.ts', '--scenario', 'gup-fast-vs-zap', '--out', o, '--json']);
    expect(ep.code, ep.err).toBe(0);
    conforms('explore-patch-summary', JSON.parse(ep.out));
    const cp = await cli(['check-patch', 'examples/patches/gup-compound-head.ts', '--scenario', 'gup-fast-vs-zap', '--out', o, '--json']);
    expect(cp.code, cp.err).toBe(0);
    conforms('check-patch', JSON.parse(cp.out));
  });

  test('ablate --json and its table file, whose kinds are the declared ones', async () => {
    const o = out();
    const a = await cli(['ablate', '--scenario', 'gup-fast-vs-zap', '--path', 'gup_pte_range', '--out', o, '--json']);
    expect(a.code, a.err).toBe(0);
    const table = JSON.parse(a.out);
    conforms('ablation', table);
    conforms('ablation', JSON.parse(readFileSync(join(o, 'gup-fast-vs-zap.ablate.json'), 'utf8')));
    conforms('report', JSON.parse(readFileSync(table.points.find((p: { report: string | null }) => p.report !== null).report, 'utf8')));
    expect(schemas.ablation.properties.points.items.properties.kind.enum).toEqual(SYNC_KIND_NAMES);
  });

  test('merge --json of the shards of one run', async () => {
    const o = out();
    for (const i of [1, 2]) {
      const s = await cli(['explore', '--scenario', 'gup-fast-vs-zap', '--shard', `${i}/2`, '--out', o, '--json']);
      expect(s.code, s.err).toBe(0);
    }
    const shards = readdirSync(o).filter((f) => f.endsWith('.json')).map((f) => join(o, f));
    expect(shards.length).toBe(2);
    const m = await cli(['merge', ...shards, '--out', o, '--json']);
    expect(m.code, m.err).toBe(0);
    conforms('merge-summary', JSON.parse(m.out));
  });
});
