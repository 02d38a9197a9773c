//! The History view and the evidence inspector through the API: real runs recorded in a real
//! SQLite history, real evidence folders in a temporary data folder.

use serde_json::json;
use studio_api::evidence::{read_file_in, resolve_inside, tree_of, TEXT_LIMIT};
use studio_api::{
    AppPaths, ErrorCode, EvidenceEntry, EvidenceEntryKind, EvidenceFileKind, RunListQuery,
    RunSortKey, StudioApi,
};
use studio_core::Mission;
use studio_engine::{CollectingSink, RunOptions};

fn mission(name: &str, sector: Option<&str>, prog: &str) -> Mission {
    let mut m = json!({
        "name": name,
        "steps": [
            {"id": "write", "step_type": "create_file",
             "parameters": {"path": "note.md", "content": "# Note"}},
            {"id": "check", "step_type": "command", "depends_on": ["write"],
             "parameters": {"command": prog}},
            {"id": "after", "step_type": "noop", "depends_on": ["check"]}
        ]
    });
    if let Some(s) = sector {
        m["sector"] = json!(s);
    }
    serde_json::from_value(m).unwrap()
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

fn ids(list: &studio_api::RunList) -> Vec<&str> {
    list.runs.iter().map(|r| r.run_id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_filters_sort_and_details_on_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let ok = run(&api, &mission("Alpha Report", Some("Finance"), "true")).await;
    let bad = run(&api, &mission("Beta Sweep", Some("Security"), "false")).await;
    let plain = run(&api, &mission("Gamma 100%_done", None, "true")).await;

    let all = api.list_runs(&RunListQuery::default()).unwrap();
    assert_eq!(ids(&all), [&*plain, &*bad, &*ok], "newest first by default");
    assert_eq!(all.total_runs, 3);
    assert_eq!(all.sectors, ["default", "Finance", "Security"]);
    assert_eq!(
        all.missions
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["Alpha Report", "Beta Sweep", "Gamma 100%_done"]
    );
    let beta = &all.runs[1];
    assert_eq!(
        (beta.status.as_str(), beta.sector.as_str()),
        ("failed", "Security")
    );
    assert!(
        beta.reason.as_deref().unwrap().contains("check"),
        "{beta:?}"
    );
    assert_eq!(all.runs[0].sector, "default");

    let q = |f: fn(&mut RunListQuery)| {
        let mut q = RunListQuery::default();
        f(&mut q);
        api.list_runs(&q).unwrap()
    };
    assert_eq!(
        ids(&q(|q| q.status = Some("failed".into()))),
        [&*bad],
        "status"
    );
    assert_eq!(
        ids(&q(|q| q.status = Some("completed".into()))),
        [&*plain, &*ok]
    );
    assert_eq!(
        ids(&q(|q| q.sector = Some("Finance".into()))),
        [&*ok],
        "sector"
    );
    assert_eq!(
        ids(&q(|q| q.sector = Some("default".into()))),
        [&*plain],
        "no sector = default"
    );
    let beta_id = all.runs[1].mission_id.clone();
    let by_mission = api
        .list_runs(&RunListQuery {
            mission_id: Some(beta_id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_mission), [&*bad], "template");
    assert_eq!(
        ids(&q(|q| q.text = Some("SWEEP".into()))),
        [&*bad],
        "text, any case"
    );
    assert_eq!(
        ids(&q(|q| q.text = Some("100%_".into()))),
        [&*plain],
        "wildcards are literal"
    );
    assert_eq!(
        ids(&q(|q| q.text = Some("%".into()))),
        [&*plain],
        "a lone % is literal too"
    );
    assert_eq!(
        ids(&q(|q| q.text = Some("exited with".into()))),
        [&*bad],
        "the reason is searched"
    );
    assert_eq!(
        ids(&q(|q| q.started_after = Some("2999-01-01T00:00:00Z".into()))),
        Vec::<&str>::new(),
        "date range"
    );
    assert_eq!(
        ids(&q(
            |q| q.started_before = Some("2999-01-01T00:00:00+01:00".into())
        ))
        .len(),
        3
    );
    let by_name = api
        .list_runs(&RunListQuery {
            sort: Some(RunSortKey::Mission),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_name), [&*ok, &*bad, &*plain], "mission A→Z");
    let by_name_desc = api
        .list_runs(&RunListQuery {
            sort: Some(RunSortKey::Mission),
            descending: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_name_desc), [&*plain, &*bad, &*ok]);
    let by_status = api
        .list_runs(&RunListQuery {
            sort: Some(RunSortKey::Status),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_status).len(), 1, "limit");
    assert_eq!(by_status.runs[0].status, "completed", "completed < failed");
    let err = api
        .list_runs(&RunListQuery {
            status: Some("nope".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);

    // A failed run in detail: graph order, edges and final states.
    let detail = api.run_detail(&bad).unwrap();
    assert!(detail.resumable);
    let states: Vec<(&str, &str, Vec<String>)> = detail
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.status.as_str(), s.depends_on.clone()))
        .collect();
    assert_eq!(
        states,
        [
            ("write", "success", vec![]),
            ("check", "failed", vec!["write".to_string()]),
            ("after", "skipped", vec!["check".to_string()]),
        ]
    );
    assert!(!api.run_detail(&ok).unwrap().resumable);
    assert_eq!(
        api.run_detail("nope").unwrap_err().code,
        ErrorCode::NotFound
    );

    // Compare: statuses differ on `check`, `write` is the same.
    let cmp = api.compare_runs(&ok, &bad).unwrap();
    assert_eq!(
        (cmp.a.sector.as_str(), cmp.b.sector.as_str()),
        ("Finance", "Security")
    );
    let check = cmp.steps.iter().find(|s| s.step_id == "check").unwrap();
    assert!(!check.same_status);
    assert_eq!(check.b.as_ref().unwrap().status, "failed");
    assert!(
        cmp.steps
            .iter()
            .find(|s| s.step_id == "write")
            .unwrap()
            .same_status
    );

    // Resume from failure, started as the app does.
    let (plan, options, started) = api.prepare_resume_start(&bad).unwrap();
    assert_eq!(started.resumed_from, bad);
    assert_eq!(started.reused_steps, ["write"]);
    assert_eq!(started.rerun_steps, ["check", "after"]);
    let outcome = api.run_resume(&plan, options).await.unwrap();
    assert_eq!(outcome.result.run_id, started.run_id);
    assert_eq!(
        api.run_detail(&bad).unwrap().resumed_by,
        std::slice::from_ref(&started.run_id)
    );
    let resumed = api.run_detail(&started.run_id).unwrap();
    assert_eq!(resumed.run.resumed_from.as_deref(), Some(&*bad));
    assert_eq!(
        resumed.steps[0].reused_from.as_deref(),
        Some(&*bad),
        "the succeeded step was reused"
    );
}

fn find<'a>(entries: &'a [EvidenceEntry], path: &str) -> Option<&'a EvidenceEntry> {
    entries.iter().find_map(|e| {
        if e.path == path {
            Some(e)
        } else {
            find(&e.children, path)
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_of_a_real_run_is_listed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let id = run(&api, &mission("Evidence Run", Some("Operations"), "true")).await;

    let tree = api.evidence_tree(&id).unwrap();
    assert!(!tree.truncated);
    let names: Vec<&str> = tree.entries.iter().map(|e| e.name.as_str()).collect();
    let first_file = tree
        .entries
        .iter()
        .position(|e| e.kind != EvidenceEntryKind::Dir)
        .unwrap();
    assert!(
        tree.entries[..first_file]
            .iter()
            .all(|e| e.kind == EvidenceEntryKind::Dir),
        "folders first: {names:?}"
    );
    for expected in [
        "evidence",
        "outputs",
        "workspace",
        "meta.json",
        "events.jsonl",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let answer = find(&tree.entries, "outputs/answer.md").expect("outputs/answer.md listed");
    assert_eq!(answer.kind, EvidenceEntryKind::File);
    assert!(answer.size > 0);
    let outputs = find(&tree.entries, "outputs").unwrap();
    assert!(
        outputs.size >= answer.size,
        "a folder's size sums its files"
    );

    let md = api.read_evidence_file(&id, "outputs/answer.md").unwrap();
    assert_eq!(md.kind, EvidenceFileKind::Markdown);
    assert!(!md.truncated);
    assert!(
        md.text.as_deref().unwrap().contains("Evidence Run"),
        "{md:?}"
    );
    let meta = api.read_evidence_file(&id, "./meta.json").unwrap();
    assert_eq!(meta.kind, EvidenceFileKind::Json);
    assert_eq!(meta.path, "meta.json");
    let parsed: serde_json::Value = serde_json::from_str(meta.text.as_deref().unwrap()).unwrap();
    assert_eq!(parsed["run_id"], id.as_str());

    let err = api.read_evidence_file(&id, "outputs").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "a folder is not a file");
    let err = api.read_evidence_file(&id, "nope.txt").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = api
        .read_evidence_file(&id, "../mission-studio.db")
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err}");
    assert_eq!(
        api.evidence_tree("no-such-run").unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn reads_are_confined_to_the_folder() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("run");
    std::fs::create_dir_all(root.join("outputs")).unwrap();
    std::fs::write(root.join("outputs/answer.md"), "# Answer").unwrap();
    std::fs::write(base.path().join("secret.txt"), "top secret").unwrap();
    let root = root.canonicalize().unwrap();

    for (rel, why) in [
        ("../secret.txt", "`..`"),
        ("outputs/../../secret.txt", "`..`"),
        ("", "empty"),
    ] {
        let err = read_file_in(&root, rel).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{rel}: {err}");
        assert!(err.message.contains(why), "{rel}: {}", err.message);
    }
    let absolute = base.path().join("secret.txt");
    let err = read_file_in(&root, absolute.to_str().unwrap()).unwrap_err();
    assert!(err.message.contains("absolute"), "{}", err.message);
    assert!(!err.message.contains("top secret"));

    #[cfg(unix)]
    {
        // A link inside the folder that points out of it, to a file and to a folder.
        std::os::unix::fs::symlink(base.path().join("secret.txt"), root.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(base.path(), root.join("outputs/up")).unwrap();
        for rel in ["leak.txt", "outputs/up/secret.txt"] {
            let err = read_file_in(&root, rel).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{rel}");
            assert!(err.message.contains("outside"), "{rel}: {}", err.message);
        }
        // A link that stays inside is fine, and the tree lists links without following them.
        std::os::unix::fs::symlink(root.join("outputs/answer.md"), root.join("alias.md")).unwrap();
        assert_eq!(
            read_file_in(&root, "alias.md").unwrap().text.as_deref(),
            Some("# Answer")
        );
        let (entries, _) = tree_of(&root).unwrap();
        let up = find(&entries, "outputs/up").unwrap();
        assert_eq!(up.kind, EvidenceEntryKind::Symlink);
        assert!(up.children.is_empty(), "a link is not followed");
    }
    assert!(resolve_inside(&root, "outputs/answer.md").is_ok());
}

#[test]
fn big_files_are_cut_images_come_as_base64_and_binaries_are_not_shown() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().canonicalize().unwrap();
    // Multi-byte characters across the cut: the text stays valid.
    let big = "é".repeat(TEXT_LIMIT as usize);
    std::fs::write(root.join("big.log"), &big).unwrap();
    let file = read_file_in(&root, "big.log").unwrap();
    assert!(file.truncated);
    assert_eq!(file.size, big.len() as u64);
    assert_eq!(file.limit_bytes, TEXT_LIMIT);
    let text = file.text.unwrap();
    assert!(text.len() as u64 <= TEXT_LIMIT && text.len() as u64 >= TEXT_LIMIT - 1);
    assert!(text.chars().all(|c| c == 'é'));

    let png = [0x89u8, b'P', b'N', b'G', 0, 1, 2, 3];
    std::fs::write(root.join("shot.PNG"), png).unwrap();
    let image = read_file_in(&root, "shot.PNG").unwrap();
    assert_eq!(image.kind, EvidenceFileKind::Image);
    assert_eq!(image.mime, "image/png");
    assert_eq!(image.base64.as_deref(), Some("iVBORwABAgM="));
    assert_eq!(image.text, None);

    std::fs::write(root.join("blob.bin"), [0u8, 159, 146, 150]).unwrap();
    let blob = read_file_in(&root, "blob.bin").unwrap();
    assert_eq!(blob.kind, EvidenceFileKind::Binary);
    assert_eq!((blob.text, blob.base64), (None, None));

    std::fs::write(root.join("table.csv"), "a,b\n1,2\n").unwrap();
    assert_eq!(
        read_file_in(&root, "table.csv").unwrap().kind,
        EvidenceFileKind::Csv
    );
}

#[test]
fn the_watcher_reports_changes_in_the_folder() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().canonicalize().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let watch = studio_api::evidence::watch_folder(&root, move || {
        let _ = tx.send(());
    })
    .unwrap();
    std::fs::create_dir_all(root.join("outputs")).unwrap();
    std::fs::write(root.join("outputs/answer.md"), "# Hi").unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("a change is reported");
    // Settle, then read: reading is not a change (the inspector reads what it is told about).
    std::thread::sleep(std::time::Duration::from_millis(600));
    while rx.try_recv().is_ok() {}
    let _ = read_file_in(&root, "outputs/answer.md").unwrap();
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(800))
            .is_err(),
        "a read is not reported as a change"
    );
    drop(watch);
}
