/**
 * Never lose a counterexample: what a run found goes to stdout (schedule and replay command)
 * and the JSON report is written before any other file; a file that cannot be written (disk
 * full, read-only, permissions) is named on stderr with why, and the run still ends with the
 * exit code of its verdict (a violation is exit 1 whatever could not be saved).
 */
import type { Report } from '../report/trace.js';
import { REPORTERS } from '../report/index.js';
import { reportFiles, writeAll, type WriteOutcome } from '../report/write.js';
import type { Io } from './main.js';

/** The files of `report` at `stem`: JSON first. */
export function filesOf(stem: string, report: Report): [string, string][] {
  return reportFiles(stem, Object.values(REPORTERS).map((r) => ({ ext: r.ext, render: () => r.render(report) })));
}

/** Write the files (each atomically, all tried); failures are reported on stderr. */
export function save(io: Required<Io>, files: readonly (readonly [string, string])[], found: boolean): WriteOutcome {
  const outcome = writeAll(files, io.writeFile);
  reportFailures(io, outcome, found);
  return outcome;
}

export function reportFailures(io: Required<Io>, outcome: WriteOutcome, found: boolean): void {
  if (outcome.failed.length === 0) return;
  for (const f of outcome.failed) io.err(`racewalk: could not write '${f.path}': ${f.error}\n`);
  io.err(
    found
      ? `racewalk: ${outcome.failed.length} report file${outcome.failed.length === 1 ? '' : 's'} not written; the counterexample is not lost: its schedule and replay command are printed above (replay it to regenerate the report, e.g. with --out DIR on a disk with space).\n`
      : `racewalk: ${outcome.failed.length} report file${outcome.failed.length === 1 ? '' : 's'} not written (the verdict above stands); choose a writable folder with --out DIR.\n`,
  );
}

/** The exit code of a run: its verdict's, and 2 when it found nothing but could not save its reports. */
export function exitCode(verdict: string, outcome: WriteOutcome | null): number {
  if (verdict === 'violation') return 1;
  if (verdict === 'model-error') return 3;
  return outcome !== null && outcome.failed.length > 0 ? 2 : 0;
}
