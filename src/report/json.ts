/**
 * The JSON report: the replay artifact. Its shape is published as a JSON Schema
 * (report.schema.json, format "racewalk-report", version 1) and checked on load (schema.ts).
 * Fields added within version 1 are optional, so reports written before them still load.
 */
import type { Report } from './trace.js';

export function renderJson(r: Report): string {
  return JSON.stringify(r, null, 2) + '\n';
}
