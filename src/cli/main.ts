/**
 * racewalk command line. Exit codes: 0 no violation, 1 violation, 2 bad usage or input (one
 * clear paragraph, never a stack trace), 3 internal error.
 *
 * Every command is a declaration (its usage, description and option table, next to its code)
 * plus a function of the parsed options: `racewalk <cmd> --help`, `-h` and `racewalk help
 * <cmd>` print the help derived from the declaration, the same table parses and checks the
 * command line (src/cli/options.ts).
 */
import { UsageError, closest } from '../core/errors.js';
import { ModelError } from '../core/machine.js';
import { RACEWALK_VERSION } from '../report/trace.js';
import { writeFileAtomic, type FileWriter } from '../report/write.js';
import { LIST } from './list.js';
import { EXPLORE } from './explore.js';
import { REPLAY } from './replay.js';
import { MERGE } from './merge.js';
import { CHECK_PATCH } from './check-patch.js';
import { LITMUS } from './litmus.js';
import { ABLATE } from './ablate.js';
import { commandHelp, parseCommand, type Command } from './options.js';
import { racewalkCommand, sanitize } from './terminal.js';
import { trapSignals } from './signals.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stdout is a terminal (colour by default, the terminal's width) */
  readonly isTTY: boolean;
  /** stderr is a terminal: the live progress line (default: isTTY) */
  readonly progressTTY?: boolean;
  /** environment for NO_COLOR / FORCE_COLOR (default process.env) */
  readonly env?: NodeJS.ProcessEnv;
  /** how report files are written (default: atomically; tests inject a full disk) */
  readonly writeFile?: FileWriter;
  /** how the user runs racewalk, for the replay commands printed (default: found on PATH) */
  readonly command?: string;
  /** the terminal's width, for text reports on a terminal (default: process.stdout.columns) */
  readonly columns?: number | undefined;
}

/** The commands, in the order `racewalk help` lists them. */
export const COMMANDS: readonly Command[] = [LIST, EXPLORE, REPLAY, MERGE, CHECK_PATCH, ABLATE, LITMUS];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.decl.name === name);
}

export function globalHelp(): string {
  const w = COMMANDS.reduce((m, c) => Math.max(m, c.decl.name.length), 'help [COMMAND]'.length);
  const lines = [
    'racewalk — a race explorer for Linux mm paths (lockless GUP vs split, migration, zap, collapse)',
    '',
    'Usage: racewalk <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.decl.name.padEnd(w)}  ${c.summary}`),
    `  ${'help [COMMAND]'.padEnd(w)}  this text, or the usage and options of COMMAND`,
    '',
    "Run 'racewalk <command> --help' for a command's options. --version prints the version.",
    'Exit: 0 no violation, 1 violation found, 2 bad usage or input, 3 internal error.',
  ];
  return lines.join('\n') + '\n';
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
  progressTTY: process.stderr.isTTY === true,
};

/** The Io with its defaults filled in. */
export function withDefaults(io: Io): Required<Io> {
  return { ...io, out: io.out, err: io.err, progressTTY: io.progressTTY ?? io.isTTY, env: io.env ?? process.env, writeFile: io.writeFile ?? writeFileAtomic, command: io.command ?? racewalkCommand(io.env ?? process.env), columns: io.columns ?? process.stdout.columns };
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  // the handlers stay for the whole command: a signal while reports are written waits for them
  const release = trapSignals();
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h') {
      io.out(globalHelp());
      return 0;
    }
    if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
      io.out(`racewalk ${RACEWALK_VERSION}\n`);
      return 0;
    }
    if (cmd === 'help') {
      if (rest.length === 0) {
        io.out(globalHelp());
        return 0;
      }
      const c = findCommand(rest[0]!);
      if (c === undefined || rest.length > 1) throw unknownCommand(rest.join(' '));
      io.out(commandHelp(c.decl));
      return 0;
    }
    const c = findCommand(cmd);
    if (c === undefined) throw unknownCommand(cmd);
    const parsed = parseCommand(c.decl, rest);
    if (parsed.help) {
      io.out(commandHelp(c.decl));
      return 0;
    }
    return await c.run(parsed, withDefaults(io)); // await: an async command's errors are caught below
  } catch (e) {
    // messages may quote what a file contained: escaped, never raw control or bidi characters
    if (e instanceof UsageError) {
      io.err(`racewalk: ${sanitize(e.message)}\n`);
      return 2;
    }
    if (e instanceof ModelError) {
      io.err(`racewalk: the model is inconsistent: ${sanitize(e.message)}\nThis is a bug in racewalk's model; please report it with the command line you ran.\n`);
      return 3;
    }
    io.err(`racewalk: internal error: ${sanitize((e as Error)?.stack ?? String(e))}\nThis is a bug in racewalk; please report it with the command line you ran.\n`);
    return 3;
  } finally {
    // the real process keeps its handlers until it exits: a signal while it ends (stdout
    // draining, workers stopping) must not kill it with its output cut; an in-process caller
    // (a test, a library user) gets its process back as it was
    if (io !== processIo) release();
  }
}

function unknownCommand(cmd: string): UsageError {
  const names = COMMANDS.map((c) => c.decl.name);
  const c = closest(cmd, names);
  return new UsageError(`unknown command '${cmd}'.${c ? ` Did you mean '${c}'?` : ''} Commands: ${names.join(', ')}, help (see 'racewalk help')`);
}
