//! Missions written in other formats, converted to the native [`Mission`] on load (DESIGN §3):
//!
//! * a Spark `MissionSpec` (JSON, or the same shape in YAML): [`spark`];
//! * a mission pack directory (`mission.yaml` with objective, budget, approval, sandbox, beside
//!   `context.md` and `constraints.md`): [`pack`];
//! * a Mission Envelope v1 dispatch payload (JSON): [`envelope`].
//!
//! [`crate::load_file`] and [`crate::load_str`] accept them transparently: a text is first read
//! as a native mission (so the native path costs nothing more), and only when that fails is its
//! shape probed for a known import format. A directory is a mission pack.
//!
//! Each source format is a set of typed serde structs following its seed specification, with
//! unknown fields refused, so a malformed import gets the same located error as a native file.
//! Every conversion returns [`ImportNote`]s: what was mapped to which native field, and what was
//! dropped and why. The notes travel with the mission: in [`crate::LoadedMission::import`] (the
//! CLI prints them on stderr) and appended to the mission's `constraints` under
//! `## Import notes`, so the evidence folder's `constraints.md` records them for every run.

pub mod envelope;
pub mod pack;
pub mod spark;

use crate::load::{self, Failure, Limits, LoadError, LoadedMission};
use crate::mission::Mission;
use crate::source::{SourceFile, SourceFormat};
use serde::de::IgnoredAny;
use serde::Deserialize;
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
}

impl ImportKind {
    /// How the format is named in notes and messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spark => "Spark MissionSpec",
            Self::MissionPack => "mission pack directory",
            Self::Envelope => "Mission Envelope v1 dispatch payload",
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

/// The top-level keys that tell the formats apart; everything else is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    mission_id: Option<IgnoredAny>,
    #[serde(default)]
    spark_version: Option<IgnoredAny>,
    #[serde(default)]
    graph: Option<IgnoredAny>,
    #[serde(default)]
    vp_id: Option<IgnoredAny>,
    #[serde(default)]
    mission_type: Option<IgnoredAny>,
    #[serde(default)]
    objective: Option<IgnoredAny>,
    #[serde(default)]
    done_definition: Option<IgnoredAny>,
    #[serde(default)]
    steps: Option<IgnoredAny>,
}

/// The import format of a text that is not a native mission, from its top-level keys: a
/// `mission_id` with a `graph` or `spark_version` is a Spark MissionSpec; a `mission_id` with
/// a `vp_id`, `mission_type` or `objective` (and no `steps`) is an envelope; an `objective`
/// with a `done_definition` and neither `mission_id` nor `steps` is a mission pack's
/// `mission.yaml`.
pub fn detect(text: &str, format: SourceFormat, limits: &Limits) -> Option<ImportKind> {
    let probe: Probe = load::parse_as(text, format, limits).ok()?;
    if probe.mission_id.is_none() {
        let pack =
            probe.steps.is_none() && probe.objective.is_some() && probe.done_definition.is_some();
        return pack.then_some(ImportKind::MissionPack);
    }
    if probe.graph.is_some() || probe.spark_version.is_some() {
        return Some(ImportKind::Spark);
    }
    if probe.steps.is_none()
        && (probe.vp_id.is_some() || probe.mission_type.is_some() || probe.objective.is_some())
    {
        return Some(ImportKind::Envelope);
    }
    None
}

/// Parses `body` (the text without its byte order mark, `bom` bytes long) as `kind` and converts
/// it. A parse failure is located in the original text.
pub(crate) fn load_text_as(
    kind: ImportKind,
    text: String,
    bom: usize,
    name: String,
    format: SourceFormat,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let body = &text[bom..];
    let converted = match kind {
        ImportKind::Spark => load::parse_as::<spark::SparkMissionSpec>(body, format, limits)
            .map(|spec| spark::convert(&spec)),
        ImportKind::Envelope => load::parse_as::<envelope::DispatchPayload>(body, format, limits)
            .map(|payload| envelope::convert(&payload)),
        ImportKind::MissionPack => load::parse_as::<pack::PackMission>(body, format, limits)
            .map(|m| pack::convert(&m, None, None, None)),
    };
    let imported = converted.map_err(|failure: Failure| {
        failure.shifted(bom).into_error(SourceFile {
            name: name.clone(),
            text,
        })
    })?;
    finish(kind, imported, name, limits)
}

/// Appends the notes to the mission's constraints and wraps it for validation: diagnostics of
/// the converted mission point into its JSON form, named `<origin> (converted)`.
pub(crate) fn finish(
    kind: ImportKind,
    imported: Imported,
    origin: String,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let Imported { mut mission, notes } = imported;
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
    }
}

/// Text of a string field, trimmed, or `None` when blank.
pub(crate) fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
