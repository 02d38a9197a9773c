//! Byte-level mutations of real files: the repository's mission templates and examples, cut,
//! spliced, flipped and truncated.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A real mission file: its name (whose extension picks the format) and its bytes.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every `.yaml`, `.yml` and `.json` file under the repository's `missions/` folder, except
/// the JSON Schemas.
pub fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions");
        let mut files = Vec::new();
        collect(&root, &mut files);
        files.sort();
        let seeds: Vec<Seed> = files
            .into_iter()
            .filter(|p| !p.components().any(|c| c.as_os_str() == "schema"))
            .map(|p| Seed {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                bytes: std::fs::read(&p).unwrap(),
            })
            .collect();
        assert!(seeds.len() > 50, "the missions folder holds the seeds");
        seeds
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// Text that means something to YAML, JSON or the template syntax.
const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "&a ",
    "*a",
    "<<: *a\n",
    ": ",
    "\n  - ",
    "\n- ",
    "\t",
    "\u{0}",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    ",",
    "!!binary ",
    "!!int ",
    "---\n",
    "...\n",
    "\u{feff}",
    "#",
    "|\n",
    ">-\n",
    "? ",
    "\\u0000",
    "\\",
    "1e999",
    "-",
    "null",
    "~",
    "depends_on: [a, a, zz]\n",
    "steps: []\n",
    "\n  ",
    "\r\n",
    "%TAG ! tag:x,2000:\n",
    "💥",
    "\u{202e}",
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub enum Mutation {
    Insert(usize, Vec<u8>),
    InsertToken(usize, usize),
    Delete(usize, usize),
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    /// Copies a range of the file to another place (repeats keys, steps, lines).
    Duplicate(usize, usize, usize),
}

impl Mutation {
    /// Applies the edit; positions are taken modulo the length so every edit applies.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match self {
            Self::Insert(p, b) => {
                let p = at(*p, bytes.len());
                bytes.splice(p..p, b.iter().copied());
            }
            Self::InsertToken(p, t) => {
                let p = at(*p, bytes.len());
                let t = TOKENS[t % TOKENS.len()].as_bytes();
                bytes.splice(p..p, t.iter().copied());
            }
            Self::Delete(p, n) => {
                let p = at(*p, bytes.len());
                let end = (p + n).min(bytes.len());
                bytes.drain(p..end);
            }
            Self::FlipBit(p, bit) => {
                if !bytes.is_empty() {
                    let p = p % bytes.len();
                    bytes[p] ^= 1 << (bit % 8);
                }
            }
            Self::SetByte(p, b) => {
                if !bytes.is_empty() {
                    let p = p % bytes.len();
                    bytes[p] = *b;
                }
            }
            Self::Truncate(p) => {
                let p = at(*p, bytes.len());
                bytes.truncate(p);
            }
            Self::Duplicate(from, n, to) => {
                let from = at(*from, bytes.len());
                let end = (from + n).min(bytes.len());
                let piece = bytes[from..end].to_vec();
                let to = at(*to, bytes.len());
                bytes.splice(to..to, piece);
            }
        }
    }
}

/// One edit, mostly small.
pub fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Mutation::InsertToken(p, t)),
        3 => (any::<usize>(), 1usize..40).prop_map(|(p, n)| Mutation::Delete(p, n)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        2 => (any::<usize>(), prop::sample::select(&b" :-[]{}\n\t\"'&*!|>#%@`,?"[..])).prop_map(|(p, b)| Mutation::SetByte(p, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), 1usize..200, any::<usize>()).prop_map(|(f, n, t)| Mutation::Duplicate(f, n, t)),
    ]
    .boxed()
}

/// A seed with 1 to 8 edits: its name and the edited bytes.
pub fn mutated_seed() -> BoxedStrategy<(String, Vec<u8>)> {
    (0..seeds().len(), prop::collection::vec(mutation(), 1..8))
        .prop_map(|(i, edits)| {
            let seed = &seeds()[i];
            let mut bytes = seed.bytes.clone();
            for e in &edits {
                e.apply(&mut bytes);
            }
            (seed.name.clone(), bytes)
        })
        .boxed()
}
