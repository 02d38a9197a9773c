//! Recall of `rag_query` on a generated corpus (see `corpus.rs`): every answer in the first
//! three results, with recall@1 and @3 printed for the hybrid ranking and for each half alone.

use super::{mission, mission_with, run_plain};
use serde_json::{json, Value};
use studio_core::RunStatus;

#[path = "corpus.rs"]
mod corpus;

/// Recall on a generated corpus: 220 documents, 20 questions worded unlike their documents;
/// each answer must be among the first three results.
#[tokio::test]
async fn recall_on_a_generated_corpus() {
    let (docs, questions) = corpus::corpus();
    assert!(docs.len() >= 200 && questions.len() == 20);
    let words = corpus::words;
    for q in &questions {
        let holders: Vec<&str> = docs
            .iter()
            .filter(|d| {
                let w = words(&d.text);
                q.must_have.iter().all(|m| w.contains(m))
            })
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(
            holders,
            vec![q.answer.as_str()],
            "one answer to `{}`",
            q.text
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("knowledge.db");
    let adds: Vec<Value> = docs
        .iter()
        .map(|d| {
            json!({"id": format!("add-{}", d.id), "step_type": "rag_add", "parameters": {
            "id": d.id, "content": d.text, "collection": "corpus", "metadata": {"kind": d.kind}}})
        })
        .collect();
    let m = mission_with(
        json!({"config": {"max_concurrent_steps": 4, "fail_fast": true}}),
        json!(adds),
    );
    let ran = run_plain(&m, Some(&store)).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );

    // The hybrid ranking (the default), then each half alone for comparison.
    let mut misses = Vec::new();
    for (label, weight) in [
        ("hybrid", 0.5),
        ("keywords only", 1.0),
        ("vectors only", 0.0),
    ] {
        let asks: Vec<Value> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                json!({"id": format!("q{i:02}"), "step_type": "rag_query", "parameters": {
                "query": q.text, "collection": "corpus", "top_k": 3, "keyword_weight": weight}})
            })
            .collect();
        let ran = run_plain(&mission(json!(asks)), Some(&store)).await;
        let (mut at1, mut at3) = (0, 0);
        for (i, q) in questions.iter().enumerate() {
            let out = ran.ok(&format!("q{i:02}"));
            let ids: Vec<&str> = out["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            at1 += usize::from(ids.first() == Some(&q.answer.as_str()));
            if ids.contains(&q.answer.as_str()) {
                at3 += 1;
            } else if label == "hybrid" {
                misses.push(format!("`{}` → {ids:?}, wanted {}", q.text, q.answer));
            }
        }
        let n = questions.len();
        println!(
            "{label}: recall@1 = {:.2} ({at1}/{n}), recall@3 = {:.2} ({at3}/{n})",
            at1 as f64 / n as f64,
            at3 as f64 / n as f64,
        );
    }
    assert!(
        misses.is_empty(),
        "answers not in the top 3:\n{}",
        misses.join("\n")
    );
}
