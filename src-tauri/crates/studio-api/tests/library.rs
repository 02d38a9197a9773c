//! The template library through the API: the builtin library plus the data folder's own
//! templates, on a real database.

use std::path::Path;
use studio_api::{AppPaths, ErrorCode, SortKey, StudioApi, TemplateQuery};

fn repo_templates() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/templates")
}

const MINE: &str = r#"
version: "1.0"
id: acme.ops.nightly-digest
name: Nightly Digest
sector: Operations
required_depts: [ops]
goal: "Summarise the night's alerts for the morning stand-up"
tags: [digest, alerts]
risk: low
est_roi: 1.5
steps:
  - id: collect
    step_type: noop
  - id: write
    step_type: create_file
    depends_on: [collect]
    parameters: {path: digest.md, content: "quiet night"}
"#;

#[test]
fn the_library_lists_the_builtin_and_the_user_templates() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::at(dir.path()).with_builtin_templates(repo_templates());
    let api = StudioApi::open(paths.clone()).unwrap();
    let all = api.list_templates(&TemplateQuery::default()).unwrap();
    assert!(all.len() >= 200, "{} templates", all.len());
    assert!(api.template_problems().unwrap().is_empty());

    let hr = api
        .list_templates(&TemplateQuery {
            sector: Some("hr".into()),
            sort: SortKey::Roi,
            limit: Some(5),
            ..TemplateQuery::default()
        })
        .unwrap();
    assert_eq!(hr.len(), 5);
    assert!(hr.iter().all(|t| t.sector.as_deref() == Some("HR")));
    assert!(
        hr.windows(2).all(|w| w[0].roi >= w[1].roi),
        "highest ROI first"
    );

    std::fs::create_dir_all(paths.user_templates_dir()).unwrap();
    std::fs::write(paths.user_templates_dir().join("digest.yaml"), MINE).unwrap();
    let report = api.reindex_templates().unwrap();
    assert_eq!(report.added, ["acme.ops.nightly-digest"]);
    let detail = api.get_template("acme.ops.nightly-digest").unwrap();
    assert_eq!(detail.levels, vec![vec!["collect"], vec!["write"]]);

    let err = api.get_template("acme.nothing").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("--search"), "{}", err.message);

    // Another handle on the same data folder sees the same library.
    let again = StudioApi::open(paths).unwrap();
    let found = again
        .list_templates(&TemplateQuery {
            search: Some("night's alerts".into()),
            ..TemplateQuery::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
}
