/**
 * The real `racewalk` process (bin/racewalk.mjs). A command that searches runs on a worker
 * thread and this thread only owns the signals: Node runs a JavaScript signal handler when its
 * thread's event loop gets a turn, and one long execution (a spin loop at --max-steps 10000000
 * runs for minutes) never gives the thread that runs it one. Here the handler sets a shared flag
 * at once, and the search polls it between executions and every few thousand steps within one
 * (core/execution.ts), so Ctrl-C ends the search within a poll and its report is still written.
 *
 * The worker's stdout and stderr are forwarded through this thread (Node's worker stdio), and the
 * process ends with the worker's exit code once they have drained. Other commands (list, help,
 * merge, litmus, replay) run in this thread, as they did, without a second start-up.
 */
import { Worker } from 'node:worker_threads';
import { findCommand, main } from './main.js';
import { signalHandler, SIGNAL_EXIT } from './signals.js';

/** What the worker gets (cli/cli-worker.ts). */
export interface CliWorkerData {
  readonly argv: readonly string[];
  /** Int32 [0]: 1 once this thread has seen SIGINT or SIGTERM */
  readonly interrupt: SharedArrayBuffer;
  readonly isTTY: boolean;
  readonly progressTTY: boolean;
  readonly columns: number | undefined;
}

/** a .mjs entry: the compiled worker when built, else it registers tsx and loads the .ts one */
const WORKER = new URL('./cli-worker.mjs', import.meta.url);

/** The signals bin/racewalk.mjs noted while the modules loaded, and how to remove its handlers. */
export interface EarlySignals {
  readonly signals: readonly NodeJS.Signals[];
  release(): void;
}

export async function runProcess(argv: readonly string[], early: EarlySignals = { signals: [], release: () => {} }): Promise<number> {
  if (findCommand(argv[0] ?? '')?.searches !== true || argv.includes('--help') || argv.includes('-h')) {
    // a command that does not search is short: a signal during start-up is its end
    if (early.signals.length > 0) return earlyExit(early.signals[0]!);
    early.release(); // main() installs its own (cli/signals.ts)
    return main([...argv]);
  }
  const interrupt = new SharedArrayBuffer(4);
  const flag = new Int32Array(interrupt);
  // installed before the worker starts and kept until the process exits: a signal at any moment,
  // start-up and the writing of reports included, is the search's stop, never the default death
  const onSignal = signalHandler(() => Atomics.store(flag, 0, 1));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  early.release();
  for (const sig of early.signals) onSignal(sig); // the search starts stopped: its report says interrupted
  const data: CliWorkerData = { argv, interrupt, isTTY: process.stdout.isTTY === true, progressTTY: process.stderr.isTTY === true, columns: process.stdout.columns };
  return new Promise<number>((resolve) => {
    let code: number | null = null;
    const worker = new Worker(WORKER, { workerData: data, execArgv: [] });
    worker.on('message', (m: { exitCode: number }) => void (code = m.exitCode));
    worker.on('error', (e) => {
      // main() catches every error of a command; this is one of the worker's start-up
      process.stderr.write(`racewalk: internal error: ${e?.stack ?? String(e)}\nThis is a bug in racewalk; please report it with the command line you ran.\n`);
      code = 3;
    });
    worker.on('exit', () => {
      if (code === null) process.stderr.write('racewalk: internal error: the search thread ended without an exit code\nThis is a bug in racewalk; please report it with the command line you ran.\n');
      resolve(code ?? 3);
    });
  });
}

function earlyExit(sig: NodeJS.Signals): number {
  process.stderr.write(`racewalk: ${sig} while starting: exiting\n`);
  return SIGNAL_EXIT;
}
