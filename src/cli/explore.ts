import { join } from 'node:path';
import { checkJobs } from '../sched/parallel.js';
import { parseShard } from '../sched/shard.js';
import { shardBlock, shardSuffix } from './merge.js';
import { DEFAULT_SCENARIO } from '../scenarios/index.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import { renderText, verdictLine, colorizer, minimizationLine } from '../report/text.js';
import { FORMATS, REPORTERS, findReporter } from '../report/index.js';
import { writeFileAtomic, reportStem, ensureWritableDir } from '../report/write.js';
import type { Env } from '../kernel/mm.js';
import { UsageError } from '../core/errors.js';
import { intOption, parse, parseAssignments } from './args.js';
import type { Io } from './main.js';
import { explorePatchCommand } from './explore-patch.js';
import { crossCheckScenarios, formatCrossCheck } from '../run.js';

export const EXPLORE_HELP = `racewalk explore [--scenario NAME] [--variant PATH=VARIANT]... [--env NAME=VALUE]...
                 [--strategy NAME] [--seed N] [--preemptions N] [--max-executions N]
                 [--max-steps N] [--out DIR] [--json] [--quiet] [--format text|md|html|json]
                 [--pct-depth N] [--shard i/n] [--jobs N]
racewalk explore --cross-check [--scenario NAME]
racewalk explore --variant-file FILE.ts [options above]
  Explores interleavings of the scenario's CPUs, minimizes a counterexample (fewest preemptions,
  then fewest steps), prints it (--format, default text) and writes the report
  (<out>/<scenario>[--variants].txt, .md, .html and .json; default out: reports/).
  Progress goes to stderr: a live status line on a TTY, a one-line summary otherwise.
  With --variant-file, runs the patched functions FILE defines against every scenario that
  exercises them (or --scenario) and reports per scenario (docs/patch-workflow.md).
  --shard i/n explores the i-th of n deterministic parts of the run (merge the n reports with
  'racewalk merge'); --jobs N explores on N worker threads and merges in-process.
  --cross-check compares DPOR with full and bounded DFS, PCT, random walk and shards on the
  scenario (default: every scenario), its configurations and generated sync-dropping mutants.
  Exit: 0 no violation, 1 violation found, 2 bad usage or input, 3 internal error.`;

export async function exploreCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse({
    args: argv,
    options: {
    scenario: { type: 'string' },
    variant: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    strategy: { type: 'string' },
    seed: { type: 'string' },
    preemptions: { type: 'string' },
    'max-executions': { type: 'string' },
    'max-steps': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    format: { type: 'string' },
    'variant-file': { type: 'string' },
    shard: { type: 'string' },
    jobs: { type: 'string' },
    'pct-depth': { type: 'string' },
    'cross-check': { type: 'boolean' },
    },
  });
  if (values['cross-check'] === true) {
    const r = crossCheckScenarios({ scenarios: values.scenario !== undefined ? [values.scenario] : undefined });
    io.out(formatCrossCheck(r));
    return r.disagreements.length > 0 ? 1 : 0;
  }
  const scenario = values.scenario ?? DEFAULT_SCENARIO;
  const variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT (see racewalk list)');
  const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
  const seed = intOption(values.seed, '--seed', 1, 0, 2 ** 32 - 1);
  const preemptions = values.preemptions === undefined ? Infinity : intOption(values.preemptions, '--preemptions', 0, 0, 1000);
  const maxExecutions = intOption(values['max-executions'], '--max-executions', 200_000, 1, 1_000_000_000);
  const maxSteps = values['max-steps'] === undefined ? undefined : intOption(values['max-steps'], '--max-steps', 2000, 1, 10_000_000);
  const outDir = values.out ?? 'reports';
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const jobs = intOption(values.jobs, '--jobs', 1, 1, 64);
  const pctDepth = values['pct-depth'] === undefined ? undefined : intOption(values['pct-depth'], '--pct-depth', 3, 1, 100);
  if (values.json && values.format !== undefined) throw new UsageError(`--json prints the one-line summary and --format ${values.format} the whole report; give one (formats: ${FORMATS.join(', ')})`);
  const reporter = values.format === undefined ? null : findReporter(values.format);
  if (values['variant-file'] !== undefined) {
    // a user-written patch: run it against every scenario that exercises the paths it replaces
    return explorePatchCommand(values['variant-file'], { scenario: values.scenario, variants, env, strategy: values.strategy, seed, preemptions, maxExecutions, maxSteps, outDir, json: values.json, quiet: values.quiet }, io);
  }

  ensureWritableDir(outDir); // fail now, not after a long search whose counterexample cannot be saved
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const started = performance.now();
  let lastDrawn = -Infinity;
  const progress = io.isTTY && !values.quiet && !values.json;
  let result;
  try {
    // async: the signal handlers above run between executions, and the search stops cleanly
    result = await checkJobs(jobs, {
      scenario,
      variants,
      env,
      strategy: values.strategy ?? DEFAULT_STRATEGY,
      seed,
      preemptions,
      maxExecutions,
      maxSteps,
      pctDepth,
      shard,
      shouldStop: () => stop,
      // the status line: asked for often, redrawn at most ~10 times a second
      progressEvery: progress ? 50 : undefined,
      onProgress: progress
        ? (p) => {
            const now = performance.now();
            if (now - lastDrawn < 100) return;
            lastDrawn = now;
            const secs = (now - started) / 1000;
            io.err(`\r  ${p.executions} executions, ${Math.round(p.executions / secs)}/s, depth ${p.maxDepth}, violations ${p.violations}   `);
          }
        : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
  if (progress) io.err('\r' + ' '.repeat(72) + '\r');
  const secs = (performance.now() - started) / 1000;
  const { explored } = result;
  // a shard's report carries what its siblings must match, for 'racewalk merge'
  const report = shard === undefined ? result.report : { ...result.report, shard: shardBlock(shard, { strategy: result.report.strategy, preemptions: Number.isFinite(preemptions) ? preemptions : null, seed, pctDepth: pctDepth ?? null, maxSteps: maxSteps ?? null, maxExecutions }, explored) };
  const stem = join(outDir, reportStem(report.scenario, report.variants) + shardSuffix(shard));
  for (const r of Object.values(REPORTERS)) writeFileAtomic(`${stem}.${r.ext}`, r.render(report));
  if (!values.quiet && !values.json) {
    // the one-line summary (stderr): what was searched, how fast, and what minimization did
    const m = report.minimization ? `; ${minimizationLine(report)}` : '';
    io.err(`  ${explored.executions} executions in ${secs.toFixed(2)} s (${Math.round(explored.executions / Math.max(secs, 1e-9))}/s, ${Math.round(explored.steps / Math.max(secs, 1e-9))} steps/s), max depth ${explored.maxDepth}, violations ${explored.failing?.violation ? 1 : 0}${m}\n`);
  }
  if (values.json) {
    io.out(
      JSON.stringify({
        verdict: report.verdict,
        invariant: report.invariant,
        message: report.message,
        schedule: report.schedule,
        executions: report.executions,
        steps: report.steps,
        exhaustive: report.exhaustive,
        bounds: report.bounds,
        strategy: report.strategy,
        scenario: report.scenario,
        variants: report.variants,
        env: report.env,
        counterexampleSteps: report.trace.length,
        minimization: report.minimization ? { original: report.minimization.original, minimized: report.minimization.minimized } : null,
        report: `${stem}.json`,
      }) + '\n',
    );
  } else if (values.quiet) {
    io.out(verdictLine(report) + '\n');
  } else if (reporter !== null && reporter.name !== 'text') {
    io.out(reporter.render(report));
  } else {
    io.out(renderText(report, { color: io.isTTY, width: process.stdout.columns }));
    io.out(`\n  report: ${Object.values(REPORTERS).map((r) => `${stem}.${r.ext}`).join(', ')}\n`);
  }
  void colorizer;
  if (report.verdict === 'violation') return 1;
  if (report.verdict === 'model-error') return 3;
  return 0;
}
