//! Turning what a user typed into a full-text query, and what the index found into short
//! lines with the matched words marked: the text side of the History's search, kept apart
//! from its SQL.

use std::ops::Range;

/// Marks the start of a match in the text `highlight()` returns. The indexed texts hold no
/// control characters (see `run_index::clean`), so these cannot come from the text itself.
const MARK_OPEN: char = '\u{1}';
/// Marks the end of a match.
const MARK_CLOSE: char = '\u{2}';
/// The same marks as SQL parameters of `highlight()`.
pub(crate) const OPEN: &str = "\u{1}";
pub(crate) const CLOSE: &str = "\u{2}";

/// The longest line shown, in characters (an ellipsis marks what was cut).
const MAX_LINE_CHARS: usize = 160;
/// Characters kept before the first match when a line is cut.
const CONTEXT_BEFORE: usize = 40;

/// The FTS5 query for what the user typed: every word must occur (as a word or the start of
/// one), whatever it is. Each word is quoted as an FTS5 string, so operators (`AND`, `OR`,
/// `NOT`, `NEAR`), `*`, `-`, `^`, `:`, parentheses and quotes are plain text; a word with
/// nothing to search for (only punctuation) is left out. `None` when no word is left.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// A line with the byte ranges of its matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkedLine {
    pub text: String,
    pub hits: Vec<Range<usize>>,
}

/// The lines of a text marked with [`OPEN`]/[`CLOSE`] that hold a match, at most `max`, each
/// trimmed and cut to [`MAX_LINE_CHARS`] around its first match. A match that spans lines
/// (a phrase across a line break) is marked on each of them.
pub(crate) fn matching_lines(marked: &str, max: usize) -> Vec<MarkedLine> {
    let mut lines = Vec::new();
    let mut inside = false;
    for raw in marked.split('\n') {
        let mut line = MarkedLine {
            text: String::with_capacity(raw.len()),
            hits: Vec::new(),
        };
        let mut start = inside.then_some(0);
        let mut rest = raw;
        while let Some(at) = rest.find([MARK_OPEN, MARK_CLOSE]) {
            line.text.push_str(&rest[..at]);
            let open = rest[at..].starts_with(MARK_OPEN);
            rest = &rest[at + MARK_OPEN.len_utf8()..];
            match (open, start) {
                (true, None) => start = Some(line.text.len()),
                (false, Some(s)) => {
                    push_hit(&mut line.hits, s..line.text.len());
                    start = None;
                }
                _ => {}
            }
        }
        line.text.push_str(rest);
        inside = start.is_some();
        if let Some(s) = start {
            push_hit(&mut line.hits, s..line.text.len());
        }
        if !line.hits.is_empty() {
            lines.push(clip(trim(line)));
            if lines.len() == max {
                break;
            }
        }
    }
    lines
}

/// `text` with the first occurrence of `needle` marked, ignoring ASCII case (as SQL `LIKE`
/// does); `None` when it does not occur.
pub(crate) fn mark_substring(text: &str, needle: &str) -> Option<MarkedLine> {
    let n = needle.len();
    if n == 0 || n > text.len() {
        return None;
    }
    // Byte-wise, so a match of a valid UTF-8 needle starts and ends at character boundaries.
    let at = text
        .as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))?;
    Some(clip(trim(MarkedLine {
        text: text.to_string(),
        hits: std::iter::once(at..at + n).collect(),
    })))
}

fn push_hit(hits: &mut Vec<Range<usize>>, hit: Range<usize>) {
    if !hit.is_empty() {
        hits.push(hit);
    }
}

/// Leading and trailing white space removed (outputs are often indented).
fn trim(line: MarkedLine) -> MarkedLine {
    let start = line.text.len() - line.text.trim_start().len();
    let end = line.text.trim_end().len().max(start);
    window(&line, start, end, false, false)
}

/// A line longer than [`MAX_LINE_CHARS`] cut around its first match, with `…` where cut.
fn clip(line: MarkedLine) -> MarkedLine {
    let chars: Vec<usize> = line.text.char_indices().map(|(i, _)| i).collect();
    if chars.len() <= MAX_LINE_CHARS {
        return line;
    }
    let first = line.hits.first().map_or(0, |h| h.start);
    let first_char = chars.partition_point(|&i| i < first);
    let from_char = first_char
        .saturating_sub(CONTEXT_BEFORE)
        .min(chars.len() - MAX_LINE_CHARS);
    let to_char = from_char + MAX_LINE_CHARS;
    let start = chars[from_char];
    let end = chars.get(to_char).copied().unwrap_or(line.text.len());
    window(&line, start, end, start > 0, end < line.text.len())
}

/// The part `start..end` of a line, its matches moved and cut with it.
fn window(line: &MarkedLine, start: usize, end: usize, before: bool, after: bool) -> MarkedLine {
    const ELLIPSIS: &str = "…";
    let shift = if before { ELLIPSIS.len() } else { 0 };
    let mut text = String::with_capacity(end - start + 2 * ELLIPSIS.len());
    if before {
        text.push_str(ELLIPSIS);
    }
    text.push_str(&line.text[start..end]);
    if after {
        text.push_str(ELLIPSIS);
    }
    let hits = line
        .hits
        .iter()
        .filter_map(|h| {
            let (s, e) = (h.start.max(start), h.end.min(end));
            (s < e).then(|| s - start + shift..e - start + shift)
        })
        .collect();
    MarkedLine { text, hits }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(line: &MarkedLine) -> String {
        let mut out = String::new();
        let mut at = 0;
        for h in &line.hits {
            out.push_str(&line.text[at..h.start]);
            out.push('[');
            out.push_str(&line.text[h.clone()]);
            out.push(']');
            at = h.end;
        }
        out.push_str(&line.text[at..]);
        out
    }

    #[test]
    fn user_text_never_becomes_query_syntax() {
        assert_eq!(fts_query("disk full").unwrap(), r#""disk"* "full"*"#);
        assert_eq!(
            fts_query(r#"say "hi" AND (x OR -y) NEAR/2 a*b ^c col:d"#).unwrap(),
            r#""say"* """hi"""* "AND"* "(x"* "OR"* "-y)"* "NEAR/2"* "a*b"* "^c"* "col:d"*"#
        );
        assert_eq!(fts_query("café 日本語").unwrap(), r#""café"* "日本語"*"#);
        assert_eq!(fts_query(" * - () \" "), None, "nothing to search for");
        assert_eq!(fts_query(""), None);
    }

    #[test]
    fn only_the_lines_that_match_are_kept_trimmed_and_marked() {
        let marked =
            "first line\n   the \u{1}total\u{2} is \u{1}42\u{2}  \nnothing\nlast \u{1}total\u{2}";
        let lines = matching_lines(marked, 5);
        assert_eq!(
            lines.iter().map(shown).collect::<Vec<_>>(),
            ["the [total] is [42]", "last [total]"]
        );
        assert_eq!(matching_lines(marked, 1).len(), 1, "at most `max` lines");
        assert!(matching_lines("no match here", 3).is_empty());
    }

    #[test]
    fn a_match_across_a_line_break_is_marked_on_both_lines() {
        let lines = matching_lines("a \u{1}disk\nfull\u{2} b", 3);
        assert_eq!(
            lines.iter().map(shown).collect::<Vec<_>>(),
            ["a [disk]", "[full] b"]
        );
    }

    #[test]
    fn a_long_line_is_cut_around_its_first_match() {
        let text = format!("{}\u{1}needle\u{2}{}", "é".repeat(300), "x".repeat(300));
        let line = &matching_lines(&text, 1)[0];
        assert_eq!(
            line.text.chars().count(),
            MAX_LINE_CHARS + 2,
            "two ellipses"
        );
        assert!(line.text.starts_with('…') && line.text.ends_with('…'));
        assert_eq!(&line.text[line.hits[0].clone()], "needle");
        let before = line.text[..line.hits[0].start].chars().count();
        assert_eq!(before, CONTEXT_BEFORE + 1, "context kept before the match");

        let start = format!("\u{1}first\u{2} {}", "y".repeat(400));
        let line = &matching_lines(&start, 1)[0];
        assert!(line.text.starts_with("first") && line.text.ends_with('…'));
    }

    #[test]
    fn substrings_are_found_ignoring_ascii_case() {
        let line = mark_substring("Invoice Triage", "voice t").unwrap();
        assert_eq!(shown(&line), "In[voice T]riage");
        assert_eq!(
            shown(&mark_substring("Café Ünïcode", "Ünï").unwrap()),
            "Café [Ünï]code"
        );
        assert!(
            mark_substring("CAFÉ", "café").is_none(),
            "only ASCII letters fold, as in SQL LIKE"
        );
        assert!(mark_substring("abc", "abcd").is_none());
    }
}
