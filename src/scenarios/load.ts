/**
 * Loading and validating a user's scenario file (`--scenario-file F`). Every mistake is a
 * PatchError naming the file and line, exit 2, exactly as for patch files (src/patch/load.ts):
 * a syntax error, an exception while the module evaluates or while the world and threads are
 * built, no scenario exported, a malformed field, a name that clashes with a built-in scenario.
 */
import { readFileSync } from 'node:fs';
import { notARegularFile } from '../core/files.js';
import { isAbsolute, normalize, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, closest } from '../core/errors.js';
import { findPath } from '../kernel/paths/registry.js';
import { loadError, registerHooks, registerTypeScript } from '../patch/load.js';
import { PATCH_BRAND } from '../patch/define.js';
import { PatchError, frameIn, lineOf, lineOfKey, messageOf } from '../patch/locate.js';
import { isDefinedScenario, type DefinedScenario } from './define.js';
import { SCENARIOS, findScenario } from './index.js';
import { buildProgram, resolveEnv, type Scenario } from './scenario.js';
import type { CheckResult } from '../run.js';
import { replayCommand } from '../report/text.js';

export interface LoadedScenarios {
  readonly file: string;
  /** the file as given (messages and replay commands name it so) */
  readonly display: string;
  readonly source: string;
  readonly scenarios: readonly Scenario[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const cache = new Map<string, LoadedScenarios>();

export async function loadScenarioFile(file: string): Promise<LoadedScenarios> {
  const abs = resolvePath(file);
  const display = isAbsolute(file) ? file : normalize(file);
  const hit = cache.get(abs);
  if (hit !== undefined) return hit;
  // a folder, a device, a fifo or a symlink loop each say what they are, not "no such file"
  const problem = notARegularFile(abs);
  if (problem !== null) throw new PatchError(display, null, null, `${problem}: give the path of a scenario file, a TypeScript (or JavaScript) module that does \`export default defineScenario({ ... })\` (see docs/scenarios.md)`);
  if (!/\.(ts|mts|js|mjs)$/.test(abs)) throw new PatchError(display, null, null, 'a scenario file is a .ts (or .mts, .js, .mjs) module');
  const source = readFileSync(abs, 'utf8');
  await registerTypeScript(abs);
  registerHooks();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw loadError(e, abs, display);
  }
  const scenarios = collect(mod, source, display);
  const seen = new Set<string>();
  for (const s of scenarios) {
    validate(s, abs, source, display);
    if (seen.has(s.name)) throw new PatchError(display, lineOf(source, `'${s.name}'`), null, `two scenarios are named '${s.name}': each scenario of a file needs its own name`);
    seen.add(s.name);
  }
  const loaded = { file: abs, display, source, scenarios };
  cache.set(abs, loaded);
  return loaded;
}

function collect(mod: Record<string, unknown>, source: string, display: string): DefinedScenario[] {
  const out: DefinedScenario[] = [];
  for (const [key, v] of Object.entries(mod)) {
    // a patch file's own scenarios (definePatch({ scenarios: [...] })) count too
    const patchScenarios = typeof v === 'object' && v !== null && (v as { [PATCH_BRAND]?: true })[PATCH_BRAND] === true ? ((v as { scenarios?: unknown[] }).scenarios ?? []) : null;
    const items = patchScenarios ?? (Array.isArray(v) ? v : [v]);
    for (const item of items) {
      if (isDefinedScenario(item)) {
        if (!out.includes(item)) out.push(item);
      } else if (typeof item === 'object' && item !== null && 'threads' in item && 'world' in item) {
        throw new PatchError(display, lineOf(source, key === 'default' ? 'export default' : key), null, `export '${key}' looks like a scenario but was not made with defineScenario(): wrap it, \`export ${key === 'default' ? 'default' : `const ${key} =`} defineScenario({ ... })\` (defineScenario from 'racewalk/model')`);
      }
    }
  }
  if (out.length === 0) {
    throw new PatchError(display, lineOf(source, 'export'), null, "no scenario exported: end the file with `export default defineScenario({ name, description, kernel, geometry, world, threads })` (defineScenario from 'racewalk/model'; a file may export several)");
  }
  return out;
}

function validate(s: DefinedScenario, abs: string, source: string, display: string): void {
  const fail = (detail: string, line: number | null): never => {
    throw new PatchError(display, line, null, `scenario ${typeof s.name === 'string' ? `'${s.name}'` : ''}: ${detail}`);
  };
  if (typeof s.name !== 'string' || !NAME.test(s.name)) fail(`needs a name of letters, digits, '.', '_' or '-' (it names the scenario in reports and replay commands), got ${JSON.stringify(s.name)}`, lineOfKey(source, 'name'));
  if (findScenario(s.name) !== undefined) fail(`'${s.name}' is the name of a built-in scenario: choose another (built-in: ${SCENARIOS.map((x) => x.name).join(', ')})`, lineOf(source, `'${s.name}'`));
  if (typeof s.description !== 'string' || s.description === '') fail('needs a description: one line saying what runs against what', lineOfKey(source, 'name'));
  if (typeof s.kernel !== 'string' || s.kernel === '') fail("needs the kernel version its threads follow, e.g. kernel: 'v6.6'", lineOfKey(source, 'name'));
  const g = s.geometry as unknown as Record<string, unknown> | undefined;
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (g === undefined || g === null || typeof g !== 'object' || !posInt(g.nrPages) || !posInt(g.ptrsPerPte) || !posInt(g.ptrsPerPmd)) {
    fail(`geometry must be { nrPages, ptrsPerPte, ptrsPerPmd } (positive integers, e.g. { nrPages: 8, ptrsPerPte: 2, ptrsPerPmd: 2 }), got ${JSON.stringify(s.geometry)}`, lineOfKey(source, 'geometry'));
  }
  if (typeof s.world !== 'function') fail('world must be a function of the WorldBuilder: world: (b) => b.pageTable(0, 1)...', lineOfKey(source, 'world'));
  if (typeof s.threads !== 'function') fail('threads must be a function of the kernel view returning one thread per CPU: threads: (k) => [{ name, *start() { ... } }]', lineOfKey(source, 'threads'));
  if (s.maxSteps !== undefined && !posInt(s.maxSteps)) fail(`maxSteps must be a positive integer, got ${JSON.stringify(s.maxSteps)}`, lineOfKey(source, 'maxSteps'));
  try {
    resolveEnv(s, undefined);
  } catch (e) {
    fail(`env: ${e instanceof Error ? e.message : messageOf(e)}`, lineOfKey(source, 'env'));
  }
  if (s.invariants !== undefined) {
    if (!Array.isArray(s.invariants)) fail('invariants must be an array (e.g. [...DEFAULT_INVARIANTS, mine])', lineOfKey(source, 'invariants'));
    for (const inv of s.invariants) {
      if (typeof inv !== 'object' || inv === null || typeof inv.name !== 'string' || typeof inv.start !== 'function') fail('every invariant needs a name and start(m) (see docs/modelling.md, "Adding an invariant")', lineOfKey(source, 'invariants'));
    }
  }
  for (const [what, list] of [['knownRaces', s.knownRaces], ['cleanConfigs', s.cleanConfigs]] as const) {
    if (!Array.isArray(list)) fail(`${what} must be an array`, lineOfKey(source, what));
    for (const c of list) {
      for (const [path, variant] of Object.entries(c.variants ?? {})) {
        const def = findPath(path);
        if (def === undefined) fail(`${what} names '${path}', which is not a modelled function.${hint(path, [])}`, lineOfKey(source, path));
        if (!def!.variants.some((v) => v.name === variant)) fail(`${what}: ${path} has no built-in variant '${variant}' (variants: ${def!.variants.map((v) => v.name).join(', ')})`, lineOfKey(source, path));
      }
    }
  }
  // build the world and the threads once: a mistake there is the file's, with its line
  let threads;
  try {
    threads = buildProgram(s).threads;
  } catch (e) {
    const at = frameIn(e, abs);
    if (e instanceof UsageError && at === null) fail(e.message, null);
    fail(`building the world and threads threw: ${messageOf(e)}`, at?.line ?? lineOfKey(source, 'world'));
  }
  if (!Array.isArray(threads) || threads.length === 0) fail('threads(k) must return at least one thread (one per CPU)', lineOfKey(source, 'threads'));
  for (const [i, t] of threads!.entries()) {
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || typeof t.start !== 'function') fail(`thread ${i} must be { name: string, *start() { ... } }`, lineOfKey(source, 'threads'));
  }
}

function hint(given: string, known: readonly string[]): string {
  const c = closest(given, known);
  return c === null ? '' : ` Did you mean '${c}'?`;
}

/** Pick the scenario named `name` from a loaded file (or its only one). */
export function pickScenario(f: LoadedScenarios, name: string | undefined): Scenario[] {
  if (name === undefined) return [...f.scenarios];
  const s = f.scenarios.find((x) => x.name === name);
  if (s === undefined) {
    const inFile = f.scenarios.map((x) => x.name);
    throw new UsageError(`${f.display} has no scenario '${name}'.${hint(name, inFile)} It exports: ${inFile.join(', ')}`);
  }
  return [s];
}

/** `--scenario-file F` as the replay and report commands print it. */
export function scenarioFileFlag(s: Scenario): string {
  return s.file === undefined ? '' : ` --scenario-file ${displayPath(s.file)}`;
}

function displayPath(abs: string): string {
  const cwd = process.cwd();
  return abs.startsWith(cwd + '/') ? abs.slice(cwd.length + 1) : abs;
}

/**
 * An exploration of a file's scenario that ended in a model error thrown by the file's own code
 * (its threads, world or invariant) is the user's to fix: a PatchError with the line, exit 2.
 */
export function blameScenarioFile(f: LoadedScenarios, r: CheckResult): void {
  const failing = r.explored.failing;
  if (r.explored.verdict !== 'model-error' || !failing?.modelError || r.program.scenario.file !== f.file) return;
  const err = failing.modelError.error;
  const at = frameIn(err, f.file);
  const replay = r.report.schedule !== null ? `\n  reproduce: ${replayCommand(r.report)}` : '';
  if (at !== null) throw new PatchError(f.display, at.line, at.column, `scenario '${r.program.scenario.name}' threw at step ${failing.modelError.step + 1} of an execution: ${messageOf(err)}${replay}`);
  const stmt = r.counterexample?.trace?.at(-1)?.op.label.stmt;
  const line = stmt !== undefined ? lineOf(f.source, stmt) : null;
  if (line !== null) throw new PatchError(f.display, line, null, `the model rejected an operation of scenario '${r.program.scenario.name}': ${messageOf(err)}. Check the threads' use of locks, irqs and RCU (every lock released, every rcu_read_lock paired).${replay}`);
}
