/**
 * Every renderer behind one interface: `--format`, `racewalk explore`'s report files and
 * `npm run reports` all go through REPORTERS.
 */
import type { Report } from './trace.js';
import { renderText } from './text.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { UsageError, closest } from '../core/errors.js';

export interface RenderOptions {
  /** ANSI colour (text only; set on a TTY) */
  readonly color?: boolean;
  /** total width (text only) */
  readonly width?: number;
}

export interface Reporter {
  readonly name: string;
  /** file extension of the report file */
  readonly ext: string;
  readonly description: string;
  render(r: Report, opts?: RenderOptions): string;
}

export const REPORTERS: Readonly<Record<string, Reporter>> = {
  text: { name: 'text', ext: 'txt', description: 'terminal: per-CPU lanes of C-like lines', render: (r, o) => renderText(r, { color: o?.color, width: o?.width }) },
  md: { name: 'md', ext: 'md', description: 'Markdown for mailing lists and commit messages (80 columns)', render: (r) => renderMarkdown(r) },
  html: { name: 'html', ext: 'html', description: 'a self-contained HTML page: a swimlane per CPU, state per step', render: (r) => renderHtml(r) },
  json: { name: 'json', ext: 'json', description: 'the replay artifact (schema: src/report/report.schema.json)', render: (r) => renderJson(r) },
};

export const FORMATS = Object.keys(REPORTERS);

export function findReporter(name: string): Reporter {
  const r = Object.hasOwn(REPORTERS, name) ? REPORTERS[name] : undefined; // never a prototype key
  if (r === undefined) {
    // a suggestion only when it starts like what was typed ('htm' -> html; 'pdf' gets none)
    const near = closest(name, FORMATS);
    const c = name === 'markdown' ? 'md' : near !== null && near[0] === name[0]?.toLowerCase() ? near : null;
    throw new UsageError(`--format '${name}' is not a format: expected one of ${FORMATS.join(', ')}.${c ? ` Did you mean '${c}'?` : ''}`);
  }
  return r;
}
