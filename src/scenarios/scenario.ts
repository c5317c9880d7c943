/**
 * A scenario: the threads (one per CPU), the initial world, the invariants, and the known races
 * it is meant to find. `buildProgram` turns a scenario plus variant/env choices into a Program
 * the explorer runs.
 */
import type { Program, ThreadSpec } from '../core/execution.js';
import type { KernelState, Geometry } from '../kernel/world.js';
import { WorldBuilder } from '../kernel/world.js';
import type { Env, K } from '../kernel/mm.js';
import { DEFAULT_ENV, ENV_CHOICES } from '../kernel/mm.js';
import { DEFAULT_INVARIANTS, type KernelInvariant } from '../kernel/invariants.js';
import { findPath, PATHS, type VariantDef } from '../kernel/paths/registry.js';
import { UsageError, closest } from '../core/errors.js';

export interface KnownRace {
  /** the buggy variant(s) */
  readonly variants: Readonly<Record<string, string>>;
  /** environment the race needs, over the scenario's defaults */
  readonly env?: Partial<Env>;
  /** the invariant its counterexample violates */
  readonly invariant: string;
  readonly note: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly kernel: string;
  readonly geometry: Geometry;
  readonly env?: Partial<Env>;
  /** the initial world (a fresh machine is built from it for every execution) */
  world(b: WorldBuilder): WorldBuilder;
  /** one thread per CPU */
  threads(k: K): ThreadSpec[];
  readonly invariants?: readonly KernelInvariant[];
  readonly maxSteps?: number;
  /** races the explorer must find here, each a variant from the kernel's history */
  readonly knownRaces: readonly KnownRace[];
  /** configurations that must come out clean (the faithful code, historical fixes) */
  readonly cleanConfigs: readonly CleanConfig[];
  /**
   * The module that declares the scenario (absolute path; set by defineScenario): replay
   * commands of its counterexamples name it (`racewalk replay --scenario-file FILE`).
   * Built-in scenarios have none.
   */
  readonly file?: string;
}

export interface CleanConfig {
  readonly variants: Readonly<Record<string, string>>;
  readonly env?: Partial<Env>;
  readonly note: string;
}

export interface BuildOptions {
  /** path name -> variant name */
  readonly variants?: Readonly<Record<string, string>>;
  readonly env?: Partial<Env>;
  readonly maxSteps?: number;
  /** extra variants (user-written) by path name */
  readonly extraVariants?: Readonly<Record<string, readonly VariantDef[]>>;
}

export interface BuiltProgram extends Program<KernelState> {
  readonly scenario: Scenario;
  readonly k: K;
  readonly env: Env;
  /** the non-faithful variants in force, path -> variant */
  readonly variants: Readonly<Record<string, string>>;
  /**
   * Every declared kernel function called through the replaceable-function mechanism by the
   * executions run so far in this process (src/kernel/replaceable.ts): what the scenario reaches.
   */
  readonly reached: ReadonlySet<string>;
}

export function resolveEnv(scenario: Scenario, env: Partial<Env> | undefined): Env {
  const out = { ...DEFAULT_ENV, ...scenario.env, ...env } as Env;
  // own properties only: a key such as 'constructor' or '__proto__' (a report's env is whatever
  // its file says) is an unknown name, never a property of Object.prototype
  for (const key of Object.keys(out) as (keyof Env)[]) {
    const choice = Object.hasOwn(ENV_CHOICES, key) ? ENV_CHOICES[key] : undefined;
    if (choice === undefined) throw new UsageError(`unknown environment choice '${key}'.${suggest(key, Object.keys(ENV_CHOICES))} Choices: ${Object.keys(ENV_CHOICES).join(', ')} (see 'racewalk list')`);
    if (!(choice.values as readonly string[]).includes(out[key])) {
      throw new UsageError(`--env ${key}=${out[key]} is not a choice.${suggest(String(out[key]), choice.values)} ${key} is one of: ${choice.values.join(', ')}`);
    }
  }
  return out;
}

export function buildProgram(scenario: Scenario, opts: BuildOptions = {}): BuiltProgram {
  const env = resolveEnv(scenario, opts.env);
  const selected = new Map<string, unknown>();
  const variants: Record<string, string> = {};
  for (const [path, variant] of Object.entries(opts.variants ?? {})) {
    const def = findPath(path);
    const extra = (opts.extraVariants !== undefined && Object.hasOwn(opts.extraVariants, path) ? opts.extraVariants[path] : undefined) ?? [];
    if (def === undefined && extra.length === 0) {
      throw new UsageError(`unknown path '${path}' in --variant ${path}=${variant}.${suggest(path, PATHS.map((p) => p.name))} Paths: ${PATHS.map((p) => p.name).join(', ')}`);
    }
    const all = [...(def?.variants ?? []), ...extra];
    const v = all.find((x) => x.name === variant);
    if (v === undefined) {
      throw new UsageError(`path '${path}' has no variant '${variant}'.${suggest(variant, all.map((x) => x.name))} Variants of ${path}: ${all.map((x) => x.name).join(', ')}${extra.length === 0 ? ' (a variant from a patch file replays with --variant-file FILE)' : ''}`);
    }
    if (v.name !== 'faithful') {
      selected.set(path, v.fn);
      variants[path] = v.name;
    }
  }
  const builder = scenario.world(new WorldBuilder(scenario.geometry));
  const reached = new Set<string>();
  const k: K = {
    L: builder.L,
    geo: scenario.geometry,
    env,
    pmdTable: builder.pmdTable,
    mm_cpumask: builder.cpumask,
    impl<F>(name: string, faithful: F): F {
      reached.add(name);
      const f = selected.get(name);
      return (f ?? faithful) as F;
    },
  };
  const threads = scenario.threads(k);
  return {
    scenario,
    k,
    env,
    variants,
    reached,
    threads,
    newMachine: builder.build(threads.length),
    invariants: scenario.invariants ?? DEFAULT_INVARIANTS,
    maxSteps: opts.maxSteps ?? scenario.maxSteps ?? 2000,
  };
}

function suggest(given: string, known: readonly string[]): string {
  const c = closest(given, known);
  return c === null ? '' : ` Did you mean '${c}'?`;
}
