/**
 * A user's own interaction, written in a TypeScript file like a patch file:
 *
 * ```ts
 * import { defineScenario, get_user_pages_fast, FOLL_PIN, ... } from 'racewalk/model';
 * export default defineScenario({ name: 'my-gup-vs-numa', description, kernel: 'v6.6',
 *   geometry, world: (b) => b..., threads: (k) => [...] });
 * ```
 *
 * `racewalk explore|replay|check-patch|list --scenario-file FILE` load it (src/scenarios/load.ts);
 * a file may export several scenarios (the default export, named exports, or arrays of them).
 * Everything is validated when racewalk loads the file, with errors pointing at the file and line.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Scenario } from './scenario.js';

/** What `defineScenario` takes: a Scenario whose known races and clean configurations are optional. */
export type ScenarioSpec = Omit<Scenario, 'knownRaces' | 'cleanConfigs' | 'file'> & Partial<Pick<Scenario, 'knownRaces' | 'cleanConfigs'>>;

/** Marks a scenario declared with defineScenario; `Symbol.for` so another copy of racewalk recognises it. */
export const SCENARIO_BRAND: unique symbol = Symbol.for('racewalk.scenario') as never;

export type DefinedScenario = Scenario & { readonly [SCENARIO_BRAND]: true };

const RACEWALK_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Declare a scenario. Records the file that declared it, so that the replay command printed for
 * its counterexamples names that file (`racewalk replay --scenario-file FILE ...`).
 */
export function defineScenario(spec: ScenarioSpec): DefinedScenario {
  return { knownRaces: [], cleanConfigs: [], ...spec, file: callerFile(), [SCENARIO_BRAND]: true };
}

export function isDefinedScenario(v: unknown): v is DefinedScenario {
  return typeof v === 'object' && v !== null && (v as { [SCENARIO_BRAND]?: true })[SCENARIO_BRAND] === true;
}

/** The first stack frame outside racewalk's src/: the module that called defineScenario. */
function callerFile(): string | undefined {
  const stack = new Error().stack ?? '';
  for (const raw of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+?):\d+:\d+\)?\s*$/.exec(raw.trim());
    if (m === null) continue;
    let f = m[1]!;
    if (f.startsWith('node:')) continue;
    if (f.startsWith('file://')) {
      try {
        f = fileURLToPath(f);
      } catch {
        continue;
      }
    }
    if (!f.startsWith(RACEWALK_SRC + '/') && /\.(ts|mts|js|mjs)$/.test(f)) return f;
  }
  return undefined;
}
