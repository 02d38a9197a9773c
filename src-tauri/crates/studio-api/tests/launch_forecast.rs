//! The app's side of the launch forecast and of "fix and retry": Quick Deploy's forecast of a
//! template under a perimeter (a global hard cap named by its Settings field), an active
//! mission run under its perimeter as the operator's, and the Resume dialog — a raised cap, the
//! mission file as it is now — through `LiveRuns` as the window starts them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use studio_api::library_dto::{BudgetDto, PerimeterDto};
use studio_api::resume::ResumeOptions;
use studio_api::{AppPaths, LiveRuns, RunSource, StudioApi};

const TEMPLATE: &str = r#"
version: "1.0"
id: com.example.summary
name: Feed Summary
sector: Operations
required_depts: [ops]
goal: Summarise what the feed says, in three lines.
tags: [demo]
risk: low
est_roi: 2
value_usd: 3
simulation:
  enabled: true
  tools:
    - name: fetch
      static_response: {status: 200, body: "{\"items\":[\"budget caps per workflow\",\"faster polling\"]}"}
steps:
  - id: fetch
    step_type: http
    timeout_seconds: 30
    parameters: {url: "https://feed.example.com/api", method: GET}
  - id: summarise
    step_type: llm
    depends_on: [fetch]
    parameters:
      prompt: "Summarise in three lines: {{fetch.output.body}}"
      max_tokens: 400
"#;

fn api(dir: &Path) -> StudioApi {
    let builtin = dir.join("builtin");
    std::fs::create_dir_all(&builtin).unwrap();
    let templates = dir.join("data/templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("summary.yaml"), TEMPLATE).unwrap();
    StudioApi::open(AppPaths::at(dir.join("data")).with_builtin_templates(builtin)).unwrap()
}

fn tokens(max: u64) -> PerimeterDto {
    PerimeterDto {
        budget: BudgetDto {
            max_tokens: Some(max),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn wait_finished(live: &LiveRuns, run_id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = live
            .list()
            .into_iter()
            .find(|r| r.run_id == run_id && r.finished_at.is_some())
        {
            return r.status;
        }
        assert!(Instant::now() < deadline, "the run ends");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn quick_deploys_forecast_blocks_a_cap_the_prompt_passes_and_names_a_global_caps_field() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(dir.path());
    let open = api
        .forecast_template("com.example.summary", &PerimeterDto::default())
        .unwrap();
    assert!(open.can_complete && open.holds, "{:?}", open.findings);
    let f = api
        .forecast_template("com.example.summary", &tokens(40))
        .unwrap();
    assert!(!f.can_complete);
    let cap = &f.caps[0];
    assert_eq!(
        (cap.cap.as_str(), cap.verdict.as_str(), cap.limit),
        ("max_tokens", "short", Some(40.0))
    );
    assert_eq!(cap.set_by, vec!["operator"]);
    assert_eq!(cap.settings_field, None);
    let blocking = &f.findings[0];
    assert_eq!(blocking.severity, "blocking");
    assert_eq!(blocking.step_id.as_deref(), Some("summarise"));
    assert!(
        blocking
            .message
            .starts_with("cannot complete: `summarise` needs up to ")
            && blocking.message.ends_with(" tokens, cap 40"),
        "{}",
        blocking.message
    );

    // The same cap as a global hard cap: the Settings field that raises it is named.
    api.set_caps(&tokens(40)).unwrap();
    let f = api
        .forecast_template("com.example.summary", &PerimeterDto::default())
        .unwrap();
    assert_eq!(f.caps[0].set_by, vec!["global"]);
    assert_eq!(
        f.caps[0].settings_field.as_deref(),
        Some("Settings → Global hard caps → Tokens")
    );
    assert!(
        f.findings[0]
            .message
            .ends_with("(a global hard cap: raise Settings → Global hard caps → Tokens)"),
        "{}",
        f.findings[0].message
    );
    // Sub-cent money caps are kept to the micro-dollar.
    let mut cents = PerimeterDto::default();
    cents.budget.max_cost_usd = Some(0.005);
    api.set_caps(&PerimeterDto::default()).unwrap();
    let f = api
        .forecast_template("com.example.summary", &cents)
        .unwrap();
    let cost = f.caps.iter().find(|c| c.cap == "max_cost_usd").unwrap();
    assert_eq!(cost.limit, Some(0.005));
    assert_eq!(cost.limit_text, "0.005000 USD");
}

#[test]
fn an_active_run_and_its_resume_with_a_raised_cap_from_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(dir.path());
    let live = LiveRuns::new(api.clone());
    let active = api
        .deploy_from_app("com.example.summary", &tokens(40), None)
        .unwrap();
    let forecast = api.forecast_active(&active.id, None).unwrap();
    assert!(
        !forecast.can_complete,
        "the active mission's cap is forecast"
    );
    let (source, inputs) = api.active_run_source(&active.id).unwrap();
    let first = live.start(source, inputs).unwrap();
    assert_eq!(wait_finished(&live, &first), "failed");

    // The Resume dialog starts from the earlier run's perimeter: the active mission's.
    let preview = api
        .resume_preview(&first, &ResumeOptions::default())
        .unwrap();
    assert_eq!(preview.perimeter.budget.max_tokens, Some(40));
    assert_eq!(preview.reused_steps, vec!["fetch"]);
    assert_eq!(preview.rerun_reasons["summarise"], "failed");
    assert!(
        preview
            .mission_file
            .as_deref()
            .is_some_and(|f| f.ends_with("summary.yaml")),
        "the template file was recorded: {:?}",
        preview.mission_file
    );
    assert!(!preview.file_changed);
    assert!(
        !api.forecast_resume(&first, &ResumeOptions::default())
            .unwrap()
            .can_complete
    );

    // Raised in the dialog: the forecast holds and the resume completes, reusing `fetch`.
    let raised = ResumeOptions {
        use_current_file: false,
        perimeter: Some(tokens(5000)),
    };
    assert!(api.forecast_resume(&first, &raised).unwrap().can_complete);
    let second = live
        .start(
            RunSource::ResumeWith {
                run_id: first.clone(),
                options: raised,
            },
            BTreeMap::new(),
        )
        .unwrap();
    assert_eq!(wait_finished(&live, &second), "completed");
    let detail = api.run_details(&second).unwrap();
    assert_eq!(detail.run.resumed_from.as_deref(), Some(first.as_str()));
    let fetch = detail.steps.iter().find(|s| s.step_id == "fetch").unwrap();
    assert_eq!(fetch.reused_from.as_deref(), Some(first.as_str()));
}

#[test]
fn the_resume_dialog_sees_a_changed_mission_file_and_resumes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(dir.path());
    let live = LiveRuns::new(api.clone());
    let file: PathBuf = dir.path().join("m.yaml");
    let broken = "name: Fix Me\nsteps:\n  - {id: a, step_type: command, timeout_seconds: 5, parameters: {command: printf, args: [\"x\"]}}\n  - {id: b, step_type: command, depends_on: [a], timeout_seconds: 5, parameters: {command: \"false\"}}\n";
    std::fs::write(&file, broken).unwrap();
    let first = live
        .start(RunSource::File(file.clone()), BTreeMap::new())
        .unwrap();
    assert_eq!(wait_finished(&live, &first), "failed");
    std::fs::write(&file, broken.replace("\"false\"", "\"true\"")).unwrap();

    let preview = api
        .resume_preview(&first, &ResumeOptions::default())
        .unwrap();
    assert!(preview.file_changed && preview.file_exists);
    assert_eq!(
        preview.hint.as_deref(),
        Some("the mission file changed since this run: resume with --file to use it")
    );
    let with_file = ResumeOptions {
        use_current_file: true,
        perimeter: None,
    };
    let preview = api.resume_preview(&first, &with_file).unwrap();
    assert_eq!(preview.reused_steps, vec!["a"]);
    assert_eq!(preview.rerun_reasons["b"], "failed, changed");
    assert_eq!(preview.hint, None);
    let second = live
        .start(
            RunSource::ResumeWith {
                run_id: first.clone(),
                options: with_file,
            },
            BTreeMap::new(),
        )
        .unwrap();
    assert_eq!(wait_finished(&live, &second), "completed");

    // An invalid current file is refused with its located diagnostics.
    std::fs::write(&file, broken.replace("depends_on: [a]", "depends_on: [z]")).unwrap();
    let err = api
        .resume_preview(
            &first,
            &ResumeOptions {
                use_current_file: true,
                perimeter: None,
            },
        )
        .unwrap_err();
    assert!(err.message.contains("m.yaml"), "{}", err.message);
}
