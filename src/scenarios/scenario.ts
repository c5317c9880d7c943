/**
 * A scenario: the threads (one per CPU), the initial world, the invariants, and the known races
 * it is meant to find. `buildProgram` turns a scenario plus variant/env choices into a Program
 * the explorer runs.
 */
import type { Program, ThreadSpec } from '../core/execution.js';
import type { KernelMachine, KernelState, Geometry } from '../kernel/world.js';
import { SECRETMEM_MAPPING, WorldBuilder } from '../kernel/world.js';
import type { Env, K } from '../kernel/mm.js';
import { DEFAULT_ENV, ENV_CHOICES } from '../kernel/mm.js';
import { DEFAULT_INVARIANTS, type KernelInvariant } from '../kernel/invariants.js';
import { ghostMonitor } from '../kernel/ghosts.js';
import { findPath, PATHS, type VariantDef } from '../kernel/paths/registry.js';
import { reachOf } from './reach.js';
import { UsageError, closest } from '../core/errors.js';
import { checkContracts, cmpVersion, FEATURES, type ContractParty, type FeatureName, type Inapplicable, type KernelRange } from '../kernel/contracts.js';

/**
 * A configuration that no kernel ever ran (code of one era under callers of another): refused
 * before exploring, exit 2 like any bad input; whole-corpus runs report it "not applicable".
 */
export class InapplicableError extends UsageError {
  constructor(readonly scenario: string, readonly inapplicable: Inapplicable) {
    super(inapplicable.reason);
  }
}

export interface KnownRace {
  /** the buggy variant(s) */
  readonly variants: Readonly<Record<string, string>>;
  /** environment the race needs, over the scenario's defaults */
  readonly env?: Partial<Env>;
  /** the invariant its counterexample violates */
  readonly invariant: string;
  readonly note: string;
  /**
   * The kernel commit that fixed it, as read from the kernel's history ('sha "subject" (vX.Y)'),
   * or MUTATION: not a kernel bug, a deliberate change to show what a check is for.
   */
  readonly fixedBy: string;
  /**
   * Set when seeded random schedules (fast-check's preemption points) do not reach the race in
   * the known-race suite's budget, with why; the suite then checks that iterative preemption
   * bounding finds it instead. The exhaustive DPOR check is the same for every race.
   */
  readonly beyondSampling?: string;
}

export { MUTATION } from '../kernel/contracts.js';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly kernel: string;
  /**
   * Contract: the kernel features this interaction drives, each with how (e.g. FOLL_PIN:
   * 'pin_user_pages_fast(FOLL_WRITE), unpin_user_page()'). Code whose range ends before a
   * feature's release is refused here (src/kernel/contracts.ts). Every built-in scenario
   * declares it (a test checks); a scenario without it drives none.
   */
  readonly drives?: Readonly<Partial<Record<FeatureName, string>>>;
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
  /**
   * For the era contract only: the releases the code selected for a path ran in, when that is
   * not the variant's own range. check-patch sets it for the baseline: the pre-patch code ran
   * in the tree the patch applies to (v4.4's gup_pte_range in the v4.5 tree that already has
   * the THP refcounting rework), whatever release it was first written for.
   */
  readonly contractRanges?: Readonly<Record<string, KernelRange>>;
  /**
   * Record every environment choice the program reads through `k.env` (its paths, and its
   * threads as the scenario builds them) into this set: reach.ts uses it to skip environments
   * that differ only in choices a program never reads.
   */
  readonly envReads?: Set<string>;
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
  /** the synchronization point removed (run.ts ablateProgram), as `kind@fn: stmt` */
  readonly ablated?: string;
  /** how often the removed point was met so far (an ablation that removed nothing is refused) */
  readonly ablation?: { readonly matched: number };
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
  const chosen = new Map<string, VariantDef>();
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
    const ran = opts.contractRanges?.[path];
    chosen.set(path, ran === undefined ? v : { ...v, range: ran });
    if (v.name !== 'faithful') {
      selected.set(path, v.fn);
      variants[path] = v.name;
    }
  }
  const refused = contractViolation(scenario, chosen);
  if (refused !== null) throw new InapplicableError(scenario.name, refused);
  const builder = scenario.world(new WorldBuilder(scenario.geometry));
  const reached = new Set<string>();
  const reads = opts.envReads;
  const kEnv = reads === undefined ? env : recordingEnv(env, reads);
  const impl = <F>(name: string, faithful: F): F => {
    reached.add(name);
    const f = selected.get(name);
    return (f ?? faithful) as F;
  };
  // one K per mm of the world: a thread's current->mm is the K it runs with (k.forMm(name))
  const mms = builder.mms();
  const ks: K[] = mms.map((mm) => ({
    L: builder.L,
    geo: scenario.geometry,
    env: kEnv,
    pmdTable: mm.pmdTable,
    mm_cpumask: mm.cpumask,
    mm: (f: number) => builder.L.mm(f, mm.id),
    forMm(name: string): K {
      const i = mms.findIndex((d) => d.name === name);
      if (i < 0) throw new UsageError(`scenario '${scenario.name}': k.forMm('${name}'): the world has no mm named '${name}' (its mms: ${mms.map((d) => d.name).join(', ')}; WorldBuilder.addMm adds one)`);
      return ks[i]!;
    },
    impl,
  }));
  const k = ks[0]!;
  const threads = scenario.threads(k);
  const newMachine = builder.build(threads.length);
  if (env.secretmem === 'n') refuseSecretmemWorld(scenario, newMachine());
  return {
    scenario,
    k,
    env,
    variants,
    reached,
    threads,
    // every ghost event is checked against its declaration as it is emitted (src/kernel/ghosts.ts)
    ghostMonitor,
    newMachine,
    invariants: scenario.invariants ?? DEFAULT_INVARIANTS,
    maxSteps: opts.maxSteps ?? scenario.maxSteps ?? 2000,
  };
}

/** `env`, read through getters that add each key read to `reads` */
function recordingEnv(env: Env, reads: Set<string>): Env {
  const out = {} as Record<string, unknown>;
  for (const key of Object.keys(env)) {
    Object.defineProperty(out, key, { enumerable: true, get: () => (reads.add(key), env[key as keyof Env]) });
  }
  return out as unknown as Env;
}

/** A scenario's world cannot be built in the environment asked for (it needs another choice). */
export class EnvRefusedError extends UsageError {}

/**
 * With CONFIG_SECRETMEM=n folio_is_secretmem() is a stub and the model skips its reads, which is
 * verdict-preserving only while no folio is a memfd_secret() one: a world that has one is
 * refused rather than explored with the check compiled out.
 */
function refuseSecretmemWorld(scenario: Scenario, m: KernelMachine): void {
  const L = m.world.L;
  for (let pfn = 0; pfn < scenario.geometry.nrPages; pfn++) {
    if (m.mem[L.mapping(pfn)] === SECRETMEM_MAPPING) {
      throw new EnvRefusedError(`scenario '${scenario.name}': page[${pfn}] belongs to a memfd_secret() file (SECRETMEM_MAPPING) but --env secretmem=n compiles folio_is_secretmem() out. Use --env secretmem=y (or env: { secretmem: 'y' } in the scenario)`);
    }
  }
}

function suggest(given: string, known: readonly string[]): string {
  const c = closest(given, known);
  return c === null ? '' : ` Did you mean '${c}'?`;
}

/**
 * The era contract of one configuration: every selected variant must have been written for
 * every feature the scenario drives and the code in force provides. Null: applicable.
 */
export function contractViolation(scenario: Scenario, chosen: ReadonlyMap<string, VariantDef>): Inapplicable | null {
  const parties: ContractParty[] = [];
  for (const [path, v] of chosen) if (v.name !== 'faithful') parties.push({ who: `${path}=${v.name}`, range: v.range, path });
  // the faithful code is the v6.6 kernel: nothing to check (and sizing a scenario's reach runs it)
  if (parties.length === 0) return null;
  const features = new Map<FeatureName, string>();
  for (const [f, how] of Object.entries(scenario.drives ?? {}) as [FeatureName, string][]) features.set(f, how);
  for (const path of new Set([...reachOf(scenario), ...chosen.keys()])) {
    const v = chosen.get(path) ?? findPath(path)?.variants[0];
    for (const f of v?.provides ?? []) if (!features.has(f)) features.set(f, `${path}=${v!.name} (${v!.kernel})`);
  }
  return checkContracts(scenario.name, features, parties, (party, feature) => {
    const path = party.path;
    const since = FEATURES[feature].since;
    const fits = (findPath(path)?.variants ?? []).filter((x) => x.mutation !== true && cmpVersion(x.range.to, since) >= 0).map((x) => `${path}=${x.name}`);
    return `Use instead: ${fits.length > 0 ? `the code of a release that has it (${fits.join(', ')})` : 'a variant written for it'}, or a scenario that does not drive it (see 'racewalk list' for what each scenario drives).`;
  });
}
