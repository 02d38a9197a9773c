//! The History's search through the API: real runs recorded with their evidence folders, found
//! by what they printed, by the names of their outputs and by their mission's name, for the CLI
//! (`search_history`) and the History page (`search_runs`).

use serde_json::json;
use studio_api::{
    AppPaths, ErrorCode, HistorySearch, RunFilter, RunListQuery, RunSortKey, StudioApi,
};
use studio_core::{Mission, RunStatus};
use studio_engine::{CollectingSink, RunOptions};

fn mission(name: &str, text: &str) -> Mission {
    serde_json::from_value(json!({
        "name": name,
        "outputs": ["summary.md"],
        "steps": [
            {"id": "report", "step_type": "command",
             "parameters": {"command": "printf", "args": ["%s", text]}},
            {"id": "save", "step_type": "create_file", "depends_on": ["report"],
             "parameters": {"path": "summary.md", "content": "{{report.output.stdout}}"}}
        ]
    }))
    .unwrap()
}

async fn run(api: &StudioApi, m: &Mission) -> String {
    api.run_recorded(
        m,
        RunOptions::new(std::path::PathBuf::new()),
        CollectingSink::new(),
    )
    .await
    .unwrap()
    .result
    .run_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_found_by_what_they_produced() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let tide = run(
        &api,
        &mission("Coast Watch", "header\nhigh tide at 06:12 (Brest)\n"),
    )
    .await;
    let other = run(&api, &mission("Tide Tables", "nothing of note")).await;

    let found = api
        .search_history(&HistorySearch {
            text: "tide brest".into(),
            filter: RunFilter::default(),
        })
        .unwrap();
    assert_eq!(found.len(), 1, "every word must occur: {found:?}");
    let run = &found[0];
    assert_eq!(
        (run.run_id.as_str(), run.status),
        (tide.as_str(), RunStatus::Completed)
    );
    assert_eq!(run.mission_name, "Coast Watch");
    let first = &run.matches[0];
    assert_eq!(first.field, "output");
    assert_eq!(first.step_id.as_deref(), Some("report"));
    assert_eq!(first.line, "high tide at 06:12 (Brest)");
    assert_eq!(first.highlights, [[5, 9], [20, 25]]);
    let json = serde_json::to_value(run).unwrap();
    for key in ["run_id", "mission", "status", "started_at", "matches"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }

    // The History page: best first, a run found by its mission's name after the content.
    let list = api
        .search_runs(&RunListQuery {
            text: Some("tide".into()),
            ..RunListQuery::default()
        })
        .unwrap();
    let ids: Vec<&str> = list.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, [tide.as_str(), other.as_str()]);
    assert_eq!(list.total_runs, 2);
    let parts = &list.runs[0].matches[0].parts;
    assert_eq!(
        parts
            .iter()
            .map(|p| (p.text.as_str(), p.hit))
            .collect::<Vec<_>>(),
        [
            ("high ", false),
            ("tide", true),
            (" at 06:12 (Brest)", false)
        ]
    );
    assert_eq!(list.runs[1].matches[0].field, "mission");
    let by_output = api
        .search_runs(&RunListQuery {
            text: Some("summary.md".into()),
            sort: Some(RunSortKey::Started),
            descending: Some(false),
            ..RunListQuery::default()
        })
        .unwrap();
    assert_eq!(by_output.runs.len(), 2, "both declare the output");
    assert_eq!(by_output.runs[0].run_id, tide, "oldest first when asked");
    assert!(
        by_output.runs[0]
            .matches
            .iter()
            .any(|m| m.field == "output_name"),
        "{:?}",
        by_output.runs[0].matches
    );

    let list = api.list_runs(&RunListQuery::default()).unwrap();
    assert!(
        list.runs.iter().all(|r| r.matches.is_empty()),
        "a plain list has no matches"
    );
    let blank = api
        .search_runs(&RunListQuery {
            text: Some("  ".into()),
            ..RunListQuery::default()
        })
        .unwrap_err();
    assert_eq!(blank.code, ErrorCode::InvalidInput);
}
