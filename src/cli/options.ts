/**
 * One declaration per option drives everything about it: parsing (node:util parseArgs, in its
 * token mode, so that every message is ours and none is a rewritten parseArgs message), the
 * value check (whole number in range, i/n, NAME=VALUE), the per-command help, the "did you
 * mean" of an unknown option, and refusing an option a mode cannot honour.
 *
 * A command declares its options next to its code (explore.ts, replay.ts, ...) with
 * `defineCommand`; shared declarations (SCENARIO, VARIANT, ENV, ...) live here so that the
 * same option reads the same everywhere. To add an option: add one entry to the command's
 * `options`; help, parsing and the option-table test (properties/cli-options.test.ts) follow.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { UsageError, closest } from '../core/errors.js';
import type { Io } from './main.js';
import { DEFAULT_SCENARIO } from '../scenarios/index.js';
import { DEFAULT_STRATEGY, STRATEGIES } from '../sched/index.js';
import { DEFAULT_MAX_EXECUTIONS } from '../run.js';

export type OptionKind = 'flag' | 'string' | 'int' | 'list';

export interface OptionDecl {
  readonly kind: OptionKind;
  /** one-letter alias (only --help has one today) */
  readonly short?: string;
  /** the value's placeholder in help: N, DIR, PATH=VARIANT */
  readonly value?: string;
  /** what it does, one line */
  readonly help: string;
  /** the default, as help shows it (for int, a number is the value used; a string only describes it) */
  readonly default?: string | number;
  /** whole-number range, inclusive (int only) */
  readonly min?: number;
  readonly max?: number;
  /** the allowed values as help shows them (computed lazily: registries load after this module) */
  readonly choices?: () => readonly string[];
  /**
   * Modes this option cannot be honoured in: option name of the mode (e.g. 'variant-file') ->
   * why. Given together, the command refuses with exit 2 instead of silently ignoring it.
   */
  readonly refusedWith?: Readonly<Record<string, string>>;
}

export interface CommandDecl<O extends Readonly<Record<string, OptionDecl>>> {
  readonly name: string;
  /** usage lines, without the leading 'racewalk ' */
  readonly usage: readonly string[];
  /** what the command does (a paragraph; wrapped as written) */
  readonly description: string;
  /** positional arguments: placeholder for help, and how many */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max: number; readonly what: string };
  readonly options: O;
  readonly exit: string;
}

type ValueOf<D extends OptionDecl> = D['kind'] extends 'flag'
  ? boolean
  : D['kind'] extends 'list'
    ? string[]
    : D['kind'] extends 'int'
      ? D extends { readonly default: number }
        ? number
        : number | undefined
      : string | undefined;

export type Values<O extends Readonly<Record<string, OptionDecl>>> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export interface Parsed<O extends Readonly<Record<string, OptionDecl>>> {
  readonly values: Values<O>;
  readonly positionals: string[];
  /** the options given on the command line (by long name) */
  readonly given: ReadonlySet<string>;
  /** --help / -h was given: print the command's help, exit 0 */
  readonly help: boolean;
}

/** A command: its declaration and what it does with the parsed command line. */
export interface Command<O extends Readonly<Record<string, OptionDecl>> = Readonly<Record<string, OptionDecl>>> {
  readonly decl: CommandDecl<O>;
  /** one line for `racewalk help` */
  readonly summary: string;
  /**
   * it searches (polling `interrupted()` within executions): the real process runs it on a worker
   * thread so that Ctrl-C reaches it during one long execution (cli/process.ts)
   */
  readonly searches?: boolean;
  run(p: Parsed<O>, io: Required<Io>): number | Promise<number>;
}

/** Declare a command (typed by its own option table). */
export function command<O extends Readonly<Record<string, OptionDecl>>>(c: Command<O>): Command {
  return c as unknown as Command;
}

/** --help and -h: every command has it. */
export const HELP_OPTION: OptionDecl = { kind: 'flag', short: 'h', help: "print this command's usage and options, then exit 0" };

/** Define a command; `help` is added to its options. */
export function defineCommand<O extends Readonly<Record<string, OptionDecl>>>(c: CommandDecl<O>): CommandDecl<O> {
  for (const name of Object.keys(c.options)) {
    if (!/^[a-z][a-z0-9-]*$/.test(name) || name === 'help') throw new Error(`option name '${name}' of ${c.name} is not a lower-case long name`);
  }
  return c;
}

/** All options of a command, --help included, in declaration order. */
export function allOptions(c: CommandDecl<Readonly<Record<string, OptionDecl>>>): [string, OptionDecl][] {
  return [...Object.entries(c.options), ['help', HELP_OPTION]];
}

export function parseCommand<O extends Readonly<Record<string, OptionDecl>>>(c: CommandDecl<O>, argv: readonly string[]): Parsed<O> {
  const decls = new Map(allOptions(c));
  const config: ParseArgsOptionsConfig = {};
  for (const [name, d] of decls) config[name] = { type: d.kind === 'flag' ? 'boolean' : 'string', multiple: d.kind === 'list', ...(d.short ? { short: d.short } : {}) };
  // strict: false and tokens: every unknown option, missing value and stray argument is judged below
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const raw = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    const d = decls.get(t.name);
    if (d === undefined || (t.rawName.startsWith('--') && t.rawName.slice(2) !== t.name)) throw unknownOption(c, t.rawName);
    if (d.kind === 'flag') {
      if (t.value !== undefined) throw new UsageError(`option '--${t.name}' takes no value, got '--${t.name}=${t.value}'. ${helpHint(c)}`);
      flags.add(t.name);
      continue;
    }
    // `--out --json`: parseArgs (non-strict) would take '--json' as the folder
    if (t.value === undefined || (!t.inlineValue && /^--?[A-Za-z]/.test(t.value) && t.value !== '-')) {
      throw new UsageError(`option '--${t.name}' needs a value: --${t.name} ${d.value ?? 'VALUE'}${t.value !== undefined ? ` (got the option '${t.value}' instead)` : ''}. ${helpHint(c)}`);
    }
    const list = raw.get(t.name) ?? [];
    if (list.length > 0 && d.kind !== 'list') throw new UsageError(`option '--${t.name}' is given twice ('${list[0]}' and '${t.value}'); give it once. ${helpHint(c)}`);
    list.push(t.value);
    raw.set(t.name, list);
  }
  const help = flags.has('help');
  const values: Record<string, unknown> = {};
  for (const [name, d] of decls) {
    if (name === 'help') continue;
    const given = raw.get(name);
    switch (d.kind) {
      case 'flag':
        values[name] = flags.has(name);
        break;
      case 'list':
        values[name] = given ?? [];
        break;
      case 'string':
        values[name] = given?.[0];
        break;
      case 'int':
        values[name] = help ? undefined : intValue(given?.[0], `--${name}`, d);
        break;
    }
  }
  const givenNames = new Set([...raw.keys(), ...[...flags].filter((f) => f !== 'help')]);
  if (!help) {
    const p = c.positionals;
    if (p === undefined && positionals.length > 0) {
      throw new UsageError(`unexpected argument '${positionals[0]}': 'racewalk ${c.name}' takes no positional arguments (options start with --). ${helpHint(c)}`);
    }
    if (p !== undefined && positionals.length > p.max) throw new UsageError(`'racewalk ${c.name}' takes ${p.max === 1 ? 'one' : `at most ${p.max}`} ${p.what}, got ${positionals.length}: ${positionals.join(' ')}. ${helpHint(c)}`);
    // a mode that cannot honour an option refuses it rather than ignoring it
    for (const name of givenNames) {
      for (const [mode, why] of Object.entries(decls.get(name)?.refusedWith ?? {})) {
        if (givenNames.has(mode)) throw new UsageError(`--${name} cannot be combined with --${mode}: ${why}`);
      }
    }
  }
  return { values: values as Values<O>, positionals, given: givenNames, help };
}

function unknownOption(c: CommandDecl<Readonly<Record<string, OptionDecl>>>, rawName: string): UsageError {
  const names = allOptions(c).map(([n]) => n);
  const near = closest(rawName.replace(/^-+/, ''), names);
  return new UsageError(`unknown option '${rawName}' for 'racewalk ${c.name}'.${near ? ` Did you mean '--${near}'?` : ''} Options: ${names.map((n) => `--${n}`).join(', ')} (see 'racewalk ${c.name} --help').`);
}

function helpHint(c: CommandDecl<Readonly<Record<string, OptionDecl>>>): string {
  return `See 'racewalk ${c.name} --help'.`;
}

/** A whole-number option within the declaration's [min, max]. */
function intValue(value: string | undefined, flag: string, d: OptionDecl): number | undefined {
  const def = typeof d.default === 'number' ? d.default : undefined;
  if (value === undefined) return def;
  return intOption(value, flag, def ?? 0, d.min ?? 0, d.max ?? Number.MAX_SAFE_INTEGER);
}

/** A non-negative integer within [min, max] (exported for values read from elsewhere than argv). */
export function intOption(value: string | undefined, flag: string, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} '${value}' is not a whole number: expected ${flag} N with ${min} <= N <= ${max}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} ${value} is out of range: expected ${min} <= N <= ${max}`);
  return n;
}

/**
 * `--variant PATH=VARIANT` (repeatable) as an object. Own properties only: a key such as
 * 'toString' or '__proto__' is an ordinary (unknown) name, never the prototype's.
 */
export function parseAssignments(values: readonly string[] | undefined, flag: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`${flag} '${v}' is malformed: expected ${flag} ${what}`);
    const key = v.slice(0, i);
    if (Object.hasOwn(out, key)) throw new UsageError(`${flag} gives '${key}' twice`);
    Object.defineProperty(out, key, { value: v.slice(i + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The help of one command: usage, what it does, one line per option (what, default, range). */
export function commandHelp(c: CommandDecl<Readonly<Record<string, OptionDecl>>>): string {
  const out: string[] = [];
  out.push(`Usage: ${c.usage.map((u, i) => `${i === 0 ? '' : '       '}racewalk ${u}`).join('\n')}`);
  out.push('');
  for (const l of c.description.split('\n')) out.push(l === '' ? '' : `  ${l}`);
  out.push('');
  out.push('Options:');
  const rows = allOptions(c).map(([name, d]) => {
    const flag = `${d.short ? `-${d.short}, ` : '    '}--${name}${d.kind === 'flag' ? '' : ` ${d.value ?? 'VALUE'}`}${d.kind === 'list' ? ' ...' : ''}`;
    const facts: string[] = [];
    if (d.choices) facts.push(`one of: ${d.choices().join(', ')}`);
    if (d.kind === 'int' && d.min !== undefined && d.max !== undefined) facts.push(`${d.min}..${d.max}`);
    if (d.default !== undefined) facts.push(`default ${d.default}`);
    if (d.kind === 'list') facts.push('repeatable');
    for (const [mode] of Object.entries(d.refusedWith ?? {})) facts.push(`not with --${mode}`);
    return [flag, `${d.help}${facts.length ? ` (${facts.join('; ')})` : ''}`] as const;
  });
  const w = rows.reduce((m, [f]) => Math.max(m, f.length), 0);
  for (const [f, h] of rows) out.push(`  ${f.padEnd(w)}  ${h}`);
  out.push('');
  out.push(`Exit: ${c.exit}`);
  return out.join('\n') + '\n';
}

// ---- options several commands share: one declaration each ----

export const SCENARIO = { kind: 'string', value: 'NAME', help: "the scenario to explore (names: 'racewalk list')", default: DEFAULT_SCENARIO } satisfies OptionDecl;
/** a user's scenario file (docs/scenarios.md) */
export const SCENARIO_FILE = { kind: 'string', value: 'FILE.ts', help: "a scenario file (defineScenario, docs/scenarios.md): its scenarios, or --scenario NAME of them. It is code and runs with your rights, like a test file" } satisfies OptionDecl;
export const VARIANT = { kind: 'list', value: 'PATH=VARIANT', help: "run a variant of a modelled path instead of the faithful code (see 'racewalk list')" } satisfies OptionDecl;
export const ENV = { kind: 'list', value: 'NAME=VALUE', help: "an environment choice, e.g. tlb=ipi (see 'racewalk list')" } satisfies OptionDecl;
export const STRATEGY = { kind: 'string', value: 'NAME', help: 'the search strategy', default: DEFAULT_STRATEGY, choices: () => STRATEGIES.map((s) => s.name) } satisfies OptionDecl;
export const SEED = { kind: 'int', value: 'N', help: 'seed of the random and pct strategies', default: 1, min: 0, max: 2 ** 32 - 1 } satisfies OptionDecl;
export const PREEMPTIONS = { kind: 'int', value: 'N', help: 'preemption bound: only schedules switching away from a runnable CPU at most N times', default: 'no bound', min: 0, max: 1000 } satisfies OptionDecl;
export const MAX_EXECUTIONS = { kind: 'int', value: 'N', help: 'stop after N executions', default: DEFAULT_MAX_EXECUTIONS, min: 1, max: 1_000_000_000 } satisfies OptionDecl;
export const MAX_STEPS = { kind: 'int', value: 'N', help: 'an execution longer than N steps is the max-steps violation', default: "the scenario's (2000 unless it says)", min: 1, max: 10_000_000 } satisfies OptionDecl;
export const OUT = { kind: 'string', value: 'DIR', help: 'folder the report files are written to', default: 'reports' } satisfies OptionDecl;
/** DPOR without the commuting-adds reduction (CheckOptions.commute = false) */
export const NO_COMMUTING_ADDS = { kind: 'flag', help: "DPOR: reverse two CPUs' blind atomic adds of one tag like any two writes (the commuting-adds reduction off: to re-check a clean verdict without it, or measure it)" } satisfies OptionDecl;
export const JSON_FLAG = { kind: 'flag', help: 'print a one-line JSON summary on stdout instead of the report' } satisfies OptionDecl;
export const QUIET = { kind: 'flag', help: 'print only the verdict line' } satisfies OptionDecl;
export const COLOR = { kind: 'flag', help: 'colour the terminal report even when stdout is not a terminal (as FORCE_COLOR=1 does; default: colour on a terminal unless NO_COLOR is set)' } satisfies OptionDecl;
export const NO_COLOR = { kind: 'flag', help: 'never colour (as NO_COLOR=1 does); the progress line stays' } satisfies OptionDecl;
/** one synchronization point removed on every CPU (racewalk ablate lists them; src/sched/ablation.ts) */
export const ABLATE = { kind: 'string', value: 'KIND@FN: STMT', help: "remove this one synchronization point on every CPU, as 'racewalk ablate' names it (quote it: it has spaces)" } satisfies OptionDecl;
