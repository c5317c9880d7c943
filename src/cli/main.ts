/**
 * racewalk command line: list, explore, replay. Exit codes: 0 no violation, 1 violation,
 * 2 bad usage or input (one clear paragraph, never a stack trace), 3 internal error.
 */
import { UsageError, closest } from '../core/errors.js';
import { ModelError } from '../core/machine.js';
import { listCommand } from './list.js';
import { exploreCommand, EXPLORE_HELP } from './explore.js';
import { replayCommand, REPLAY_HELP } from './replay.js';
import { mergeCommand, MERGE_HELP } from './merge.js';
import { checkPatchCommand, CHECK_PATCH_HELP } from './check-patch.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly isTTY: boolean;
}

const HELP = `racewalk — a race explorer for Linux mm paths (lockless GUP vs split, migration, zap, collapse)

racewalk list [--json] [--scenario-file F]  scenarios, paths and variants, invariants, strategies, environment
${EXPLORE_HELP}
${REPLAY_HELP}
${MERGE_HELP}
${CHECK_PATCH_HELP}
racewalk help                   this text
`;

const COMMANDS: Record<string, (argv: string[], io: Io) => number | Promise<number>> = {
  list: (argv, io) => listCommand(argv, io.out),
  explore: exploreCommand,
  replay: replayCommand,
  merge: mergeCommand,
  'check-patch': checkPatchCommand,
};

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.out(HELP);
      return 0;
    }
    const run = COMMANDS[cmd];
    if (run === undefined) {
      const c = closest(cmd, Object.keys(COMMANDS));
      throw new UsageError(`unknown command '${cmd}'.${c ? ` Did you mean '${c}'?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}, help`);
    }
    return await run(rest, io); // await: an async command's errors are caught below
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`racewalk: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ModelError) {
      io.err(`racewalk: the model is inconsistent: ${e.message}\nThis is a bug in racewalk's model; please report it with the command line you ran.\n`);
      return 3;
    }
    io.err(`racewalk: internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in racewalk; please report it with the command line you ran.\n`);
    return 3;
  }
}
