import { join } from 'node:path';
import type { Env } from '../kernel/mm.js';
import { loadPatch } from '../patch/load.js';
import { CHECK_PATCH_DEFAULTS, checkPatch } from '../patch/run.js';
import { diffJson, renderDiff } from '../patch/render.js';
import { ensureWritableDir, reportStem, writeAll } from '../report/write.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import { renderText } from '../report/text.js';
import { renderJson } from '../report/json.js';
import type { Io } from './main.js';
import { SCENARIO_FILE, ENV, JSON_FLAG, MAX_EXECUTIONS, MAX_STEPS, NO_COMMUTING_ADDS, OUT, PREEMPTIONS, SEED, STRATEGY, command, defineCommand, parseAssignments } from './options.js';
import { reportFailures } from './emit.js';
import { loadScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/scenario.js';
import { interrupted } from './signals.js';
import { asTyped } from './terminal.js';
import { UsageError } from '../core/errors.js';

export const CHECK_PATCH_DECL = defineCommand({
  name: 'check-patch',
  usage: ['check-patch FILE.ts [--baseline PATH=VARIANT]... [--scenario NAME]... [--scenario-file F.ts]... [--env NAME=VALUE]... [options]'],
  description: `Runs the baseline (racewalk's model, or the file's \`baseline\`) and the patched code from FILE
side by side over the patch's own scenarios (definePatch({ scenarios })), those of --scenario-file, and
every built-in scenario that reaches a patched function (every scenario run or skipped is listed,
with why), with the same bounds (default:
strategy ${DEFAULT_STRATEGY}, no preemption bound, --max-executions ${CHECK_PATCH_DEFAULTS.maxExecutions}), and prints a table of
verdicts plus the minimal trace of every violation the patch introduces (their reports go to
--out). FILE is code: it runs with your rights, like a test file. See docs/patch-workflow.md.`,
  positionals: { name: 'FILE.ts', min: 1, max: 1, what: 'patch file' },
  options: {
    baseline: { kind: 'list', value: 'PATH=VARIANT', help: "a built-in variant the baseline runs for PATH, over the file's own baseline (see 'racewalk list')" },
    scenario: { kind: 'list', value: 'NAME', help: 'only these scenarios (a built-in one must reach a patched function; default: every one that does, and the patch\'s own)' },
    'scenario-file': { ...SCENARIO_FILE, kind: 'list', help: 'run the patch in the scenarios of this file too (defineScenario, docs/scenarios.md); repeatable' },
    env: ENV,
    strategy: STRATEGY,
    seed: SEED,
    preemptions: PREEMPTIONS,
    'max-executions': { ...MAX_EXECUTIONS, help: 'stop each of the runs after N executions', default: CHECK_PATCH_DEFAULTS.maxExecutions },
    'max-steps': MAX_STEPS,
    'no-commuting-adds': NO_COMMUTING_ADDS,
    out: OUT,
    json: JSON_FLAG,
  },
  exit: '0 the patch introduces no violation, 1 it does (even when a report file could not be written), 2 bad usage or an error in FILE, 3 internal error.',
});

export const CHECK_PATCH = command({
  decl: CHECK_PATCH_DECL,
  summary: "run a patch file and its baseline side by side: which violations the patch introduces or fixes",
  searches: true,
  run: async ({ values, positionals }, io) => {
    if (positionals.length !== 1) {
      throw new UsageError(`check-patch takes one patch file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}: racewalk check-patch ./my-patch.ts (see docs/patch-workflow.md)`);
    }
    const baseline = parseAssignments(values.baseline, '--baseline', 'PATH=VARIANT (a built-in variant, see racewalk list)');
    const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
    const extraScenarios: Scenario[] = [];
    for (const f of values['scenario-file']) extraScenarios.push(...(await loadScenarioFile(f)).scenarios);
    const patch = await loadPatch(positionals[0]!, { scenarios: values.scenario.length > 0 ? values.scenario : undefined, extraScenarios });
    const outDir = values.out ?? 'reports';
    ensureWritableDir(outDir); // fail now, not after the search
    const diff = await checkPatch(patch, {
      baseline,
      env,
      strategy: values.strategy,
      seed: values.seed,
      preemptions: values.preemptions,
      maxExecutions: values['max-executions'],
      maxSteps: values['max-steps'],
      ...(values['no-commuting-adds'] === true ? { commute: false } : {}),
      shouldStop: interrupted,
    });
    const files: [string, string][] = [];
    for (const r of diff.rows) {
      if (r.status !== 'new-violation') continue;
      const stem = join(outDir, reportStem(r.patched.report.scenario, r.patched.report.variants));
      files.push([`${stem}.json`, renderJson(r.patched.report)], [`${stem}.txt`, renderText(r.patched.report)]);
    }
    const jsonFiles = files.filter(([f]) => f.endsWith('.json'));
    if (values.json) {
      // the replay artifacts first, then the summary naming them, then the rest
      const first = writeAll(jsonFiles, io.writeFile);
      const dj = diffJson(diff);
      io.out(JSON.stringify({ ...dj, rows: dj.rows.map((r) => ({ ...r, replay: r.replay === null ? null : asTyped(r.replay, io.command) })), reports: first.written }) + '\n');
      const rest = writeAll(files.filter(([f]) => !f.endsWith('.json')), io.writeFile);
      reportFailures(io, { written: [...first.written, ...rest.written], failed: [...first.failed, ...rest.failed] }, diff.introduced);
      return diff.introduced ? 1 : first.failed.length + rest.failed.length > 0 ? 2 : 0;
    }
    io.out(renderDiff(diff, io.command));
    const outcome = writeAll([...jsonFiles, ...files.filter(([f]) => !f.endsWith('.json'))], io.writeFile);
    const written = outcome.written.filter((f) => f.endsWith('.json'));
    if (written.length > 0) io.out(`\n  reports: ${written.join(', ')}\n`);
    reportFailures(io, outcome, diff.introduced);
    return diff.introduced ? 1 : outcome.failed.length > 0 ? 2 : 0;
  },
});
