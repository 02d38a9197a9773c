//! Validation: every problem of a mission at once, each located in its file with a hint.
//!
//! Checks (DESIGN §4): step ids (blank, repeated), `depends_on` (unknown, repeated), cycles
//! (with their path), step types (unknown, not available yet), parameters per step type
//! (missing, mistyped, unknown, conflicting), `{{…}}` references (to steps that do not run
//! before, to unknown state fields or config keys), `config` values, the perimeter, the state
//! schema and state writes, the plan.

mod references;
mod settings;
mod steps;

use crate::diagnostic::Diagnostic;
use crate::load::LoadedMission;
use crate::mission::Mission;
use crate::spans::Part;

/// What validation may know beyond the file: the run inputs that will be given (`--var`),
/// and the model providers the operator configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Names of run inputs given with the run (`--var NAME=…`): `{{NAME}}` may read them.
    pub inputs: Vec<String>,
    /// Names of the providers configured in Settings (besides the built-in ones); `None` when
    /// they are not known (no warning about unknown providers then).
    pub providers: Option<Vec<String>>,
}

/// Every problem of a loaded mission, errors and warnings, in file order.
pub fn validate(loaded: &LoadedMission) -> Vec<Diagnostic> {
    validate_with(loaded, &ValidateOptions::default())
}

/// [`validate`] knowing the run's inputs and the configured providers.
pub fn validate_with(loaded: &LoadedMission, options: &ValidateOptions) -> Vec<Diagnostic> {
    let mut checker = Checker {
        loaded,
        mission: &loaded.mission,
        options,
        out: Vec::new(),
    };
    settings::check_mission_fields(&mut checker);
    let (graph, levels) = steps::check_steps(&mut checker);
    references::check_references(&mut checker, &graph, levels.as_deref());
    settings::check_config(&mut checker);
    settings::check_perimeter(&mut checker);
    settings::check_state(&mut checker);
    settings::check_simulation(&mut checker);
    settings::check_telemetry(&mut checker);
    settings::check_agent_bindings(&mut checker);
    settings::check_plan(&mut checker);
    settings::check_inputs(&mut checker);
    let mut out = checker.out;
    out.sort_by_key(|d| d.location.map_or(usize::MAX, |l| l.offset));
    // What loading found (unknown keys, RustChain shapes) points into the file as written,
    // which for an import is not the converted text the checks above point into.
    let mut all = loaded.load_diagnostics.clone();
    if loaded.original.is_none() {
        all.extend(out);
        all.sort_by_key(|d| d.location.map_or(usize::MAX, |l| l.offset));
    } else {
        all.extend(out);
    }
    all
}

/// Every warning made an error (`mission validate --strict`, Spark's flag).
pub fn strict(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .map(|mut d| {
            if d.severity == crate::diagnostic::Severity::Warning {
                d.severity = crate::diagnostic::Severity::Error;
                let why = "an error under --strict";
                d.help = Some(match d.help.take() {
                    Some(h) => format!("{h} ({why})"),
                    None => why.to_string(),
                });
            }
            d
        })
        .collect()
}

/// [`validate`] for a mission built in memory; `name` stands for the file in diagnostics.
pub fn validate_mission(mission: &Mission, name: &str) -> Vec<Diagnostic> {
    validate(&LoadedMission::from_mission(mission.clone(), name))
}

/// Collects diagnostics and locates them in the file.
pub(crate) struct Checker<'a> {
    loaded: &'a LoadedMission,
    mission: &'a Mission,
    options: &'a ValidateOptions,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Records `d`, located at the key or value of its field (or the nearest parent).
    fn push(&mut self, mut d: Diagnostic, part: Part) {
        d.file = self.loaded.source.name.clone();
        d.location = self.loaded.locate(&d.field, part);
        self.out.push(d);
    }

    /// The line where a field is, for messages that mention another place ("first at line 3").
    fn line_of(&self, path: &str) -> Option<usize> {
        self.loaded.locate(path, Part::Value).map(|l| l.line)
    }
}

/// `steps[i]`.
fn step_path(i: usize) -> String {
    format!("steps[{i}]")
}

/// Up to `max` items joined with ", ", then "…" when there are more.
fn list(items: &[&str], max: usize) -> String {
    let mut text = items
        .iter()
        .take(max)
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        text.push_str(&format!(" and {} more", items.len() - max));
    }
    text
}

#[cfg(test)]
mod tests;
