//! Missions written in other formats, converted to the native [`Mission`] on load (DESIGN §3):
//!
//! * a Spark `MissionSpec` (JSON, or the same shape in YAML): [`spark`];
//! * a mission pack directory (`mission.yaml` with objective, budget, approval, sandbox, beside
//!   `context.md` and `constraints.md`): [`pack`];
//! * a Mission Envelope v1 dispatch payload (JSON): [`envelope`].
//!
//! [`crate::load_file`] and [`crate::load_str`] accept them transparently: a text is read into
//! a document, and [`detect`] tells the format from its top-level keys (a document with
//! `steps` is a mission). A directory is a mission pack.
//!
//! Each source format is a set of typed serde structs following its seed specification and the
//! payloads seen in practice. A key the structs do not know is a warning located in the
//! original file (and left out), a value of the wrong type a located error. Every conversion
//! returns [`ImportNote`]s: what was mapped to which native field, and what was
//! dropped and why. The notes travel with the mission: in [`crate::LoadedMission::import`] (the
//! CLI prints them on stderr) and appended to the mission's `constraints` under
//! `## Import notes`, so the evidence folder's `constraints.md` records them for every run.

pub mod envelope;
pub mod pack;
pub mod spark;

use crate::load::{self, Failure, Limits, LoadError, LoadedMission};
use crate::mission::Mission;
use crate::source::{SourceFile, SourceFormat};
use std::fmt;

/// The formats a mission may be imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// A Spark `MissionSpec`.
    Spark,
    /// A mission pack directory.
    MissionPack,
    /// A Mission Envelope v1 dispatch payload.
    Envelope,
    /// A mission in RustChain's spellings (the native format is a superset of it).
    RustChain,
}

impl ImportKind {
    /// How the format is named in notes and messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spark => "Spark MissionSpec",
            Self::MissionPack => "mission pack directory",
            Self::Envelope => "Mission Envelope v1 dispatch payload",
            Self::RustChain => "RustChain mission",
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What a conversion did with one source field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// The field became a native field (possibly with a different meaning, said in the note).
    Mapped,
    /// The field has no native counterpart and was left out.
    Dropped,
}

/// One line of an import report: `dropped telemetry: …`, `mapped budget.maxSteps to …`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportNote {
    pub kind: NoteKind,
    /// The field of the source format (e.g. `budget.maxSteps`, `graph.nodes[2]`).
    pub field: String,
    /// What became of it, and why.
    pub message: String,
}

impl ImportNote {
    pub fn mapped(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: NoteKind::Mapped,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn dropped(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: NoteKind::Dropped,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            NoteKind::Mapped => write!(f, "mapped `{}` {}", self.field, self.message),
            NoteKind::Dropped => write!(f, "dropped `{}`: {}", self.field, self.message),
        }
    }
}

/// Where an imported mission came from and what its conversion did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub kind: ImportKind,
    /// The file or directory read.
    pub origin: String,
    pub notes: Vec<ImportNote>,
}

impl ImportReport {
    /// The notes as a Markdown section (what `constraints.md` gets).
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## Import notes\nConverted from a {} ({}).\n",
            self.kind.label(),
            self.origin
        );
        for note in &self.notes {
            out.push_str(&format!("- {note}\n"));
        }
        out
    }
}

/// A converted mission and its report.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub mission: Mission,
    pub notes: Vec<ImportNote>,
}

/// The import format of a parsed document, from its top-level keys; `None` for a mission
/// (native or RustChain: it has `steps`).
///
/// * `spark_version`, a `graph` mapping, or a `nodes` list: a Spark `MissionSpec`, or a bare
///   `GraphSpec` (wrapped or flat);
/// * `vp_id` with an `objective`, or a `mission_id` with a `vp_id`, `mission_type` or
///   `objective`: a Mission Envelope dispatch payload;
/// * an `objective` with a `done_definition` (no `mission_id`): a mission pack's
///   `mission.yaml`.
pub fn detect(tree: &serde_json::Value) -> Option<ImportKind> {
    let top = tree.as_object()?;
    if top.contains_key("steps") {
        return None;
    }
    let has = |key: &str| top.get(key).is_some_and(|v| !v.is_null());
    if has("spark_version")
        || top.get("graph").is_some_and(serde_json::Value::is_object)
        || top.get("nodes").is_some_and(serde_json::Value::is_array)
    {
        return Some(ImportKind::Spark);
    }
    let envelope = (has("vp_id") && has("objective"))
        || (has("mission_id") && (has("vp_id") || has("mission_type") || has("objective")));
    if envelope {
        return Some(ImportKind::Envelope);
    }
    if has("objective") && has("done_definition") {
        return Some(ImportKind::MissionPack);
    }
    None
}

/// Reads a parsed document (`tree`, of the text `text`) as `kind` and converts it. Unknown keys
/// are warnings located in the text; a value of the wrong type is an error there.
pub(crate) fn load_tree_as(
    kind: ImportKind,
    tree: serde_json::Value,
    text: String,
    bom: usize,
    name: String,
    format: SourceFormat,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let source = SourceFile { name, text };
    let mut aliases = crate::compat::PathAliases::default();
    let (imported, warnings) = match kind {
        ImportKind::Spark => {
            let tree = spark::wrap_flat_graph(tree, &mut aliases);
            let (spec, warnings) =
                load::typed_from_tree::<spark::SparkMissionSpec>(tree, &source, &aliases)?;
            (spark::convert(&spec), warnings)
        }
        ImportKind::Envelope => {
            let (payload, warnings) =
                load::typed_from_tree::<envelope::DispatchPayload>(tree, &source, &aliases)?;
            (envelope::convert(&payload), warnings)
        }
        ImportKind::MissionPack => {
            let body = &source.text[bom..];
            let pack = load::parse_as::<pack::PackMission>(body, format, limits)
                .map_err(|failure: Failure| failure.shifted(bom).into_error(source.clone()))?;
            (pack::convert(&pack, None, None, None), Vec::new())
        }
        ImportKind::RustChain => unreachable!("a RustChain mission is read as a native one"),
    };
    let mut loaded = finish(kind, imported, source.name.clone(), limits)?;
    if !warnings.is_empty() {
        loaded.load_diagnostics = warnings;
        loaded.original = Some(source);
    }
    Ok(loaded)
}

/// Appends the notes to the mission's constraints and wraps it for validation: diagnostics of
/// the converted mission point into its JSON form, named `<origin> (converted)`.
pub(crate) fn finish(
    kind: ImportKind,
    imported: Imported,
    origin: String,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let Imported { mission, mut notes } = imported;
    let mut mission = as_native_reads_it(mission, &mut notes);
    let report = ImportReport {
        kind,
        origin: origin.clone(),
        notes,
    };
    let section = report.markdown();
    mission.constraints = Some(match mission.constraints.take() {
        Some(c) if !c.trim().is_empty() => format!("{}\n\n{section}", c.trim_end()),
        _ => section,
    });
    let mut loaded = LoadedMission::from_mission(mission, format!("{origin} (converted)"));
    loaded.import = Some(report);
    load::check_step_limit(loaded, limits)
}

/// The converted mission as the native loader reads its JSON form: spellings a converter
/// passed through (a Spark node of type `tool` with flat config keys, `{answer}` in file
/// contents) take their native shape, with the loader's notes. Without this, an imported
/// mission saved in the native format would load back as a different mission.
fn as_native_reads_it(mission: Mission, notes: &mut Vec<ImportNote>) -> Mission {
    let Ok(mut tree) = serde_json::to_value(&mission) else {
        return mission;
    };
    let name = mission.name.clone();
    match crate::compat::upgrade(&mut tree, &name) {
        Ok(upgrade) if !upgrade.notes.is_empty() => match serde_json::from_value(tree) {
            Ok(native) => {
                notes.extend(upgrade.notes);
                native
            }
            Err(_) => mission,
        },
        _ => mission,
    }
}

/// A step of a converted mission.
pub(crate) fn step(
    id: &str,
    step_type: &str,
    name: &str,
    depends_on: Vec<String>,
    parameters: serde_json::Value,
) -> crate::mission::Step {
    crate::mission::Step {
        id: id.into(),
        name: Some(name.into()),
        description: None,
        step_type: step_type.into(),
        depends_on,
        timeout_seconds: None,
        continue_on_error: None,
        retry_attempts: None,
        parameters,
        approval: None,
        state: Default::default(),
        dept: None,
        idempotent: None,
    }
}

/// Text of a string field, trimmed, or `None` when blank.
pub(crate) fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
