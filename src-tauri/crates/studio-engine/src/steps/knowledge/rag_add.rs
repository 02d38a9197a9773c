//! `rag_add`: adds a document to the knowledge store.
//!
//! Parameters: `content` or `content_file` (a workspace file, confined like every file step);
//! `id` (default: `content_file` as written, else `doc-` and 12 hex digits of the content's
//! SHA-256, so adding the same text twice replaces it instead of duplicating it); `collection`
//! (default `default`); `metadata` (a mapping); `source` (default `content_file`);
//! `chunk_size` (default 1000 characters, at least 50) and `chunk_overlap` (default 150, less
//! than `chunk_size`); the embedder's.
//! Output: `{id, collection, chunks, characters, replaced, store, model, provider, lexical,
//! dimensions, simulated, usage}`.
//!
//! A collection's embedder is checked before anything is embedded, so adding with the wrong
//! one costs no model call; the document is written in one transaction.

use super::chunk::chunk_text;
use super::store::NewDocument;
use super::{embedder, store_path, with_store};
use crate::steps::params::{opt_str, opt_u64};
use crate::steps::read_file::read_limited;
use crate::steps::workspace::{check, display};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub(crate) const DEFAULT_COLLECTION: &str = "default";
pub(crate) const DEFAULT_CHUNK_SIZE: u64 = 1000;
pub(crate) const DEFAULT_CHUNK_OVERLAP: u64 = 150;
const MIN_CHUNK_SIZE: u64 = 50;
/// The largest document file read (16 MiB, as `read_file`).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let given = |name: &str| p.get(name).is_some_and(|v| !v.is_null());
    if given("content") == given("content_file") {
        return Err(Failure::new(
            "give the document as exactly one of `content` (its text) or `content_file` (a workspace file)",
        ));
    }
    let collection = collection(&p)?;
    let metadata = metadata(&p)?;
    let chunk_size = opt_u64(&p, "chunk_size")?.unwrap_or(DEFAULT_CHUNK_SIZE);
    let overlap = opt_u64(&p, "chunk_overlap")?.unwrap_or(DEFAULT_CHUNK_OVERLAP);
    if chunk_size < MIN_CHUNK_SIZE {
        return Err(Failure::new(format!(
            "`chunk_size` must be at least {MIN_CHUNK_SIZE} characters, not {chunk_size}"
        )));
    }
    if overlap >= chunk_size {
        return Err(Failure::new(format!(
            "`chunk_overlap` ({overlap}) must be less than `chunk_size` ({chunk_size})"
        )));
    }
    let file = opt_str(&p, "content_file")?;
    let content = match file {
        Some(path) => {
            let bytes = read_limited(ctx, check(path)?, MAX_FILE_BYTES).await?;
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        None => opt_str(&p, "content")?.unwrap_or_default().to_string(),
    };
    let id = match opt_str(&p, "id")? {
        Some(id) if !id.trim().is_empty() => id.to_string(),
        Some(_) => return Err(Failure::new("`id` is empty")),
        None => match file {
            Some(path) => display(&check(path)?),
            None => {
                let digest = Sha256::digest(content.as_bytes());
                let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                format!("doc-{hex}")
            }
        },
    };
    let source = opt_str(&p, "source")?
        .map(str::to_string)
        .or_else(|| file.map(str::to_string));
    let chunks = chunk_text(&content, chunk_size as usize, overlap as usize);
    if chunks.is_empty() {
        return Err(Failure::new(format!("document `{id}` has no text to add")));
    }

    let plan = embedder::plan(&p, &ctx.shared.setup)?;
    // The collection's embedder first: a mismatch costs no model call.
    {
        let (name, dims, wanted) = (
            plan.identity_name(),
            plan.known_dimensions(),
            collection.clone(),
        );
        with_store(ctx, move |store| {
            match store.check_scope(Some(&wanted), &name, dims) {
                Err(super::StoreError::NoCollection { .. }) => Ok(()),
                other => other,
            }
        })
        .await?;
    }
    let texts: Vec<String> = chunks.iter().map(|c| c.text.clone()).collect();
    let embedded = embedder::embed(&plan, &p, texts, ctx).await?;
    let characters = content.chars().count();
    let chunk_count = chunks.len();
    let replaced = {
        let (collection, id, source) = (collection.clone(), id.clone(), source.clone());
        let (vectors, identity) = (embedded.vectors, embedded.identity);
        with_store(ctx, move |store| {
            store.add(&NewDocument {
                collection: &collection,
                id: &id,
                source: source.as_deref(),
                metadata: &metadata,
                content: &content,
                chunks: &chunks,
                vectors: &vectors,
                embedder: &identity,
            })
        })
        .await?
    };
    let mut value = json!({
        "id": id,
        "collection": collection,
        "chunks": chunk_count,
        "characters": characters,
        "replaced": replaced,
        "store": store_path(ctx).display().to_string(),
    });
    if let Value::Object(map) = &mut value {
        map.extend(embedded.fields);
    }
    let mut out = StepOutput::new(value);
    out.usage = embedded.usage;
    out.links.extend(embedded.link);
    Ok(out)
}

/// The collection named, or the default one.
pub(super) fn collection(p: &Value) -> Result<String, Failure> {
    match opt_str(p, "collection")? {
        None => Ok(DEFAULT_COLLECTION.to_string()),
        Some(c) if c.trim().is_empty() => Err(Failure::new(
            "`collection` is empty: name one, or leave it out for `default`",
        )),
        Some(c) => Ok(c.trim().to_string()),
    }
}

/// The document's metadata: a mapping (or its JSON text), values kept as they are.
fn metadata(p: &Value) -> Result<Map<String, Value>, Failure> {
    match p.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(Failure::new(
                "`metadata` must be a mapping of names to values, not text",
            )),
        },
        Some(other) => Err(Failure::new(format!(
            "`metadata` must be a mapping of names to values, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}
