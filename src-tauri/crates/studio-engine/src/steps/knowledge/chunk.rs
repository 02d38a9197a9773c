//! Cutting a document into chunks for retrieval.
//!
//! A chunk is what a query finds and what a model is later shown, so it should hold whole
//! thoughts: the text is first cut into *units* — sentences, or lines, within paragraphs — and
//! units are packed into chunks of at most `size` characters. A chunk ends early at a paragraph
//! break when that keeps it at least half full, so topics are not glued together. Each chunk
//! after the first starts with the last whole units of the one before, up to `overlap`
//! characters, so a fact cut by a boundary is still found whole in one of the two. A unit longer
//! than `size` (a run-on sentence, a table row) is cut at spaces, and a word longer than `size`
//! at a character.
//!
//! Sizes are in characters (not bytes), and each chunk is the document's own text between its
//! first and last unit, spacing kept.

/// One chunk: its text and where it starts in the document, in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    pub start: usize,
}

/// A stretch of the text: byte offsets, and whether a paragraph starts with it.
#[derive(Debug, Clone, Copy)]
struct Unit {
    start: usize,
    end: usize,
    paragraph: bool,
}

/// The chunks of `text`. `size` ≥ 1; `overlap` is clamped below `size`. A text of spaces only
/// gives no chunk.
pub fn chunk_text(text: &str, size: usize, overlap: usize) -> Vec<Chunk> {
    let size = size.max(1);
    let overlap = overlap.min(size.saturating_sub(1));
    let chars = CharIndex::new(text);
    let units = split_long(text, &units(text), size, &chars);
    let mut chunks = Vec::new();
    let mut first = 0;
    while first < units.len() {
        let start = units[first].start;
        // The last unit that still fits.
        let mut last = first;
        while last + 1 < units.len() && chars.len(start, units[last + 1].end) <= size {
            last += 1;
        }
        // End at a paragraph break when it keeps the chunk at least half full.
        if last + 1 < units.len() && !units[last + 1].paragraph {
            if let Some(p) = (first + 1..=last)
                .rev()
                .find(|&k| units[k].paragraph && chars.len(start, units[k].start) >= size / 2)
            {
                last = p - 1;
            }
        }
        let end = units[last].end;
        chunks.push(Chunk {
            text: text[start..end].to_string(),
            start: chars.at(start),
        });
        if last + 1 >= units.len() {
            break;
        }
        // The next chunk starts with the last whole units that fit in `overlap`, but always
        // after this one's start, so every chunk moves forward.
        let mut next = last + 1;
        while next > first + 1 && chars.len(units[next - 1].start, end) <= overlap {
            next -= 1;
        }
        first = next;
    }
    chunks
}

/// Sentences and lines, trimmed, with paragraph starts marked.
fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut paragraph = true;
    let mut newlines = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '\n' {
            if let Some(s) = start.take() {
                out.push(trimmed(text, s, i, paragraph));
                paragraph = false;
            }
            newlines += 1;
            if newlines >= 2 {
                paragraph = true;
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        newlines = 0;
        if start.is_none() {
            start = Some(i);
        }
        let ends_sentence = matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
            && iter.peek().is_none_or(|(_, n)| n.is_whitespace());
        if ends_sentence {
            let end = i + c.len_utf8();
            if let Some(s) = start.take() {
                out.push(trimmed(text, s, end, paragraph));
                paragraph = false;
            }
        }
    }
    if let Some(s) = start {
        out.push(trimmed(text, s, text.len(), paragraph));
    }
    out.retain(|u| u.end > u.start);
    out
}

fn trimmed(text: &str, start: usize, end: usize, paragraph: bool) -> Unit {
    let piece = &text[start..end];
    let end = start + piece.trim_end().len();
    Unit {
        start,
        end,
        paragraph,
    }
}

/// Units longer than `size` characters cut at spaces (a word longer than `size` at a character).
fn split_long(text: &str, units: &[Unit], size: usize, chars: &CharIndex) -> Vec<Unit> {
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        if chars.len(unit.start, unit.end) <= size {
            out.push(*unit);
            continue;
        }
        let mut piece_start = unit.start;
        let mut paragraph = unit.paragraph;
        while chars.len(piece_start, unit.end) > size {
            // The byte offset `size` characters in.
            let limit = chars.offset(piece_start, size);
            let cut = text[piece_start..limit]
                .rfind(char::is_whitespace)
                .map(|i| piece_start + i)
                .filter(|&c| c > piece_start)
                .unwrap_or(limit);
            let end = piece_start + text[piece_start..cut].trim_end().len();
            out.push(Unit {
                start: piece_start,
                end,
                paragraph,
            });
            paragraph = false;
            let rest = &text[cut..unit.end];
            piece_start = cut + (rest.len() - rest.trim_start().len());
        }
        if piece_start < unit.end {
            out.push(Unit {
                start: piece_start,
                end: unit.end,
                paragraph,
            });
        }
    }
    out
}

/// Character positions of byte offsets, for a text that may not be ASCII.
struct CharIndex {
    /// The byte offset of each character, and the text's length at the end.
    offsets: Vec<usize>,
}

impl CharIndex {
    fn new(text: &str) -> Self {
        let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        offsets.push(text.len());
        Self { offsets }
    }

    /// The character position of a byte offset (a character boundary).
    fn at(&self, byte: usize) -> usize {
        self.offsets.partition_point(|&o| o < byte)
    }

    /// Characters between two byte offsets.
    fn len(&self, from: usize, to: usize) -> usize {
        self.at(to) - self.at(from)
    }

    /// The byte offset `n` characters after `from` (at most the end).
    fn offset(&self, from: usize, n: usize) -> usize {
        let i = (self.at(from) + n).min(self.offsets.len() - 1);
        self.offsets[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(chunks: &[Chunk]) -> Vec<&str> {
        chunks.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn a_short_text_is_one_chunk() {
        let c = chunk_text("  One sentence. Two.  ", 100, 10);
        assert_eq!(texts(&c), vec!["One sentence. Two."]);
        assert_eq!(c[0].start, 2);
        assert!(chunk_text(" \n\n ", 100, 10).is_empty());
    }

    #[test]
    fn sentences_are_packed_and_overlap_whole() {
        let text = "Alpha is first. Beta is second. Gamma is third. Delta is fourth.";
        let c = chunk_text(text, 34, 16);
        assert_eq!(
            texts(&c),
            vec![
                "Alpha is first. Beta is second.",
                "Beta is second. Gamma is third.",
                "Gamma is third. Delta is fourth."
            ]
        );
        for chunk in &c {
            assert!(chunk.text.chars().count() <= 34);
            let start: String = text.chars().skip(chunk.start).take(5).collect();
            assert_eq!(start, chunk.text[..5], "offsets point into the text");
        }
        // Without overlap nothing repeats.
        let c = chunk_text(text, 34, 0);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].text, "Gamma is third. Delta is fourth.");
    }

    #[test]
    fn a_paragraph_break_ends_a_chunk_that_is_half_full() {
        let text = "First topic, one. First topic, two.\n\nSecond topic starts. It goes on.";
        let c = chunk_text(text, 60, 0);
        assert_eq!(
            texts(&c),
            vec![
                "First topic, one. First topic, two.",
                "Second topic starts. It goes on."
            ]
        );
    }

    #[test]
    fn long_sentences_and_long_words_are_cut() {
        let text = "word ".repeat(30);
        let c = chunk_text(&text, 22, 5);
        assert!(c.iter().all(|c| c.text.chars().count() <= 22), "{c:?}");
        assert!(c.iter().all(|c| !c.text.starts_with(' ')));
        let joined: usize = c.iter().map(|c| c.text.matches("word").count()).sum();
        assert!(joined >= 30, "every word is in a chunk");
        let long = "x".repeat(25);
        let c = chunk_text(&long, 10, 0);
        assert_eq!(texts(&c), vec!["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
    }

    #[test]
    fn sizes_count_characters_not_bytes() {
        let text = "Ünïcödé wörds. Äre cöuntéd. Ïn chäracters.";
        let c = chunk_text(text, 14, 0);
        assert_eq!(texts(&c)[0], "Ünïcödé wörds.");
        assert_eq!(c[1].start, 15);
    }
}
