/**
 * `npm run ablation-docs`: regenerate the tables of docs/ablation.md. Each table sits between
 * `<!-- ablate SCENARIO [NAME=VALUE]... -->` (the environment choices it was run with) and
 * `<!-- /ablate -->`, and is exactly what `racewalk ablate` writes to `<scenario>.ablate.md`;
 * properties/ablate.test.ts checks the gup-fast-vs-zap one against the code in CI.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ablateScenario } from '../ablate.js';
import type { Env } from '../kernel/mm.js';
import { renderAblationMarkdown } from './ablation.js';
import { writeFileAtomic } from './write.js';

export const ABLATION_DOC = 'docs/ablation.md';
const BLOCK = /<!-- ablate ([^\s>]+)((?: [A-Za-z_]+=[^\s>]+)*) -->\n[\s\S]*?<!-- \/ablate -->/g;

/** The document with every table regenerated. */
export function regenerate(doc: string, onTable: (scenario: string) => void = () => {}): string {
  return doc.replace(BLOCK, (_all, scenario: string, args: string) => {
    onTable(scenario);
    const env = Object.fromEntries(args.trim().split(/\s+/).filter((a) => a !== '').map((a) => a.split('='))) as Partial<Env>;
    return `<!-- ablate ${scenario}${args} -->\n${renderAblationMarkdown(ablateScenario({ scenario, env }))}<!-- /ablate -->`;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const doc = readFileSync(ABLATION_DOC, 'utf8');
  writeFileAtomic(ABLATION_DOC, regenerate(doc, (s) => process.stderr.write(`  ablate ${s}\n`)));
}
