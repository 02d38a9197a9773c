//! `generate_embedding`: texts to vectors.
//!
//! Parameters: `text`, `texts` (several, one call), or a workspace file (`file_path`, with
//! RustChain's `text_source: file`); the embedder's (`provider`, `model`, `dimensions`,
//! `base_url`, `api_key_*`, see [`super::embedder`]).
//! Output: `{embedding, embeddings, count, model, provider, lexical, dimensions, simulated,
//! usage}`: `embedding` is the first (or only) vector, `embeddings` all of them in the order of
//! the texts; `requested_provider` / `requested_model` when the local embedder answered in the
//! place of what was asked for.

use super::{embedder, vector_json};
use crate::steps::params::{opt_str, opt_str_list, str_param};
use crate::steps::read_file::read_limited;
use crate::steps::workspace::check;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

/// The largest file embedded (16 MiB, as `read_file`).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let texts = texts(&p, ctx).await?;
    let plan = embedder::plan(&p, &ctx.shared.setup)?;
    let embedded = embedder::embed(&plan, &p, texts, ctx).await?;
    let mut value = json!({
        "embedding": embedded.vectors.first().map_or(Value::Null, |v| vector_json(v)),
        "embeddings": embedded.vectors.iter().map(|v| vector_json(v)).collect::<Vec<_>>(),
        "count": embedded.vectors.len(),
    });
    if let Value::Object(map) = &mut value {
        map.extend(embedded.fields);
    }
    let mut out = StepOutput::new(value);
    out.usage = embedded.usage;
    out.links.extend(embedded.link);
    Ok(out)
}

/// The texts to embed, from whichever source the step names.
async fn texts(p: &Value, ctx: &StepCtx) -> Result<Vec<String>, Failure> {
    let file = opt_str(p, "file_path")?;
    match (opt_str(p, "text_source")?, file) {
        (Some("file"), None) => {
            return Err(Failure::new(
                "`text_source: file` reads the workspace file named by `file_path`, which is missing",
            ))
        }
        (Some("text"), Some(_)) => {
            return Err(Failure::new(
                "`text_source: text` embeds `text` or `texts`; remove it (or write `text_source: file`) to embed `file_path`",
            ))
        }
        (Some(other), _) if other != "file" && other != "text" => {
            return Err(Failure::new(format!(
                "`text_source` is `file` or `text`, not `{other}`"
            )))
        }
        _ => {}
    }
    let given = |name: &str| p.get(name).is_some_and(|v| !v.is_null());
    let sources = ["text", "texts", "file_path"]
        .iter()
        .filter(|n| given(n))
        .count();
    if sources != 1 {
        return Err(Failure::new(
            "give exactly one of `text`, `texts` or `file_path`",
        ));
    }
    if let Some(path) = file {
        let path = check(path)?;
        let bytes = read_limited(ctx, path, MAX_FILE_BYTES).await?;
        return Ok(vec![String::from_utf8(bytes).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })]);
    }
    if given("texts") {
        let texts = opt_str_list(p, "texts")?;
        if texts.is_empty() {
            return Err(Failure::new("`texts` is an empty list: nothing to embed"));
        }
        return Ok(texts);
    }
    Ok(vec![str_param(p, "text")?.to_string()])
}
