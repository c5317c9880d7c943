/**
 * The built CLI (`bin/racewalk.mjs`) as a user runs it: a child process of this Node, without
 * the vitest worker's variables and without colour. Used by the suites that run documented
 * commands (docs/patch-workflow.md, docs/scenarios.md).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'racewalk.mjs');

export interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

export function racewalk(args: string[], cwd = repo): Promise<Run> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    for (const k of Object.keys(env)) if (k.startsWith('VITEST')) delete env[k];
    const p = spawn(process.execPath, [bin, ...args], { cwd, env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) => done({ code, out, err }));
  });
}
