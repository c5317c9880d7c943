/**
 * try_get_compound_head() of v5.12, before the fix, as a variant file: explore it in the
 * tail-page interaction to find the race from scratch,
 *
 *   racewalk explore --variant-file examples/scenarios/try-get-folio-v5.12.ts \
 *     --scenario-file examples/scenarios/gup-tail-vs-split.ts --scenario gup-tail-vs-split
 */
import { definePatch } from 'racewalk/model';
import { try_get_compound_head_v5_12 } from './try-get-compound-head.js';

export default definePatch({
  name: 'v5.12-no-recheck',
  description: 'try_get_compound_head() without the re-check after the speculative reference',
  kernel: 'v5.12',
  variants: { try_get_folio: try_get_compound_head_v5_12 },
});
