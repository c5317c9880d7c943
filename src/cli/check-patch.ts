import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Env } from '../kernel/mm.js';
import { loadPatch } from '../patch/load.js';
import { CHECK_PATCH_DEFAULTS, checkPatch } from '../patch/run.js';
import { diffJson, renderDiff } from '../patch/render.js';
import { ensureWritableDir, reportStem, writeFileAtomic } from '../report/write.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import { renderText } from '../report/text.js';
import { intOption, parse, parseAssignments } from './args.js';
import type { Io } from './main.js';
import { loadScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/scenario.js';

export const CHECK_PATCH_HELP = `racewalk check-patch FILE.ts [--baseline PATH=VARIANT]... [--scenario NAME]... [--scenario-file F.ts]... [--env NAME=VALUE]...
                 [--strategy NAME] [--preemptions N] [--max-executions N] [--max-steps N] [--out DIR] [--json]
  Runs the baseline (racewalk's model, or the file's \`baseline\`) and the patched code from FILE
  side by side over the patch's own scenarios, those of --scenario-file, and every built-in
  scenario that reaches a patched function (each scenario run or skipped is listed, with why),
  with the same bounds (default:
  strategy ${DEFAULT_STRATEGY}, no preemption bound, --max-executions ${CHECK_PATCH_DEFAULTS.maxExecutions}), and prints a table of
  verdicts plus the minimal trace of every violation the patch introduces (their reports go to
  --out, default reports/). See docs/patch-workflow.md.
  Exit: 0 the patch introduces no violation, 1 it does, 2 bad usage or an error in FILE, 3 internal error.`;

export async function checkPatchCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    options: {
      baseline: { type: 'string', multiple: true },
      scenario: { type: 'string', multiple: true },
      'scenario-file': { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      strategy: { type: 'string' },
      seed: { type: 'string' },
      preemptions: { type: 'string' },
      'max-executions': { type: 'string' },
      'max-steps': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    throw new UsageError(`check-patch takes one patch file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}: racewalk check-patch ./my-patch.ts (see docs/patch-workflow.md)`);
  }
  const baseline = parseAssignments(values.baseline, '--baseline', 'PATH=VARIANT (a built-in variant, see racewalk list)');
  const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
  const extraScenarios: Scenario[] = [];
  for (const f of values['scenario-file'] ?? []) extraScenarios.push(...(await loadScenarioFile(f)).scenarios);
  const patch = await loadPatch(positionals[0]!, { scenarios: values.scenario, extraScenarios });
  ensureWritableDir(values.out ?? 'reports'); // fail now, not after the search
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let diff;
  try {
    diff = await checkPatch(patch, {
      baseline,
      env,
      strategy: values.strategy,
      seed: intOption(values.seed, '--seed', 1, 0, 2 ** 32 - 1),
      preemptions: values.preemptions === undefined ? undefined : intOption(values.preemptions, '--preemptions', 0, 0, 1000),
      maxExecutions: values['max-executions'] === undefined ? undefined : intOption(values['max-executions'], '--max-executions', 0, 1, 1_000_000_000),
      maxSteps: values['max-steps'] === undefined ? undefined : intOption(values['max-steps'], '--max-steps', 2000, 1, 10_000_000),
      shouldStop: () => stop,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
  const outDir = values.out ?? 'reports';
  const written: string[] = [];
  for (const r of diff.rows) {
    if (r.status !== 'new-violation') continue;
    const stem = join(outDir, reportStem(r.patched.report.scenario, r.patched.report.variants));
    writeFileAtomic(`${stem}.json`, JSON.stringify(r.patched.report, null, 2) + '\n');
    writeFileAtomic(`${stem}.txt`, renderText(r.patched.report));
    written.push(`${stem}.json`);
  }
  if (values.json) io.out(JSON.stringify({ ...diffJson(diff), reports: written }) + '\n');
  else {
    io.out(renderDiff(diff));
    if (written.length > 0) io.out(`\n  reports: ${written.join(', ')}\n`);
  }
  return diff.introduced ? 1 : 0;
}
