/**
 * Loading and validating a user's patch file. Every mistake is a PatchError naming the file and
 * line: a syntax error (from esbuild, through tsx), an exception thrown while the module
 * evaluates, a missing default export, an unknown path or scenario name, a name clash.
 */
import { CURRENT, cmpVersion, type KernelRange } from '../kernel/contracts.js';
import { readFileSync } from 'node:fs';
import { notARegularFile } from '../core/files.js';
import { register } from 'node:module';
import { isAbsolute, normalize, relative, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closest } from '../core/errors.js';
import { PATHS, findPath, type VariantDef } from '../kernel/paths/registry.js';
import { SCENARIOS, findScenario } from '../scenarios/index.js';
import { isDefinedScenario } from '../scenarios/define.js';
import { declOf } from '../kernel/replaceable.js';
import { reachOf } from '../scenarios/reach.js';
import type { Scenario } from '../scenarios/scenario.js';
import type { Env } from '../kernel/mm.js';
import { PATCH_BRAND, type PatchSpec, type VariantFn } from './define.js';
import { guardVariant } from './guard.js';
import { PatchError, frameIn, lineOf, lineOfKey, messageOf } from './locate.js';

export interface LoadedPatch {
  /** absolute path of the file */
  readonly file: string;
  /** the file as it is shown in messages (relative to the working folder when inside it) */
  readonly display: string;
  readonly source: string;
  readonly spec: PatchSpec;
  /** path -> patched variant name (the patch's name) */
  readonly patched: Readonly<Record<string, string>>;
  /** path -> the variant the baseline runs (built-in name, or the file's own pre-patch function) */
  readonly baseline: Readonly<Record<string, string>>;
  /** the user's functions, guarded, as variants buildProgram can select */
  readonly extraVariants: Readonly<Record<string, readonly VariantDef[]>>;
  /** the scenarios the patch is run against */
  readonly scenarios: readonly Scenario[];
  /** every built-in scenario not run, with why (nothing a patch touches is skipped silently) */
  readonly skipped: readonly { readonly scenario: string; readonly reason: string }[];
  /** the functions the patch or its baseline replaces (what decides which scenarios run) */
  readonly replaced: readonly string[];
  readonly env: Partial<Env>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
let hooksRegistered = false;
let tsRegistered = false;

/** Make `import ... from 'racewalk/model'` resolve to this racewalk, wherever the file lives. */
export function registerHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  // the tree this module runs from: src/ (under tsx or vitest) or dist/ (the built package); the
  // package's exports name dist/, and a patch must get the same module instances as the CLI
  const root = new URL('../', import.meta.url);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const pkg = JSON.parse(readFileSync(new URL('../package.json', root), 'utf8')) as { exports?: Record<string, string | { import?: string }> };
  const exportsMap: Record<string, string> = {};
  for (const [k, v] of Object.entries(pkg.exports ?? {})) {
    const target = typeof v === 'string' ? v : v.import;
    if (target !== undefined && target.startsWith('./dist/')) exportsMap[k] = `./${target.slice('./dist/'.length).replace(/\.js$/, ext)}`;
  }
  register(new URL('./hooks.mjs', import.meta.url), { data: { root: root.href, exports: exportsMap } });
}

/**
 * The built CLI runs without a TypeScript loader; a user's .ts file needs one, so tsx is
 * registered the first time one is loaded (under tsx or vitest this module is itself .ts and the
 * loader is already there).
 */
export async function registerTypeScript(file: string): Promise<void> {
  if (tsRegistered || import.meta.url.endsWith('.ts') || !/\.m?ts$/.test(file)) return;
  tsRegistered = true;
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
}

/**
 * Call before `import()` of any user file (patch or scenario file): under the built CLI it
 * registers tsx for a .ts file, and always the hooks that resolve `racewalk` to this racewalk.
 */
export async function prepareUserImport(abs: string): Promise<void> {
  await registerTypeScript(abs);
  registerHooks();
}

export function displayName(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

export interface LoadOptions {
  /** only these scenarios (a built-in one must exercise a patched path) */
  readonly scenarios?: readonly string[];
  /** scenarios from --scenario-file, run like the patch's own */
  readonly extraScenarios?: readonly Scenario[];
}

export async function loadPatch(file: string, opts: LoadOptions = {}): Promise<LoadedPatch> {
  const abs = resolvePath(file);
  // messages name the file as the user gave it, as a compiler does
  const display = isAbsolute(file) ? file : normalize(file);
  // a folder, a device, a fifo or a symlink loop each say what they are, not "no such file"
  const problem = notARegularFile(abs);
  if (problem !== null) throw new PatchError(display, null, null, `${problem}: give the path of a patch file, a TypeScript (or JavaScript) module that does \`export default definePatch({ ... })\``);
  if (!/\.(ts|mts|js|mjs)$/.test(abs)) throw new PatchError(display, null, null, 'a patch file is a .ts (or .mts, .js, .mjs) module');
  const source = readFileSync(abs, 'utf8');
  await prepareUserImport(abs);
  let mod: { default?: unknown };
  try {
    // the file: URL of exactly this file (hooks.mjs keeps it as it is: never a sibling .ts)
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (e) {
    throw loadError(e, abs, display);
  }
  const spec = validateSpec(mod.default, source, display);
  return resolveSpec(spec, abs, display, source, opts);
}

export function loadError(e: unknown, abs: string, display: string): PatchError {
  // esbuild: "Transform failed with 1 error:\n/abs/file.ts:2:20: ERROR: Expected ..."
  const errs = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (Array.isArray(errs) && errs.length > 0) {
    const first = errs[0]!;
    const loc = first.location;
    const file = loc?.file !== undefined && resolvePath(loc.file) !== abs ? displayName(resolvePath(loc.file)) : display;
    return new PatchError(file, loc?.line ?? null, loc ? loc.column + 1 : null, `syntax error: ${first.text}`);
  }
  // the same, when the error crossed the loader thread and lost its `errors` array
  const m = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(messageOf(e));
  if (m !== null && /Transform failed/.test(messageOf(e))) {
    const file = resolvePath(m[1]!) !== abs ? displayName(resolvePath(m[1]!)) : display;
    return new PatchError(file, Number(m[2]), Number(m[3]) + 1, `syntax error: ${m[4]}`);
  }
  const code = (e as { code?: string }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    const spec = /'([^']+)'/.exec(messageOf(e))?.[1] ?? '';
    return new PatchError(display, lineOf(readFileSync(abs, 'utf8'), spec) ?? null, null, `cannot import: ${messageOf(e).split('\n')[0]}. Import the modelling API from 'racewalk/model' (or 'racewalk'), or a relative path to a file that exists`);
  }
  if (e instanceof SyntaxError) {
    // a SyntaxError at link time (e.g. a missing named export) names no location through tsx
    const name = /export named '([^']+)'/.exec(e.message)?.[1];
    return new PatchError(display, name !== undefined ? lineOf(readFileSync(abs, 'utf8'), name) : null, null, `${e.message}${name !== undefined ? " (see 'racewalk list' and docs/modelling.md for what racewalk/model exports)" : ''}`);
  }
  const at = frameIn(e, abs);
  return new PatchError(display, at?.line ?? null, at?.column ?? null, `the file threw while loading: ${messageOf(e)}`);
}

function validateSpec(v: unknown, source: string, display: string): PatchSpec {
  const fail = (detail: string, line: number | null = null): never => {
    throw new PatchError(display, line, null, detail);
  };
  if (v === undefined) fail("no default export: end the file with `export default definePatch({ name, variants: { <path>: function* (...) { ... } } })` (definePatch from 'racewalk/model')", lineOf(source, 'export'));
  if (v === null || typeof v !== 'object') fail(`the default export is ${v === null ? 'null' : typeof v}, not a patch: use \`export default definePatch({ ... })\``, lineOf(source, 'export default'));
  const o = v as Partial<PatchSpec> & { [PATCH_BRAND]?: true };
  if (typeof o.name !== 'string' || !NAME.test(o.name)) {
    fail(`the patch needs a name of letters, digits, '.', '_' or '-' (it names the variant in reports), got ${JSON.stringify(o.name)}`, lineOfKey(source, 'name'));
  }
  if (o.variants === null || typeof o.variants !== 'object' || Object.keys(o.variants).length === 0) {
    fail('the patch has no variants: give `variants: { <path name>: function* (k, ...) { ... } }` (path names: racewalk list)', lineOfKey(source, 'variants'));
  }
  return o as PatchSpec;
}

function resolveSpec(spec: PatchSpec, abs: string, display: string, source: string, opts: LoadOptions): LoadedPatch {
  const fail = (detail: string, line: number | null): never => {
    throw new PatchError(display, line, null, detail);
  };
  const extra: Record<string, VariantDef[]> = {};
  // the era contract (src/kernel/contracts.ts): `range`, else the one release `kernel` names,
  // else the release racewalk models; a scenario driving a newer feature refuses the patch
  const range = patchRange(spec, source, fail);
  const patched: Record<string, string> = {};
  const baseline: Record<string, string> = {};
  const addExtra = (path: string, name: string, fn: VariantFn, description: string) => {
    // a declared function given as its own variant means its faithful code (calling the dispatcher would recurse)
    (extra[path] ??= []).push({ name, description, kernel: spec.kernel ?? 'user patch', range, fn: guardVariant(path, (declOf(fn)?.faithful as VariantFn | undefined) ?? fn) });
  };
  const knownPath = (path: string, where: string) => {
    const def = findPath(path);
    if (def === undefined) {
      const c = closest(path, PATHS.map((p) => p.name));
      fail(`${where} names '${path}', which is not a modelled path.${c ? ` Did you mean '${c}'?` : ''} Paths: ${PATHS.map((p) => p.name).join(', ')}`, lineOfKey(source, path));
    }
    return def!;
  };
  for (const [path, fn] of Object.entries(spec.variants)) {
    const def = knownPath(path, 'variants');
    if (typeof fn !== 'function') fail(`variants.${path} is ${fn === null ? 'null' : typeof fn}, not a function: give the patched ${path} as \`function* (k, ...) { ... }\``, lineOfKey(source, path));
    if (def.variants.some((v) => v.name === spec.name)) {
      fail(`the patch name '${spec.name}' is already a built-in variant of ${path}: choose another name`, lineOfKey(source, 'name'));
    }
    patched[path] = spec.name;
    addExtra(path, spec.name, fn, spec.description ?? `user patch ${spec.name}`);
  }
  for (const [path, b] of Object.entries(spec.baseline ?? {})) {
    const def = knownPath(path, 'baseline');
    if (typeof b === 'string') {
      if (!def.variants.some((v) => v.name === b)) {
        const c = closest(b, def.variants.map((v) => v.name));
        fail(`baseline.${path} is '${b}', which is not a variant of ${path}.${c ? ` Did you mean '${c}'?` : ''} Variants: ${def.variants.map((v) => v.name).join(', ')}`, lineOfKey(source, path));
      }
      if (b !== 'faithful') baseline[path] = b;
    } else if (typeof b === 'function') {
      const name = `${spec.name}.baseline`;
      baseline[path] = name;
      addExtra(path, name, b, `pre-patch ${path} as transcribed in ${display}`);
    } else {
      fail(`baseline.${path} must be a built-in variant name or a function* transcribing the pre-patch code`, lineOfKey(source, path));
    }
  }
  const own: Scenario[] = [...(spec.scenarios ?? []).filter((s): s is Scenario => typeof s !== 'string'), ...(opts.extraScenarios ?? [])];
  for (const s of own) {
    if (!isDefinedScenario(s)) fail(`scenarios: '${(s as { name?: string }).name ?? '?'}' was not made with defineScenario(): wrap it (defineScenario from 'racewalk/model')`, lineOfKey(source, 'scenarios'));
    if (findScenario(s.name) !== undefined) fail(`scenarios: '${s.name}' is the name of a built-in scenario; give your own scenario another name`, lineOf(source, s.name));
  }
  const names = (opts.scenarios ?? spec.scenarios?.filter((s): s is string => typeof s === 'string')) ?? [];
  const wanted = names.filter((n) => !own.some((s) => s.name === n));
  const ownPicked = names.length > 0 ? own.filter((s) => names.includes(s.name)) : own;
  const replaced = new Set([...Object.keys(patched), ...Object.keys(baseline)]);
  const exercising = SCENARIOS.filter((s) => reachOf(s).some((p) => replaced.has(p)));
  let scenarios: Scenario[];
  if (names.length > 0) {
    scenarios = wanted.map((name) => {
      const s = SCENARIOS.find((x) => x.name === name);
      if (s === undefined) {
        const c = closest(name, SCENARIOS.map((x) => x.name));
        fail(`unknown scenario '${name}'.${c ? ` Did you mean '${c}'?` : ''} Scenarios: ${SCENARIOS.map((x) => x.name).join(', ')}`, opts.scenarios ? null : lineOf(source, name));
      }
      if (!exercising.includes(s!)) fail(`scenario '${name}' does not exercise ${Object.keys(patched).join(', ')} (it reaches: ${reachOf(s!).join(', ')})`, opts.scenarios ? null : lineOf(source, name));
      return s!;
    });
  } else {
    scenarios = exercising;
  }
  scenarios = [...ownPicked, ...scenarios];
  if (scenarios.length === 0) {
    fail(`no scenario exercises ${Object.keys(patched).join(', ')} yet, so there is nothing to run it against. No built-in scenario reaches them: write the interaction as a scenario file (docs/scenarios.md) and pass it with --scenario-file`, lineOfKey(source, Object.keys(patched)[0]!));
  }
  const skipped = [...own.filter((s) => !scenarios.includes(s)), ...SCENARIOS.filter((s) => !scenarios.includes(s))].map((s) => ({
    scenario: s.name,
    reason: own.includes(s) ? `not selected (${opts.scenarios ? '--scenario' : "the patch's scenarios"})` : exercising.includes(s) ? `reaches ${reachOf(s).filter((p) => replaced.has(p)).join(', ')} but was not selected (${opts.scenarios ? '--scenario' : 'the patch\'s scenarios'})` : `reaches none of ${[...replaced].join(', ')}`,
  }));
  return { file: abs, display, source, spec, patched, baseline, extraVariants: extra, scenarios, skipped, replaced: [...replaced], env: { ...spec.env } };
}

function patchRange(spec: PatchSpec, source: string, fail: (detail: string, line: number | null) => never): KernelRange {
  const valid = (v: unknown): v is string => typeof v === 'string' && /^v\d+\.\d+$/.test(v);
  if (spec.range !== undefined) {
    const r = spec.range as Partial<KernelRange> | null;
    if (r === null || typeof r !== 'object' || !valid(r.from) || !valid(r.to) || cmpVersion(r.from, r.to) > 0) {
      fail(`range must be { from: 'vX.Y', to: 'vX.Y' } with from <= to (the releases whose code the patch transcribes), got ${JSON.stringify(spec.range)}`, lineOfKey(source, 'range'));
    }
    return { from: r!.from!, to: r!.to! };
  }
  if (valid(spec.kernel)) return { from: spec.kernel, to: spec.kernel };
  return { from: CURRENT, to: CURRENT };
}
