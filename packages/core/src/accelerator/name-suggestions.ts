/** Suggestions for a misspelt name (family, group, device): the known names closest in edit distance. */

/**
 * Edit distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of neighbours cost 1), case-insensitive.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_r, i) => Array.from({ length: t.length + 1 }, (_c, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * Up to `max` known names within a distance of a third of the name's length
 * (at least 1, at most 3), closest first; ties keep the order of `known`.
 */
export function suggestNames(name: string, known: Iterable<string>, max = 3): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const scored: { n: string; d: number; k: number }[] = [];
  let k = 0;
  for (const n of new Set(known)) {
    const d = editDistance(name, n);
    if (d <= limit) scored.push({ n, d, k });
    k++;
  }
  return scored
    .sort((x, y) => x.d - y.d || x.k - y.k)
    .slice(0, max)
    .map((x) => x.n);
}

/** " (did you mean 'A' or 'B'?)" or '' when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const s = suggestNames(name, known);
  if (s.length === 0) return '';
  const quoted = s.map((n) => `'${n}'`);
  return ` (did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`}?)`;
}
