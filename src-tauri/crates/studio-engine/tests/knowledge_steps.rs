//! The knowledge step types run through the engine: `generate_embedding`,
//! `similarity_search`, `rag_add` and `rag_query`, on real SQLite stores in temporary folders,
//! with provider embeddings from a server on 127.0.0.1 that speaks the OpenAI and Ollama wire
//! formats; the perimeter (network, read-only sandbox, strict approval) around them; and the
//! recall of retrieval on a generated corpus of 220 documents.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::audit::{AuditRecord, Check, CollectingAudit, Decision};
use studio_engine::{run_mission, CollectingSink, Governance, RunOptions, RunResult};

/// Provider embeddings against a server that speaks the OpenAI and Ollama formats.
#[path = "knowledge_steps/providers.rs"]
mod providers;
/// Retrieval quality on a generated corpus.
#[path = "knowledge_steps/recall.rs"]
mod recall;

fn mission(steps: Value) -> Mission {
    mission_with(json!({}), steps)
}

fn mission_with(top: Value, steps: Value) -> Mission {
    let mut m = top;
    m["name"] = json!("Knowledge");
    m["steps"] = steps;
    if m.get("config").is_none() {
        m["config"] = json!({"fail_fast": false});
    }
    serde_json::from_value(m).expect("the test mission parses")
}

struct Ran {
    result: RunResult,
    audit: Vec<AuditRecord>,
    workspace: PathBuf,
    _dir: tempfile::TempDir,
}

impl Ran {
    fn ok(&self, id: &str) -> &Value {
        let step = &self.result.step_results[id];
        assert_eq!(step.status, StepStatus::Success, "{id}: {:?}", step.error);
        &step.output
    }

    fn error(&self, id: &str) -> &str {
        let step = &self.result.step_results[id];
        assert_eq!(step.status, StepStatus::Failed, "{id}: {}", step.output);
        step.error.as_deref().unwrap_or_default()
    }

    fn links(&self, id: &str) -> Vec<&str> {
        self.result
            .links
            .iter()
            .filter(|l| l.step_id == id)
            .map(|l| l.url.as_str())
            .collect()
    }
}

/// Runs `m` in a fresh workspace with the knowledge store `store` (`None`: the run's own).
async fn run(
    m: &Mission,
    mut governance: Governance,
    store: Option<&Path>,
    env: &[(&str, &str)],
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let audit = CollectingAudit::new();
    governance.audit.push(Arc::new(audit.clone()));
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(
        env.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    options.knowledge_store = store.map(Path::to_path_buf);
    let mut sink = CollectingSink::new();
    let result = run_mission(m, options, &mut sink)
        .await
        .expect("the run starts");
    Ran {
        result,
        audit: audit.rows(),
        workspace,
        _dir: dir,
    }
}

async fn run_plain(m: &Mission, store: Option<&Path>) -> Ran {
    run(m, Governance::default(), store, &[]).await
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a vector")
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn local_embeddings_are_deterministic_lexical_and_read_files() {
    let m = mission(json!([
        {"id": "file", "step_type": "create_file", "parameters": {"path": "notes/doc.txt", "content": "Rotate the signing keys every ninety days."}},
        {"id": "one", "step_type": "generate_embedding", "parameters": {"text": "Rotate the signing keys every ninety days."}},
        {"id": "again", "step_type": "generate_embedding", "parameters": {"text": "Rotate the signing keys every ninety days."}},
        {"id": "many", "step_type": "generate_embedding", "parameters": {"texts": ["signing keys", "holiday rota"], "dimensions": 64}},
        {"id": "seed", "step_type": "generate_embedding", "depends_on": ["file"],
         "parameters": {"text_source": "file", "file_path": "notes/doc.txt", "model": "text-embedding-ada-002"}},
    ]));
    let ran = run_plain(&m, None).await;
    let one = ran.ok("one");
    assert_eq!(
        one["embedding"],
        ran.ok("again")["embedding"],
        "deterministic"
    );
    assert_eq!(one["dimensions"], 384);
    assert_eq!(floats(&one["embedding"]).len(), 384);
    assert_eq!(one["embeddings"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            &one["model"],
            &one["provider"],
            &one["lexical"],
            &one["simulated"]
        ),
        (
            &json!("local-lexical-v1"),
            &json!("local"),
            &json!(true),
            &json!(false)
        )
    );
    assert_eq!(one["usage"], Value::Null, "the local embedder is free");
    let norm: f64 = floats(&one["embedding"]).iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-4, "L2-normalised: {norm}");
    let many = ran.ok("many");
    assert_eq!(
        (many["count"].as_u64(), many["dimensions"].as_u64()),
        (Some(2), Some(64))
    );
    assert_eq!(many["embeddings"][0], many["embedding"]);
    let seed = ran.ok("seed");
    assert_eq!(
        seed["embedding"], one["embedding"],
        "the file's text, embedded the same"
    );
    assert_eq!(seed["requested_model"], "text-embedding-ada-002");
    assert_eq!(ran.result.usage.llm_calls, 0);
}

#[tokio::test]
async fn similarity_search_ranks_texts_and_vectors() {
    let m = mission(json!([
        {"id": "texts", "step_type": "similarity_search", "parameters": {
            "query": "how often are signing keys rotated?",
            "texts": ["The cafeteria opens at eight.", "Signing keys are rotated every ninety days.", "Keys to the office are at the desk."],
            "top_k": 2}},
        {"id": "emb", "step_type": "generate_embedding", "parameters": {"texts": ["red apples", "green pears", "red apples and cherries"]}},
        {"id": "q", "step_type": "generate_embedding", "parameters": {"text": "red apples"}},
        {"id": "vectors", "step_type": "similarity_search", "depends_on": ["emb", "q"], "parameters": {
            "query_vector": "{{q.output.embedding}}", "vectors": "{{emb.output.embeddings}}", "min_score": 0.3}},
        {"id": "mixed", "step_type": "similarity_search", "depends_on": ["emb"], "parameters": {
            "query": "green pears", "vectors": "{{emb.output.embeddings}}", "top_k": 1}},
        {"id": "short", "step_type": "similarity_search", "depends_on": ["emb"], "parameters": {
            "query_vector": [1, 0], "vectors": "{{emb.output.embeddings}}"}},
    ]));
    let ran = run_plain(&m, None).await;
    let texts = ran.ok("texts");
    assert_eq!(texts["count"], 2);
    assert_eq!(texts["results"][0]["index"], 1);
    assert_eq!(
        texts["results"][0]["text"],
        "Signing keys are rotated every ninety days."
    );
    assert!(texts["results"][0]["score"].as_f64() > texts["results"][1]["score"].as_f64());
    let vectors = ran.ok("vectors");
    assert_eq!(vectors["results"][0]["index"], 0);
    assert!((vectors["results"][0]["score"].as_f64().unwrap() - 1.0).abs() < 1e-5);
    assert!(
        vectors["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["score"].as_f64().unwrap() >= 0.3 && r["text"].is_null()),
        "{vectors}"
    );
    assert_eq!(vectors["provider"], Value::Null, "nothing was embedded");
    assert_eq!(ran.ok("mixed")["results"][0]["index"], 1);
    let e = ran.error("short");
    assert!(
        e.contains("candidate 0 has 384 numbers but the query vector has 2"),
        "{e}"
    );
}

#[tokio::test]
async fn rag_add_and_query_round_trip_with_collections_filters_replacement_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data/knowledge.db");
    let handbook = "Key rotation.\n\nSigning keys are rotated every ninety days by the security team. \
        The old key stays valid for seven days so that running jobs finish.\n\n\
        Incident response.\n\nA paged engineer acknowledges within fifteen minutes and opens an incident channel.";
    let adds = mission(json!([
        {"id": "file", "step_type": "create_file", "parameters": {"path": "handbook.md", "content": handbook}},
        {"id": "h", "step_type": "rag_add", "depends_on": ["file"], "parameters": {
            "content_file": "handbook.md", "collection": "ops", "metadata": {"team": "security", "year": 2024},
            "chunk_size": 120, "chunk_overlap": 30}},
        {"id": "menu", "step_type": "rag_add", "parameters": {
            "id": "menu", "content": "The cafeteria serves lentil soup on Mondays.", "collection": "ops",
            "metadata": {"team": "facilities"}, "source": "https://intranet.example/menu"}},
        {"id": "other", "step_type": "rag_add", "parameters": {
            "id": "keys-faq", "content": "Lost office keys are replaced at the front desk.", "metadata": {"team": "facilities"}}},
    ]));
    let ran = run_plain(&adds, Some(&store)).await;
    let h = ran.ok("h");
    assert_eq!(h["id"], "handbook.md", "the file's path is the default id");
    assert_eq!(h["collection"], "ops");
    assert!(h["chunks"].as_u64().unwrap() >= 3, "{h}");
    assert_eq!(h["replaced"], false);
    assert_eq!(h["store"], store.display().to_string());
    assert!(store.exists(), "the host's store, not the workspace's");
    assert!(!ran.workspace.join(".knowledge").exists());
    assert_eq!(ran.ok("other")["collection"], "default");

    // A later run reads what this one added.
    let queries = mission(json!([
        {"id": "all", "step_type": "rag_query", "parameters": {"query": "How often do we rotate signing keys?", "top_k": 3}},
        {"id": "ops", "step_type": "rag_query", "parameters": {"query": "keys", "collection": "ops"}},
        {"id": "filtered", "step_type": "rag_query", "parameters": {"query": "keys", "filter": {"team": "facilities"}}},
        {"id": "year", "step_type": "rag_query", "parameters": {"query": "incident", "filter": {"year": "2024"}}},
        {"id": "strict", "step_type": "rag_query", "parameters": {"query": "rotate signing keys", "min_score": 0.9}},
        {"id": "none", "step_type": "rag_query", "parameters": {"query": "keys", "collection": "nope"}},
    ]));
    let ran = run_plain(&queries, Some(&store)).await;
    let all = ran.ok("all");
    let top = &all["results"][0];
    assert_eq!(top["id"], "handbook.md", "{all}");
    assert!(
        top["content"].as_str().unwrap().contains("ninety days"),
        "{top}"
    );
    assert_eq!(top["metadata"], json!({"team": "security", "year": 2024}));
    assert_eq!(top["source"], "handbook.md");
    assert_eq!(top["collection"], "ops");
    for field in ["score", "bm25", "cosine"] {
        assert!(top[field].as_f64().unwrap() > 0.0, "{field}: {top}");
    }
    assert!(top["score"].as_f64().unwrap() <= 1.0);
    let scores: Vec<f64> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert!(
        ran.links("all").contains(&"handbook.md"),
        "sources go to links.txt"
    );
    let ids = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !ids(ran.ok("ops")).contains(&"keys-faq".to_string()),
        "ops only"
    );
    let filtered = ids(ran.ok("filtered"));
    assert!(!filtered.is_empty() && filtered.iter().all(|id| id == "menu" || id == "keys-faq"));
    assert!(ran
        .links("filtered")
        .contains(&"https://intranet.example/menu"));
    assert!(
        ran.links("filtered")
            .contains(&"knowledge://default/keys-faq"),
        "a document without a source is named"
    );
    let year = ids(ran.ok("year"));
    assert!(
        !year.is_empty() && year.iter().all(|id| id == "handbook.md"),
        "{year:?}"
    );
    let strict = ran.ok("strict");
    assert!(strict["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["score"].as_f64().unwrap() >= 0.9));
    let e = ran.error("none");
    assert_eq!(
        e,
        "the knowledge store has no collection `nope` (it has: default, ops)"
    );

    // Re-adding an id replaces its chunks.
    let replace = mission(json!([
        {"id": "menu", "step_type": "rag_add", "parameters": {"id": "menu", "collection": "ops", "content": "The cafeteria now serves barley stew on Mondays."}},
        {"id": "q", "step_type": "rag_query", "depends_on": ["menu"], "parameters": {"query": "what soup is served on Mondays", "collection": "ops", "top_k": 10}},
    ]));
    let ran = run_plain(&replace, Some(&store)).await;
    assert_eq!(ran.ok("menu")["replaced"], true);
    let q = ran.ok("q");
    let menus: Vec<&Value> = q["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == "menu")
        .collect();
    assert_eq!(menus.len(), 1, "one chunk left: {q}");
    assert!(menus[0]["content"].as_str().unwrap().contains("barley"));
    assert_eq!(
        menus[0]["metadata"],
        json!({}),
        "the metadata is replaced too"
    );
}

#[tokio::test]
async fn without_a_host_store_a_run_keeps_its_own_in_the_workspace() {
    let m = mission(json!([
        {"id": "add", "step_type": "rag_add", "parameters": {"content": "Quarrow harbour freezes in January."}},
        {"id": "q", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "When does the harbour at Quarrow freeze?"}},
    ]));
    let ran = run_plain(&m, None).await;
    let add = ran.ok("add");
    assert!(add["id"].as_str().unwrap().starts_with("doc-"), "{add}");
    assert!(ran.workspace.join(".knowledge/knowledge.db").exists());
    assert_eq!(ran.ok("q")["results"][0]["id"], add["id"]);
}

#[tokio::test]
async fn query_text_is_searched_as_words_never_as_fts_syntax() {
    let m = mission(json!([
        {"id": "add", "step_type": "rag_add", "parameters": {"id": "d", "content": "Alpha and beta are near the gamma node."}},
        {"id": "q1", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "\"alpha"}},
        {"id": "q2", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "beta* AND (gamma OR"}},
        {"id": "q3", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "NEAR(alpha gamma, 2) NOT ^beta content:alpha"}},
        {"id": "q4", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "\"\" * () : -"}},
        {"id": "q5", "step_type": "rag_query", "depends_on": ["add"], "parameters": {"query": "'; DROP TABLE chunks; --", "keyword_weight": 1}},
    ]));
    let ran = run_plain(&m, None).await;
    for id in ["q1", "q2", "q3"] {
        assert_eq!(ran.ok(id)["results"][0]["id"], "d", "{id}");
    }
    assert!(
        ran.ok("q4")["results"].is_array(),
        "no words: no keyword match, no error"
    );
    assert_eq!(ran.ok("q5")["count"], 0);
    assert_eq!(
        ran.ok("q5")["provider"],
        Value::Null,
        "keywords only embed nothing"
    );
}

#[tokio::test]
async fn concurrent_steps_share_one_store_safely() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("knowledge.db");
    let steps: Vec<Value> = (0..12)
        .map(|i| json!({"id": format!("a{i}"), "step_type": "rag_add", "parameters": {
            "id": format!("doc{i}"), "content": format!("Document number {i} talks about topic{i}."), "collection": "c"}}))
        .chain((0..4).map(|i| json!({"id": format!("q{i}"), "step_type": "rag_query", "parameters": {"query": "document"}})))
        .collect();
    let m = mission_with(
        json!({"config": {"max_concurrent_steps": 8, "fail_fast": false}}),
        json!(steps),
    );
    let ran = run_plain(&m, Some(&store)).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let q = mission(
        json!([{"id": "q", "step_type": "rag_query", "parameters": {"query": "topic7", "top_k": 20}}]),
    );
    let ran = run_plain(&q, Some(&store)).await;
    assert_eq!(ran.ok("q")["results"][0]["id"], "doc7");
    assert_eq!(ran.ok("q")["count"], 12);
}

#[tokio::test]
async fn the_read_only_sandbox_refuses_rag_add_and_lets_queries_run() {
    let m = mission_with(
        json!({"perimeter": {"sandbox": "read-only"}}),
        json!([
            {"id": "add", "step_type": "rag_add", "parameters": {"content": "x"}},
            {"id": "q", "step_type": "rag_query", "parameters": {"query": "x"}},
            {"id": "e", "step_type": "generate_embedding", "parameters": {"text": "x"}},
        ]),
    );
    let ran = run_plain(&m, None).await;
    let e = ran.error("add");
    assert!(
        e.contains("read-only sandbox") && e.contains("external"),
        "{e}"
    );
    let row = ran.audit.iter().find(|r| r.step_id == "add").unwrap();
    assert_eq!(
        (row.decision, row.check),
        (Decision::Refused, Check::Sandbox)
    );
    ran.ok("q");
    ran.ok("e");
}

#[tokio::test]
async fn strict_approval_asks_only_when_a_provider_is_called() {
    // Nobody to ask: a step that needs approval is skipped.
    let m = mission_with(
        json!({"perimeter": {"approval": {"mode": "strict"}}}),
        json!([
            {"id": "local", "step_type": "rag_query", "parameters": {"query": "x"}},
            {"id": "remote", "step_type": "generate_embedding", "parameters": {"text": "x", "provider": "ollama", "base_url": "http://127.0.0.1:1"}},
        ]),
    );
    let ran = run_plain(&m, None).await;
    ran.ok("local");
    let remote = &ran.result.step_results["remote"];
    assert_eq!(remote.status, StepStatus::Skipped);
    assert!(
        remote
            .error
            .as_deref()
            .unwrap()
            .contains("calls out (a model)"),
        "{:?}",
        remote.error
    );
}

#[tokio::test]
async fn bad_parameters_are_located_by_validation_and_explained_at_run_time() {
    let yaml = "name: Bad\nsteps:\n  - id: q\n    step_type: rag_query\n    parameters:\n      top_k: 0\n  - id: s\n    step_type: similarity_search\n    parameters:\n      query: x\n      texts: [a]\n      vectors: [[1]]\n  - id: e\n    step_type: generate_embedding\n    parameters:\n      text: x\n      provider: anthropic\n  - id: a\n    step_type: rag_add\n    parameters:\n      content: x\n      metadata: [1]\n";
    let loaded = studio_core::load_str(yaml, "bad.yaml").unwrap();
    let diags = studio_core::validate(&loaded);
    let at = |field: &str| {
        diags
            .iter()
            .find(|d| d.field == field)
            .unwrap_or_else(|| panic!("nothing at {field}: {diags:#?}"))
    };
    assert!(at("steps[0].parameters.query")
        .message
        .contains("needs the parameter `query`"));
    assert_eq!(
        at("steps[0].parameters.top_k")
            .location
            .as_ref()
            .unwrap()
            .line,
        6
    );
    assert!(at("steps[1].parameters.vectors")
        .message
        .contains("only one of `texts` or `vectors`"));
    assert!(at("steps[2].parameters.provider")
        .message
        .contains("no embeddings"));
    assert!(at("steps[3].parameters.metadata")
        .message
        .contains("must be a mapping"));

    let m = mission(json!([
        {"id": "overlap", "step_type": "rag_add", "parameters": {"content": "x", "chunk_size": 100, "chunk_overlap": 100}},
        {"id": "weight", "step_type": "rag_query", "parameters": {"query": "x", "keyword_weight": 2}},
        {"id": "source", "step_type": "generate_embedding", "parameters": {"text_source": "file", "text": "x"}},
        {"id": "escape", "step_type": "rag_add", "parameters": {"content_file": "../outside.txt"}},
        {"id": "dims", "step_type": "generate_embedding", "parameters": {"text": "x", "dimensions": 5000}},
    ]));
    let ran = run_plain(&m, None).await;
    assert_eq!(
        ran.error("overlap"),
        "`chunk_overlap` (100) must be less than `chunk_size` (100)"
    );
    assert_eq!(
        ran.error("weight"),
        "`keyword_weight` must be a number from 0 to 1, not 2"
    );
    assert!(ran
        .error("source")
        .contains("`file_path`, which is missing"));
    assert!(ran.error("escape").contains("`..` may not appear"));
    assert!(ran.error("dims").contains("from 32 to 4096"));
}

#[test]
fn the_engine_runs_every_knowledge_type() {
    for ty in [
        "generate_embedding",
        "similarity_search",
        "rag_add",
        "rag_query",
    ] {
        assert!(studio_engine::is_implemented(ty), "{ty}");
        let params = BTreeMap::<String, Value>::new();
        let identity = studio_engine::tools::builtin_identity(ty, &json!(params));
        let expected = if ty == "rag_add" {
            studio_engine::tools::SideEffects::External
        } else {
            studio_engine::tools::SideEffects::None
        };
        assert_eq!(identity.side_effects, expected, "{ty}");
        assert!(
            !identity.reach.calls_out(),
            "{ty} with the local embedder calls nothing"
        );
    }
}
