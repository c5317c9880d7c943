#!/usr/bin/env node
// racewalk's CLI runs the compiled JavaScript in dist/ (no TypeScript loader at start-up; tsx is
// loaded only when a user's .ts patch file is, by src/patch/load.ts).
//
// In a git checkout (tsconfig.build.json is next to src/; the published package has neither) dist/
// may be missing or older than an edited source file. Running stale code would give verdicts of
// code that no longer exists, so the CLI then runs the sources through tsx instead, as it did
// before there was a build. `npm ci` / `npm run build` make dist/ current again.
// early-signals first: ES modules evaluate in import order, so its handlers are in place before
// anything else loads
import { earlySignals, releaseEarlySignals } from './early-signals.mjs';
import { distIsCurrent } from './dist-current.mjs';

let runProcess;
if (distIsCurrent()) {
  ({ runProcess } = await import('../dist/cli/process.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runProcess } = await import('../src/cli/process.ts'));
}
const code = await runProcess(process.argv.slice(2), { signals: earlySignals, release: releaseEarlySignals });
// End by process.exit() once stdout and stderr have drained, not by letting the event loop run
// dry: a natural exit first closes the signal handles, restoring the default action, and a
// Ctrl-C in the tens of milliseconds of teardown that follow killed a run that had finished
// (2 of 40 signals sent near its end, measured). process.exit() keeps the handlers to the end.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
process.exit(code);
