//! `rag_query`: the chunks of the knowledge store that best answer a query.
//!
//! Parameters: `query`; `top_k` (default 5); `collection` (default: all, which must then share
//! one embedder); `filter` (metadata, see [`super::ranking::metadata_matches`]); `min_score`
//! (0..=1); `keyword_weight` (0..=1, default 0.5; 1 embeds nothing); the embedder's, which must
//! be the collection's (checked before the query is embedded).
//! Output: `{query, results: [{id, chunk, score, bm25, cosine, content, metadata, source,
//! collection}], count, store, model, provider, lexical, dimensions, simulated, usage}`; the
//! ranking is explained in [`super::ranking`].
//!
//! Each result's source goes to the evidence's `links.txt`: the document's `source` when it has
//! one, else `knowledge://<collection>/<id>`, so the evidence names what the answer rests on.

use super::ranking::{Query, DEFAULT_KEYWORD_WEIGHT};
use super::{embedder, rag_add, store_path, with_store};
use crate::steps::params::{opt_u64, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Map, Value};

const DEFAULT_TOP_K: u64 = 5;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let text = str_param(&p, "query")?.to_string();
    let top_k = opt_u64(&p, "top_k")?.unwrap_or(DEFAULT_TOP_K).max(1) as usize;
    let collection = match p.get("collection").filter(|v| !v.is_null()) {
        Some(_) => Some(rag_add::collection(&p)?),
        None => None,
    };
    let filter = filter(&p)?;
    let min_score = unit_number(&p, "min_score")?;
    let keyword_weight = unit_number(&p, "keyword_weight")?.unwrap_or(DEFAULT_KEYWORD_WEIGHT);

    let plan = embedder::plan(&p, &ctx.shared.setup)?;
    let mut fields = Map::new();
    let (mut usage, mut link) = (None, None);
    let mut query_vector = None;
    if keyword_weight < 1.0 {
        // The collections' embedder first: a mismatch costs no model call.
        let (scope, name, dims) = (
            collection.clone(),
            plan.identity_name(),
            plan.known_dimensions(),
        );
        with_store(ctx, move |store| {
            store.check_scope(scope.as_deref(), &name, dims)
        })
        .await?;
        let embedded = embedder::embed(&plan, &p, vec![text.clone()], ctx).await?;
        fields = embedded.fields;
        usage = embedded.usage;
        link = embedded.link;
        query_vector = embedded
            .vectors
            .into_iter()
            .next()
            .map(|v| (v, embedded.identity));
    } else {
        for name in ["model", "provider", "dimensions", "usage"] {
            fields.insert(name.into(), Value::Null);
        }
        fields.insert("lexical".into(), json!(false));
        fields.insert("simulated".into(), json!(false));
    }

    let hits = {
        let (text, collection) = (text.clone(), collection.clone());
        with_store(ctx, move |store| {
            store.search(&Query {
                text: &text,
                vector: query_vector.as_ref().map(|(v, id)| (v.as_slice(), id)),
                collection: collection.as_deref(),
                filter: &filter,
                top_k,
                min_score,
                keyword_weight,
            })
        })
        .await?
    };
    let mut out = StepOutput::default();
    out.links.extend(link);
    let results: Vec<Value> = hits
        .into_iter()
        .map(|h| {
            out.links.push(match &h.source {
                Some(source) => source.clone(),
                None => format!("knowledge://{}/{}", h.collection, h.id),
            });
            json!({
                "id": h.id,
                "chunk": h.chunk,
                "score": h.score,
                "bm25": h.bm25,
                "cosine": h.cosine,
                "content": h.content,
                "metadata": h.metadata,
                "source": h.source,
                "collection": h.collection,
            })
        })
        .collect();
    let mut value = json!({
        "query": text,
        "count": results.len(),
        "results": results,
        "store": store_path(ctx).display().to_string(),
    });
    if let Value::Object(map) = &mut value {
        map.extend(fields);
    }
    out.value = value;
    out.usage = usage;
    Ok(out)
}

/// The metadata filter: a mapping (or its JSON text).
fn filter(p: &Value) -> Result<Map<String, Value>, Failure> {
    match p.get("filter") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(Failure::new(
                "`filter` must be a mapping of metadata names to values, not text",
            )),
        },
        Some(other) => Err(Failure::new(format!(
            "`filter` must be a mapping of metadata names to values, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}

/// A number from 0 to 1 (or its text).
fn unit_number(p: &Value, name: &str) -> Result<Option<f64>, Failure> {
    let Some(v) = p.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|n: &f64| n.is_finite());
    match n {
        Some(n) if (0.0..=1.0).contains(&n) => Ok(Some(n)),
        _ => Err(Failure::new(format!(
            "`{name}` must be a number from 0 to 1, not {v}"
        ))),
    }
}
