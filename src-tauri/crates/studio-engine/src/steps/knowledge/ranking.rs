//! Hybrid ranking over the knowledge store: keyword relevance (FTS5 BM25) and vector cosine.
//!
//! **Fusion: a normalised weighted sum.** For each candidate chunk,
//!
//! ```text
//! score = w · bm25 / bm25_best  +  (1 − w) · max(cosine, 0)        w = keyword_weight (0.5)
//! ```
//!
//! where `bm25` is FTS5's relevance (its `bm25()` negated, so higher is better) and `bm25_best`
//! the best relevance among the chunks in scope: the best keyword match counts 1 and the others
//! their share of it. Both halves are in 0..=1, so the score is too, and `min_score` has a
//! meaning. Reciprocal rank fusion was the other candidate; it was not chosen because it keeps
//! only ranks: the tenth result scores the same whether it is nearly as good as the first or
//! barely related, so no threshold can be set on it, and a query that matches one chunk
//! strongly and nothing else cannot be told from one that matches weakly everywhere. The
//! keyword half is relative to the query's best match (BM25 has no fixed scale); the cosine half
//! is absolute.
//!
//! **Candidates.** The best `max(100, 10 · top_k)` keyword matches in scope — all matches when a
//! collection or a metadata filter narrows the scope, so a small collection never loses its
//! matches to a big one — and as many chunks by cosine (every chunk in scope is compared; the
//! vectors are in memory, [`super::index`]). A chunk outside the keyword candidates counts 0 for
//! its keyword half: it is at best the last of them. Ties go to the older chunk, so equal
//! queries give equal answers.
//!
//! **Query text.** The user's words become an FTS5 expression of quoted strings joined by `OR`
//! ([`match_expression`]): each word is letters and digits only, so no quote, `*`, `^`, `:`,
//! parenthesis, `AND`/`OR`/`NOT`/`NEAR` keyword or column filter can reach the FTS5 parser as
//! syntax, and a query can never fail on its wording.

use super::index::{self, VectorIndex};
use super::local_embedder::{dot, is_stopword};
use super::store::{EmbedderId, KnowledgeStore, StoreError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The default share of the keyword half.
pub const DEFAULT_KEYWORD_WEIGHT: f64 = 0.5;
/// The fewest keyword and cosine candidates a search considers.
const MIN_CANDIDATES: usize = 100;
/// The most words of a query that are searched.
const MAX_QUERY_WORDS: usize = 64;

/// What to look for.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub text: &'a str,
    /// The query's vector and the embedder that made it, which must be the one of every
    /// collection in scope; `None`: keywords only.
    pub vector: Option<(&'a [f32], &'a EmbedderId)>,
    /// Only this collection (default: all).
    pub collection: Option<&'a str>,
    /// Metadata every result's document must have ([`metadata_matches`]).
    pub filter: &'a Map<String, Value>,
    pub top_k: usize,
    pub min_score: Option<f64>,
    /// The keyword half's share, 0..=1.
    pub keyword_weight: f64,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The document's id.
    pub id: String,
    pub collection: String,
    /// The chunk's number in its document, from 0.
    pub chunk: u32,
    pub score: f64,
    /// FTS5 relevance, higher is better; 0 when the chunk was not a keyword match.
    pub bm25: f64,
    /// `None` when the search had no vector.
    pub cosine: Option<f64>,
    pub content: String,
    pub metadata: Value,
    pub source: Option<String>,
}

/// The FTS5 expression for a text: its distinct words (letters and digits, lower-cased), very
/// common English words left out unless nothing else is left, each quoted, joined by `OR`.
/// `None` when the text has no word.
pub fn match_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut kept: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !is_stopword(w))
        .collect();
    if kept.is_empty() {
        kept = words.iter().map(String::as_str).collect();
    }
    let mut seen = std::collections::HashSet::new();
    kept.retain(|w| seen.insert(*w));
    kept.truncate(MAX_QUERY_WORDS);
    if kept.is_empty() {
        return None;
    }
    // Letters and digits only: nothing in a word can end the quoted string.
    Some(
        kept.iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

/// Whether a document's metadata has what the filter asks: each key present and equal to the
/// value given, or to one of the values of a list; a list in the metadata matches when one of
/// its values does. Numbers compare as numbers; a string and a number or boolean compare as
/// text (`"2024"` matches `2024`: values that went through a `{{reference}}` are text).
pub fn metadata_matches(metadata: &Value, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, want)| {
        let Some(have) = metadata.get(key) else {
            return false;
        };
        let wanted = std::slice::from_ref(want);
        let wanted = want.as_array().map_or(wanted, Vec::as_slice);
        let haves = std::slice::from_ref(have);
        let haves = have.as_array().map_or(haves, Vec::as_slice);
        wanted
            .iter()
            .any(|w| haves.iter().any(|h| same_value(h, w)))
    })
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::String(s), Value::Bool(v)) | (Value::Bool(v), Value::String(s)) => {
            s.trim().parse::<bool>().ok() == Some(*v)
        }
        _ => a == b,
    }
}

impl KnowledgeStore {
    /// The best chunks for a query, best first ([module documentation](self)).
    pub fn search(&self, q: &Query<'_>) -> Result<Vec<Hit>, StoreError> {
        let index = index::current(&self.conn, &self.path)?;
        let in_scope = self.scope(&index, q)?;
        let narrowed = in_scope.iter().any(|ok| !ok);
        let candidates = MIN_CANDIDATES.max(q.top_k.saturating_mul(10));

        // The keyword half: chunk position → relevance.
        let mut keyword: HashMap<usize, f64> = HashMap::new();
        if let Some(expression) = match_expression(q.text) {
            let limit = if narrowed { -1 } else { candidates as i64 };
            let mut stmt = self.conn.prepare_cached(
                "SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?1 \
                 ORDER BY bm25(chunks_fts) LIMIT ?2",
            )?;
            let mut rows = stmt.query(rusqlite::params![expression, limit])?;
            while let Some(row) = rows.next()? {
                let Some(pos) = index.position(row.get(0)?) else {
                    continue;
                };
                if in_scope[index.chunks[pos].doc as usize] {
                    keyword.insert(pos, -row.get::<_, f64>(1)?);
                }
            }
        }
        let best = keyword.values().copied().fold(0.0f64, f64::max);

        // The vector half: every chunk in scope, the best `candidates` kept.
        let mut by_cosine: Vec<(f32, usize)> = Vec::new();
        if let Some((v, _)) = q.vector {
            by_cosine = index
                .chunks
                .iter()
                .enumerate()
                .filter(|(_, c)| in_scope[c.doc as usize])
                .map(|(pos, c)| (dot(v, index.vector(c)), pos))
                .collect();
            if by_cosine.len() > candidates {
                by_cosine.select_nth_unstable_by(candidates, |a, b| b.0.total_cmp(&a.0));
                by_cosine.truncate(candidates);
            }
        }

        let w = q.keyword_weight.clamp(0.0, 1.0);
        let mut scored: Vec<(f64, usize, f64, Option<f64>)> = keyword
            .keys()
            .copied()
            .chain(by_cosine.iter().map(|(_, pos)| *pos))
            .collect::<std::collections::BTreeSet<usize>>()
            .into_iter()
            .map(|pos| {
                let relevance = keyword.get(&pos).copied().unwrap_or(0.0);
                let cosine = q
                    .vector
                    .map(|(v, _)| f64::from(dot(v, index.vector(&index.chunks[pos]))));
                let keyword_part = if best > 0.0 { relevance / best } else { 0.0 };
                let score = w * keyword_part + (1.0 - w) * cosine.unwrap_or(0.0).max(0.0);
                (score, pos, relevance, cosine)
            })
            .filter(|(score, ..)| q.min_score.is_none_or(|m| *score >= m))
            .collect();
        // Best first; ties to the older chunk (positions follow chunk ids).
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(q.top_k);
        self.hits(&index, &scored)
    }

    /// Which documents the query may return: in its collection (when it names one) and
    /// matching its filter.
    fn scope(&self, index: &VectorIndex, q: &Query<'_>) -> Result<Vec<bool>, StoreError> {
        let collection = match q.collection {
            Some(name) => Some(
                index
                    .collections
                    .iter()
                    .position(|c| c.name == name)
                    .ok_or_else(|| StoreError::NoCollection {
                        name: name.to_string(),
                        known: index.collections.iter().map(|c| c.name.clone()).collect(),
                    })? as u32,
            ),
            None => None,
        };
        if let Some((_, embedder)) = q.vector {
            let mismatch = index
                .collections
                .iter()
                .enumerate()
                .filter(|(i, _)| collection.is_none_or(|c| c as usize == *i))
                .find(|(_, c)| c.embedder != embedder.name || c.dimensions != embedder.dimensions);
            if let Some((_, c)) = mismatch {
                return Err(StoreError::EmbedderMismatch {
                    collection: c.name.clone(),
                    stored: c.embedder.clone(),
                    stored_dimensions: c.dimensions,
                    given: embedder.name.clone(),
                    given_dimensions: embedder.dimensions,
                });
            }
        }
        Ok(index
            .docs
            .iter()
            .map(|d| {
                collection.is_none_or(|c| d.collection == c)
                    && (q.filter.is_empty() || metadata_matches(&d.metadata, q.filter))
            })
            .collect())
    }

    fn hits(
        &self,
        index: &VectorIndex,
        scored: &[(f64, usize, f64, Option<f64>)],
    ) -> Result<Vec<Hit>, StoreError> {
        let mut content = self
            .conn
            .prepare_cached("SELECT content FROM chunks WHERE id = ?1")?;
        let mut hits = Vec::with_capacity(scored.len());
        for &(score, pos, bm25, cosine) in scored {
            let chunk = &index.chunks[pos];
            let doc = &index.docs[chunk.doc as usize];
            hits.push(Hit {
                id: doc.key.clone(),
                collection: index.collections[doc.collection as usize].name.clone(),
                chunk: chunk.ordinal,
                score,
                bm25,
                cosine,
                content: content.query_row([chunk.id], |r| r.get(0))?,
                metadata: doc.metadata.clone(),
                source: doc.source.clone(),
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_text_never_reaches_fts5_as_syntax() {
        assert_eq!(
            match_expression("What is the \"capital\" of NEAR(Foo*)?").as_deref(),
            Some("\"capital\" OR \"near\" OR \"foo\"")
        );
        assert_eq!(
            match_expression("AND OR NOT").as_deref(),
            Some("\"and\" OR \"or\" OR \"not\"")
        );
        assert_eq!(
            match_expression("the of").as_deref(),
            Some("\"the\" OR \"of\""),
            "stopwords only: kept"
        );
        assert_eq!(match_expression("\"*\" ^ : ()"), None);
    }

    #[test]
    fn metadata_filters_match_values_lists_and_text() {
        let m = json!({"lang": "en", "year": 2024, "tags": ["ops", "keys"], "draft": false});
        let f = |v: Value| v.as_object().unwrap().clone();
        assert!(metadata_matches(&m, &f(json!({"lang": "en"}))));
        assert!(metadata_matches(&m, &f(json!({"year": "2024"}))));
        assert!(metadata_matches(&m, &f(json!({"year": 2024.0}))));
        assert!(metadata_matches(&m, &f(json!({"lang": ["fr", "en"]}))));
        assert!(metadata_matches(
            &m,
            &f(json!({"tags": "keys", "draft": false}))
        ));
        assert!(metadata_matches(&m, &f(json!({"draft": "false"}))));
        assert!(!metadata_matches(&m, &f(json!({"lang": "fr"}))));
        assert!(!metadata_matches(&m, &f(json!({"missing": "x"}))));
        assert!(!metadata_matches(
            &m,
            &f(json!({"lang": "en", "year": 2023}))
        ));
    }
}
