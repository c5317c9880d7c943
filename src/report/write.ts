/**
 * Writing reports: atomically (temp file in the same folder, then rename), so a report is either
 * complete or absent, never half-written; the JSON (the replay artifact) first, so that a disk
 * that fills up part-way keeps the one file that reproduces the counterexample.
 */
import { mkdirSync, renameSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { join, dirname, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';

let tmpCounter = 0;

/** How a file is written (tests inject a failing one to play a full disk). */
export type FileWriter = (path: string, data: string) => void;

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

export interface WriteOutcome {
  readonly written: readonly string[];
  /** what could not be written, and why (one line each) */
  readonly failed: readonly { readonly path: string; readonly error: string }[];
}

/**
 * Write `files` (path -> content) in order, each atomically; a failure (ENOSPC, EACCES, ...) is
 * recorded and the rest still tried, never thrown: what was found must not be lost to what
 * could not be saved.
 */
export function writeAll(files: readonly (readonly [string, string])[], write: FileWriter = writeFileAtomic): WriteOutcome {
  const written: string[] = [];
  const failed: { path: string; error: string }[] = [];
  for (const [path, data] of files) {
    try {
      write(path, data);
      written.push(path);
    } catch (e) {
      failed.push({ path, error: errorText(e) });
    }
  }
  return { written, failed };
}

function errorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return code === 'ENOSPC' && !/no space/i.test(msg) ? `${msg} (no space left on the device)` : msg;
}

/** The files of one report: `<stem>.json` first (the replay artifact), then the others. */
export function reportFiles(stem: string, renders: readonly { readonly ext: string; render(): string }[]): [string, string][] {
  const ordered = [...renders].sort((a, b) => (a.ext === 'json' ? -1 : b.ext === 'json' ? 1 : 0));
  return ordered.map((r) => [`${stem}.${r.ext}`, r.render()]);
}
