//! The Editor page: a mission's text checked as one types (the same diagnostics as `mission
//! validate`), its steps and approval preview following the text, and the text saved into the
//! library (`<data dir>/templates/<id>.yaml`) or back to its file, atomically.

use crate::check::FileCheck;
use crate::library_dto::{LibraryStep, PerimeterDto, StepApprovalPreview};
use crate::{ApiError, ErrorCode, MissionReport, StudioApi};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use studio_core::{load_str, validate_with, Code, Diagnostic, LoadedMission, Severity};
use ts_rs::TS;

/// The name a text without a file is checked under.
pub const EDITOR_ORIGIN: &str = "mission.yaml";

/// The largest mission file the editor opens.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What the editor draws beside the text: the steps (the DAG), the mission's own perimeter and
/// which steps would wait for approval under it. Empty when the text does not parse.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EditorPreview.ts")]
pub struct EditorPreview {
    /// The text parsed (the other fields are empty when not).
    pub parsed: bool,
    pub id: Option<String>,
    pub name: Option<String>,
    pub steps: Vec<LibraryStep>,
    pub perimeter: Option<PerimeterDto>,
    pub approvals: Vec<StepApprovalPreview>,
}

/// Where a text was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "SavedMission.ts")]
pub struct SavedMission {
    pub path: String,
    /// The mission id (the library's template id when saved there).
    pub id: String,
    /// Saved into the library's user templates.
    pub in_library: bool,
    /// The warnings it was saved with.
    pub warnings: u32,
}

impl StudioApi {
    /// Every problem of a mission text, located (line, column) with its hint. `file_name` is
    /// the file it came from; without one the text is meant for the library, so the library's
    /// rules apply too (an unknown key is an error; `goal`, `sector`, `required_depts`).
    pub fn check_mission_text(&self, text: &str, file_name: Option<&str>) -> MissionReport {
        self.check_text(text, file_name).report()
    }

    fn check_text(&self, text: &str, file_name: Option<&str>) -> FileCheck {
        let origin = file_name.unwrap_or(EDITOR_ORIGIN);
        match load_str(text, origin) {
            Ok(loaded) => {
                let mut diagnostics = validate_with(&loaded, &self.validate_options(Vec::new()));
                if file_name.is_none() {
                    library_rules(&loaded, &mut diagnostics);
                }
                diagnostics.sort_by_key(|d| d.location.map_or(usize::MAX, |l| l.offset));
                FileCheck {
                    file: origin.to_string(),
                    diagnostics,
                    source: Some(Arc::from(loaded.source.text.as_str())),
                    original: None,
                    loaded: Some(loaded),
                }
            }
            Err(err) => FileCheck {
                file: origin.to_string(),
                diagnostics: vec![err.diagnostic()],
                source: err.source_file().map(|s| Arc::from(s.text.as_str())),
                original: None,
                loaded: None,
            },
        }
    }

    /// The steps and approval preview of a mission text (under the mission's own perimeter
    /// merged with the global caps, as a run from the editor would be).
    pub fn mission_preview(
        &self,
        text: &str,
        file_name: Option<&str>,
    ) -> Result<EditorPreview, ApiError> {
        let Ok(loaded) = load_str(text, file_name.unwrap_or(EDITOR_ORIGIN)) else {
            return Ok(EditorPreview {
                parsed: false,
                id: None,
                name: None,
                steps: Vec::new(),
                perimeter: None,
                approvals: Vec::new(),
            });
        };
        let mission = &loaded.mission;
        // A text without a file finds registry tools as the bundled library's templates do.
        let origin = file_name.map(PathBuf::from).unwrap_or_else(|| {
            self.paths()
                .builtin_templates_dir()
                .unwrap_or_else(|| self.paths().user_templates_dir())
                .join(EDITOR_ORIGIN)
        });
        let approvals = self
            .step_approvals(mission, &origin, &PerimeterDto::default())
            .unwrap_or_default();
        Ok(EditorPreview {
            parsed: true,
            id: Some(mission.mission_id()),
            name: Some(mission.name.clone()),
            steps: mission
                .steps
                .iter()
                .map(|s| LibraryStep {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    description: s.description.clone(),
                    step_type: s.step_type.clone(),
                    depends_on: s.depends_on.clone(),
                })
                .collect(),
            perimeter: mission.perimeter.as_ref().map(Into::into),
            approvals,
        })
    }

    /// Saves a mission text: back to `path` when given, else into the library as
    /// `<data dir>/templates/<id>.yaml` (then indexed, so the Library lists it). Text with
    /// warnings is saved; text with an error is not, and the error says which and where.
    pub fn save_mission_text(
        &self,
        text: &str,
        path: Option<&Path>,
    ) -> Result<SavedMission, ApiError> {
        let name = path.map(|p| p.display().to_string());
        let check = self.check_text(text, name.as_deref());
        let errors = check.count(Severity::Error);
        if errors > 0 || check.loaded.is_none() {
            let first = check
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .map(|d| match d.location {
                    Some(l) => format!("line {}, column {}: {}", l.line, l.column, d.message),
                    None => d.message.clone(),
                })
                .unwrap_or_default();
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "not saved: the mission has {errors} error{} (a run would refuse it); first, {first}",
                    if errors == 1 { "" } else { "s" }
                ),
            ));
        }
        let id = check
            .loaded
            .as_ref()
            .map(|l| l.mission.mission_id())
            .unwrap_or_default();
        let warnings = check.count(Severity::Warning) as u32;
        let (target, in_library) = match path {
            Some(p) => (p.to_path_buf(), false),
            None => {
                let dir = self.paths().user_templates_dir();
                (dir.join(format!("{}.yaml", file_stem(&id))), true)
            }
        };
        write_atomic(&target, text.as_bytes())?;
        if in_library {
            self.reindex_templates()?;
        }
        Ok(SavedMission {
            path: target.display().to_string(),
            id,
            in_library,
            warnings,
        })
    }

    /// The text of a mission file the operator chose (the open dialog, a dropped file, a
    /// template's copy): YAML or JSON, at most 4 MiB.
    pub fn read_mission_file(&self, path: &Path) -> Result<String, ApiError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("yaml" | "yml" | "json")) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} is not a mission file: open a .yaml, .yml or .json file",
                    path.display()
                ),
            ));
        }
        let io = |e: std::io::Error| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("cannot read {}: {e}", path.display()),
            )
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} is too large ({size} bytes) for the editor",
                    path.display()
                ),
            ));
        }
        std::fs::read_to_string(path).map_err(io)
    }
}

/// The mission of a text, or why it does not parse.
pub fn parse_mission(text: &str, origin: &str) -> Result<studio_core::Mission, ApiError> {
    load_str(text, origin)
        .map(|l| l.mission)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.diagnostic().message))
}

/// The library's own rules on top of validation: an unknown key is an error, and a template
/// needs its `goal`, `sector` and `required_depts`.
fn library_rules(loaded: &LoadedMission, diagnostics: &mut Vec<Diagnostic>) {
    for d in diagnostics.iter_mut() {
        if d.code == Code::UnknownField {
            d.severity = Severity::Error;
        }
    }
    for d in studio_registry::schema::template_diagnostics(loaded) {
        if !diagnostics
            .iter()
            .any(|o| o.code == d.code && o.field == d.field)
        {
            diagnostics.push(d);
        }
    }
}

/// A file name for a mission id: letters, digits, `.`, `_`, `-`.
fn file_stem(id: &str) -> String {
    let stem: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches('.').to_string();
    if stem.is_empty() {
        "mission".into()
    } else {
        stem
    }
}

/// Writes `bytes` to `target` through a temporary file in the same folder, synced then renamed
/// over it: a reader sees the old file or the new one, never a half-written one.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |e: std::io::Error| {
        ApiError::new(
            ErrorCode::Internal,
            format!("cannot save {}: {e}", target.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("mission");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // A dot file without the .yaml extension: the library's watcher ignores it.
    let tmp = dir.join(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
