/**
 * The patch workflow as documented: docs/patch-workflow.md shows the example file verbatim and
 * every `console` block is run here (exit code and the output lines shown, numbers aside), so
 * the worked example runs as documented on a fresh clone. User mistakes in a patch file, written
 * outside the repository, come back as exit 2 with the file and line.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { racewalk } from './cli-process.js';

const repo = resolve(import.meta.dirname, '..');
const doc = readFileSync(join(repo, 'docs', 'patch-workflow.md'), 'utf8');

/** Execution counts and step numbers move as the explorer improves; the shape must not. */
const norm = (l: string): string =>
  l
    .replace(/\d+/g, 'N')
    .replace(/\b(exec|execution|scenario|preemption|step)s\b/g, '$1')
    .replace(/-{3,}/g, '---')
    .replace(/\s+/g, ' ')
    .trim();

interface Block {
  readonly command: string;
  readonly expected: string[];
  readonly exit: number;
}

/** ```console blocks: `$ npx racewalk ...`, its output, then `$ echo $?` and the exit code. */
function consoleBlocks(md: string): Block[] {
  const blocks: Block[] = [];
  for (const m of md.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = m[1]!.split('\n');
    const cmd = lines[0]!;
    const echo = lines.indexOf('$ echo $?');
    if (!cmd.startsWith('$ npx racewalk ') || echo < 0) throw new Error(`malformed console block in docs/patch-workflow.md:\n${m[1]}`);
    blocks.push({ command: cmd.slice('$ npx racewalk '.length), expected: lines.slice(1, echo), exit: Number(lines[echo + 1]) });
  }
  return blocks;
}

/** Every shown line appears in the output, in order (`...` stands for lines left out). */
function missingLines(expected: readonly string[], actual: string): string[] {
  const got = actual.split('\n').map(norm);
  const missing: string[] = [];
  let at = 0;
  for (const line of expected) {
    const want = norm(line);
    if (want === '' || want === '...') continue;
    const i = got.indexOf(want, at);
    if (i < 0) missing.push(line);
    else at = i + 1;
  }
  return missing;
}

// subprocesses: run the cases side by side
describe.concurrent('docs/patch-workflow.md runs as documented', () => {
  test('the page shows examples/patches/gup-compound-head.ts verbatim', () => {
    const file = readFileSync(join(repo, 'examples', 'patches', 'gup-compound-head.ts'), 'utf8');
    expect(doc).toContain('```ts\n' + file + '```');
  });

  const blocks = consoleBlocks(doc);
  test('the page has the worked example commands', () => {
    expect(blocks.map((b) => b.command.split(' ')[0])).toEqual(expect.arrayContaining(['explore', 'check-patch']));
    expect(blocks.some((b) => b.exit === 1)).toBe(true);
  });

  for (const b of blocks) {
    test(`$ racewalk ${b.command} exits ${b.exit} with the documented output`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'racewalk-doc-'));
      const r = await racewalk([...b.command.split(/\s+/), '--out', out]);
      expect(r.code, `${r.out}\n${r.err}`).toBe(b.exit);
      expect(missingLines(b.expected, r.out), `output of racewalk ${b.command}:\n${r.out}`).toEqual([]);
    });
  }

  test('the new violation of the broken transcription replays from its report, with the patch file loaded', async () => {
    const out = mkdtempSync(join(tmpdir(), 'racewalk-doc-'));
    const file = 'examples/patches/gup-compound-head-no-recheck.ts';
    const r = await racewalk(['check-patch', file, '--scenario', 'gup-fast-vs-zap', '--out', out, '--json']);
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.introduced).toBe(true);
    expect(j.rows[0]).toMatchObject({ status: 'new-violation', patched: { invariant: 'gup-returns-mapped-page' }, baseline: { invariant: 'gup-fast-progress' } });
    const report = j.reports[0] as string;
    const again = await racewalk(['replay', '--variant-file', file, report]);
    expect(again.code, again.err).toBe(1);
    expect(again.out).toContain('gup-returns-mapped-page');
    const bySchedule = await racewalk(j.rows[0].replay.replace(/^(npx )?racewalk /, '').split(' '));
    expect(bySchedule.code, bySchedule.err).toBe(1);
    const without = await racewalk(['replay', report]);
    expect(without.code).toBe(2);
    expect(without.err).toMatch(/--variant-file/);
  });
});

describe.concurrent('mistakes in a patch file outside the repository are the user\'s (exit 2, file and line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'racewalk-user-'));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const head = "import { at, definePatch, READ_ONCE, pte_offset, pte_offset_map, type gup_pte_range } from 'racewalk/model';\n";
  write('syntax.ts', `${head}export default definePatch({\n  name: 'x',\n  variants: { gup_pte_range: function* (k) { yield* ; } },\n});\n`);
  write('throws-at-load.ts', `${head}const table: Record<string, number> = {};\nif (table.x === undefined) throw new Error('table not filled');\nexport default definePatch({ name: 'x', variants: {} });\n`);
  write('typo.ts', `import { definePatch, gup_pte_range } from 'racewalk/model';\nexport default definePatch({\n  name: 'typo',\n  variants: {\n    gup_pte_rnage: gup_pte_range,\n  },\n});\n`);
  write('throws-in-run.ts', `${head}const patched: typeof gup_pte_range = function* (k, pmd, pmdp) {\n  const v = yield* READ_ONCE(pmdp, at('gup_pte_range', 'pmd_t again = READ_ONCE(*pmdp)'));\n  const t = undefined as unknown as { pt: number };\n  return t.pt + v;\n};\nexport default definePatch({ name: 'throws', variants: { gup_pte_range: patched } });\n`);
  write('spins.ts', `${head}const patched: typeof gup_pte_range = function* (k, pmd, pmdp, addr) {\n  const ptem = yield* pte_offset_map(k, pmd, at('gup_pte_range', 'ptem = pte_offset_map(&pmd, addr)'));\n  for (;;) {\n    const pte = yield* READ_ONCE(pte_offset(k, ptem, addr), at('gup_pte_range', 'while (!pte_none(ptep_get(ptep))) cpu_relax()'));\n    if (pte === 0) break;\n  }\n  return 0;\n};\nexport default definePatch({ name: 'spins', variants: { gup_pte_range: patched } });\n`);
  write('bad-op.ts', `${head}const patched: typeof gup_pte_range = function* (k) {\n  yield* READ_ONCE(k.L.refcount(NaN), at('gup_pte_range', 'folio_ref_count(folio)'));\n  return 0;\n};\nexport default definePatch({ name: 'bad-op', variants: { gup_pte_range: patched } });\n`);
  write('no-export.ts', `${head}const p = definePatch({ name: 'x', variants: {} });\n`);
  write('clash.ts', `import { definePatch, gup_pte_range } from 'racewalk/model';\nexport default definePatch({\n  name: 'no-pte-recheck',\n  variants: { gup_pte_range },\n});\n`);
  write('relative.ts', `import { definePatch } from '${join(repo, 'src', 'patch', 'define.js').replace(/\\/g, '/')}';\nimport { gup_pte_range } from '${join(repo, 'src', 'kernel', 'paths', 'gup.js').replace(/\\/g, '/')}';\nexport default definePatch({ name: 'same', variants: { gup_pte_range } });\n`);

  const cases: [string, RegExp][] = [
    ['syntax.ts', /^racewalk: syntax\.ts:4:53: syntax error: Unexpected ";"/],
    ['throws-at-load.ts', /^racewalk: throws-at-load\.ts:3:\d+: the file threw while loading: table not filled/],
    ['typo.ts', /^racewalk: typo\.ts:5: variants names 'gup_pte_rnage', which is not a modelled path\. Did you mean 'gup_pte_range'\?/],
    ['throws-in-run.ts', /^racewalk: throws-in-run\.ts:5:\d+: your code threw in scenario 'gup-fast-vs-zap' .*TypeError[\s\S]*reproduce: racewalk replay --variant-file throws-in-run\.ts/],
    ['spins.ts', /^racewalk: spins\.ts:5: your gup_pte_range does not terminate in scenario 'gup-fast-vs-zap'[\s\S]*reproduce: racewalk replay/],
    ['bad-op.ts', /^racewalk: bad-op\.ts:3: gup_pte_range: 'folio_ref_count\(folio\)' accesses location NaN/],
    ['no-export.ts', /^racewalk: no-export\.ts: no default export/],
    ['clash.ts', /^racewalk: clash\.ts:3: the patch name 'no-pte-recheck' is already a built-in variant of gup_pte_range/],
  ];

  test.each(cases)('%s', async (file, message) => {
    const r = await racewalk(['check-patch', file, '--scenario', 'gup-fast-vs-zap', '--out', join(dir, 'reports')], dir);
    expect(r.code, `${r.out}\n${r.err}`).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('a file outside the repository may import the repository by path instead of racewalk/model', async () => {
    const r = await racewalk(['explore', '--variant-file', 'relative.ts', '--scenario', 'gup-fast-vs-zap', '--json', '--out', join(dir, 'reports')], dir);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).scenarios[0]).toMatchObject({ scenario: 'gup-fast-vs-zap', verdict: 'clean' });
  });

  test('bad command lines are usage errors', async () => {
    const none = await racewalk(['check-patch']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/check-patch takes one patch file/);
    const missing = await racewalk(['check-patch', 'no/such/file.ts']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no\/such\/file\.ts: no such file/);
    const scen = await racewalk(['check-patch', 'examples/patches/gup-compound-head.ts', '--scenario', 'gup-fast-vs-zapp']);
    expect(scen.code).toBe(2);
    expect(scen.err).toMatch(/unknown scenario 'gup-fast-vs-zapp'. Did you mean 'gup-fast-vs-zap'/);
  });
});

describe('the file named is the file that runs', () => {
  const js = (name: string) =>
    [
      "import { definePatch, faithfulOf, gup_pte_range } from 'racewalk/model';",
      `export default definePatch({ name: '${name}', variants: { gup_pte_range: function* (...a) { return yield* faithfulOf(gup_pte_range)(...a); } } });`,
      '',
    ].join('\n');

  test('p.js runs p.js even with a p.ts beside it, and p.ts runs p.ts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-sibling-'));
    writeFileSync(join(dir, 'p.js'), js('from-js'));
    writeFileSync(join(dir, 'p.ts'), js('from-ts'));
    const [a, b] = await Promise.all(['p.js', 'p.ts'].map((f) => racewalk(['explore', '--variant-file', join(dir, f), '--scenario', 'gup-fast-vs-zap', '--out', join(dir, 'out'), '--json'])));
    expect(a!.code, a!.err).toBe(0);
    expect(JSON.parse(a!.out).patch).toBe('from-js');
    expect(b!.code, b!.err).toBe(0);
    expect(JSON.parse(b!.out).patch).toBe('from-ts');
  });

  test('a .js patch file loads outside a "type": "module" folder (here: a CommonJS package)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-cjs-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'a-cjs-project', type: 'commonjs' }));
    writeFileSync(join(dir, 'patch.js'), js('plain-js'));
    const r = await racewalk(['explore', '--variant-file', join(dir, 'patch.js'), '--scenario', 'gup-fast-vs-zap', '--out', join(dir, 'out'), '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).scenarios[0].verdict).toBe('clean');
  });
});
