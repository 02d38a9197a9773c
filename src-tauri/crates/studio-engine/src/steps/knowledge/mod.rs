//! The knowledge family (DESIGN §5.3): embeddings (`generate_embedding`), cosine ranking
//! (`similarity_search`) and a retrieval store (`rag_add`, `rag_query`).
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. What they
//! share: the embedder ([`embedder`]: the built-in lexical [`local_embedder`], or a provider's
//! embeddings endpoint), chunking ([`chunk`]), and the store ([`store`], its in-memory vectors
//! [`index`], hybrid search [`ranking`]).
//!
//! **Where the store lives.** One SQLite file, `knowledge.db`, in the data folder beside the
//! history database, so every run of the app and the CLI reads what earlier runs added: the host
//! sets [`RunSetup::knowledge_store`](super::RunSetup). A run without one (an embedding host
//! that has no data folder, the engine's own tests) keeps a store of its own in its workspace,
//! `.knowledge/knowledge.db`: retrieval still works within the run, and nothing is written
//! outside it that the host did not ask for.

mod chunk;
mod embedder;
mod generate_embedding;
mod index;
mod local_embedder;
mod rag_add;
mod rag_query;
mod ranking;
mod similarity_search;
mod store;

pub use chunk::{chunk_text, Chunk};
pub use local_embedder::LocalEmbedder;
pub use ranking::{match_expression, Hit, Query, DEFAULT_KEYWORD_WEIGHT};
pub use store::{EmbedderId, KnowledgeStore, NewDocument, StoreError, FILE_NAME};

use super::params::as_text;
use super::{Failure, RunSetup, StepCtx, StepOutput};
use crate::budget::LlmDemand;
use crate::tools::{Reach, SideEffects};
use serde_json::Value;
use std::path::PathBuf;

/// The store of a run whose host named none, inside its workspace.
pub const RUN_LOCAL_STORE: &str = ".knowledge/knowledge.db";

/// The model name of the built-in embedder.
pub const LOCAL_MODEL: &str = local_embedder::MODEL;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    GenerateEmbedding,
    SimilaritySearch,
    RagAdd,
    RagQuery,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("generate_embedding", Kind::GenerateEmbedding),
    ("similarity_search", Kind::SimilaritySearch),
    ("rag_add", Kind::RagAdd),
    ("rag_query", Kind::RagQuery),
];

/// What a step of this type changes: `rag_add` writes the knowledge store, which every later
/// run reads and which lies outside the run's workspace (in the data folder), so its write
/// outlives the run like a remote write does: **external**. That is what the read-only sandbox
/// refuses (it allows writes inside the workspace only) and what strict approval asks about.
/// The other three only read (a provider call sends text out, which is its reach, not a side
/// effect).
pub(crate) fn side_effects(kind: Kind, _params: &Value) -> SideEffects {
    match kind {
        Kind::RagAdd => SideEffects::External,
        Kind::GenerateEmbedding | Kind::SimilaritySearch | Kind::RagQuery => SideEffects::None,
    }
}

/// What a step reaches, given its parameters: a model when it embeds with a provider (the
/// `simulated` one included, as for `llm`), nothing outside the run with the local embedder or
/// when it embeds nothing (two vectors compared; keywords only).
pub(crate) fn reach(kind: Kind, params: &Value) -> Reach {
    let params = canonical(kind, params.clone());
    let provider = params.get("provider").and_then(Value::as_str);
    if embeds(kind, &params) && provider.is_some_and(|p| p != embedder::LOCAL) {
        Reach::Model
    } else {
        Reach::Local
    }
}

/// Whether the step turns any text into a vector.
fn embeds(kind: Kind, p: &Value) -> bool {
    let given = |name: &str| p.get(name).is_some_and(|v| !v.is_null());
    match kind {
        Kind::SimilaritySearch => given("query") || given("texts"),
        Kind::RagQuery => p
            .get("keyword_weight")
            .and_then(Value::as_f64)
            .is_none_or(|w| w < 1.0),
        Kind::GenerateEmbedding | Kind::RagAdd => true,
    }
}

/// What the gate needs before a knowledge step runs.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    /// The model call's reservation (none for the free local embedder).
    pub llm: Option<LlmDemand>,
    /// The provider's endpoint, for the network perimeter.
    pub endpoint: Option<String>,
    /// The API key the call will send: `(mask label, value)`, or why there is none.
    pub secret: Option<(String, String)>,
    pub deferred_error: Option<String>,
}

/// Resolves the embedder of a step as the gate sees it (parameters as written): its
/// reservation, endpoint and key.
pub(crate) fn prepare(kind: Kind, params: &Value, setup: &RunSetup) -> Result<Prepared, String> {
    let p = canonical(kind, params.clone());
    if !embeds(kind, &p) {
        return Ok(Prepared::default());
    }
    let plan = embedder::plan(&p, setup).map_err(|f| f.message)?;
    let texts = known_texts(kind, &p);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (secret, deferred_error) = match &plan.source {
        embedder::Source::Remote { route, .. } => match super::llm::api_key(&p, setup, route) {
            Ok(secret) => (secret, None),
            Err(e) => (None, Some(e)),
        },
        embedder::Source::Local(_) => (None, None),
    };
    Ok(Prepared {
        llm: plan.demand(&texts),
        endpoint: plan.endpoint_url(),
        secret,
        deferred_error,
    })
}

/// The texts a step will embed that its parameters already hold (a file's are only known when
/// it runs).
fn known_texts(kind: Kind, p: &Value) -> Vec<String> {
    let list = |name: &str| match p.get(name) {
        Some(Value::Array(items)) => items.iter().map(as_text).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    match kind {
        Kind::GenerateEmbedding => [list("text"), list("texts")].concat(),
        Kind::SimilaritySearch => [list("query"), list("texts")].concat(),
        Kind::RagAdd => list("content"),
        Kind::RagQuery => list("query"),
    }
}

fn canonical(kind: Kind, params: Value) -> Value {
    let name = KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(n, _)| *n);
    super::system::canonical(name, params)
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let params = canonical(kind, params);
    match kind {
        Kind::GenerateEmbedding => generate_embedding::run(params, ctx).await,
        Kind::SimilaritySearch => similarity_search::run(params, ctx).await,
        Kind::RagAdd => rag_add::run(params, ctx).await,
        Kind::RagQuery => rag_query::run(params, ctx).await,
    }
}

/// The run's knowledge store file (see the module documentation).
fn store_path(ctx: &StepCtx) -> PathBuf {
    match &ctx.shared.setup.knowledge_store {
        Some(path) => path.clone(),
        None => ctx.shared.workspace_path().join(RUN_LOCAL_STORE),
    }
}

/// Opens the store and works with it on the blocking pool; a cancellation ends the wait.
async fn with_store<T, F>(ctx: &StepCtx, work: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&mut KnowledgeStore) -> Result<T, StoreError> + Send + 'static,
{
    let path = store_path(ctx);
    let task = tokio::task::spawn_blocking(move || {
        let mut store = KnowledgeStore::open(&path).map_err(|e| store_failure(&path, e))?;
        work(&mut store).map_err(|e| store_failure(&path, e))
    });
    tokio::select! {
        joined = task => joined.map_err(|e| Failure::new(format!("the knowledge store stopped: {e}")))?,
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
    }
}

/// A store error in words; SQLite's own messages are given the file they are about.
fn store_failure(path: &std::path::Path, e: StoreError) -> Failure {
    match e {
        StoreError::Sqlite(inner) => {
            Failure::new(format!("knowledge store {}: {inner}", path.display()))
        }
        other => Failure::new(other.to_string()),
    }
}

/// A vector as JSON numbers, each written as the shortest decimal that reads back as the same
/// `f32` (not the 17 digits of its `f64` widening).
fn vector_json(v: &[f32]) -> Value {
    Value::Array(
        v.iter()
            .map(|x| {
                x.to_string()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            })
            .collect(),
    )
}

/// A vector given as a parameter: a list of numbers (or its JSON text).
fn vector_param(value: &Value, what: &str) -> Result<Vec<f32>, Failure> {
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|_| Failure::new(format!("{what} must be a list of numbers, not text")))?;
            &parsed
        }
        other => other,
    };
    let items = value
        .as_array()
        .ok_or_else(|| Failure::new(format!("{what} must be a list of numbers")))?;
    if items.is_empty() {
        return Err(Failure::new(format!("{what} is an empty list")));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, n)| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f as f32)
                .ok_or_else(|| Failure::new(format!("{what}: item {i} (`{n}`) is not a number")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_rag_add_changes_anything_and_only_providers_reach_out() {
        let none = json!({});
        assert_eq!(side_effects(Kind::RagAdd, &none), SideEffects::External);
        for k in [
            Kind::GenerateEmbedding,
            Kind::SimilaritySearch,
            Kind::RagQuery,
        ] {
            assert_eq!(side_effects(k, &none), SideEffects::None);
            assert_eq!(reach(k, &json!({"query": "q", "text": "t"})), Reach::Local);
        }
        let openai = json!({"provider": "openai", "query": "q", "text": "t"});
        assert_eq!(reach(Kind::RagQuery, &openai), Reach::Model);
        assert_eq!(reach(Kind::GenerateEmbedding, &openai), Reach::Model);
        assert_eq!(
            reach(
                Kind::RagQuery,
                &json!({"provider": "openai", "keyword_weight": 1})
            ),
            Reach::Local,
            "keywords only embed nothing"
        );
        assert_eq!(
            reach(
                Kind::SimilaritySearch,
                &json!({"provider": "openai", "vector": [1], "embeddings": [[1]]})
            ),
            Reach::Local,
            "vectors only (written with aliases)"
        );
    }

    #[test]
    fn vectors_are_written_short_and_read_leniently() {
        assert_eq!(vector_json(&[0.1, -2.5]), json!([0.1, -2.5]));
        assert_eq!(
            vector_param(&json!("[1, 2.5]"), "v").unwrap(),
            vec![1.0, 2.5]
        );
        let e = vector_param(&json!([1, "x"]), "`vectors[0]`").unwrap_err();
        assert_eq!(e.message, "`vectors[0]`: item 1 (`\"x\"`) is not a number");
        assert!(vector_param(&json!([]), "v").is_err());
    }
}
