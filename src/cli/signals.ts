/**
 * SIGINT and SIGTERM for the whole life of a command: the first asks the search to stop (it
 * stops between executions, or within an execution at its next poll, and reports what it
 * covered); writing the reports afterwards is synchronous and runs to the end, so a signal during
 * writing never leaves a partial set (the handlers stay installed until the command has returned,
 * so the default action, death, never applies). A third signal exits at once (130), for a user
 * who really means it.
 *
 * In the real process a searching command runs on a worker thread (cli/process.ts): a JavaScript
 * signal handler runs only when its thread's event loop gets a turn, which a long execution on
 * the same thread never gives it. The main thread then owns the handlers and sets a shared flag
 * that the worker's search reads (`useSharedInterrupt`).
 */
let controller = new AbortController();
let depth = 0;
/** set on a worker thread: [0] is 1 once the main thread has seen a signal */
let shared: Int32Array | null = null;

/** the exit code of a process ended by a signal (128 + SIGINT), as shells report it */
export const SIGNAL_EXIT = 130;

/** What a signal does in the thread that owns the handlers: count it, raise the flag, exit on the third. */
export function signalHandler(raise: () => void): (sig: NodeJS.Signals) => void {
  let seen = 0;
  return (sig) => {
    seen++;
    raise();
    if (seen >= 3) {
      process.stderr.write(`\nracewalk: ${sig} three times: exiting now, without finishing the report\n`);
      process.exit(SIGNAL_EXIT);
    }
  };
}

let onSignal = signalHandler(() => controller.abort());

/** On a worker thread: read Ctrl-C from the flag the main thread sets (no handlers here). */
export function useSharedInterrupt(flag: SharedArrayBuffer): void {
  shared = new Int32Array(flag);
}

/** Install the handlers (nested calls share them); returns the function that removes them. */
export function trapSignals(): () => void {
  if (shared !== null) return () => {};
  if (depth++ === 0) {
    controller = new AbortController();
    onSignal = signalHandler(() => {
      if (!controller.signal.aborted) controller.abort();
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--depth === 0) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  };
}

/** Whether the user asked the command to stop (for `shouldStop` of a search). */
export function interrupted(): boolean {
  return shared !== null ? Atomics.load(shared, 0) !== 0 : controller.signal.aborted;
}
