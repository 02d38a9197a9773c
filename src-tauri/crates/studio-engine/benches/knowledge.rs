//! `cargo bench -p studio-engine --bench knowledge`: the latency of `rag_query`'s ranking on a
//! store of 10,000 chunks, against a bare FTS5 `MATCH` on the same table in the same process.
//!
//! The chunks are generated text (about 80 words each, drawn from a 5,000-word vocabulary with
//! Zipf-like frequencies, as in real prose: a few words are everywhere, most are rare), each
//! embedded by the local embedder (384 dimensions). Each query (4 to 8 words, half of them taken
//! from a chunk, so most queries have a good answer) is timed both ways, in alternating order,
//! after a warm-up:
//!
//! - ours: what `rag_query` does once the store is open: embed the query, rank (BM25 candidates,
//!   cosine over every vector in memory, fusion), read the top 5 chunks' text;
//! - baseline: a bare FTS5 keyword search with the same match expression, returning the ids of
//!   the best 5, the least a search can do, in its two spellings: `ORDER BY bm25(chunks_fts)`
//!   (SQLite's top-N sorter, as ours uses for its candidates) and `ORDER BY rank` (FTS5 sorts
//!   every match itself; slower here). Selecting `content` as well would make SQLite read the
//!   text of every match before sorting, which would flatter ours.
//!
//! Also printed: how long the 10,000 chunks took to add, and the first query after a write
//! (which reloads the vectors into memory).

use std::time::{Duration, Instant};
use studio_engine::knowledge::{
    match_expression, Chunk, EmbedderId, KnowledgeStore, LocalEmbedder, NewDocument, Query,
    DEFAULT_KEYWORD_WEIGHT, LOCAL_MODEL,
};

const CHUNKS: usize = 10_000;
const CHUNKS_PER_DOC: usize = 4;
const WORDS_PER_CHUNK: usize = 80;
const VOCABULARY: usize = 5_000;
const QUERIES: usize = 400;
const WARM_UP: usize = 40;
const TOP_K: usize = 5;
/// The target for ours.
const TARGET_P95: Duration = Duration::from_millis(20);

/// xorshift64*: the same corpus and queries on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pseudo-words and their cumulative Zipf weights (rank r weighs 1 / (r + 10)).
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(rng: &mut Rng) -> Self {
        const SYLLABLES: &[&str] = &[
            "ka", "lo", "mer", "tin", "sa", "vor", "el", "qu", "ran", "dis", "po", "ne", "tra",
            "gil", "os", "fen", "ux", "bar", "cle", "mo", "ri", "dan", "zu", "hep",
        ];
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(VOCABULARY);
        while words.len() < VOCABULARY {
            let n = 2 + rng.below(3);
            let w: String = (0..n)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut total = 0.0;
        let cumulative = (0..VOCABULARY)
            .map(|r| {
                total += 1.0 / (r as f64 + 10.0);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.unit() * self.cumulative[VOCABULARY - 1];
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(VOCABULARY - 1)]
    }
}

fn sentence_text(vocab: &Vocabulary, rng: &mut Rng, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            out.push_str(if i % 12 == 0 { ". " } else { " " });
        }
        out.push_str(vocab.word(rng));
    }
    out.push('.');
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let vocab = Vocabulary::new(&mut rng);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("knowledge.db");
    let mut store = KnowledgeStore::open(&path).expect("the store opens");
    let embedder = LocalEmbedder::default();
    let identity = EmbedderId {
        name: format!("local/{LOCAL_MODEL}"),
        dimensions: embedder.dimensions(),
    };
    let metadata = serde_json::Map::new();

    let mut chunk_texts = Vec::with_capacity(CHUNKS);
    let added = Instant::now();
    for doc in 0..CHUNKS / CHUNKS_PER_DOC {
        let chunks: Vec<Chunk> = (0..CHUNKS_PER_DOC)
            .map(|i| Chunk {
                text: sentence_text(&vocab, &mut rng, WORDS_PER_CHUNK),
                start: i * 600,
            })
            .collect();
        let vectors: Vec<Vec<f32>> = chunks.iter().map(|c| embedder.embed(&c.text)).collect();
        let content = chunks
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        store
            .add(&NewDocument {
                collection: "bench",
                id: &format!("doc-{doc}"),
                source: None,
                metadata: &metadata,
                content: &content,
                chunks: &chunks,
                vectors: &vectors,
                embedder: &identity,
            })
            .expect("the document is added");
        chunk_texts.extend(chunks.into_iter().map(|c| c.text));
    }
    let add_time = added.elapsed();

    let queries: Vec<String> = (0..QUERIES + WARM_UP)
        .map(|_| {
            let n = 4 + rng.below(5);
            let source: Vec<&str> = chunk_texts[rng.below(CHUNKS)].split(' ').collect();
            (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        source[rng.below(source.len())]
                            .trim_end_matches('.')
                            .to_string()
                    } else {
                        vocab.word(&mut rng).to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();

    let filter = serde_json::Map::new();
    let ours = |text: &str| -> usize {
        let v = embedder.embed(text);
        store
            .search(&Query {
                text,
                vector: Some((&v, &identity)),
                collection: None,
                filter: &filter,
                top_k: TOP_K,
                min_score: None,
                keyword_weight: DEFAULT_KEYWORD_WEIGHT,
            })
            .expect("the search runs")
            .len()
    };
    let baseline_conn = rusqlite::Connection::open(&path).expect("a second connection");
    // Two spellings of the same keyword search; FTS5 sorts `rank` itself and leaves
    // `bm25(...)` to SQLite's top-N sorter, and they do not cost the same.
    let bare = |sql: &'static str| {
        let mut stmt = baseline_conn.prepare(sql).expect("the statement prepares");
        move |text: &str| -> usize {
            let Some(expression) = match_expression(text) else {
                return 0;
            };
            let rows = stmt
                .query_map(rusqlite::params![expression, TOP_K as i64], |r| {
                    r.get::<_, i64>(0)
                })
                .expect("the query runs");
            rows.collect::<Result<Vec<i64>, _>>()
                .expect("the rows")
                .len()
        }
    };
    let mut by_bm25 = bare(
        "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY bm25(chunks_fts) LIMIT ?2",
    );
    let mut by_rank =
        bare("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT ?2");

    // The first search after the writes loads the vectors.
    let cold = Instant::now();
    ours(&queries[0]);
    let cold = cold.elapsed();

    for q in &queries[..WARM_UP] {
        ours(q);
        by_bm25(q);
        by_rank(q);
    }
    // Each query three ways, in a rotating order so that no side always runs first.
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut found = [0usize; 3];
    for (i, q) in queries[WARM_UP..].iter().enumerate() {
        for k in 0..3 {
            let side = (i + k) % 3;
            let t = Instant::now();
            found[side] += match side {
                0 => ours(q),
                1 => by_bm25(q),
                _ => by_rank(q),
            };
            times[side].push(t.elapsed());
        }
    }
    for t in &mut times {
        t.sort();
    }
    let p = |side: usize| {
        (
            percentile(&times[side], 0.5),
            percentile(&times[side], 0.95),
        )
    };
    let (o50, o95) = p(0);
    let (b50, b95) = p(1);
    let (r50, r95) = p(2);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();

    println!("knowledge store: {CHUNKS} chunks of {WORDS_PER_CHUNK} words, {} dimensions, {QUERIES} queries (top {TOP_K})", embedder.dimensions());
    println!(
        "adding: {:.2} s ({:.0} chunks/s, each embedded and indexed)",
        add_time.as_secs_f64(),
        CHUNKS as f64 / add_time.as_secs_f64()
    );
    println!(
        "first query after a write (loads the vectors): {}",
        ms(cold)
    );
    println!(
        "| | p50 | p95 | ours ÷ it, p50 | ours ÷ it, p95 |\n|---|---|---|---|---|\n| rag_query ranking (embed + hybrid rank + read top {TOP_K}) | {} | {} | | |\n| bare FTS5 `MATCH … ORDER BY bm25(chunks_fts) LIMIT {TOP_K}` (ids) | {} | {} | {:.2}× | {:.2}× |\n| bare FTS5 `MATCH … ORDER BY rank LIMIT {TOP_K}` (ids) | {} | {} | {:.2}× | {:.2}× |",
        ms(o50),
        ms(o95),
        ms(b50),
        ms(b95),
        ratio(o50, b50),
        ratio(o95, b95),
        ms(r50),
        ms(r95),
        ratio(o50, r50),
        ratio(o95, r95),
    );
    println!(
        "results: {} (ours), {} and {} (bare); target p95 ≤ {}: {}",
        found[0],
        found[1],
        found[2],
        ms(TARGET_P95),
        if o95 <= TARGET_P95 { "met" } else { "NOT met" }
    );
}
