//! Hostile input at scale for the parts of a mission read on their own: perimeter files (every
//! form), step parameters (checked against the real catalogue), and the `{{…}}` variable
//! syntax. Same properties as `fuzz_missions.rs`: no panic, within a second, every refusal
//! located. Past failures live in `tests/fuzz_corpus/{perimeter,step_params,variables}/`.

mod fuzz_support;

use fuzz_support::guard::{check_load, preview, timed};
use fuzz_support::model::{parameters, perimeter_file, step_id};
use fuzz_support::mutate::mutation;
use fuzz_support::run_target;
use fuzz_support::values::{reference, text};
use fuzz_support::yaml::{to_yaml, Traps};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::json;
use std::path::{Path, PathBuf};
use studio_core::step_params::{check_parameters, params_of, step_params, ProblemKind};
use studio_core::variables;

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// `parse_perimeter` answers within the limit; a refusal names a field or a position inside
/// the text; an accepted perimeter passes `check` and merges and renders.
fn check_perimeter(text: &str) -> Result<(), TestCaseError> {
    match timed("parse_perimeter", text, || {
        studio_core::parse_perimeter(text)
    })? {
        Err(e) => {
            let _ = e.to_string();
            if e.field().is_empty() && e.location().is_none() {
                return Err(fail(format!(
                    "an unlocated perimeter error: {e:?}\non:\n{}",
                    preview(text)
                )));
            }
            if let Some(l) = e.location() {
                if l.line == 0 || l.column == 0 || l.offset > text.len() {
                    return Err(fail(format!(
                        "a location outside the text: {e:?}\non:\n{}",
                        preview(text)
                    )));
                }
            }
            Ok(())
        }
        Ok(p) => timed("check, merge and render", text, || {
            studio_core::perimeter::check(&p)
                .map_err(|e| fail(format!("an accepted perimeter fails `check`: {e}")))?;
            let merged = studio_core::merge_perimeters(&p, &p, &p);
            let _ = merged.render();
            let _ = merged.to_perimeter();
            Ok(())
        })?,
    }
}

#[test]
fn generated_perimeter_files_are_read_or_refused_with_a_location() {
    let input = (
        perimeter_file(),
        any::<u64>(),
        prop::collection::vec(mutation(), 0..3),
    );
    run_target("perimeter files", 12_000, input, |(doc, seed, edits)| {
        let mut bytes = if seed.is_multiple_of(3) {
            serde_json::to_string(&doc).unwrap().into_bytes()
        } else {
            let traps = if seed % 3 == 1 {
                Traps::Some
            } else {
                Traps::None
            };
            to_yaml(&doc, seed, traps).into_bytes()
        };
        for e in &edits {
            e.apply(&mut bytes);
        }
        check_perimeter(&String::from_utf8_lossy(&bytes))
    });
}

/// Step types with a parameter table, drawn with their generated parameters.
fn step_with_parameters() -> impl Strategy<Value = (String, serde_json::Value)> {
    let types: Vec<String> = step_params().map(|p| p.step_type.to_string()).collect();
    prop::sample::select(types).prop_flat_map(|ty| {
        let params = parameters(&ty);
        (Just(ty), params)
    })
}

#[test]
fn generated_step_parameters_are_checked_with_located_problems() {
    let input = (step_with_parameters(), step_id(), any::<bool>());
    run_target(
        "step parameters",
        6_000,
        input,
        |((ty, params), id, yaml)| {
            let spec = params_of(&ty).expect("drawn from the table");
            let problems = timed("check_parameters", &params.to_string(), || {
                check_parameters(spec, &params)
            })?;
            for p in &problems {
                let named = p.param.is_empty()
                    || params.get(&p.param).is_some()
                    || spec.param(&p.param).is_some()
                    || p.kind == ProblemKind::Conflict;
                if !named || p.message.is_empty() {
                    return Err(fail(format!(
                        "a problem about no parameter: {p:?} in {params}"
                    )));
                }
            }
            let mission = json!({
                "name": "params",
                "steps": [
                    {"id": id, "step_type": ty, "parameters": params},
                    {"id": "after", "step_type": "noop", "depends_on": [id]},
                ]
            });
            if yaml {
                check_load(
                    &to_yaml(&mission, params.to_string().len() as u64, Traps::None),
                    "params.yaml",
                )?;
            } else {
                check_load(&mission.to_string(), "params.json")?;
            }
            Ok(())
        },
    );
}

/// The variable syntax readers never slice outside the text, and agree with each other.
fn check_template(t: &str) -> Result<(), TestCaseError> {
    timed("variables", t, || {
        let occurrences: Vec<_> = variables::occurrences(t).collect();
        let mut last = 0;
        for o in &occurrences {
            if o.start < last || o.end > t.len() || o.start >= o.end {
                return Err(fail(format!(
                    "occurrences out of order or bounds: {occurrences:?} in {t:?}"
                )));
            }
            last = o.end;
            let _ = variables::parse_reference(o.inner);
            let _ = variables::segments(o.inner);
        }
        let rebuilt: String = variables::parts(t)
            .iter()
            .map(|p| match p {
                variables::Part::Text(s) => *s,
                variables::Part::Ref(o) => &t[o.start..o.end],
            })
            .collect();
        if rebuilt != t {
            return Err(fail(format!(
                "the parts do not rebuild the text: {rebuilt:?} vs {t:?}"
            )));
        }
        if let Some(o) = variables::single_reference(t) {
            if o.start != 0 || o.end != t.len() {
                return Err(fail(format!(
                    "a single reference that is not the whole text: {o:?} in {t:?}"
                )));
            }
        }
        let _ = variables::has_unclosed_braces(t);
        let _ = variables::parse_reference(t);
        Ok(())
    })?
}

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![2 => reference(), 1 => text()], 1..5).prop_map(|p| p.concat())
}

#[test]
fn generated_variable_references_are_read_or_reported_with_their_field() {
    let input = (template(), template(), any::<bool>());
    run_target("variable references", 8_000, input, |(a, b, in_state)| {
        check_template(&a)?;
        check_template(&b)?;
        let mut step = json!({"id": "b", "step_type": "create_file", "depends_on": ["a"],
            "parameters": {"path": a, "content": b}});
        if in_state {
            step["state"] = json!({"n": a});
        }
        let mission = json!({
            "name": "references",
            "variables": {"topic": b},
            "state_schema": {"fields": {"n": {"type": "string"}}},
            "steps": [{"id": "a", "step_type": "noop"}, step],
        });
        check_load(&mission.to_string(), "references.json").map(drop)
    });
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
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
    files
}

#[test]
fn every_perimeter_step_parameter_and_reference_in_the_corpus_keeps_the_properties() {
    for path in corpus("perimeter") {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        check_perimeter(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in corpus("step_params") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        check_load(&text, &name).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in corpus("variables") {
        let text = std::fs::read_to_string(&path).unwrap();
        check_template(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
