/**
 * The one schedule format every strategy's counterexample replays from:
 *
 *   rw1:<scenario>:<runs>      e.g.  rw1:gup-fast-vs-zap:0x9,1x22,0x6
 *
 * `<runs>` is the thread (CPU) chosen at each step, run-length encoded as `<cpu>x<count>`.
 * Variants and environment are not part of the string; they are given next to it (the report
 * records them).
 */
import { UsageError } from '../core/errors.js';

export const SCHEDULE_VERSION = 'rw1';

export interface Schedule {
  readonly scenario: string;
  readonly choices: readonly number[];
}

export function formatSchedule(scenario: string, choices: readonly number[]): string {
  const runs: string[] = [];
  let i = 0;
  while (i < choices.length) {
    let j = i;
    while (j < choices.length && choices[j] === choices[i]) j++;
    runs.push(`${choices[i]}x${j - i}`);
    i = j;
  }
  return `${SCHEDULE_VERSION}:${scenario}:${runs.join(',')}`;
}

const RUN = /^(\d{1,2})x(\d{1,8})$/;

/** The longest schedule read: the largest step bound --max-steps allows (src/cli/options.ts). */
export const MAX_SCHEDULE_STEPS = 10_000_000;

export function parseSchedule(text: string): Schedule {
  const s = text.trim();
  const parts = s.split(':');
  if (parts.length !== 3) {
    throw new UsageError(`'${clip(s)}' is not a schedule string: expected ${SCHEDULE_VERSION}:<scenario>:<cpu>x<count>,... (e.g. ${SCHEDULE_VERSION}:gup-fast-vs-zap:0x9,1x22,0x6)`);
  }
  const [version, scenario, body] = parts as [string, string, string];
  if (version !== SCHEDULE_VERSION) {
    throw new UsageError(`schedule format '${clip(version)}' is not supported: this racewalk reads ${SCHEDULE_VERSION} schedules (${SCHEDULE_VERSION}:<scenario>:<cpu>x<count>,...)`);
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(scenario)) throw new UsageError(`schedule names scenario '${clip(scenario)}', which is not a scenario name`);
  const choices: number[] = [];
  if (body !== '') {
    for (const run of body.split(',')) {
      const m = RUN.exec(run);
      if (m === null) throw new UsageError(`schedule run '${clip(run)}' is malformed: each run is <cpu>x<count>, e.g. 0x9`);
      const count = Number(m[2]);
      if (count === 0) throw new UsageError(`schedule run '${run}' has a zero count`);
      if (choices.length + count > MAX_SCHEDULE_STEPS) throw new UsageError(`schedule is longer than ${MAX_SCHEDULE_STEPS.toLocaleString('en-US')} steps, the largest step bound (--max-steps)`);
      for (let i = 0; i < count; i++) choices.push(Number(m[1]));
    }
  }
  return { scenario, choices };
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
