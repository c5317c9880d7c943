import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExecution, type ExecResult } from '../core/execution.js';
import type { Op, Path } from '../core/op.js';
import { ReplayStrategy } from '../sched/replay.js';
import { buildProgram, type Scenario } from '../scenarios/scenario.js';
import { findScenario } from '../scenarios/index.js';
import { describeGhostNote } from '../report/ghosts.js';
import { DEFAULT_INVARIANTS, type KernelInvariant } from './invariants.js';
import { KERNEL_GHOSTS, defineGhost, ghostMeaning, ghostProblem, isGhost } from './ghosts.js';
import { at } from './primitives.js';
import { faithfulOf } from './replaceable.js';
import { gup_pte_range } from './paths/gup.js';

/** one execution, run without preemption (every thread to its end in turn) */
const runOnce = (s: Scenario, opts: Parameters<typeof buildProgram>[1] = {}): ExecResult => runExecution(buildProgram(s, opts), new ReplayStrategy([]));
const errorOf = (r: ExecResult): string => String((r.modelError?.error as Error | undefined)?.message ?? '');

/** A scenario of one thread running `body` on a world of one page table mapping page[4] at 0x0. */
const oneThread = (name: string, body: () => Path<unknown>, invariants: readonly KernelInvariant[] = DEFAULT_INVARIANTS): Scenario => ({
  name,
  description: name,
  kernel: 'v6.6',
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 },
  world: (b) => b,
  threads: () => [{ name, start: body }],
  invariants,
  knownRaces: [],
  cleanConfigs: [],
});

/** gup_pte_range as the faithful code, except that it never announces the pages it grabs */
function* gup_pte_range_forgets_gup_hold(...args: Parameters<typeof gup_pte_range>): Path<number> {
  const inner = faithfulOf(gup_pte_range)(...args);
  let v = 0;
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) return r.value;
    const op: Op = r.value;
    if (op.kind === 'ghost' && op.event.type === 'gup_hold') {
      v = 0;
      continue;
    }
    v = yield op;
  }
}

describe('ghost events are declared once', () => {
  test('every kernel ghost has a meaning, and reports show it', () => {
    for (const [type, d] of Object.entries(KERNEL_GHOSTS)) {
      expect(d.meaning.length, type).toBeGreaterThan(10);
      expect(ghostMeaning(type)).toBe(d.meaning);
      expect(describeGhostNote(`[${type}]`)!.meaning).toBe(d.meaning);
    }
  });
  test('isGhost narrows to the declared fields', () => {
    const ev = { type: 'gup_hold', addr: 1, pfn: 5, folio: 4 } as const;
    expect(isGhost(ev, 'gup_hold') && ev.pfn + ev.folio).toBe(9);
    expect(isGhost(ev, 'gup_release')).toBe(false);
  });
  test('a malformed event is named with what is wrong', () => {
    expect(ghostProblem({ type: 'gup_hold', addr: 0, pfn: 4, folio: 4 })).toBeNull();
    expect(ghostProblem({ type: 'gup_hold', addr: 0, pfn: 4 })).toMatch(/'gup_hold' lacks its field 'folio'/);
    expect(ghostProblem({ type: 'gup_hold', addr: 0, pfn: '4', folio: 4 })).toMatch(/pfn="4", not a number/);
    expect(ghostProblem({ type: 'gup_hold', addr: 0, pfn: 4, folio: 4, page: 4 })).toMatch(/field 'page' it does not declare/);
    expect(ghostProblem({ type: 'pmd_table_use', pmdp: 0, pmdval: 0, how: 'lock' })).toMatch(/how="lock", not one of ptl, rcu, none/);
  });
});

describe('an undeclared or malformed ghost is a model error', () => {
  test('a typo of a built-in type is refused, naming it and the known ones', () => {
    const r = runOnce(oneThread('typo', function* () {
      yield { kind: 'ghost', event: { type: 'gup_hodl', addr: 0, pfn: 4, folio: 4 }, label: at('mine', 'pages[i] = page') };
    }));
    expect(r.violation).toBeNull();
    expect(errorOf(r)).toMatch(/mine: ghost event 'gup_hodl' is not declared\. Did you mean 'gup_hold'\? Known: gup_fast_begin, .*gup_hold/);
  });
  test('a built-in type with a missing field is refused', () => {
    const r = runOnce(oneThread('missing', function* () {
      yield { kind: 'ghost', event: { type: 'gup_release' }, label: at('mine', 'put_page(page)') };
    }));
    expect(errorOf(r)).toMatch(/'gup_release' lacks its field 'pfn'/);
  });
});

describe('a file declares its own ghost types', () => {
  const numaHint = defineGhost('test_numa_hint', { meaning: 'a NUMA hinting fault was taken on pfn', fields: { pfn: 'number', why: 'string?' } });

  test('a declared type is delivered to invariants, typed, and reports show its meaning', () => {
    const seen: number[] = [];
    const mine: KernelInvariant = {
      name: 'sees-numa-hints',
      description: 'records the test_numa_hint events',
      state: 'tracked',
      start: () => ({
        ghost(_tid, ev) {
          if (numaHint.is(ev)) seen.push(ev.pfn);
          return null;
        },
      }),
    };
    const r = runOnce(oneThread('user-ghost', function* () {
      yield* numaHint.emit({ pfn: 4 }, at('do_numa_page', 'task_numa_fault()'));
      yield* numaHint.emit({ pfn: 5, why: 'migrate' }, at('do_numa_page', 'task_numa_fault()'));
    }, [...DEFAULT_INVARIANTS, mine]));
    expect(r.modelError).toBeNull();
    expect(r.violation).toBeNull();
    expect(seen).toEqual([4, 5]);
    expect(describeGhostNote('[test_numa_hint pfn=4]')!.meaning).toBe('a NUMA hinting fault was taken on pfn');
  });
  test('its fields are checked like a built-in one', () => {
    const r = runOnce(oneThread('user-ghost-bad', function* () {
      yield* numaHint.emit({ pfn: 'four' } as never, at('do_numa_page', 'task_numa_fault()'));
    }));
    expect(errorOf(r)).toMatch(/'test_numa_hint' has pfn="four", not a number/);
  });
  test('the same declaration twice is one type; another meaning under the same name is refused', () => {
    expect(defineGhost('test_numa_hint', { meaning: 'a NUMA hinting fault was taken on pfn', fields: { pfn: 'number', why: 'string?' } }).type).toBe('test_numa_hint');
    expect(() => defineGhost('test_numa_hint', { meaning: 'something else', fields: { pfn: 'number' } })).toThrow(/already declared with another meaning/);
  });
  test('a name the kernel model declares is refused, never aliased', () => {
    expect(() => defineGhost('gup_hold', { meaning: 'my own hold', fields: { pfn: 'number' } })).toThrow(/'gup_hold' is a ghost event of racewalk's kernel model/);
    expect(ghostMeaning('gup_hold')).toBe(KERNEL_GHOSTS.gup_hold.meaning);
    expect(() => defineGhost('Bad Name', { meaning: 'x', fields: {} })).toThrow(/not a ghost event name/);
  });
});

describe('a variant that forgets what an invariant needs fails loudly', () => {
  const scenario = findScenario('gup-fast-vs-split-huge-page')!;
  const forgetful = { gup_pte_range: [{ name: 'forgets-gup-hold', description: 'skips the gup_hold emit', kernel: 'test', range: { from: 'v6.6', to: 'v6.6' }, mutation: true as const, fn: gup_pte_range_forgets_gup_hold }] };

  test('the faithful code runs clean', () => {
    const r = runOnce(scenario);
    expect(r.modelError).toBeNull();
    expect(r.violation).toBeNull();
  });
  test('GUP-fast returning pages it emitted no gup_hold for is a model error', () => {
    const r = runOnce(scenario, { variants: { gup_pte_range: 'forgets-gup-hold' }, extraVariants: forgetful });
    expect(r.violation).toBeNull();
    expect(errorOf(r)).toMatch(/cpu0's GUP-fast call at 0 returned 2 page\(s\) but emitted gup_hold for 0/);
  });
  test('without the check the same variant would come out clean (no invariant sees the pages it holds)', () => {
    const p = buildProgram(scenario, { variants: { gup_pte_range: 'forgets-gup-hold' }, extraVariants: forgetful });
    const { ghostMonitor: _checked, ...unchecked } = p;
    const r = runExecution(unchecked, new ReplayStrategy([]));
    expect(r.modelError).toBeNull();
    expect(r.violation).toBeNull();
  });
  test('gup_fast_begin without gup_fast_end is a model error at the thread\'s end', () => {
    const r = runOnce(oneThread('no-end', function* () {
      yield { kind: 'ghost', event: { type: 'gup_fast_begin', start: 0, nr: 1, write: 0, pin: 0, longterm: 0 }, label: at('mine', 'begin') };
    }));
    expect(errorOf(r)).toMatch(/cpu0 ended inside the GUP-fast call begun at 0: gup_fast_begin without gup_fast_end/);
  });
  test('walk_begin without walk_end is a model error at the thread\'s end', () => {
    const r = runOnce(oneThread('walk-no-end', function* () {
      yield { kind: 'ghost', event: { type: 'walk_begin', start: 0, end: 2 }, label: at('walk_page_range', 'begin') };
    }));
    expect(errorOf(r)).toMatch(/cpu0 ended inside the walk of \[0, 2\): walk_begin without walk_end/);
  });
  test('pt_map without pt_unmap, and pt_unmap or pmd_table_done without their start, are model errors', () => {
    const mapOnly = runOnce(oneThread('map-only', function* () {
      yield { kind: 'ghost', event: { type: 'pt_map', pt: 1 }, label: at('pte_offset_map', 'map') };
    }));
    expect(errorOf(mapOnly)).toMatch(/cpu0 ended with page table page\[1\] still mapped: pt_map without pt_unmap/);
    const unmapOnly = runOnce(oneThread('unmap-only', function* () {
      yield { kind: 'ghost', event: { type: 'pt_unmap', pt: 1 }, label: at('pte_unmap', 'unmap') };
    }));
    expect(errorOf(unmapOnly)).toMatch(/pt_unmap of page table page\[1\] without a pt_map of it/);
    const doneOnly = runOnce(oneThread('done-only', function* () {
      yield { kind: 'ghost', event: { type: 'pmd_table_done', pmdp: 3 }, label: at('walk', 'done') };
    }));
    expect(errorOf(doneOnly)).toMatch(/pmd_table_done for the PMD at 3 without a pmd_table_use of it/);
  });
  test('gup_fast_end without gup_fast_begin is a model error', () => {
    const r = runOnce(oneThread('end-only', function* () {
      yield { kind: 'ghost', event: { type: 'gup_fast_end', nr: 0 }, label: at('mine', 'return 0') };
    }));
    expect(errorOf(r)).toMatch(/gup_fast_end \(nr=0\) without a gup_fast_begin/);
  });
});

describe('in a scenario file', () => {
  const write = (body: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-ghosts-'));
    const file = join(dir, 'mine.ts');
    writeFileSync(file, body);
    return file;
  };
  const head = "import { defineScenario, defineGhost, at } from 'racewalk/model';\n";
  const scenario = (emit: string) => `export default defineScenario({
  name: 'ghost-file', description: 'a file with its own ghost', kernel: 'v6.6',
  geometry: { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 }, world: (b) => b,
  threads: () => [{ name: 't', *start() { ${emit} } }],
});
`;

  test('a file declaring its own ghost type runs', async () => {
    const { loadScenarioFile } = await import('../scenarios/load.js');
    const file = write(`${head}const hint = defineGhost('test_file_hint', { meaning: 'the file says hello', fields: { n: 'number' } });\n${scenario("yield* hint.emit({ n: 1 }, at('t', 'hello'));")}`);
    const f = await loadScenarioFile(file);
    const r = runOnce(f.scenarios[0]!);
    expect(r.modelError).toBeNull();
    expect(ghostMeaning('test_file_hint')).toBe('the file says hello');
  });
  test('a file redeclaring a kernel ghost is refused when it is loaded, naming the file', async () => {
    const { loadScenarioFile } = await import('../scenarios/load.js');
    const file = write(`${head}defineGhost('gup_release', { meaning: 'mine', fields: { pfn: 'number' } });\n${scenario('')}`);
    await expect(loadScenarioFile(file)).rejects.toThrow(/'gup_release' is a ghost event of racewalk's kernel model/);
  });
});
