/**
 * Jann Horn's fix as a patch file: the baseline is try_get_compound_head() before it (v5.12),
 * the patch adds the re-check after the speculative reference (see try-get-compound-head.ts).
 * The patch carries the interaction it was written for, a GUP-fast of a THP's tail page
 * (gup-tail-vs-split.ts), which no built-in scenario has:
 *
 *   racewalk check-patch examples/scenarios/try-get-folio-recheck.ts --scenario gup-tail-vs-split
 */
import { definePatch } from 'racewalk/model';
import gupTailVsSplit from './gup-tail-vs-split.js';
import { try_get_compound_head_fixed, try_get_compound_head_v5_12 } from './try-get-compound-head.js';

export default definePatch({
  name: 'recheck-head',
  description: 'mm/gup: fix try_grab_compound_head() race with split_huge_page()',
  kernel: 'v5.13 (Jann Horn, June 2021)',
  variants: { try_get_folio: try_get_compound_head_fixed },
  baseline: { try_get_folio: try_get_compound_head_v5_12 },
  scenarios: [gupTailVsSplit],
});
