//! The committed template schema matches the Rust types, and every builtin template
//! satisfies it while a template without the registry fields does not.

use std::path::{Path, PathBuf};
use studio_registry::schema::{template_schema, template_schema_text, TEMPLATE_SCHEMA_PATH};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

#[test]
fn the_committed_template_schema_is_up_to_date() {
    let path = repo_root().join(TEMPLATE_SCHEMA_PATH);
    let text = template_schema_text();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != text && std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    assert!(
        current == text,
        "{TEMPLATE_SCHEMA_PATH} is out of date; run `UPDATE_GENERATED=1 cargo test -p studio-registry --test schema` and commit the result"
    );
}

fn template_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let root = repo_root().join("missions/templates");
    for sector in std::fs::read_dir(root).unwrap() {
        for file in std::fs::read_dir(sector.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
}

#[test]
fn every_builtin_template_satisfies_the_schema_and_a_bare_mission_does_not() {
    let schema = template_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let files = template_files();
    assert!(files.len() >= 200);
    let mut problems = Vec::new();
    for path in &files {
        let loaded = studio_core::load_file(path).unwrap();
        let value = serde_json::to_value(&loaded.mission).unwrap();
        for error in validator.iter_errors(&value) {
            problems.push(format!("{}: {error}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let mut bare = studio_core::load_file(&files[0]).unwrap().mission;
    bare.goal = None;
    bare.required_depts.clear();
    let value = serde_json::to_value(&bare).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("goal"))
            && errors.iter().any(|e| e.contains("required_depts")),
        "{errors:?}"
    );
}
