/**
 * Writing reports: atomically (temp file in the same folder, then rename), so a report is either
 * complete or absent, never half-written.
 */
import { mkdirSync, renameSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { join, dirname, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';

let tmpCounter = 0;

export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  makeDir(dir);
  const tmp = join(dir, `.${process.pid}.${++tmpCounter}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* the temp file may not exist */
    }
    throw new UsageError(`cannot write the report '${path}': ${(e as Error).message}. Choose a writable folder with --out DIR.`);
  }
}

/**
 * Create `dir` and its parents. Not mkdirSync({ recursive: true }): on Node 20 that spins forever
 * on a path under /proc (mkdir of the child says ENOENT, of the parent EEXIST, and it retries).
 */
function makeDir(dir: string): void {
  const full = resolve(dir);
  const parts = full.split(sep);
  for (let i = 2; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join(sep) || sep;
    try {
      mkdirSync(prefix);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        let isDir = false;
        try {
          isDir = statSync(prefix).isDirectory();
        } catch {
          /* a dangling symlink: not a directory */
        }
        if (isDir) continue;
        throw new UsageError(`cannot create the output folder '${dir}': '${prefix}' exists and is not a folder. Choose a writable folder with --out DIR.`);
      }
      throw new UsageError(`cannot create the output folder '${dir}': ${(e as Error).message}. Choose a writable folder with --out DIR.`);
    }
  }
}

/**
 * Check before a long search that its report can be written (create the folder, write and remove
 * a probe file), so a run never ends with a counterexample it cannot save.
 */
export function ensureWritableDir(dir: string): void {
  makeDir(dir);
  const probe = join(dir, `.${process.pid}.probe.tmp`);
  try {
    writeFileSync(probe, '');
  } catch (e) {
    throw new UsageError(`cannot write to the output folder '${dir}': ${(e as Error).message}. Choose a writable folder with --out DIR.`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** File name stem for a report: scenario plus the variants in force. */
export function reportStem(scenario: string, variants: Readonly<Record<string, string>>): string {
  const vs = Object.entries(variants)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, v]) => `${p}=${v}`);
  return [scenario, ...vs].join('--').replace(/[^A-Za-z0-9._=-]/g, '_');
}
