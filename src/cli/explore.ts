import { join } from 'node:path';
import { pointSlug } from '../sched/ablation.js';
import { checkJobs } from '../sched/parallel.js';
import { parseShard } from '../sched/shard.js';
import { shardBlock, shardSuffix } from './merge.js';
import { DEFAULT_SCENARIO } from '../scenarios/index.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import { renderText, verdictLine, minimizationLine, replayCommand } from '../report/text.js';
import { FORMATS, findReporter } from '../report/index.js';
import { reportStem, ensureWritableDir } from '../report/write.js';
import type { Report } from '../report/trace.js';
import type { Env } from '../kernel/mm.js';
import {
  ABLATE, COLOR, ENV, JSON_FLAG, SCENARIO_FILE, MAX_EXECUTIONS, MAX_STEPS, NO_COLOR, NO_COMMUTING_ADDS, OUT, PREEMPTIONS, QUIET, SCENARIO, SEED, STRATEGY, VARIANT,
  command, defineCommand, parseAssignments, type Values,
} from './options.js';
import type { Io } from './main.js';
import { explorePatchCommand } from './explore-patch.js';
import { crossCheckScenarios, formatCrossCheck } from '../run.js';
import { exitCode, filesOf, reportFailures } from './emit.js';
import { writeAll } from '../report/write.js';
import { asTyped, useColor } from './terminal.js';
import { interrupted } from './signals.js';
import { kernelProfile, parseRelease } from '../scenarios/profile.js';
import { resolveScenario } from '../run.js';
import { blameScenarioFile, loadScenarioFile, pickScenario } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/scenario.js';

const PATCH_NO_SHARDS = "a patch file runs in every scenario it reaches and writes one report each, while shards are parts of one scenario's run; shard one scenario's run with --variant, or use --jobs";

export const EXPLORE_DECL = defineCommand({
  name: 'explore',
  usage: ['explore [--scenario NAME] [--variant PATH=VARIANT]... [--env NAME=VALUE]... [options]', 'explore --scenario-file FILE.ts [--scenario NAME] [options]', 'explore --variant-file FILE.ts [--scenario NAME] [--scenario-file FILE.ts] [options]'],
  description: `Explores interleavings of the scenario's CPUs, minimizes a counterexample (fewest preemptions,
then fewest steps), prints it (--format, default text) and writes the report
(<out>/<scenario>[--variants].json, .txt, .md and .html; the JSON, the replay artifact, first).
Progress goes to stderr: a live status line when stderr is a terminal, a one-line summary otherwise.
With --scenario-file, explores the scenarios FILE declares with defineScenario (each in turn, or
--scenario NAME; docs/scenarios.md).
With --variant-file, runs the patched functions FILE defines against every scenario that
exercises them (or --scenario) and reports per scenario (docs/patch-workflow.md).
--shard i/n explores the i-th of n deterministic parts of the run (merge the n reports with
'racewalk merge'); --jobs N explores on N worker threads and merges in-process.`,
  options: {
    scenario: SCENARIO,
    variant: VARIANT,
    env: ENV,
    kernel: { kind: 'string', value: 'vX.Y', help: "explore that release as shipped: every reached function runs its variant transcribing vX.Y (explicit --variant wins); the report header names the functions that fall back to the v6.6 model. Documented profiles: v4.5, v5.19, v6.6", refusedWith: { 'variant-file': 'a patch file carries its own era (definePatch range/kernel); run it without --kernel' } },
    'scenario-file': SCENARIO_FILE,
    'variant-file': { kind: 'string', value: 'FILE.ts', help: 'a patch file (definePatch): run its functions in every scenario that exercises them. It is code and runs with your rights, like a test file' },
    strategy: STRATEGY,
    seed: SEED,
    preemptions: PREEMPTIONS,
    'max-executions': MAX_EXECUTIONS,
    'max-steps': MAX_STEPS,
    'pct-depth': { kind: 'int', value: 'N', help: 'bug depth of the pct strategy', default: 3, min: 1, max: 100 },
    'no-commuting-adds': NO_COMMUTING_ADDS,
    shard: { kind: 'string', value: 'i/n', help: "explore only the i-th of n deterministic parts of the run (1 <= i <= n; merge with 'racewalk merge')", refusedWith: { 'variant-file': PATCH_NO_SHARDS } },
    jobs: { kind: 'int', value: 'N', help: 'explore on N worker threads (each loads a --scenario-file or --variant-file again)', default: 1, min: 1, max: 64 },
    out: OUT,
    format: { kind: 'string', value: 'F', help: 'what is printed on stdout: the report in this format', default: 'text', choices: () => FORMATS, refusedWith: { json: '--json prints the one-line summary instead of a report; give one of them' } },
    json: JSON_FLAG,
    quiet: { ...QUIET, refusedWith: { json: '--json prints the one-line summary; give one of them', format: '--format prints the whole report; give one of them' } },
    color: COLOR,
    'no-color': NO_COLOR,
    ablate: { ...ABLATE, refusedWith: { 'variant-file': "a patch file runs in every scenario it reaches; ablate one scenario's run: racewalk explore --scenario NAME --ablate KEY", 'cross-check': 'the cross-check generates its own sync-dropping mutants' } },
    'cross-check': { kind: 'flag', help: 'instead of exploring: compare DPOR with full and bounded DFS, PCT, random walk, DPOR without commuting adds and shards on the scenario (default: every scenario), its configurations and generated sync-dropping and move-a-store mutants; exit 1 on any disagreement', refusedWith: { 'variant-file': 'the cross-check runs the registered scenarios and variants; run it without --variant-file', 'scenario-file': 'the cross-check runs the registered scenarios; run it without --scenario-file' } },
  },
  exit: '0 no violation, 1 violation found (even when a report file could not be written), 2 bad usage or input, 3 internal error.',
});

export const EXPLORE = command({
  decl: EXPLORE_DECL,
  summary: 'explore interleavings of a scenario (or a patch file) and report a minimized counterexample',
  searches: true,
  run: ({ values, given }, io) => exploreCommand(values, given, io),
});

type ExploreValues = Values<typeof EXPLORE_DECL.options>;

async function exploreCommand(values: ExploreValues, given: ReadonlySet<string>, io: Required<Io>): Promise<number> {
  if (values['cross-check'] === true) {
    const r = crossCheckScenarios({ scenarios: given.has('scenario') && values.scenario !== undefined ? [values.scenario] : undefined });
    io.out(formatCrossCheck(r));
    return r.disagreements.length > 0 ? 1 : 0;
  }
  const variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT (see racewalk list)');
  const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
  const preemptions = values.preemptions ?? Infinity;
  const outDir = values.out ?? 'reports';
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const reporter = findReporter(values.format ?? 'text');
  const color = useColor(io.isTTY, values, io.env);
  const file = values['scenario-file'] === undefined ? null : await loadScenarioFile(values['scenario-file']);
  if (values['variant-file'] !== undefined) {
    // a user-written patch: run it against every scenario that exercises the paths it replaces
    return explorePatchCommand(values['variant-file'], {
      scenario: given.has('scenario') ? values.scenario : undefined, extraScenarios: file?.scenarios, variants, env, strategy: values.strategy, seed: values.seed, preemptions, maxExecutions: values['max-executions'], maxSteps: values['max-steps'],
      pctDepth: given.has('pct-depth') ? values['pct-depth'] : undefined, outDir, json: values.json, quiet: values.quiet, format: given.has('format') ? reporter.name : undefined, color,
      jobs: values.jobs, scenarioFile: file?.file, commute: values['no-commuting-adds'] === true ? false : undefined,
    }, io);
  }
  let scenario: string | Scenario = values.scenario ?? DEFAULT_SCENARIO;
  if (file !== null) {
    const picked = pickScenario(file, given.has('scenario') ? values.scenario : undefined);
    if (picked.length > 1) {
      // every scenario of the file in turn; the exit code is the worst one
      let rc = 0;
      for (const s of picked) rc = Math.max(rc, await exploreCommand({ ...values, scenario: s.name }, new Set([...given, 'scenario']), io));
      return rc;
    }
    scenario = picked[0]!;
  }
  ensureWritableDir(outDir); // fail now, not after a long search whose counterexample cannot be saved
  const started = performance.now();
  let lastDrawn = -Infinity;
  // the live line is for a person watching stderr; NO_COLOR takes only the colours away
  const progress = io.progressTTY && !values.quiet && !values.json;
  const pctDepth = given.has('pct-depth') ? values['pct-depth'] : undefined;
  // async: the signal handlers (main) run between executions, and the search stops cleanly
  // --kernel: the release's variants under the explicit ones (also for worker threads, which load variants by name)
  const profiled = values.kernel === undefined ? variants : { ...kernelProfile(resolveScenario(scenario), parseRelease(values.kernel)).variants, ...variants };
  const result = await checkJobs(values.jobs, {
    scenario,
    variants: profiled,
    kernel: values.kernel,
    env,
    strategy: values.strategy ?? DEFAULT_STRATEGY,
    seed: values.seed,
    preemptions,
    maxExecutions: values['max-executions'],
    maxSteps: values['max-steps'],
    pctDepth,
    ...(values['no-commuting-adds'] === true ? { commute: false } : {}),
    shard,
    ...(values.ablate !== undefined ? { ablate: values.ablate } : {}),
    ...(file !== null ? { sources: { scenarioFile: file.file } } : {}),
    shouldStop: interrupted,
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
  if (progress) io.err('\r' + ' '.repeat(72) + '\r');
  if (file !== null) blameScenarioFile(file, result);
  const secs = (performance.now() - started) / 1000;
  const { explored } = result;
  // a shard's report carries what its siblings must match, for 'racewalk merge'
  const report: Report = shard === undefined ? result.report : { ...result.report, shard: shardBlock(shard, { strategy: result.report.strategy, preemptions: Number.isFinite(preemptions) ? preemptions : null, seed: values.seed, pctDepth: pctDepth ?? null, maxSteps: values['max-steps'] ?? null, maxExecutions: values['max-executions'] }, explored) } as Report;
  const stem = join(outDir, reportStem(report.scenario, report.variants) + (report.ablated !== undefined ? `--ablate-${pointSlug(report.ablated)}` : '') + shardSuffix(shard));
  const files = filesOf(stem, report);
  const replay = report.schedule === null ? null : asTyped(replayCommand(report), io.command);
  if (!values.quiet && !values.json) {
    // the one-line summary (stderr): what was searched, how fast, and what minimization did
    const m = report.minimization ? `; ${minimizationLine(report)}` : '';
    io.err(`  ${explored.executions} executions in ${secs.toFixed(2)} s (${Math.round(explored.executions / Math.max(secs, 1e-9))}/s, ${Math.round(explored.steps / Math.max(secs, 1e-9))} steps/s), max depth ${explored.maxDepth}, violations ${explored.failing?.violation ? 1 : 0}${m}\n`);
  }
  // what was found reaches stdout (or, with --json, the JSON report) before any other file is written
  if (values.json) {
    const first = writeAll(files.slice(0, 1), io.writeFile);
    io.out(
      JSON.stringify({
        verdict: report.verdict,
        invariant: report.invariant,
        sequential: report.sequential ?? null,
        message: report.message,
        schedule: report.schedule,
        replay,
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
        report: first.written.length === 1 ? files[0]![0] : null,
      }) + '\n',
    );
    const rest = writeAll(files.slice(1), io.writeFile);
    const all = { written: [...first.written, ...rest.written], failed: [...first.failed, ...rest.failed] };
    reportFailures(io, all, report.schedule !== null);
    return exitCode(report.verdict, all);
  }
  if (values.quiet) {
    io.out(verdictLine(report) + '\n' + (replay === null ? '' : `  replay: ${replay}\n`));
  } else if (reporter.name !== 'text') {
    io.out(reporter.render(report));
  } else {
    io.out(renderText(report, { color, width: io.isTTY ? io.columns : undefined, replay: replay ?? undefined }));
  }
  const outcome = writeAll(files, io.writeFile);
  if (!values.quiet && reporter.name === 'text' && outcome.written.length > 0) io.out(`\n  report: ${outcome.written.join(', ')}\n`);
  reportFailures(io, outcome, report.schedule !== null);
  return exitCode(report.verdict, outcome);
}
