//! `similarity_search`: ranks candidates by cosine similarity to a query.
//!
//! Parameters: `query` (a text) or `query_vector`; `texts` or `vectors` (the candidates);
//! `top_k` (default 5), `min_score`; the embedder's, used for whatever is text (the query and
//! the candidate texts are embedded together, in one call).
//! Output: `{results: [{index, score, text}], count, candidates, model, provider, lexical,
//! dimensions, simulated, usage}`, best first, ties to the earlier candidate. With a vector
//! query and vector candidates nothing is embedded: `model` and `provider` are null.

use super::local_embedder::cosine;
use super::{embedder, vector_param};
use crate::steps::params::{opt_str, opt_str_list, opt_u64};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Map, Value};

const DEFAULT_TOP_K: u64 = 5;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let given = |name: &str| p.get(name).is_some_and(|v| !v.is_null());
    if given("query") == given("query_vector") {
        return Err(Failure::new(
            "give exactly one of `query` (a text) or `query_vector` (a list of numbers)",
        ));
    }
    if given("texts") == given("vectors") {
        return Err(Failure::new(
            "give the candidates as exactly one of `texts` or `vectors`",
        ));
    }
    let top_k = opt_u64(&p, "top_k")?.unwrap_or(DEFAULT_TOP_K).max(1) as usize;
    let min_score = p.get("min_score").filter(|v| !v.is_null()).map(|v| {
        v.as_f64()
            .ok_or_else(|| Failure::new("`min_score` must be a number"))
    });
    let min_score = min_score.transpose()?;
    let query_text = opt_str(&p, "query")?.map(str::to_string);
    let texts = given("texts")
        .then(|| opt_str_list(&p, "texts"))
        .transpose()?;
    let vectors = match p.get("vectors").filter(|v| !v.is_null()) {
        Some(v) => Some(candidate_vectors(v)?),
        None => None,
    };
    if texts.as_ref().is_some_and(Vec::is_empty) || vectors.as_ref().is_some_and(Vec::is_empty) {
        return Err(Failure::new("there are no candidates to compare"));
    }

    // Embed whatever is text, in one call: the query first.
    let mut to_embed: Vec<String> = query_text.iter().cloned().collect();
    to_embed.extend(texts.iter().flatten().cloned());
    let mut fields = Map::new();
    let (mut usage, mut link) = (None, None);
    let mut embedded: Vec<Vec<f32>> = Vec::new();
    if to_embed.is_empty() {
        for name in ["model", "provider", "usage"] {
            fields.insert(name.into(), Value::Null);
        }
        fields.insert("lexical".into(), json!(false));
        fields.insert("simulated".into(), json!(false));
    } else {
        let plan = embedder::plan(&p, &ctx.shared.setup)?;
        let e = embedder::embed(&plan, &p, to_embed, ctx).await?;
        fields = e.fields;
        usage = e.usage;
        link = e.link;
        embedded = e.vectors;
    }
    let mut embedded = embedded.into_iter();
    let query = match &query_text {
        Some(_) => embedded.next().unwrap_or_default(),
        None => vector_param(&p["query_vector"], "`query_vector`")?,
    };
    let candidates: Vec<Vec<f32>> = match vectors {
        Some(v) => v,
        None => embedded.collect(),
    };
    if let Some((i, c)) = candidates
        .iter()
        .enumerate()
        .find(|(_, c)| c.len() != query.len())
    {
        return Err(Failure::new(format!(
            "candidate {i} has {} numbers but the query vector has {}: vectors compared must be of the same length (the same embedder)",
            c.len(),
            query.len()
        )));
    }
    fields.insert("dimensions".into(), json!(query.len()));

    let mut scored: Vec<(usize, f64)> = candidates
        .iter()
        .map(|c| f64::from(cosine(&query, c)))
        .enumerate()
        .filter(|(_, s)| min_score.is_none_or(|m| *s >= m))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(top_k);
    let results: Vec<Value> = scored
        .iter()
        .map(|(i, score)| {
            json!({
                "index": i,
                "score": score,
                "text": texts.as_ref().map(|t| t[*i].clone()),
            })
        })
        .collect();
    let mut value = json!({
        "results": results,
        "count": results.len(),
        "candidates": candidates.len(),
    });
    if let Value::Object(map) = &mut value {
        map.extend(fields);
    }
    let mut out = StepOutput::new(value);
    out.usage = usage;
    out.links.extend(link);
    Ok(out)
}

/// The candidate vectors: a list of lists of numbers (or its JSON text).
fn candidate_vectors(value: &Value) -> Result<Vec<Vec<f32>>, Failure> {
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).map_err(|_| {
                Failure::new("`vectors` must be a list of lists of numbers, not text")
            })?;
            &parsed
        }
        other => other,
    };
    value
        .as_array()
        .ok_or_else(|| Failure::new("`vectors` must be a list of lists of numbers"))?
        .iter()
        .enumerate()
        .map(|(i, v)| vector_param(v, &format!("`vectors[{i}]`")))
        .collect()
}
