/** README's scenario table is generated from the scenario declarations (`racewalk list --markdown`). */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { scenarioTableMarkdown } from '../src/cli/list.js';

test("README's scenario table is what `racewalk list --markdown` prints", () => {
  const readme = readFileSync('README.md', 'utf8');
  const m = /<!-- scenario-table:begin -->\n([\s\S]*?)<!-- scenario-table:end -->/.exec(readme);
  expect(m, 'README.md has no scenario-table markers').not.toBeNull();
  expect(m![1], 'regenerate with: node bin/racewalk.mjs list --markdown').toBe(scenarioTableMarkdown());
});

test("README's invariant table has one row per default invariant, with its declared description", async () => {
  const { DEFAULT_INVARIANTS } = await import('../src/kernel/invariants.js');
  const readme = readFileSync('README.md', 'utf8');
  for (const inv of DEFAULT_INVARIANTS) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${inv.name}\` |`));
    expect(row, `README.md: no row for invariant ${inv.name}`).toBeDefined();
    expect(row, `README.md: the row of ${inv.name} is not its declared description`).toContain(inv.description);
  }
});
