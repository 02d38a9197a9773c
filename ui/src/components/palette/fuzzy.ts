// A small fuzzy matcher for the command palette: the query's characters in order, anywhere in
// the text, scored so that prefixes, word starts and runs of consecutive characters rank first.

export interface FuzzyMatch {
  score: number;
  /** Indices in the text of the matched characters, for highlighting. */
  positions: number[];
}

const isWordStart = (text: string, i: number) => i === 0 || /[\s\-_./:]/.test(text.charAt(i - 1));

/** Matches `query` against `text`; null when the characters are not all there in order. */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | null {
  const q = query.trim().toLowerCase().replace(/\s+/g, " ");
  if (q === "") return { score: 0, positions: [] };
  const t = text.toLowerCase();
  // Whole substring: the best case, ranked by where it starts.
  const at = t.indexOf(q);
  if (at >= 0) {
    const positions = Array.from({ length: q.length }, (_, k) => at + k);
    const score = 1000 - at + (at === 0 ? 200 : isWordStart(t, at) ? 100 : 0) - t.length * 0.1;
    return { score, positions };
  }
  // Otherwise each character in order, preferring word starts (initials: "qd" → Quick Deploy).
  const positions: number[] = [];
  let score = 0;
  let from = 0;
  let prev = -2;
  const chars = [...q].filter((c) => c !== " ");
  for (let k = 0; k < chars.length; k++) {
    const ch = chars[k] as string;
    const rest = chars.slice(k + 1);
    let found = -1;
    // Prefer the next word start holding this character, if it is near.
    for (let i = from; i < t.length; i++) {
      if (t[i] === ch && isWordStart(t, i)) {
        found = i;
        break;
      }
    }
    const plain = t.indexOf(ch, from);
    if (plain < 0) return null;
    if (found < 0 || (plain === prev + 1 && plain !== found) || !subsequence(rest, t, found + 1)) found = plain;
    // After the first character, each one continues a run or starts a word: scattered letters
    // inside words ("h…i…s…t") are noise, not a match.
    if (k > 0 && found !== prev + 1 && !isWordStart(t, found)) return null;
    score += found === prev + 1 ? 12 : isWordStart(t, found) ? 9 : 1;
    score -= Math.min(found - from, 10) * 0.5;
    positions.push(found);
    prev = found;
    from = found + 1;
  }
  return { score: score - t.length * 0.1, positions };
}

/** True when `chars` appear in order in `t` from `from` on. */
function subsequence(chars: string[], t: string, from: number): boolean {
  let i = from;
  for (const c of chars) {
    const at = t.indexOf(c, i);
    if (at < 0) return false;
    i = at + 1;
  }
  return true;
}
