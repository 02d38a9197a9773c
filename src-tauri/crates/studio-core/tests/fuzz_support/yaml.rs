//! Writes a JSON value as YAML the way people do (block style, plain and quoted scalars, flow
//! collections, block literals), and, when asked, with YAML's traps: anchors and aliases,
//! merge keys, duplicated keys, tags, comments, a byte order mark, a second document.

use serde_json::Value;

/// A small deterministic generator (xorshift), seeded by the test's input.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// True about one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// How hostile the writer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traps {
    None,
    Some,
}

struct Writer {
    dice: Dice,
    traps: Traps,
    out: String,
    anchors: usize,
}

/// `value` as a YAML document.
pub fn to_yaml(value: &Value, seed: u64, traps: Traps) -> String {
    let mut w = Writer {
        dice: Dice::new(seed),
        traps,
        out: String::new(),
        anchors: 0,
    };
    if w.trap(40) {
        w.out.push('\u{feff}');
    }
    if w.trap(30) {
        w.out.push_str("%YAML 1.2\n---\n");
    }
    w.block(value, 0, true);
    if w.trap(40) {
        w.out.push_str("---\nsecond: document\n");
    }
    if w.trap(40) {
        w.out.push_str("...\n");
    }
    w.out
}

impl Writer {
    fn trap(&mut self, one_in: u64) -> bool {
        self.traps == Traps::Some && self.dice.one_in(one_in)
    }

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// A value indented by `indent`; `placed` when the cursor already stands where its first
    /// line starts (after `- `, or at the start of the document).
    fn block(&mut self, value: &Value, indent: usize, placed: bool) {
        match value {
            Value::Object(map) if !map.is_empty() && !self.dice.one_in(12) => {
                let entries: Vec<_> = map.iter().collect();
                for (i, (key, v)) in entries.iter().enumerate() {
                    if i > 0 || !placed {
                        self.indent(indent);
                    }
                    self.key(key);
                    self.after_key(v, indent);
                    if self.trap(25) {
                        // The same key again, with another value.
                        self.indent(indent);
                        self.key(key);
                        self.out.push_str(": 1\n");
                    }
                    if self.trap(60) {
                        self.indent(indent);
                        self.out.push_str("# a comment: {{ not.a.reference }}\n");
                    }
                }
            }
            Value::Array(items) if !items.is_empty() && !self.dice.one_in(12) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 || !placed {
                        self.indent(indent);
                    }
                    self.out.push('-');
                    match item {
                        Value::Object(m) if !m.is_empty() => {
                            self.out.push(' ');
                            self.block(item, indent + 2, true);
                        }
                        Value::Array(a) if !a.is_empty() => {
                            self.out.push('\n');
                            self.block(item, indent + 2, false);
                        }
                        _ => {
                            self.out.push(' ');
                            self.scalar_line(item, indent + 2);
                        }
                    }
                }
            }
            _ => {
                if !placed {
                    self.indent(indent);
                }
                self.scalar_line(value, indent)
            }
        }
    }

    /// What follows `key` on its line.
    fn after_key(&mut self, v: &Value, indent: usize) {
        let collection = matches!(v, Value::Object(m) if !m.is_empty())
            || matches!(v, Value::Array(a) if !a.is_empty());
        if collection && self.trap(20) {
            // Anchor it, then refer to it again as a sibling (an alias replays it).
            self.anchors += 1;
            let name = format!("a{}", self.anchors);
            self.out.push_str(&format!(": &{name}\n"));
            self.block(v, indent + 2, false);
            self.indent(indent);
            if v.is_object() && self.dice.one_in(2) {
                self.out.push_str(&format!("merged{}:\n", self.anchors));
                self.indent(indent + 2);
                self.out.push_str(&format!("<<: *{name}\n"));
            } else {
                self.out
                    .push_str(&format!("again{}: *{name}\n", self.anchors));
            }
        } else if collection {
            self.out.push_str(":\n");
            self.block(v, indent + 2, false);
        } else {
            self.out.push_str(": ");
            self.scalar_line(v, indent + 2);
        }
    }

    fn key(&mut self, key: &str) {
        if self.trap(50) {
            self.out.push_str("? ");
        }
        if plain(key) && !self.dice.one_in(8) {
            self.out.push_str(key);
        } else {
            self.out.push_str(&quoted(key));
        }
    }

    /// A scalar or a flow collection, then the end of the line.
    fn scalar_line(&mut self, v: &Value, indent: usize) {
        if self.trap(40) {
            self.out
                .push_str(["!!str ", "!!int ", "!custom ", "!!binary "][self.dice.below(4)]);
        }
        match v {
            Value::String(s)
                if s.contains('\n') && !s.starts_with([' ', '\t']) && self.dice.one_in(2) =>
            {
                self.out
                    .push_str(if s.ends_with('\n') { "|\n" } else { "|-\n" });
                for line in s.lines() {
                    self.indent(indent);
                    self.out.push_str(line);
                    self.out.push('\n');
                }
                return;
            }
            Value::String(s) if plain(s) && !self.dice.one_in(4) => self.out.push_str(s),
            Value::String(s) if !s.contains(['\'', '\n', '\r']) && self.dice.one_in(3) => {
                self.out.push('\'');
                self.out.push_str(s);
                self.out.push('\'');
            }
            // JSON text is YAML flow text.
            other => self.out.push_str(&other.to_string()),
        }
        if self.trap(50) {
            self.out.push_str(" # trailing comment");
        }
        self.out.push('\n');
    }
}

/// Whether a string can be written unquoted and still read as a string (roughly: YAML may
/// still read some as numbers or booleans, which is a test input too).
fn plain(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
        && !s.ends_with(' ')
}

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_yaml_reads_back_as_the_same_value() {
        let v = serde_json::json!({"name": "x", "steps": [{"id": "a", "n": [1, 2], "m": {"k": "a\nb\n"}}]});
        let text = to_yaml(&v, 7, Traps::None);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
