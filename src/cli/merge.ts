/**
 * `racewalk merge`: combine the reports of the shards of one run (`explore --shard i/n`, one CI
 * job each, as vitest and playwright shard) into one verdict. A violation in any shard is the
 * run's violation; the run is clean only if every shard 1..n is present, clean and exhaustive.
 */
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Report } from '../report/trace.js';
import { renderText, replayCommand, verdictLine } from '../report/text.js';
import { reportStem, writeAll } from '../report/write.js';
import { mergeSummaries, type ShardSpec, type ShardSummary } from '../sched/shard.js';
import { parseSchedule } from '../sched/schedule.js';
import type { ExploreResult, Verdict } from '../core/explore.js';
import { COLOR, JSON_FLAG, NO_COLOR, OUT, QUIET, command, defineCommand, type Values } from './options.js';
import { exitCode, filesOf, reportFailures } from './emit.js';
import { asTyped, sanitizeDeep, useColor } from './terminal.js';
import { loadReport } from './replay.js';
import type { Io } from './main.js';

/** What a shard's report records beyond the ordinary report, so that its siblings can be checked against it. */
export interface ShardBlock {
  readonly index: number;
  readonly count: number;
  /** everything that must be equal across the shards of one run */
  readonly run: {
    readonly strategy: string;
    readonly preemptions: number | null;
    readonly seed: number;
    readonly pctDepth: number | null;
    readonly maxSteps: number | null;
    readonly maxExecutions: number;
  };
  readonly maxDepth: number;
  readonly sleepBlocked: number;
}

export type ShardReport = Report & { readonly shard: ShardBlock };

export function shardBlock(shard: ShardSpec, run: ShardBlock['run'], explored: ExploreResult): ShardBlock {
  return { index: shard.index, count: shard.count, run, maxDepth: explored.maxDepth, sleepBlocked: explored.sleepBlocked };
}

/** file name suffix of a shard's report, so the shards of one run can share a folder */
export function shardSuffix(shard: ShardSpec | undefined): string {
  return shard === undefined ? '' : `--shard-${shard.index}-of-${shard.count}`;
}

function shardOf(r: Report, path: string): ShardBlock {
  const s = (r as Partial<ShardReport>).shard;
  const ok =
    typeof s === 'object' && s !== null && Number.isInteger(s.index) && Number.isInteger(s.count) && s.index >= 1 && s.index <= s.count &&
    typeof s.run === 'object' && s.run !== null && typeof s.run.strategy === 'string';
  if (!ok) throw new UsageError(`report '${path}' is not a shard report: it has no valid 'shard' block (write shard reports with 'racewalk explore --shard i/n')`);
  return s;
}

export interface Merged {
  readonly report: Report & { readonly shards: { readonly count: number; readonly present: readonly number[]; readonly files: readonly string[] } };
  readonly verdict: Verdict;
}

export function mergeReports(files: readonly { readonly path: string; readonly report: Report }[]): Merged {
  if (files.length === 0) throw new UsageError("merge needs the shard reports to merge: racewalk merge SHARD.json... (written by 'racewalk explore --shard i/n')");
  const first = files[0]!;
  const s0 = shardOf(first.report, first.path);
  const key = (r: Report, s: ShardBlock) => JSON.stringify({ scenario: r.scenario, variants: sorted(r.variants), env: sorted(r.env), count: s.count, run: s.run });
  const byIndex = new Map<number, { path: string; report: Report; shard: ShardBlock }>();
  for (const f of files) {
    const s = shardOf(f.report, f.path);
    if (key(f.report, s) !== key(first.report, s0)) {
      throw new UsageError(`'${f.path}' is a shard of a different run than '${first.path}': ${differences(first.report, s0, f.report, s)}. Merge only the shards of one 'racewalk explore --shard i/n' command line.`);
    }
    const dup = byIndex.get(s.index);
    if (dup !== undefined) throw new UsageError(`shard ${s.index}/${s.count} is given twice: '${dup.path}' and '${f.path}'`);
    byIndex.set(s.index, { ...f, shard: s });
  }
  const present = [...byIndex.keys()].sort((a, b) => a - b);
  const parts = present.map((i) => byIndex.get(i)!);
  const missing: string[] = [];
  for (let i = 1; i <= s0.count; i++) if (!byIndex.has(i)) missing.push(`${i}/${s0.count}`);
  const summaries: ShardSummary[] = parts.map(({ report: r, shard: s }) => ({
    verdict: r.verdict as Verdict,
    strategy: r.strategy,
    executions: r.executions,
    steps: r.steps,
    maxDepth: s.maxDepth,
    exhaustive: r.exhaustive,
    bounds: r.bounds,
    sleepBlocked: s.sleepBlocked,
    interrupted: r.bounds.includes('interrupted'),
    foundAt: 0,
    failingChoices: (r.verdict === 'violation' || r.verdict === 'model-error') && r.schedule !== null ? parseSchedule(r.schedule).choices : null,
  }));
  const m = mergeSummaries(summaries, s0.count, missing);
  const base = m.winner >= 0 ? parts[m.winner]!.report : parts[0]!.report;
  const { shard: _drop, ...rest } = base as ShardReport;
  void _drop;
  const report = {
    ...rest,
    verdict: m.verdict,
    executions: m.executions,
    steps: m.steps,
    exhaustive: m.exhaustive,
    bounds: m.bounds,
    shards: { count: s0.count, present, files: parts.map((p) => p.path) },
  };
  return { report, verdict: m.verdict };
}

function sorted(o: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function differences(a: Report, sa: ShardBlock, b: Report, sb: ShardBlock): string {
  const out: string[] = [];
  if (a.scenario !== b.scenario) out.push(`scenario ${a.scenario} vs ${b.scenario}`);
  if (JSON.stringify(sorted(a.variants)) !== JSON.stringify(sorted(b.variants))) out.push(`variants ${JSON.stringify(a.variants)} vs ${JSON.stringify(b.variants)}`);
  if (JSON.stringify(sorted(a.env)) !== JSON.stringify(sorted(b.env))) out.push(`env ${JSON.stringify(a.env)} vs ${JSON.stringify(b.env)}`);
  if (sa.count !== sb.count) out.push(`${sa.count} vs ${sb.count} shards`);
  for (const k of Object.keys(sa.run) as (keyof ShardBlock['run'])[]) {
    if (sa.run[k] !== sb.run[k]) out.push(`${k} ${String(sa.run[k])} vs ${String(sb.run[k])}`);
  }
  return out.join(', ');
}

export const MERGE_DECL = defineCommand({
  name: 'merge',
  usage: ['merge SHARD.json... [--out DIR] [--json] [--quiet]'],
  description: `Merges the reports of 'racewalk explore --shard i/n' runs (one per CI job) into one verdict:
clean only if all n shards are present, clean and exhaustive; a violation in any shard is
the run's. Writes <out>/<scenario>[--variants]--merged.* (the JSON first). What the shard
reports contain is printed with control and bidi characters escaped.`,
  positionals: { name: 'SHARD.json', min: 1, max: 10_000, what: 'shard reports' },
  options: { out: OUT, json: JSON_FLAG, quiet: { ...QUIET, refusedWith: { json: '--json prints the one-line summary; give one of them' } }, color: COLOR, 'no-color': NO_COLOR },
  exit: '0 no violation, 1 violation found (even when a report file could not be written), 2 bad usage or input (shards of different runs), 3 internal error.',
});

export const MERGE = command({
  decl: MERGE_DECL,
  summary: "merge the reports of 'explore --shard i/n' runs into one verdict",
  run: ({ values, positionals }, io) => mergeCommand(values, positionals, io),
});

function mergeCommand(values: Values<typeof MERGE_DECL.options>, positionals: readonly string[], io: Required<Io>): number {
  const files = positionals.map((path) => ({ path, report: loadReport(path) }));
  // a shard report is a file anyone could have written: its strings are escaped before anything shows them
  const { report } = mergeReports(files.map((f) => ({ path: f.path, report: sanitizeDeep(f.report) })));
  const stem = join(values.out ?? 'reports', `${reportStem(report.scenario, report.variants)}--merged`);
  const files_ = filesOf(stem, report);
  const replay = report.schedule === null ? null : asTyped(replayCommand(report), io.command);
  if (values.json) {
    const first = writeAll(files_.slice(0, 1), io.writeFile);
    io.out(
      JSON.stringify({
        verdict: report.verdict,
        invariant: report.invariant,
        schedule: report.schedule,
        replay,
        executions: report.executions,
        steps: report.steps,
        exhaustive: report.exhaustive,
        bounds: report.bounds,
        shards: report.shards,
        report: first.written.length === 1 ? files_[0]![0] : null,
      }) + '\n',
    );
    const rest = writeAll(files_.slice(1), io.writeFile);
    const all = { written: [...first.written, ...rest.written], failed: [...first.failed, ...rest.failed] };
    reportFailures(io, all, report.schedule !== null);
    return exitCode(report.verdict, all);
  }
  if (values.quiet) io.out(verdictLine(report) + '\n' + (replay === null ? '' : `  replay: ${replay}\n`));
  else io.out(renderText(report, { color: useColor(io.isTTY, values, io.env), replay: replay ?? undefined }));
  const outcome = writeAll(files_, io.writeFile);
  if (!values.quiet) io.out(`\n  merged ${report.shards.present.length} of ${report.shards.count} shards${outcome.written.length > 0 ? `; report: ${stem}.json` : ''}\n`);
  reportFailures(io, outcome, report.schedule !== null);
  return exitCode(report.verdict, outcome);
}
