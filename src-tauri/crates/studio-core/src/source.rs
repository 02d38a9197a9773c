//! Where a mission came from: its text and positions inside it.

use serde::{Deserialize, Serialize};

/// The text of a mission file and the name it is reported under (usually its path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The syntax a mission was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Yaml,
    Json,
}

/// A position in a source text: 1-based line and column (in characters), plus the byte range
/// that a report can underline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    /// Byte offset of the start in the source text.
    pub offset: usize,
    /// Length in bytes of the marked text (0 when only a point is known).
    pub len: usize,
}

impl Location {
    /// The location of a byte offset in `text` (clamped to the text and to a char boundary).
    pub fn at_offset(text: &str, offset: usize, len: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        let len = len.min(text.len() - offset);
        Self {
            line,
            column,
            offset,
            len,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_columns() {
        let text = "name: x\nsteps:\n  - id: é\n";
        let loc = Location::at_offset(text, text.find("id").unwrap(), 2);
        assert_eq!((loc.line, loc.column, loc.len), (3, 5, 2));
        assert_eq!(Location::at_offset(text, 0, 4).to_string(), "1:1");
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let text = "é";
        let loc = Location::at_offset(text, 1, 10);
        assert_eq!(
            (loc.offset, loc.len),
            (0, 2),
            "offset 1 is inside the two-byte é"
        );
        let loc = Location::at_offset(text, 99, 1);
        assert_eq!((loc.line, loc.column, loc.offset, loc.len), (1, 2, 2, 0));
    }
}
