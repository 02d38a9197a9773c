//! Hostile input at scale for the mission loader: documents generated from a model of every
//! format it reads (native and RustChain-shaped missions, Spark MissionSpec and GraphSpec,
//! Mission Envelope payloads, mission packs), written as YAML (with YAML's traps) and as JSON,
//! and byte-level mutations of the repository's real mission files.
//!
//! For every input: no panic, an answer within a second, a refusal that says where (line and
//! column or field path), and an accepted mission that validates with located diagnostics and
//! round-trips through JSON. `MISSION_FUZZ_CASES=N` sets the inputs per target (see
//! `fuzz_support`). Past failures live in `tests/fuzz_corpus/mission/` and replay below.

mod fuzz_support;

use fuzz_support::guard::{check_accepted, check_load, located_refusal, timed};
use fuzz_support::model::{any_document, envelope, mission, pack, spark};
use fuzz_support::mutate::mutated_seed;
use fuzz_support::run_target;
use fuzz_support::yaml::{to_yaml, Traps};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use std::path::Path;

fn yaml_and_json(doc: &Value, seed: u64, name: &str) -> Result<(), TestCaseError> {
    let traps = if seed.is_multiple_of(3) {
        Traps::Some
    } else {
        Traps::None
    };
    check_load(&to_yaml(doc, seed, traps), &format!("{name}.yaml"))?;
    let json = if seed.is_multiple_of(2) {
        serde_json::to_string_pretty(doc).unwrap()
    } else {
        serde_json::to_string(doc).unwrap()
    };
    // Without an extension the content decides the format.
    let origin = if seed.is_multiple_of(5) {
        name.to_string()
    } else {
        format!("{name}.json")
    };
    check_load(&json, &origin)?;
    Ok(())
}

#[test]
fn generated_native_and_rustchain_missions_load_or_are_refused_with_a_location() {
    run_target(
        "native missions (YAML and JSON)",
        4_000,
        (mission(), any::<u64>()),
        |(doc, seed)| yaml_and_json(&doc, seed, "mission"),
    );
}

#[test]
fn generated_spark_envelope_and_pack_documents_load_or_are_refused_with_a_location() {
    let imports = prop_oneof![spark(), envelope(), pack()];
    run_target(
        "imported formats (YAML and JSON)",
        4_000,
        (imports, any::<u64>()),
        |(doc, seed)| yaml_and_json(&doc, seed, "import"),
    );
}

#[test]
fn yaml_traps_in_any_document_never_panic_or_hang() {
    run_target(
        "YAML with anchors, merges, duplicates, tags",
        3_000,
        (any_document(), any::<u64>()),
        |(doc, seed)| check_load(&to_yaml(&doc, seed, Traps::Some), "trapped.yaml").map(drop),
    );
}

#[test]
fn mutated_mission_files_load_or_are_refused_with_a_location() {
    run_target(
        "mutated mission files",
        12_000,
        mutated_seed(),
        |(name, bytes)| check_bytes(&name, &bytes),
    );
}

/// A file's bytes through the loader: text through `load_str`, anything else through
/// `load_file` (which must refuse non-UTF-8 with a location).
fn check_bytes(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_load(text, name).map(drop),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let shown = String::from_utf8_lossy(bytes);
            match timed("load_file", &shown, || studio_core::load_file(&path))? {
                Err(err) => located_refusal(&err, &shown),
                Ok(loaded) => check_accepted(&loaded, &shown),
            }
        }
    }
}

/// What a pack folder holds beside `mission.yaml` under one name.
#[derive(Debug, Clone)]
enum Beside {
    Nothing,
    Text(String),
    Bytes(Vec<u8>),
    Folder,
}

fn beside() -> impl Strategy<Value = Beside> {
    prop_oneof![
        2 => Just(Beside::Nothing),
        4 => fuzz_support::values::text().prop_map(Beside::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Beside::Bytes),
        1 => Just(Beside::Folder),
    ]
}

fn place(dir: &Path, name: &str, what: &Beside) {
    let path = dir.join(name);
    match what {
        Beside::Nothing => {}
        Beside::Text(t) => std::fs::write(path, t).unwrap(),
        Beside::Bytes(b) => std::fs::write(path, b).unwrap(),
        Beside::Folder => std::fs::create_dir(path).unwrap(),
    }
}

#[test]
fn generated_mission_pack_folders_load_or_are_refused_with_a_location() {
    let input = (pack(), any::<u64>(), beside(), beside());
    run_target(
        "mission pack folders",
        1_500,
        input,
        |(doc, seed, context, constraints)| {
            let dir = tempfile::tempdir().unwrap();
            let pack_dir = dir.path().join("20251231-1200__demo__pack-run");
            std::fs::create_dir(&pack_dir).unwrap();
            let text = if seed.is_multiple_of(4) {
                serde_json::to_string(&doc).unwrap()
            } else {
                to_yaml(
                    &doc,
                    seed,
                    if seed % 4 == 1 {
                        Traps::Some
                    } else {
                        Traps::None
                    },
                )
            };
            std::fs::write(pack_dir.join("mission.yaml"), &text).unwrap();
            place(&pack_dir, "context.md", &context);
            place(&pack_dir, "constraints.md", &constraints);
            let target = if seed.is_multiple_of(2) {
                pack_dir.clone()
            } else {
                pack_dir.join("mission.yaml")
            };
            match timed("load_file (pack folder)", &text, || {
                studio_core::load_file(&target)
            })? {
                Err(err) => located_refusal(&err, &text),
                Ok(loaded) => check_accepted(&loaded, &text),
            }
        },
    );
}

#[test]
fn every_mission_in_the_corpus_of_past_failures_keeps_the_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/mission");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "the corpus in {} is empty",
        dir.display()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        if let Err(e) = check_bytes(&name, &bytes) {
            panic!("{name}: {e}");
        }
    }
}
