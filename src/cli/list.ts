import { SCENARIOS } from '../scenarios/index.js';
import { PATHS } from '../kernel/paths/registry.js';
import { reachOf } from '../scenarios/reach.js';
import { DEFAULT_INVARIANTS, REGRESSION_ORACLES, kernelAssertions } from '../kernel/invariants.js';
import { STRATEGIES } from '../sched/index.js';
import { ENV_CHOICES, DEFAULT_ENV } from '../kernel/mm.js';
import { JSON_FLAG, SCENARIO_FILE, command, defineCommand } from './options.js';
import { loadScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/scenario.js';
import { configLabel, expectations } from '../scenarios/matrix.js';
import { MUTATION } from '../scenarios/scenario.js';
import { fmtRange } from '../kernel/contracts.js';
import { pageFlags } from '../kernel/world.js';
import { ghostMeanings, KERNEL_GHOSTS } from '../kernel/ghosts.js';

export function listData(scenarios: readonly Scenario[] = SCENARIOS) {
  return {
    scenarios: scenarios.map((s) => ({
      name: s.name,
      ...(s.file !== undefined ? { file: s.file } : {}),
      /** the declared kernel functions the scenario reaches (a variant of any of them applies here) */
      paths: [...reachOf(s)],
      description: s.description,
      kernel: s.kernel,
      env: { ...DEFAULT_ENV, ...s.env },
      drives: { ...s.drives },
      knownRaces: s.knownRaces.map((r) => ({ variants: r.variants, env: r.env ?? {}, invariant: r.invariant, fixedBy: r.fixedBy, note: r.note })),
      cleanConfigs: s.cleanConfigs.map((c) => ({ variants: c.variants, env: c.env ?? {}, note: c.note })),
      // every configuration and what it gives here (src/scenarios/matrix.ts)
      expectations: expectations(s).map((c) => ({
        configuration: configLabel(c.variants, c.env),
        variants: c.variants,
        env: c.env,
        expect: c.class,
        ...(c.invariant !== undefined ? { invariant: c.invariant, fixedBy: c.fixedBy } : {}),
        ...(c.inapplicable !== undefined ? { reason: c.inapplicable.reason } : {}),
        ...(c.note !== undefined ? { note: c.note } : {}),
      })),
    })),
    paths: PATHS.map((p) => ({
      name: p.name,
      kernel: p.kernel,
      source: p.source,
      aliases: [...p.aliases],
      description: p.description,
      variants: p.variants.map((v) => ({ name: v.name, description: v.description, kernel: v.kernel, range: v.range, provides: [...(v.provides ?? [])] })),
    })),
    invariants: [...DEFAULT_INVARIANTS.map((i) => ({ name: i.name, description: i.description, ...(REGRESSION_ORACLES[i.name] !== undefined ? { regressionOracle: REGRESSION_ORACLES[i.name] } : {}) })), ...kernelAssertions],
    strategies: STRATEGIES.map((s) => ({ name: s.name, description: s.description, exhaustive: s.exhaustive })),
    env: Object.entries(ENV_CHOICES).map(([name, c]) => ({ name, values: [...c.values], default: DEFAULT_ENV[name as keyof typeof DEFAULT_ENV], description: c.description })),
    pageFlags: pageFlags().map((f) => ({ name: `PG_${f.name}`, mask: f.bit, meaning: f.meaning, builtin: f.builtin })),
    ghosts: Object.entries(ghostMeanings()).map(([type, meaning]) => ({ type, meaning, builtin: type in KERNEL_GHOSTS })),
  };
}

/**
 * README's scenario table (section "Scenarios and known races"), generated: `racewalk list
 * --markdown`; properties/readme.test.ts fails when README.md differs from it.
 */
export function scenarioTableMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = ['| scenario | drives | known races (configuration → invariant; fixed by) | clean | not applicable |', '| --- | --- | --- | --- | --- |'];
  for (const s of listData().scenarios) {
    const drives = Object.keys(s.drives).join(', ') || '—';
    const races = s.expectations.filter((c) => c.expect === 'known-race').map((c) => `${c.configuration} → \`${c.invariant}\`; ${c.fixedBy === MUTATION ? '*deliberate mutation*' : c.fixedBy}`);
    const clean = s.expectations.filter((c) => c.expect === 'clean').map((c) => c.configuration);
    const na = s.expectations.filter((c) => c.expect === 'not-applicable').map((c) => c.configuration);
    rows.push(`| \`${s.name}\` | ${drives} | ${esc(races.join('<br>') || '—')} | ${esc(clean.join('; '))} | ${esc(na.join('; ') || '—')} |`);
  }
  return rows.join('\n') + '\n';
}

export const LIST_DECL = defineCommand({
  name: 'list',
  usage: ['list [--json | --markdown] [--scenario-file FILE.ts]'],
  description: 'Lists the scenarios (with their known races), the modelled paths and their variants, the invariants,\nthe search strategies and the environment choices. With --scenario-file, the scenarios are that file\'s\n(with the functions each reaches, found by exploring it).',
  options: {
    json: { ...JSON_FLAG, help: 'print everything as one JSON document (the contract other tools build on)' },
    'scenario-file': SCENARIO_FILE,
    markdown: { kind: 'flag', help: "print README's scenario table: per scenario, its known races (with the fixing commit), clean and not-applicable configurations" },
  },
  exit: '0, or 2 on bad usage.',
});

export const LIST = command({
  decl: LIST_DECL,
  summary: 'scenarios, paths and variants, invariants, strategies, environment',
  run: ({ values }, io) => listCommand(values, (s) => io.out(s)),
});

export async function listCommand(values: { readonly json: boolean; readonly markdown?: boolean; readonly 'scenario-file'?: string }, out: (s: string) => void): Promise<number> {
  const file = values['scenario-file'];
  const d = listData(file === undefined ? SCENARIOS : (await loadScenarioFile(file)).scenarios);
  if (values.markdown) {
    out(scenarioTableMarkdown());
    return 0;
  }
  if (values.json) {
    out(JSON.stringify(d, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  lines.push('Scenarios:');
  for (const s of d.scenarios) {
    lines.push(`  ${s.name}  (Linux ${s.kernel})`);
    lines.push(`      ${s.description}`);
    if (file !== undefined) lines.push(`      reaches: ${s.paths.join(', ')}`);
    const drives = Object.entries(s.drives);
    if (drives.length > 0) lines.push(`      drives: ${drives.map(([f, how]) => `${f} (${how})`).join('; ')}`);
    for (const c of s.expectations) {
      if (c.expect === 'known-race') lines.push(`      race   ${c.configuration} -> ${c.invariant}; fixed by ${c.fixedBy}`);
      else if (c.expect === 'clean') lines.push(`      clean  ${c.configuration}`);
      else if (c.expect === 'not-applicable') lines.push(`      n/a    ${c.configuration}: needs ${c.reason!.match(/with (.*?) \(/)?.[1] ?? 'a newer kernel'}`);
      else lines.push(`      ?      ${c.configuration} (no expectation declared)`);
    }
  }
  lines.push('', 'Paths and variants:');
  for (const p of d.paths.filter((x) => x.variants.length > 1)) {
    lines.push(`  ${p.name}  (${p.source}, ${p.kernel}${p.aliases.length ? `; also ${p.aliases.join(', ')}` : ''})`);
    for (const v of p.variants) lines.push(`      ${v.name.padEnd(24)} [${fmtRange(v.range)}] ${v.description}`);
  }
  const plain = d.paths.filter((x) => x.variants.length === 1);
  lines.push('', `Other replaceable functions (faithful only; a patch file may replace any of them, see racewalk list --json):`);
  for (let i = 0; i < plain.length; i += 6) lines.push(`  ${plain.slice(i, i + 6).map((p) => p.name).join(', ')}`);
  lines.push('', 'Invariants:');
  for (const i of d.invariants) {
    const oracle = 'regressionOracle' in i && i.regressionOracle !== undefined ? ` [regression oracle, not a kernel guarantee: ${i.regressionOracle}]` : '';
    lines.push(`  ${i.name.padEnd(28)} ${i.description}${oracle}`);
  }
  lines.push('', 'Strategies:');
  for (const s of d.strategies) lines.push(`  ${s.name.padEnd(12)} ${s.description}`);
  lines.push('', 'Environment (--env NAME=VALUE):');
  for (const e of d.env) lines.push(`  ${e.name.padEnd(8)} ${e.values.join(' | ')} (default ${e.default}): ${e.description}`);
  // what a scenario or patch file declared (definePageFlag, defineGhost) is listed with the model's
  const mine = (b: boolean) => (b ? '' : '  [declared by the file]');
  lines.push('', 'Page flags (traces show them without PG_):');
  for (const f of d.pageFlags) lines.push(`  ${f.name.padEnd(18)} ${f.meaning}${mine(f.builtin)}`);
  lines.push('', 'Ghost events (racewalk\'s annotations in traces, read by invariants):');
  for (const g of d.ghosts) lines.push(`  ${g.type.padEnd(18)} ${g.meaning}${mine(g.builtin)}`);
  out(lines.join('\n') + '\n');
  return 0;
}
