//! `mission history --search` as a user runs it: real runs recorded by `mission run`, then
//! found by what they printed, with the filters of `mission history`, as text and as JSON.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn mission(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mission"))
        .env_remove("MISSION_STUDIO_DATA_DIR")
        .args(args)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .expect("the mission binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Records a run of a mission whose step prints `text` (and fails when `fail`); its run id.
fn record(dir: &Path, name: &str, text: &str, fail: bool) -> String {
    let file = dir.join(format!("{name}.yaml"));
    let exit = if fail { "exit 4" } else { "exit 0" };
    // A YAML double-quoted string.
    let text = text.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        &file,
        format!(
            r#"
version: "1.0"
name: {name}
outputs: [findings.md]
steps:
  - id: scan
    step_type: command
    parameters: {{command: sh, args: ["-c", 'printf "%s\n" "$0"; {exit}', "{text}"]}}
  - id: save
    step_type: create_file
    depends_on: [scan]
    parameters: {{path: findings.md, content: "{{{{scan.output.stdout}}}}"}}
"#
        ),
    )
    .unwrap();
    let out = mission(dir, &["run", file.to_str().unwrap(), "--json"]);
    assert_eq!(
        code(&out),
        if fail { 1 } else { 0 },
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["run_id"].as_str().unwrap().to_string()
}

#[test]
fn history_search_finds_runs_by_what_they_printed() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = record(dir.path(), "Quiet Scan", "all clear", false);
    let leak = record(
        dir.path(),
        "Port Scan",
        "port 5432 open (postgres) on db-01",
        true,
    );

    // Text, not a terminal: matched words in brackets, the step and field named.
    let out = mission(dir.path(), &["history", "--search", "postgres"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains(&leak) && !text.contains(&quiet), "{text}");
    assert!(
        text.contains("step scan output") && text.contains("port 5432 open ([postgres]) on db-01"),
        "{text}"
    );

    // JSON: {runs: [{run_id, mission, status, started_at, matches: [{field, step_id, line}]}]}.
    let out = mission(dir.path(), &["history", "--search", "5432 db-01", "--json"]);
    assert_eq!(code(&out), 0);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{doc}");
    let run = &runs[0];
    assert_eq!(run["run_id"], leak.as_str());
    assert_eq!(run["mission"], "port-scan");
    assert_eq!(run["status"], "failed");
    assert!(run["started_at"].is_string());
    let m = &run["matches"][0];
    assert_eq!(
        (m["field"].as_str(), m["step_id"].as_str()),
        (Some("output"), Some("scan"))
    );
    assert_eq!(m["line"], "port 5432 open (postgres) on db-01");
    assert_eq!(
        m["highlights"],
        serde_json::json!([[5, 9], [29, 34]]),
        "in characters; a word of two parts is one match"
    );

    // Every run declares findings.md: both found, and the filters of `history` apply.
    let both = mission(dir.path(), &["history", "--search", "findings", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&both.stdout).unwrap()["runs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let failed = mission(
        dir.path(),
        &[
            "history", "--search", "findings", "--status", "failed", "--json",
        ],
    );
    let doc: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(doc["runs"][0]["run_id"], leak.as_str());
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    let limited = mission(
        dir.path(),
        &["history", "--search", "findings", "--limit", "1"],
    );
    assert_eq!(
        stdout(&limited).matches("output name").count(),
        1,
        "{}",
        stdout(&limited)
    );
    // The failed step's error is indexed too.
    let out = mission(dir.path(), &["history", "--search", "exited", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["runs"][0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["field"] == "error" || m["field"] == "summary"),
        "{doc}"
    );
}

#[test]
fn history_search_takes_any_text_and_says_when_nothing_matches() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), "Syntax", "a*b AND (c) \"d\" -e naïve", false);
    for text in [
        "a*b",
        "AND",
        "(c)",
        "\"d\"",
        "-e",
        "naive",
        "NAÏVE",
        "\"unclosed",
        "*",
        "NEAR(",
    ] {
        let out = mission(dir.path(), &["history", "--search", text, "--json"]);
        assert_eq!(
            code(&out),
            0,
            "{text}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{text}: {e}: {}", stdout(&out)));
        assert!(doc["runs"].is_array(), "{text}: {doc}");
    }
    let out = mission(dir.path(), &["history", "--search", "naive", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["matches"][0]["line"],
        "a*b AND (c) \"d\" -e naïve"
    );

    let none = mission(dir.path(), &["history", "--search", "zeppelin"]);
    assert_eq!(code(&none), 0, "no match is not an error");
    assert!(
        stdout(&none).starts_with("no run matches \"zeppelin\""),
        "{}",
        stdout(&none)
    );
    let json = mission(dir.path(), &["history", "--search", "zeppelin", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&json.stdout).unwrap(),
        serde_json::json!({"runs": []})
    );

    let blank = mission(dir.path(), &["history", "--search", "  "]);
    assert_eq!(code(&blank), 2, "a blank search is a usage error");
    assert!(String::from_utf8_lossy(&blank.stderr).contains("--search"));
}
