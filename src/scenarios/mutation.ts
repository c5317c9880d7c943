/**
 * `fixedBy` of a known race that no kernel shipped: the variant removes a check on purpose.
 * A module of its own, with no imports: scenario.ts -> reach.ts -> scenarios/index.ts -> each
 * scenario is an import cycle, and a scenario reads MUTATION while it loads. Re-exported first
 * by scenario.ts, it is initialized before the cycle is entered from any side.
 */
export const MUTATION = 'deliberate mutation (no kernel shipped it)';
