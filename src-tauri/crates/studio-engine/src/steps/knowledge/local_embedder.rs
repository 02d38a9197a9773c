//! The built-in `local` embedder: deterministic, offline, and lexical.
//!
//! A text becomes a fixed-length vector by the hashing trick: its words (lower-cased, split on
//! anything that is not a letter or a digit, with very common English words left out), each
//! word's character trigrams (of `<word>`, so word parts such as `comput` in "computer" and
//! "computing" meet), and each pair of neighbouring words are hashed into one of `dimensions`
//! slots with a hashed sign, weighted, added up and L2-normalised.
//!
//! The cosine of two such vectors measures shared wording, not meaning: "car" and "automobile"
//! share nothing. Every output made with it says `lexical: true`, so nobody mistakes it for a
//! semantic model. What it buys: no download, no network, the same vector on every machine and
//! every run (the hash is FNV-1a, written out here, not the standard library's randomised one),
//! and a useful second opinion next to BM25 when ranking.
//!
//! The name [`MODEL`] carries a version: a change to the features or weights must change it, so a
//! collection embedded with the old one is recognised as different.

/// The model name the local embedder reports.
pub const MODEL: &str = "local-lexical-v1";
/// The vector length when a step names none.
pub const DEFAULT_DIMENSIONS: usize = 384;
/// The shortest and longest vectors it makes.
pub const MIN_DIMENSIONS: usize = 32;
pub const MAX_DIMENSIONS: usize = 4096;

/// Weight of a whole word.
const WORD_WEIGHT: f32 = 1.0;
/// Weight of one word's trigrams together: each of a word's `n` trigrams weighs
/// `TRIGRAM_WEIGHT / √n`, so a word's trigrams add the same length to the vector whatever the
/// word's length (a long word counts no more than a short one).
const TRIGRAM_WEIGHT: f32 = 0.8;
/// Weight of a pair of neighbouring words.
const PAIR_WEIGHT: f32 = 0.4;

/// Words so common in English that matching them says nothing about the topic. Kept short: the
/// aim is to stop "the", "is", "of" from making every text look alike.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he",
    "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of",
    "on", "or", "our", "she", "so", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "to", "was", "we", "were", "what", "when", "where", "which",
    "who", "whom", "why", "will", "with", "would", "you", "your",
];

/// Whether a lower-cased word is one of the [`STOPWORDS`].
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// The lower-cased words of a text: runs of letters and digits. Apostrophes inside a word are
/// dropped ("operator's" → "operators"), so possessives and their plain forms stay close.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        } else if (c == '\'' || c == '’')
            && !current.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            continue;
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The local embedder, at one vector length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalEmbedder {
    dimensions: usize,
}

impl Default for LocalEmbedder {
    fn default() -> Self {
        Self {
            dimensions: DEFAULT_DIMENSIONS,
        }
    }
}

impl LocalEmbedder {
    /// `None` when `dimensions` is outside [`MIN_DIMENSIONS`]..=[`MAX_DIMENSIONS`].
    pub fn new(dimensions: usize) -> Option<Self> {
        (MIN_DIMENSIONS..=MAX_DIMENSIONS)
            .contains(&dimensions)
            .then_some(Self { dimensions })
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// The text's vector: L2-normalised, or all zeros for a text with no word that counts.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; self.dimensions];
        let all = words(text);
        let kept: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|w| !is_stopword(w))
            .collect();
        // A text of stopwords only ("who is it?") still gets a vector from them.
        let kept = if kept.is_empty() {
            all.iter().map(String::as_str).collect()
        } else {
            kept
        };
        for word in &kept {
            self.add(&mut v, b'w', word.as_bytes(), WORD_WEIGHT);
            let padded: Vec<char> = std::iter::once('<')
                .chain(word.chars())
                .chain(std::iter::once('>'))
                .collect();
            let grams = padded.len().saturating_sub(2);
            if grams > 0 {
                let weight = TRIGRAM_WEIGHT / (grams as f32).sqrt();
                let mut buf = [0u8; 12];
                for tri in padded.windows(3) {
                    let mut n = 0;
                    for c in tri {
                        n += c.encode_utf8(&mut buf[n..]).len();
                    }
                    self.add(&mut v, b'c', &buf[..n], weight);
                }
            }
        }
        for pair in kept.windows(2) {
            let joined = format!("{} {}", pair[0], pair[1]);
            self.add(&mut v, b'p', joined.as_bytes(), PAIR_WEIGHT);
        }
        normalize(&mut v);
        v
    }

    /// Adds `weight` to the slot of a feature (`kind` keeps words, trigrams and pairs apart), with
    /// the sign from another bit of the hash, so collisions cancel out on average.
    fn add(&self, v: &mut [f32], kind: u8, feature: &[u8], weight: f32) {
        let h = fnv1a(kind, feature);
        let slot = (h % self.dimensions as u64) as usize;
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        v[slot] += sign * weight;
    }
}

/// FNV-1a (64 bit) of a kind byte and the feature's bytes, with a final mix so the top bit (the
/// sign) depends on every byte.
fn fnv1a(kind: u8, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in std::iter::once(&kind).chain(bytes) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Scales a vector to length 1 (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The cosine of two vectors of the same length (0 when either is all zeros).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// The dot product: the cosine of two normalised vectors. Eight running sums, so the compiler
/// can keep them in one SIMD register (a single sum is a chain of dependent additions).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (mut xs, mut ys) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut xs).zip(&mut ys) {
        for ((s, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    let tail: f32 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stopword_list_is_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stopword("the") && !is_stopword("theatre"));
    }

    #[test]
    fn words_are_lower_cased_and_split_on_anything_else() {
        assert_eq!(
            words("The operator's KEY-rotation (v2), naïve café!"),
            vec!["the", "operators", "key", "rotation", "v2", "naïve", "café"]
        );
        assert!(words("  ... ").is_empty());
    }

    #[test]
    fn vectors_are_deterministic_normalised_and_lexical() {
        let e = LocalEmbedder::default();
        let a = e.embed("The lighthouse keeper of Varnholm island");
        assert_eq!(a, e.embed("The lighthouse keeper of Varnholm island"));
        assert_eq!(a.len(), DEFAULT_DIMENSIONS);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        let close = e.embed("Who keeps the lighthouse on Varnholm?");
        let far = e.embed("Quarterly revenue grew in the EMEA region");
        assert!(dot(&a, &close) > 0.4, "{}", dot(&a, &close));
        assert!(dot(&a, &far) < 0.15, "{}", dot(&a, &far));
        // Lexical: a synonym shares nothing.
        assert!(dot(&e.embed("car"), &e.embed("automobile")) < 0.2);
        // Word parts meet.
        assert!(dot(&e.embed("computer"), &e.embed("computing")) > 0.2);
        assert!(e.embed("!!!").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn the_same_vector_on_every_machine() {
        // Fixed values: a change to the features or the hash must change `MODEL`.
        let v = LocalEmbedder::new(32).unwrap().embed("hybrid retrieval");
        let fingerprint: Vec<i32> = v.iter().map(|x| (x * 1000.0).round() as i32).collect();
        assert_eq!(fingerprint, FINGERPRINT.to_vec(), "{fingerprint:?}");
        assert!(LocalEmbedder::new(8).is_none());
    }

    const FINGERPRINT: [i32; 32] = [
        0, 0, 0, -159, 0, 0, -239, 0, 597, 0, -159, 0, 0, 0, -36, 0, 36, 597, 195, 0, 0, 195, 0, 0,
        0, -195, 0, 0, 0, 0, 159, -195,
    ];

    #[test]
    fn cosine_of_unnormalised_vectors() {
        assert!((cosine(&[2.0, 0.0], &[5.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 0.0], &[-1.0, 0.0]) + 1.0).abs() < 1e-6);
    }
}
