/**
 * Errors the user can fix (bad names, bad input): reported in one paragraph with exit code 2.
 * Anything else reaching the CLI is an internal error (exit 3).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The closest known name by edit distance, if close enough to be a likely typo. */
export function closest(given: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const g = given.toLowerCase();
  for (const k of known) {
    const kl = k.toLowerCase();
    // a known name that merely spells out more (no-recheck -> no-pte-recheck) counts as close
    const d = g.length >= 3 && (kl.includes(g) || isSubsequence(g, kl)) ? 1 : editDistance(g, kl);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(given.length / 3)) ? best : null;
}

function isSubsequence(a: string, b: string): boolean {
  let i = 0;
  for (let j = 0; j < b.length && i < a.length; j++) if (a[i] === b[j]) i++;
  return i === a.length;
}

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
