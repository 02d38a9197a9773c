//! `mission validate FILE…`, and the plan that `mission run --dry-run` prints.
//!
//! Diagnostics go to stderr, rendered like a compiler's (pointing into the YAML; colours only
//! on a terminal); results go to stdout: one `ok:` line per valid file, or with `--json` one
//! array of `{file, valid, logic_hash, steps, diagnostics: [...]}`.

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use studio_api::studio_core::{levels, logic_hash, LoadedMission, Severity};

pub use studio_api::check::{
    check_file, diagnostic_json, render_diagnostics, CheckOptions, FileCheck, ReportStyle,
};

/// Exit code of a command refused because its mission is invalid (DESIGN §12).
pub const INVALID_MISSION: u8 = 3;

/// `mission validate FILE…`: checks every file, prints all diagnostics, and returns the exit
/// code (0 when every file is valid, [`INVALID_MISSION`] otherwise; with `--strict`, a warning
/// makes a file invalid).
///
/// `names[i]` (when given) is reported as the name of `files[i]`: a mission package is read
/// from its unpacked `mission.json` but reported as the package.
pub fn validate_named(
    files: &[PathBuf],
    names: &[Option<String>],
    json: bool,
    options: &CheckOptions,
) -> u8 {
    let checks: Vec<FileCheck> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut check = check_file(f, options);
            if let Some(Some(name)) = names.get(i) {
                check.file.clone_from(name);
            }
            check
        })
        .collect();
    let all_valid = checks.iter().all(FileCheck::is_valid);
    if json {
        let doc: Vec<Value> = checks.iter().map(check_json).collect();
        let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "[]".into());
        println!("{text}");
    } else {
        let style = ReportStyle::for_stderr();
        let mut stderr = std::io::stderr().lock();
        let mut stdout = std::io::stdout().lock();
        for check in &checks {
            let _ = render_diagnostics(&mut stderr, check, style);
            let _ = write_summary_line(&mut stdout, &mut stderr, check);
        }
        let invalid = checks.iter().filter(|c| !c.is_valid()).count();
        if invalid > 0 {
            let errors: usize = checks.iter().map(|c| c.count(Severity::Error)).sum();
            let _ = writeln!(
                stderr,
                "{invalid} of {} file(s) invalid ({errors} error(s))",
                checks.len()
            );
        }
    }
    if all_valid {
        0
    } else {
        INVALID_MISSION
    }
}

/// Loads and validates a mission for a command that goes on with it (`run`): prints every
/// diagnostic on stderr and gives the mission back when it has no error, or the exit code to
/// stop with.
pub fn load_and_validate(path: &Path, options: &CheckOptions) -> Result<LoadedMission, u8> {
    let check = check_file(path, options);
    let _ = render_diagnostics(
        &mut std::io::stderr().lock(),
        &check,
        ReportStyle::for_stderr(),
    );
    if check.is_valid() {
        check.loaded.ok_or(INVALID_MISSION)
    } else {
        Err(INVALID_MISSION)
    }
}

/// Why a plan could not be written.
#[derive(Debug)]
pub enum PlanError {
    Graph(studio_api::studio_core::GraphError),
    Io(std::io::Error),
}

impl From<std::io::Error> for PlanError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

/// Writes the plan of a loaded mission, what `mission run FILE --dry-run` prints before the
/// launch forecast: its parallel levels (`level 1: a, b`), or with `json` one document
/// `{mission_id, name, file, logic_hash, steps, levels: [[ids…]…], simulated}`.
pub fn write_plan(
    out: &mut dyn Write,
    loaded: &LoadedMission,
    json: bool,
) -> Result<(), PlanError> {
    let mission = &loaded.mission;
    let levels = levels(mission).map_err(PlanError::Graph)?;
    let ids = |level: &Vec<usize>| -> Vec<&str> {
        level
            .iter()
            .map(|&i| mission.steps[i].id.as_str())
            .collect()
    };
    let hash = logic_hash(mission);
    let simulated = simulated_steps(mission);
    if json {
        let doc = json!({
            "mission_id": mission.mission_id(),
            "name": mission.name,
            "file": loaded.source.name,
            "logic_hash": hash,
            "steps": mission.steps.len(),
            "levels": levels.iter().map(ids).collect::<Vec<_>>(),
            "simulated": simulated,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "dry run of {} ({})",
        mission.name,
        mission.mission_id()
    )?;
    writeln!(out, "file: {}", loaded.source.name)?;
    writeln!(out, "logic_hash: {hash}")?;
    writeln!(
        out,
        "{} step(s) in {} level(s); steps of one level can run in parallel; nothing was run",
        mission.steps.len(),
        levels.len()
    )?;
    for (n, level) in levels.iter().enumerate() {
        writeln!(out, "level {}: {}", n + 1, ids(level).join(", "))?;
    }
    if !simulated.is_empty() {
        writeln!(
            out,
            "simulated (static responses, no side effects): {}",
            simulated.join(", ")
        )?;
    }
    Ok(())
}

/// Steps a simulation override answers: `simulation.enabled` and a tool named like the step's
/// type, its id, or the registry tool it calls.
pub fn simulated_steps(mission: &studio_api::studio_core::Mission) -> Vec<&str> {
    let Some(sim) = mission.simulation.as_ref().filter(|s| s.enabled) else {
        return Vec::new();
    };
    mission
        .steps
        .iter()
        .filter(|step| {
            let tool = (step.step_type == "tool")
                .then(|| step.parameters.get("name").and_then(|v| v.as_str()))
                .flatten();
            sim.tools.iter().any(|t| {
                t.name == step.step_type || t.name == step.id || Some(t.name.as_str()) == tool
            })
        })
        .map(|s| s.id.as_str())
        .collect()
}

fn write_summary_line(
    out: &mut dyn Write,
    err: &mut dyn Write,
    check: &FileCheck,
) -> std::io::Result<()> {
    let warnings = check.count(Severity::Warning);
    let warn_text = if warnings > 0 {
        format!(", {warnings} warning(s)")
    } else {
        String::new()
    };
    match (&check.loaded, check.is_valid()) {
        (Some(loaded), true) => writeln!(
            out,
            "ok: {} ({} steps, logic_hash {}{warn_text})",
            check.file,
            loaded.mission.steps.len(),
            logic_hash(&loaded.mission)
        ),
        _ => writeln!(
            err,
            "invalid: {} ({} error(s){warn_text})",
            check.file,
            check.count(Severity::Error)
        ),
    }
}

fn check_json(check: &FileCheck) -> Value {
    json!({
        "file": check.file,
        "valid": check.is_valid(),
        "logic_hash": check.logic_hash(),
        "steps": check.loaded.as_ref().map(|l| l.mission.steps.len()),
        "diagnostics": check.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "import": check.loaded.as_ref().and_then(|l| l.import.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(name: &str, text: &str) -> FileCheck {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut check = check_file(&path, &CheckOptions::default());
        check.file = name.to_string();
        check
    }

    #[test]
    fn a_report_points_at_file_line_and_column_without_colours() {
        let check = check_text(
            "m.yaml",
            "name: m\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [b]\n",
        );
        let mut out = Vec::new();
        render_diagnostics(&mut out, &check, ReportStyle { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("[m.yaml:5:18]"), "{text}");
        assert!(text.contains("unknown_dependency"), "{text}");
        assert!(
            text.contains("steps[0].depends_on[0]"),
            "the label names the field: {text}"
        );
        assert!(text.contains("help:"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes off a terminal: {text:?}"
        );
    }

    #[test]
    fn the_plan_lists_parallel_levels() {
        let check = check_text(
            "p.yaml",
            "name: p\nsteps:\n  - {id: a, step_type: noop}\n  - {id: b, step_type: noop}\n  - {id: c, step_type: noop, depends_on: [a, b]}\n",
        );
        let mut out = Vec::new();
        write_plan(&mut out, check.loaded.as_ref().unwrap(), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("level 1: a, b\nlevel 2: c\n"), "{text}");
        let mut out = Vec::new();
        write_plan(&mut out, check.loaded.as_ref().unwrap(), true).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["levels"], json!([["a", "b"], ["c"]]));
    }

    #[test]
    fn diagnostics_serialise_with_flat_positions() {
        let check = check_text(
            "m.yaml",
            "name: m\nsteps:\n  - id: a\n    step_type: telport\n",
        );
        let doc = check_json(&check);
        assert_eq!(doc["valid"], false);
        let d = &doc["diagnostics"][0];
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(4), Some(16))
        );
        assert_eq!(d["code"], "unknown_step_type");
        assert!(
            d["help"].is_string() && d["field"] == "steps[0].step_type",
            "{d}"
        );
        assert!(
            doc["logic_hash"].as_str().unwrap().starts_with("sha256:"),
            "a file that loaded has a hash even when it is invalid"
        );
    }
}
