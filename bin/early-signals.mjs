// The first thing the racewalk process does: note SIGINT and SIGTERM until the command's own
// handlers are in place (cli/process.ts takes them over). Without this, a signal while the CLI's
// modules load (a few hundred ms; Node's own start-up before this line is the only window left)
// would kill the process by the default action instead of being honoured.
export const earlySignals = [];
const note = (sig) => void earlySignals.push(sig);
process.on('SIGINT', note);
process.on('SIGTERM', note);

/** Remove the early handlers (call after installing the command's own: no gap between them). */
export function releaseEarlySignals() {
  process.removeListener('SIGINT', note);
  process.removeListener('SIGTERM', note);
}
