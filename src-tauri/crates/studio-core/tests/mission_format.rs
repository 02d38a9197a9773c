//! The mission format end to end: the committed schema, the example missions, hostile and
//! arbitrary input, and large missions.

use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use studio_core::step_types::step_type;
use studio_core::{
    has_errors, levels, load_file, load_str, logic_hash, validate, Code, StepTypeStatus,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_committed_json_schema_is_up_to_date() {
    let path = repo_root().join(studio_core::schema::SCHEMA_PATH);
    let text = studio_core::schema::mission_schema_text();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != text && std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    assert!(
        current == text,
        "{} is out of date; run `UPDATE_GENERATED=1 cargo test -p studio-core` and commit the result",
        studio_core::schema::SCHEMA_PATH
    );
}

#[test]
fn every_rustchain_example_mission_of_the_seed_is_stored() {
    let dir = repo_root().join("missions/examples/rustchain/seed");
    let names: BTreeSet<String> = files_in(&dir)
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "ai-document-processing",
        "data-processing-pipeline",
        "file-processing-pipeline",
        "parallel-data-analysis",
        "robust-error-handling",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, expected);
}

/// Mistakes the seed's examples make, reported as they should be: `ai-document-processing`
/// reads `{{summary_result}}` and `{{keywords_result}}`, which nothing defines (its steps are
/// `generate_summary` and `extract_keywords`). The files are stored unchanged.
const SEED_MISTAKES: &[(&str, &str)] = &[
    (
        "ai-document-processing",
        "steps[4].parameters.metadata.summary",
    ),
    (
        "ai-document-processing",
        "steps[4].parameters.metadata.keywords",
    ),
];

#[test]
fn rustchain_examples_load_and_fail_only_on_step_types_not_available_yet() {
    let dir = repo_root().join("missions/examples/rustchain/seed");
    let mut clean = 0;
    for path in files_in(&dir) {
        let loaded = load_file(&path)
            .unwrap_or_else(|e| panic!("{} must load unchanged: {e}", path.display()));
        let diags = validate(&loaded);
        let unavailable: BTreeSet<&str> = loaded
            .mission
            .steps
            .iter()
            .map(|s| s.step_type.as_str())
            .filter(|t| step_type(t).is_some_and(|i| i.status() == StepTypeStatus::NotAvailableYet))
            .collect();
        if unavailable.is_empty() {
            let stem = path.file_stem().unwrap().to_string_lossy();
            let others: Vec<_> = diags
                .iter()
                .filter(|d| {
                    !SEED_MISTAKES.contains(&(stem.as_ref(), d.field.as_str()))
                        || d.code != Code::UnknownReference
                })
                .collect();
            assert!(
                others.is_empty(),
                "{} uses available step types only and must validate clean, but for the seed's own mistakes: {others:#?}",
                path.display()
            );
            clean += 1;
            continue;
        }
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(
            errors.iter().all(|d| d.code == Code::StepTypeNotAvailable),
            "{}: the only errors allowed are `not available yet`: {errors:#?}",
            path.display()
        );
        let reported: BTreeSet<&str> = loaded
            .mission
            .steps
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                errors
                    .iter()
                    .any(|d| d.field == format!("steps[{i}].step_type"))
            })
            .map(|(_, s)| s.step_type.as_str())
            .collect();
        assert_eq!(
            reported,
            unavailable,
            "{}: every unavailable step type is reported",
            path.display()
        );
        assert!(errors
            .iter()
            .all(|d| d.message.ends_with("is not available yet in this version")));
    }
    assert_eq!(clean, 5, "every example uses available types only");
}

#[test]
fn native_examples_validate_without_any_diagnostic() {
    let files = files_in(&repo_root().join("missions/examples"));
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let loaded = load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let diags = validate(&loaded);
        assert!(diags.is_empty(), "{}: {diags:#?}", path.display());
        assert!(levels(&loaded.mission).is_ok());
    }
}

#[test]
fn a_json_mission_and_its_yaml_twin_have_the_same_logic_hash() {
    let json = load_file(&repo_root().join("missions/examples/config-digest.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json.source.text).unwrap();
    // YAML is a superset of JSON, but write it the YAML way: block style, different order.
    let mut yaml = String::from("steps:\n");
    for step in value["steps"].as_array().unwrap().iter().rev() {
        let line = serde_json::to_string(step).unwrap();
        yaml.push_str(&format!("  - {line}\n"));
    }
    yaml.push_str(&format!("name: {}\n", value["name"]));
    yaml.push_str("config:\n  max_concurrent_steps: 3\n  fail_fast: false\n");
    let mut reordered = load_str(&yaml, "twin.yaml").unwrap().mission;
    reordered.steps.reverse();
    assert_eq!(logic_hash(&reordered), logic_hash(&json.mission));
}

fn big_mission(steps: usize, width: usize) -> String {
    let mut text = String::from("name: big\nsteps:\n");
    for i in 0..steps {
        text.push_str(&format!("  - id: s{i}\n    step_type: noop\n"));
        if i >= width {
            text.push_str(&format!("    depends_on: [s{}, s{}]\n", i - width, i - 1));
        }
    }
    text
}

#[test]
fn a_ten_thousand_step_mission_loads_validates_and_orders_quickly() {
    let text = big_mission(10_000, 50);
    let started = Instant::now();
    let loaded = load_str(&text, "big.yaml").unwrap();
    let diags = validate(&loaded);
    let lv = levels(&loaded.mission).unwrap();
    let took = started.elapsed();
    assert!(diags.is_empty(), "{:?}", diags.first());
    assert_eq!(lv.iter().map(Vec::len).sum::<usize>(), 10_000);
    assert!(
        took < Duration::from_secs(5),
        "unoptimised build, shared machine: took {took:?}"
    );
}

#[test]
fn a_broken_ten_thousand_step_mission_is_located_quickly() {
    let text = big_mission(10_000, 50).replace("depends_on: [s9000,", "depends_on: [nowhere,");
    let started = Instant::now();
    let diags = validate(&load_str(&text, "big.yaml").unwrap());
    let took = started.elapsed();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, Code::UnknownDependency);
    assert!(diags[0].location.is_some_and(|l| l.line > 20_000));
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        for origin in ["p.yaml", "p.json"] {
            if let Ok(loaded) = load_str(&text, origin) {
                let _ = validate(&loaded);
                let _ = logic_hash(&loaded.mission);
            }
        }
    }

    #[test]
    fn yaml_ish_missions_never_panic(
        ids in prop::collection::vec("[a-c{}. ]{0,3}", 0..6),
        types in prop::collection::vec(prop::sample::select(vec!["noop", "command", "http", "create_fle", "ssh_execute", "parse_json", "edit_file"]), 0..6),
        deps in prop::collection::vec(prop::collection::vec(0usize..7, 0..3), 0..6),
        params in prop::collection::vec("[a-z{}. :\\[\\]\"*&!|>-]{0,24}", 0..6),
        extra in "[a-z:\\[\\]{}&*!, \n-]{0,40}",
    ) {
        let mut text = String::from("name: p\nsteps:\n");
        for (i, id) in ids.iter().enumerate() {
            text.push_str(&format!("  - id: \"{}\"\n    step_type: {}\n", id.replace('"', ""), types.get(i).copied().unwrap_or("noop")));
            if let Some(d) = deps.get(i) {
                let list: Vec<String> = d.iter().map(|k| format!("\"{}\"", ids.get(*k).map(String::as_str).unwrap_or("zz").replace('"', ""))).collect();
                text.push_str(&format!("    depends_on: [{}]\n", list.join(", ")));
            }
            if let Some(p) = params.get(i) {
                text.push_str(&format!("    parameters: {{command: {p}, content: \"{{{{{p}}}}}\"}}\n"));
            }
        }
        text.push_str(&extra);
        if let Ok(loaded) = load_str(&text, "p.yaml") {
            let diags = validate(&loaded);
            prop_assert!(diags.iter().all(|d| d.file == "p.yaml"));
            if !has_errors(&diags) {
                prop_assert!(levels(&loaded.mission).is_ok(), "a mission without errors has levels");
            }
        }
    }
}

#[test]
fn the_format_reference_is_up_to_date() {
    let path = repo_root().join("missions/README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let updated = studio_core::reference::with_generated_reference(&readme)
        .expect("missions/README.md keeps the marks of its generated step type reference");
    if updated != readme && std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &updated).unwrap();
    } else {
        assert!(
            updated == readme,
            "the step types of missions/README.md are out of date; run `UPDATE_GENERATED=1 cargo test -p studio-core` and commit the result"
        );
    }
    for info in studio_core::STEP_TYPES {
        assert!(
            readme.contains(&format!("`{}`", info.name)),
            "step type `{}` is not listed",
            info.name
        );
    }
    for &code in Code::ALL {
        assert!(
            readme.contains(&format!("`{}`", code.as_str())),
            "code `{}` is not documented",
            code.as_str()
        );
    }
}

proptest! {
    #[test]
    fn levels_put_every_step_after_its_dependencies(
        deps in prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 0..4), 1..60)
    ) {
        // Step i may depend only on earlier steps: always a DAG.
        let mut text = String::from("name: dag\nsteps:\n");
        for (i, ds) in deps.iter().enumerate() {
            text.push_str(&format!("  - id: s{i}\n    step_type: noop\n"));
            if i > 0 && !ds.is_empty() {
                let mut names: Vec<String> = ds.iter().map(|d| format!("s{}", d.index(i))).collect();
                names.sort();
                names.dedup();
                text.push_str(&format!("    depends_on: [{}]\n", names.join(", ")));
            }
        }
        let loaded = load_str(&text, "dag.yaml").unwrap();
        prop_assert!(validate(&loaded).is_empty());
        let lv = levels(&loaded.mission).unwrap();
        let mut level_of = vec![usize::MAX; deps.len()];
        for (n, level) in lv.iter().enumerate() {
            prop_assert!(!level.is_empty());
            prop_assert!(level.windows(2).all(|w| w[0] < w[1]), "declaration order within a level");
            for &i in level {
                level_of[i] = n;
            }
        }
        for (i, step) in loaded.mission.steps.iter().enumerate() {
            prop_assert!(level_of[i] != usize::MAX, "every step is placed");
            let mut deepest = None;
            for d in &step.depends_on {
                let j: usize = d[1..].parse().unwrap();
                prop_assert!(level_of[j] < level_of[i], "s{j} runs before s{i}");
                deepest = deepest.max(Some(level_of[j]));
            }
            prop_assert_eq!(level_of[i], deepest.map_or(0, |l| l + 1), "as early as possible");
        }
    }
}
