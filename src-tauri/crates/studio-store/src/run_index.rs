//! The mission pack's INDEX, writing side: what a finished run produced, put into the
//! full-text index (`run_index`, migration 0005) so the History can find runs by it.
//!
//! A run is indexed inside the transaction that records its end (the final event of a run,
//! an ingested run, a run ended by recovery), so a committed run is always findable and the
//! index never holds a run the history does not. It reads the run back from that transaction
//! (its final event, its mission, its step rows), so every way of ending a run indexes the same
//! things. What it reads was redacted before it reached the store (the engine masks secrets in
//! outputs, errors and summaries), so secrets never reach the index.
//!
//! Indexed, per run: the final summary (with the reason of a run that did not complete), the
//! names of its outputs (declared outputs and files the steps wrote), and per step the text of
//! its output (every string in the output's JSON, one per line) and, for a failed step, its
//! error. Texts are cut to [`MAX_DOC_BYTES`] and a run to [`MAX_RUN_BYTES`], which keeps the
//! final transaction short for runs with huge outputs; the evidence folder keeps everything.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// The most text indexed from one field (a step's output, an error, the summary).
pub(crate) const MAX_DOC_BYTES: usize = 8 * 1024;
/// The most text indexed from one run; later steps are left out once it is reached.
pub(crate) const MAX_RUN_BYTES: usize = 1024 * 1024;

/// The statuses of a run that has ended.
const FINAL_STATUSES: &str = "('completed', 'failed', 'cancelled', 'timed_out')";

/// One indexed text of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Doc {
    field: &'static str,
    step_id: Option<String>,
    body: String,
}

/// (Re)indexes one run from what `conn` (the transaction ending it) holds: its rows in the
/// index are replaced, so indexing a run twice leaves it indexed once.
pub(crate) fn index_run(conn: &Connection, run_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM run_index_docs WHERE run_id = ?1")?
        .execute([run_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO run_index_docs (run_id, field, step_id, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for doc in run_docs(conn, run_id)? {
        insert.execute(params![run_id, doc.field, doc.step_id, doc.body])?;
    }
    Ok(())
}

/// Indexes every ended run that has nothing in the index yet (the runs recorded before the
/// index existed); returns how many. Safe to run again: indexed runs are skipped.
pub(crate) fn backfill(conn: &Connection) -> rusqlite::Result<usize> {
    let ids: Vec<String> = conn
        .prepare(&format!(
            "SELECT run_id FROM runs WHERE status IN {FINAL_STATUSES}
               AND NOT EXISTS (SELECT 1 FROM run_index_docs d WHERE d.run_id = runs.run_id)
             ORDER BY started_at"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        index_run(conn, id)?;
    }
    Ok(ids.len())
}

/// The texts of a run that belong to no step.
struct RunHead {
    /// The final event's summary, else the run's reason.
    summary: Option<String>,
    /// JSON arrays: the mission's declared `outputs`, the files the steps wrote.
    output_lists: [Option<String>; 2],
}

/// The texts of a run, in order of importance, within the run's budget.
fn run_docs(conn: &Connection, run_id: &str) -> rusqlite::Result<Vec<Doc>> {
    let head = conn
        .prepare_cached(
            "SELECT IFNULL(json_extract(e.payload, '$.summary'), r.reason),
                    json_extract(r.mission_json, '$.outputs'),
                    json_extract(e.payload, '$.artifact_refs')
             FROM runs r LEFT JOIN events e ON e.run_id = r.run_id AND e.is_final = 1
             WHERE r.run_id = ?1",
        )?
        .query_row([run_id], |r| {
            Ok(RunHead {
                summary: r.get(0)?,
                output_lists: [r.get(1)?, r.get(2)?],
            })
        })
        .optional()?;
    let Some(head) = head else {
        return Ok(Vec::new());
    };
    let mut docs = Budget::new(MAX_RUN_BYTES);
    if let Some(summary) = &head.summary {
        docs.push("summary", None, summary);
    }
    docs.push("output_name", None, &output_names(&head.output_lists));
    let mut steps = conn.prepare_cached(
        "SELECT step_id, status, output, error FROM step_results WHERE run_id = ?1
         ORDER BY position",
    )?;
    let mut rows = steps.query([run_id])?;
    while let Some(row) = rows.next()? {
        let step_id: String = row.get(0)?;
        let status: String = row.get(1)?;
        if let Some(output) = row.get::<_, Option<String>>(2)? {
            docs.push("output", Some(&step_id), &output_text(&output));
        }
        if status == "failed" {
            if let Some(error) = row.get::<_, Option<String>>(3)? {
                docs.push("error", Some(&step_id), &error);
            }
        }
        if docs.full() {
            break;
        }
    }
    Ok(docs.docs)
}

/// The texts of a run, kept within its byte budget.
struct Budget {
    docs: Vec<Doc>,
    left: usize,
}

impl Budget {
    fn new(bytes: usize) -> Self {
        Self {
            docs: Vec::new(),
            left: bytes,
        }
    }

    fn full(&self) -> bool {
        self.left == 0
    }

    /// Adds a text, cleaned and cut to fit; blank texts are left out.
    fn push(&mut self, field: &'static str, step_id: Option<&str>, text: &str) {
        let body = clean(text, MAX_DOC_BYTES.min(self.left));
        if body.trim().is_empty() {
            return;
        }
        self.left -= body.len();
        self.docs.push(Doc {
            field,
            step_id: step_id.map(str::to_string),
            body,
        });
    }
}

/// The names of the run's outputs, one per line, each once: the JSON arrays given (the
/// mission's declared `outputs`, the files its steps wrote), in order.
fn output_names(lists: &[Option<String>]) -> String {
    let mut names: Vec<&str> = Vec::new();
    let parsed: Vec<Value> = lists
        .iter()
        .flatten()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    for name in parsed.iter().filter_map(Value::as_array).flatten() {
        if let Some(name) = name.as_str().filter(|n| !names.contains(n)) {
            names.push(name);
        }
    }
    names.join("\n")
}

/// The text of a step's output (JSON): its strings, one per line (objects in key order). Keys,
/// numbers and booleans are left out: they say what the output is, not what it says.
fn output_text(json: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(json) else {
        return json.to_string();
    };
    let mut out = String::new();
    collect_strings(&value, &mut out);
    out
}

fn collect_strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) if !s.trim().is_empty() => {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(s);
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The text as indexed: control characters other than newlines and tabs become spaces (the
/// search marks its matches with control characters, which the text must not contain), and it
/// is cut to at most `max` bytes at a character boundary, at the end of a line when one ends in
/// its last quarter.
fn clean(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = &text[..end];
    if end < text.len() {
        if let Some(nl) = cut.rfind('\n').filter(|&nl| nl >= end - end / 4) {
            cut = &cut[..nl];
        }
    }
    cut.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    /// Records a finished run the way an older build did (no index), straight in SQL.
    fn old_run(conn: &Connection, run_id: &str, word: &str) {
        conn.execute(
            "INSERT INTO runs (run_id, mission_id, mission_name, trace_id, status, reason,
                               started_at, finished_at, mission_json, owner_pid)
             VALUES (?1, 'm.old', 'Old', 't', 'failed', 'step `b` failed', ?2, ?2,
                     '{\"outputs\": [\"report.md\"]}', 0)",
            params![run_id, format!("2026-01-01T00:00:00.{:03}Z", run_id.len())],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO step_results (run_id, step_id, position, step_type, status, output, error)
             VALUES (?1, 'a', 0, 'command', 'success', ?2, NULL),
                    (?1, 'b', 1, 'command', 'failed', NULL, 'exit 3: disk full'),
                    (?1, 'c', 2, 'command', 'skipped', NULL, 'not started')",
            params![
                run_id,
                format!(r#"{{"stdout": "found {word}", "exit_code": 0}}"#)
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events (run_id, seq, idempotency_key, event_type, is_final, payload,
                                 emitted_at)
             VALUES (?1, 1, ?1 || ':final', 'mission.failed', 1,
                     '{\"status\": \"failed\", \"summary\": \"run failed: step b failed\",
                       \"artifact_refs\": [\"notes.txt\"], \"usage\": {}}', '2026-01-01T00:00:01Z')",
            [run_id],
        )
        .unwrap();
    }

    fn docs(conn: &Connection, run_id: &str) -> Vec<(String, Option<String>, String)> {
        conn.prepare(
            "SELECT field, step_id, body FROM run_index_docs WHERE run_id = ?1 ORDER BY doc_id",
        )
        .unwrap()
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    fn index_is_sound(conn: &Connection) {
        conn.execute(
            "INSERT INTO run_index (run_index) VALUES ('integrity-check')",
            [],
        )
        .expect("the full-text index agrees with its texts");
    }

    fn found(conn: &Connection, query: &str) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM run_index WHERE run_index MATCH ?1",
            [query],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn runs_recorded_before_the_index_are_indexed_once_by_the_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            crate::migrations::migrations()
                .to_version(&mut conn, 4)
                .unwrap();
            old_run(&conn, "r1", "walrus");
            old_run(&conn, "r22", "narwhal");
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            docs(&store.conn, "r1"),
            [
                ("summary".into(), None, "run failed: step b failed".into()),
                ("output_name".into(), None, "report.md\nnotes.txt".into()),
                ("output".into(), Some("a".into()), "found walrus".into()),
                ("error".into(), Some("b".into()), "exit 3: disk full".into()),
            ],
            "summary, output names, outputs, and errors of failed steps only"
        );
        assert_eq!(found(&store.conn, "narwhal"), 1);
        index_is_sound(&store.conn);

        // Again: nothing left to do, nothing doubled.
        assert_eq!(backfill(&store.conn).unwrap(), 0);
        index_run(&store.conn, "r1").unwrap();
        assert_eq!(docs(&store.conn, "r1").len(), 4, "re-indexing replaces");
        assert_eq!(found(&store.conn, "walrus"), 1);
        index_is_sound(&store.conn);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            found(&store.conn, "disk"),
            2,
            "reopening indexes nothing again"
        );
    }

    #[test]
    fn deleting_a_run_takes_it_out_of_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("h.db")).unwrap();
        old_run(&store.conn, "gone", "walrus");
        old_run(&store.conn, "kept", "walrus");
        assert_eq!(backfill(&store.conn).unwrap(), 2);
        store
            .conn
            .execute("DELETE FROM runs WHERE run_id = 'gone'", [])
            .unwrap();
        assert!(docs(&store.conn, "gone").is_empty());
        assert_eq!(found(&store.conn, "walrus"), 1);
        index_is_sound(&store.conn);
    }

    #[test]
    fn the_backfill_of_a_large_history_is_quick() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("h.db")).unwrap();
        let tx = store.conn.unchecked_transaction().unwrap();
        for i in 0..2000 {
            old_run(&tx, &format!("run-{i}"), &format!("word{i}"));
        }
        tx.commit().unwrap();
        let started = std::time::Instant::now();
        let tx = store.conn.unchecked_transaction().unwrap();
        assert_eq!(backfill(&tx).unwrap(), 2000);
        tx.commit().unwrap();
        let took = started.elapsed();
        eprintln!("backfill of 2000 runs (3 steps each): {took:?}");
        assert!(took.as_secs() < 20, "took {took:?}");
        assert_eq!(found(&store.conn, "word1999"), 1);
    }

    #[test]
    fn an_output_is_indexed_by_its_strings_one_per_line() {
        let text = output_text(
            r#"{"exit_code": 0, "stdout": "total 42\nall good", "stderr": " ", "files": ["a.csv", {"name": "b.md"}], "ok": true}"#,
        );
        assert_eq!(
            text, "a.csv\nb.md\ntotal 42\nall good",
            "objects in key order"
        );
        assert_eq!(output_text("not json"), "not json");
    }

    #[test]
    fn texts_are_cut_at_a_character_boundary_and_cleaned_of_control_characters() {
        assert_eq!(clean("a\u{1}b\u{2}c\r\nd\te", 100), "a b c \nd\te");
        let long = "é".repeat(10); // 2 bytes each
        assert_eq!(clean(&long, 5), "éé", "never in the middle of a character");
        let lines = format!("{}\n{}", "a".repeat(90), "b".repeat(20));
        assert_eq!(
            clean(&lines, 100),
            "a".repeat(90),
            "cut at the end of a line"
        );
    }

    #[test]
    fn output_names_are_listed_once_in_order() {
        let names = output_names(&[
            Some(r#"["report.md", "data.csv"]"#.into()),
            None,
            Some(r#"["data.csv", "notes.txt"]"#.into()),
        ]);
        assert_eq!(names, "report.md\ndata.csv\nnotes.txt");
    }

    #[test]
    fn a_run_is_kept_within_its_budget() {
        let mut docs = Budget::new(10);
        docs.push("summary", None, "0123456");
        docs.push("output", Some("a"), "abcdefgh");
        docs.push("output", Some("b"), "more");
        assert!(docs.full());
        assert_eq!(
            docs.docs
                .iter()
                .map(|d| d.body.as_str())
                .collect::<Vec<_>>(),
            ["0123456", "abc"]
        );
        docs.push("output", Some("c"), "   ");
        assert_eq!(docs.docs.len(), 2, "blank texts are not indexed");
    }
}
