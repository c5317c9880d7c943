/**
 * `fixedBy` of a known race that no kernel shipped: the variant removes a check on purpose.
 *
 * A module of its own, re-exported by scenario.ts before anything else: scenario.ts -> reach.ts
 * -> scenarios/index.ts -> each scenario -> scenario.ts is an import cycle, and a scenario
 * module that reads MUTATION while evaluating must not find it uninitialised (it did, for every
 * entry that reaches scenario.ts first: `npm run reports`, the `--jobs` worker threads).
 */
export const MUTATION = 'deliberate mutation (no kernel shipped it)';
