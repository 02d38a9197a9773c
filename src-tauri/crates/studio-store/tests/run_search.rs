//! The mission pack's INDEX on real SQLite files: a run is findable by what it produced from
//! the commit that ends it (whichever way it ends), never twice, never by a secret; user text
//! never breaks the query; filters and order apply.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{run_mission, Event, EventType, NullSink, RunOptions, Usage};
use studio_store::{
    HistoryQuery, HistorySortKey, IngestRun, MatchField, NewRun, ProcessIdentity, SearchHit,
    StepRow, Store, StoreSink, Write,
};

fn event(run: &str, seq: u64, t: EventType, summary: &str) -> Event {
    Event {
        event_type: t,
        mission_id: "m.search".into(),
        run_id: run.into(),
        trace_id: "trace".into(),
        seq,
        idempotency_key: format!("{run}:{seq}:{}", t.as_str()),
        step_id: None,
        attempt: None,
        status: if t.is_final() {
            RunStatus::Completed
        } else {
            RunStatus::Running
        },
        step_status: None,
        summary: summary.into(),
        artifact_refs: if t.is_final() {
            vec!["workspace/chart.png".into()]
        } else {
            vec![]
        },
        usage: Usage::default(),
        emitted_at: format!("2026-02-0{}T10:00:00.000Z", 1 + seq % 8),
        detail: None,
    }
}

fn new_run(run: &str, name: &str, started: u32) -> NewRun {
    NewRun {
        run_id: run.into(),
        mission_id: format!("com.acme.{}", name.to_lowercase().replace(' ', "-")),
        mission_name: name.into(),
        trace_id: "trace".into(),
        logic_hash: "sha256:x".into(),
        evidence_dir: None,
        resumed_from: None,
        mission: json!({"name": name, "outputs": ["quarterly-report.md"], "steps": []}),
        context: json!({}),
        steps: vec![("fetch".into(), "command".into())],
        owner: ProcessIdentity {
            pid: std::process::id(),
            start_ticks: Some(u64::from(started)),
        },
    }
}

fn step(id: &str, status: StepStatus, output: Value, error: Option<&str>) -> StepRow {
    StepRow {
        step_id: id.into(),
        position: 0,
        step_type: "command".into(),
        status,
        output: Some(output),
        error: error.map(Into::into),
        attempts: 1,
        started_at: None,
        finished_at: None,
        duration_ms: 1,
        reused_from: None,
    }
}

/// The writes of a whole run whose step `fetch` printed `stdout`.
fn run_writes(run: &str, name: &str, started: u32, stdout: &str) -> Vec<Write> {
    let new = new_run(run, name, started);
    let mut accepted = event(run, 1, EventType::Accepted, "accepted");
    accepted.emitted_at = format!("2026-02-01T10:00:{started:02}.000Z");
    let mut completed = event(
        run,
        2,
        EventType::Completed,
        "run completed: 1 of 1 steps succeeded",
    );
    for e in [&mut accepted, &mut completed] {
        e.mission_id = new.mission_id.as_str().into();
    }
    vec![
        Write::Accept(Box::new(new), accepted),
        Write::Step {
            run_id: run.into(),
            row: step(
                "fetch",
                StepStatus::Success,
                json!({"stdout": stdout, "exit_code": 0}),
                None,
            ),
        },
        Write::Event(completed),
    ]
}

fn search(store: &Store, text: &str) -> Vec<SearchHit> {
    store
        .search_history(&HistoryQuery {
            text: Some(text.into()),
            sort: HistorySortKey::Relevance,
            ..HistoryQuery::default()
        })
        .unwrap_or_else(|e| panic!("searching {text:?}: {e}"))
}

fn ids(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.row.run.run_id.as_str()).collect()
}

/// A match shown as the CLI shows it without a terminal: `[word]` around each hit.
fn marked(m: &studio_store::SearchMatch) -> String {
    let mut out = String::new();
    let mut at = 0;
    for h in &m.hits {
        out.push_str(&m.line[at..h.start]);
        out.push('[');
        out.push_str(&m.line[h.clone()]);
        out.push(']');
        at = h.end;
    }
    out + &m.line[at..]
}

#[test]
fn a_run_is_findable_from_the_commit_that_ends_it_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("h.db")).unwrap();
    let mut writes = run_writes(
        "r1",
        "Ledger Sweep",
        1,
        "line one\n  invoice total: 42 EUR\n",
    );
    let end = writes.pop().unwrap();
    store.apply(&writes).unwrap();
    assert!(
        search(&store, "invoice").is_empty(),
        "a run still going is not in the index"
    );
    store.apply(&[end]).unwrap();

    let hits = search(&store, "invoice");
    assert_eq!(ids(&hits), ["r1"]);
    let m = &hits[0].matches[0];
    assert_eq!(
        (m.field, m.step_id.as_deref()),
        (MatchField::Output, Some("fetch"))
    );
    assert_eq!(
        marked(m),
        "[invoice] total: 42 EUR",
        "the matching line only"
    );

    let names = search(&store, "quarterly");
    assert_eq!(names[0].matches[0].field, MatchField::OutputName);
    assert_eq!(marked(&names[0].matches[0]), "[quarterly]-report.md");
    let files = search(&store, "chart");
    assert_eq!(
        marked(&files[0].matches[0]),
        "workspace/[chart].png",
        "files the steps wrote are outputs too"
    );
    // A step that returns the path of the output it wrote: the line is shown once.
    let mut again = run_writes("r2", "Ledger Sweep", 2, "no match here");
    again.insert(
        2,
        Write::Step {
            run_id: "r2".into(),
            row: StepRow {
                position: 1,
                ..step(
                    "save",
                    StepStatus::Success,
                    json!({"path": "quarterly-report.md", "bytes": 10}),
                    None,
                )
            },
        },
    );
    store.apply(&again).unwrap();
    let once = search(&store, "quarterly");
    let r2 = once.iter().find(|h| h.row.run.run_id == "r2").unwrap();
    assert_eq!(
        r2.matches.iter().map(marked).collect::<Vec<_>>(),
        ["[quarterly]-report.md"],
        "{:?}",
        r2.matches
    );

    let summary = search(&store, "succeeded");
    assert_eq!(summary[0].matches[0].field, MatchField::Summary);
    assert!(search(&store, "zebra").is_empty());
}

#[test]
fn every_way_of_ending_a_run_indexes_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("h.db")).unwrap();
    // One batch holding the whole run (the sink's fast path) ...
    store
        .apply(&run_writes("batched", "Alpha", 1, "walrus batched"))
        .unwrap();
    // ... write by write: a batch holding a duplicate takes the careful path, which ends the
    // run; the final event sent again is a no-op ...
    let each = run_writes("each", "Alpha", 2, "walrus each");
    store.apply(&each[..2]).unwrap();
    let applied = store.apply(&each).unwrap();
    assert_eq!((applied.inserted, applied.duplicates), (1, 1));
    assert_eq!(store.apply(&each[2..]).unwrap().duplicates, 1);
    // ... ingested from another machine ...
    let batched = store.run("batched").unwrap();
    store
        .ingest_run(&IngestRun {
            run: studio_store::RunSummary {
                run_id: "ingested".into(),
                ..batched
            },
            mission: json!({"name": "Alpha"}),
            context: json!({}),
            steps: vec![step(
                "fetch",
                StepStatus::Failed,
                json!({"stdout": "walrus ingested"}),
                Some("exit 2: walrus stuck"),
            )],
            events: vec![],
        })
        .unwrap();
    // ... and ended by recovery after its process died.
    let mut writes = run_writes("recovered", "Alpha", 4, "walrus recovered");
    writes.pop();
    let Write::Accept(run, accepted) = writes.remove(0) else {
        unreachable!()
    };
    let run = NewRun {
        owner: ProcessIdentity {
            pid: u32::MAX - 1,
            start_ticks: Some(1),
        },
        ..*run
    };
    store
        .apply(&[Write::Accept(Box::new(run), accepted)])
        .unwrap();
    store.apply(&writes).unwrap();
    assert_eq!(store.recover_interrupted(|_| false).unwrap().len(), 1);

    let hits = search(&store, "walrus");
    let mut found = ids(&hits);
    found.sort();
    assert_eq!(found, ["batched", "each", "ingested", "recovered"]);
    for hit in &hits {
        let lines: Vec<String> = hit.matches.iter().map(marked).collect();
        let mut unique = lines.clone();
        unique.dedup();
        assert_eq!(lines, unique, "{}: no line twice", hit.row.run.run_id);
    }
    let ingested = hits
        .iter()
        .find(|h| h.row.run.run_id == "ingested")
        .unwrap();
    assert!(
        ingested
            .matches
            .iter()
            .any(|m| m.field == MatchField::Error && marked(m) == "exit 2: [walrus] stuck"),
        "{:?}",
        ingested.matches
    );
    let recovered = search(&store, "interrupted");
    assert_eq!(ids(&recovered), ["recovered"], "its final summary too");
}

#[test]
fn query_syntax_in_what_the_user_types_is_searched_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("h.db")).unwrap();
    let outputs = [
        ("quotes", r#"he said "hello" to the server"#),
        ("star", "glob a*b matched 3 files"),
        ("and", "salt AND pepper"),
        ("dash", "state: up-to-date (checked)"),
        ("accent", "Café crème für Jürgen"),
        ("cjk", "結果: 日本語テキスト"),
    ];
    for (i, (id, out)) in outputs.iter().enumerate() {
        store
            .apply(&run_writes(id, "Syntax", i as u32, out))
            .unwrap();
    }
    let cases: &[(&str, &[&str])] = &[
        (r#""hello""#, &["quotes"]),
        (r#"said "hello"#, &["quotes"]),
        ("a*b", &["star"]),
        ("*", &[]),
        ("AND", &["and"]),
        ("salt AND", &["and"]),
        ("salt OR", &[]),
        ("NOT pepper", &[]),
        ("-date", &["dash"]),
        ("up-to-date", &["dash"]),
        ("(checked)", &["dash"]),
        ("(checked", &["dash"]),
        ("state:", &["dash"]),
        ("NEAR(salt pepper)", &[]),
        ("^salt", &["and"]),
        ("cafe creme", &["accent"]),
        ("JÜRGEN", &["accent"]),
        ("日本語", &["cjk"]),
        ("'", &[]),
        ("\"", &[]),
    ];
    for (text, want) in cases {
        let hits = search(&store, text);
        assert_eq!(&ids(&hits), want, "searching {text:?}");
    }
    let accent = &search(&store, "creme")[0].matches[0];
    assert_eq!(
        marked(accent),
        "Café [crème] für Jürgen",
        "the line as written"
    );
}

#[test]
fn best_matches_come_first_and_the_filters_apply() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("h.db")).unwrap();
    store
        .apply(&run_writes(
            "once",
            "Alpha",
            1,
            "one walrus among many other words here",
        ))
        .unwrap();
    store
        .apply(&run_writes("often", "Alpha", 2, "walrus walrus walrus"))
        .unwrap();
    store
        .apply(&run_writes("named", "Walrus Watch", 3, "nothing to see"))
        .unwrap();
    let hits = search(&store, "walrus");
    assert_eq!(
        ids(&hits),
        ["often", "once", "named"],
        "content by relevance, then runs matched by name"
    );
    assert_eq!(hits[2].matches[0].field, MatchField::Mission);
    assert_eq!(marked(&hits[2].matches[0]), "[Walrus] Watch");
    assert!(hits[0].matches.len() <= studio_store::MATCHES_PER_RUN);

    let newest_first = store
        .search_history(&HistoryQuery {
            text: Some("walrus".into()),
            sort: HistorySortKey::Started,
            descending: true,
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&newest_first), ["named", "often", "once"]);
    let filtered = store
        .search_history(&HistoryQuery {
            text: Some("walrus".into()),
            mission_id: Some("com.acme.alpha".into()),
            limit: Some(1),
            sort: HistorySortKey::Relevance,
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&filtered), ["often"]);
    let by_run_id = search(&store, "ofte");
    assert_eq!(ids(&by_run_id), ["often"]);
    assert_eq!(by_run_id[0].matches[0].field, MatchField::RunId);
    assert!(search(&store, "   ").is_empty(), "blank text finds nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let secret = "sekrit-7f3a9-value";
    let m: Mission = serde_json::from_value(json!({
        "name": "Leaky",
        "steps": [
            {"id": "show", "step_type": "command",
             "parameters": {"command": "printf", "args": ["token is %s", "{{env.DEMO_API_KEY}}"]}},
            {"id": "fail", "step_type": "command", "depends_on": ["show"],
             "parameters": {"command": "sh", "args": ["-c", "echo \"bad key $0\" >&2; exit 3", "{{env.DEMO_API_KEY}}"]}}
        ]
    }))
    .unwrap();
    let mut options = RunOptions::new(&workspace);
    options.env = Some(BTreeMap::from([("DEMO_API_KEY".into(), secret.into())]));
    let new = NewRun {
        run_id: options.run_id.clone(),
        mission_id: m.mission_id(),
        mission_name: m.name.clone(),
        trace_id: options.trace_id.clone(),
        logic_hash: studio_core::logic_hash(&m),
        evidence_dir: None,
        resumed_from: None,
        mission: serde_json::to_value(&m).unwrap(),
        context: json!({}),
        steps: vec![
            ("show".into(), "command".into()),
            ("fail".into(), "command".into()),
        ],
        owner: ProcessIdentity::current(),
    };
    let path = dir.path().join("h.db");
    let mut sink = StoreSink::start(Store::open(&path).unwrap(), new, NullSink).unwrap();
    let result = run_mission(&m, options, &mut sink).await.unwrap();
    drop(sink);
    assert_eq!(result.status, RunStatus::Failed);

    let store = Store::open(&path).unwrap();
    for text in [secret, "sekrit", "7f3a9"] {
        assert!(search(&store, text).is_empty(), "{text:?} is not indexed");
    }
    let hits = search(&store, "redacted");
    assert_eq!(ids(&hits), [result.run_id.as_str()]);
    let lines: Vec<String> = hits[0].matches.iter().map(marked).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("token is [[redacted]:env.DEMO_API_KEY]")),
        "the masked output is what is found: {lines:?}"
    );
    assert!(
        search(&store, "bad key")
            .iter()
            .all(|h| h.matches.iter().all(|m| !m.line.contains(secret))),
        "nor in errors"
    );
}
