/**
 * SIGINT and SIGTERM for the whole life of a command: the first asks the search to stop (it
 * stops between executions and reports what it covered); writing the reports afterwards is
 * synchronous and runs to the end, so a signal during writing never leaves a partial set (the
 * handlers stay installed until the command has returned, so the default action, death, never
 * applies). A third signal exits at once (130), for a user who really means it.
 */
let controller = new AbortController();
let count = 0;
let depth = 0;

const onSignal = (sig: NodeJS.Signals) => {
  count++;
  if (!controller.signal.aborted) controller.abort(sig);
  if (count >= 3) {
    process.stderr.write(`\nracewalk: ${sig} three times: exiting now, without finishing the report\n`);
    process.exit(130);
  }
};

/** Install the handlers (nested calls share them); returns the function that removes them. */
export function trapSignals(): () => void {
  if (depth++ === 0) {
    controller = new AbortController();
    count = 0;
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
  return controller.signal.aborted;
}

/** The same as an AbortSignal (aborted on the first SIGINT/SIGTERM of the current command). */
export function interruptSignal(): AbortSignal {
  return controller.signal;
}
