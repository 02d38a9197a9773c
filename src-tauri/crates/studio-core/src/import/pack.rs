//! Mission pack directory (seed: the mission pack specification): `mission.yaml` with an
//! objective, a done definition, a broker, a budget, an approval rule and a sandbox, beside
//! `context.md` and `constraints.md`.
//!
//! A directory whose `mission.yaml` has `steps` is a native mission (e.g. the `mission.yaml` of
//! an evidence folder, which runs again as it ran); anything else is read as a pack.
//!
//! The pack has no steps: the mission becomes an `llm` step (`work`) asked the objective and
//! the done definition (the built-in simulated provider by default, so it runs offline; set
//! `provider: openai` for a real endpoint), then a `create_file` step (`answer`) writing its
//! answer to `answer.md`, the pack's main output.
//!
//! | pack                      | native                                                      |
//! |---------------------------|-------------------------------------------------------------|
//! | `id` `<stamp>__<project>__<slug>` | `name` from the slug, `sector` from the project (unless `default`) |
//! | `objective`, `done_definition` | the same fields, and the `work` step's prompt          |
//! | `budget.maxSteps` / `maxTokens` / `maxTimeMinutes` | `perimeter.budget.max_steps` / `max_tokens` / `max_runtime_minutes` |
//! | `approval` `none` / `on-request` / `always` | `perimeter.approval.mode` `auto` / `threshold` ($1) / `strict` |
//! | `sandbox`                 | `perimeter.sandbox`                                         |
//! | `tags`                    | `tags`                                                      |
//! | `context.md`              | `context`                                                   |
//! | `constraints.md`          | `constraints`                                               |
//!
//! Dropped, each with a note: `broker` and `model` (no broker integration: the `llm` step's
//! provider decides), `created_at`.

use super::{non_blank, step, ImportKind, ImportNote, Imported};
use crate::load::{self, Limits, LoadError, LoadedMission, Text};
use crate::mission::{Approval, ApprovalMode, Budget, Mission, Perimeter, Sandbox};
use crate::source::SourceFile;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::json;
use std::path::Path;

/// The file of a pack directory that holds the mission.
pub const MISSION_FILE: &str = "mission.yaml";

/// A pack's `mission.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMission {
    /// `<YYYYMMDD-HHMM>__<project>__<slug>` (generated when absent).
    #[serde(default)]
    pub id: Option<String>,
    pub objective: String,
    pub done_definition: String,
    #[serde(default)]
    pub broker: Option<Broker>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub budget: Option<PackBudget>,
    #[serde(default)]
    pub approval: Option<PackApproval>,
    #[serde(default)]
    pub sandbox: Option<Sandbox>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Broker {
    Codex,
    Gemini,
    Antigravity,
    Claude,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PackBudget {
    #[serde(default)]
    pub max_steps: Option<u64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_time_minutes: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackApproval {
    None,
    OnRequest,
    Always,
}

/// The threshold that `approval: on-request` becomes.
const ON_REQUEST_THRESHOLD_USD: f64 = 1.0;

/// Whether a `mission.yaml` declares steps (then it is a native mission).
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    steps: Option<IgnoredAny>,
}

/// Loads a mission pack directory: its `mission.yaml` as a native mission when it has steps,
/// else converted from the pack format with `context.md` and `constraints.md`.
pub fn load_dir(dir: &Path, limits: &Limits) -> Result<LoadedMission, LoadError> {
    let path = dir.join(MISSION_FILE);
    let name = path.display().to_string();
    let text = match load::read_text(&path, limits)? {
        Text::Read(text) => text,
        Text::Directory => {
            return Err(LoadError::Io {
                path,
                source: std::io::Error::other("a mission pack's mission.yaml must be a file"),
            })
        }
    };
    let format = load::format_of(Some(&path), &text);
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let bom = text.len() - body.len();
    let native = load::parse_as::<Probe>(body, format, limits)
        .map(|p| p.steps.is_some())
        .unwrap_or(false);
    if native {
        return load::load_text(text, name, format, limits);
    }
    let pack = match load::parse_as::<PackMission>(body, format, limits) {
        Ok(pack) => pack,
        Err(failure) => return Err(failure.shifted(bom).into_error(SourceFile { name, text })),
    };
    let context = read_markdown(dir, "context.md", limits)?;
    let constraints = read_markdown(dir, "constraints.md", limits)?;
    let dir_name = dir.file_name().and_then(|n| n.to_str()).map(str::to_string);
    let imported = convert(&pack, dir_name.as_deref(), context, constraints);
    super::finish(
        ImportKind::MissionPack,
        imported,
        dir.display().to_string(),
        limits,
    )
}

/// One of the pack's Markdown files, or `None` when it is not there.
fn read_markdown(dir: &Path, file: &str, limits: &Limits) -> Result<Option<String>, LoadError> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(None);
    }
    match load::read_text(&path, limits)? {
        Text::Read(text) => Ok(Some(without_title(&text).to_string())),
        Text::Directory => Err(LoadError::Io {
            path,
            source: std::io::Error::other("expected a Markdown file, found a directory"),
        }),
    }
}

/// The text without its leading `# Title` line: the evidence folder's files have their own.
fn without_title(text: &str) -> &str {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    match text.strip_prefix("# ") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
        None => text,
    }
}

/// `(project, slug)` of a `<YYYYMMDD-HHMM>__<project>__<slug>` id.
fn split_id(id: &str) -> Option<(&str, &str)> {
    let mut parts = id.split("__");
    let (_stamp, project, slug) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || project.is_empty() || slug.is_empty() {
        return None;
    }
    Some((project, slug))
}

/// `keyword-analysis` → `Keyword Analysis`.
fn title(slug: &str) -> String {
    slug.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Converts a pack's `mission.yaml` (and its Markdown files) to a native mission. `dir_name`
/// names the mission when the pack has no id.
pub fn convert(
    m: &PackMission,
    dir_name: Option<&str>,
    context: Option<String>,
    constraints: Option<String>,
) -> Imported {
    let mut notes = Vec::new();
    let mut sector = None;
    let name = match m.id.as_deref().or(dir_name) {
        Some(id) => match split_id(id) {
            Some((project, slug)) => {
                if project != "default" {
                    sector = Some(project.to_string());
                }
                notes.push(ImportNote::mapped(
                    if m.id.is_some() {
                        "id"
                    } else {
                        "(directory name)"
                    },
                    format!(
                        "`{id}` to `name` `{}`{}; each run gets its own evidence folder",
                        title(slug),
                        if project != "default" {
                            format!(" and `sector` `{project}`")
                        } else {
                            String::new()
                        }
                    ),
                ));
                title(slug)
            }
            None => {
                notes.push(ImportNote::mapped(
                    "id",
                    format!("`{id}` to `name` (not of the form <stamp>__<project>__<slug>)"),
                ));
                id.to_string()
            }
        },
        None => "Mission Pack".to_string(),
    };
    notes.push(ImportNote::mapped(
        "objective, done_definition",
        "to the same fields and the prompt of an `llm` step `work` (simulated provider by \
         default; set `provider: openai` for a real endpoint), whose answer a `create_file` step \
         writes to `answer.md`",
    ));
    if m.broker.is_some() || m.model.is_some() {
        let what: Vec<String> = [
            m.broker
                .map(|b| format!("broker `{}`", format!("{b:?}").to_lowercase())),
            m.model.as_ref().map(|model| format!("model `{model}`")),
        ]
        .into_iter()
        .flatten()
        .collect();
        notes.push(ImportNote::dropped(
            "broker, model",
            format!(
                "{}: there is no broker integration; the `work` step's provider and model \
                 decide",
                what.join(", ")
            ),
        ));
    }
    let mut perimeter = Perimeter::default();
    if let Some(b) = &m.budget {
        notes.push(ImportNote::mapped(
            "budget",
            "`maxSteps`, `maxTokens`, `maxTimeMinutes` to `perimeter.budget.max_steps`, \
             `max_tokens`, `max_runtime_minutes`",
        ));
        // `.inf` (or `.nan`) is no cap; kept, it would vanish from the mission's JSON form.
        let minutes = b.max_time_minutes.filter(|m| m.is_finite());
        if minutes != b.max_time_minutes {
            notes.push(ImportNote::dropped(
                "budget.maxTimeMinutes",
                "it is not a finite number of minutes, so the run has no runtime cap from the pack",
            ));
        }
        perimeter.budget = Some(Budget {
            max_steps: b.max_steps,
            max_tokens: b.max_tokens,
            max_runtime_minutes: minutes,
            ..Budget::default()
        });
    }
    if let Some(a) = m.approval {
        let (approval, said) = match a {
            PackApproval::None => (
                Approval {
                    mode: ApprovalMode::Auto,
                    ..Approval::default()
                },
                "`none` to approval mode `auto`".to_string(),
            ),
            PackApproval::OnRequest => (
                Approval {
                    mode: ApprovalMode::Threshold,
                    threshold_usd: Some(ON_REQUEST_THRESHOLD_USD),
                    required_for: Vec::new(),
                },
                format!(
                    "`on-request` to approval mode `threshold` (steps estimated at \
                     ${ON_REQUEST_THRESHOLD_USD} or more ask first)"
                ),
            ),
            PackApproval::Always => (
                Approval {
                    mode: ApprovalMode::Strict,
                    ..Approval::default()
                },
                "`always` to approval mode `strict` (every step with side effects asks)"
                    .to_string(),
            ),
        };
        notes.push(ImportNote::mapped("approval", said));
        perimeter.approval = Some(approval);
    }
    if let Some(s) = m.sandbox {
        notes.push(ImportNote::mapped("sandbox", "to `perimeter.sandbox`"));
        perimeter.sandbox = Some(s);
    }
    if let Some(at) = &m.created_at {
        notes.push(ImportNote::dropped(
            "created_at",
            format!("`{at}`: the evidence folder records when each run started"),
        ));
    }
    match &context {
        Some(_) => notes.push(ImportNote::mapped("context.md", "to `context`")),
        None => notes.push(ImportNote::dropped(
            "context.md",
            "the directory has none (the pack specification requires one)",
        )),
    }
    match &constraints {
        Some(_) => notes.push(ImportNote::mapped("constraints.md", "to `constraints`")),
        None => notes.push(ImportNote::dropped(
            "constraints.md",
            "the directory has none (the pack specification requires one)",
        )),
    }

    let prompt = format!(
        "Objective: {}\n\nDone when: {}",
        m.objective.trim(),
        m.done_definition.trim()
    );
    let steps = vec![
        step(
            "work",
            "llm",
            "Carry out the objective",
            Vec::new(),
            json!({ "prompt": prompt }),
        ),
        step(
            "answer",
            "create_file",
            "Write answer.md",
            vec!["work".into()],
            json!({ "path": "answer.md", "content": "{{work.output.text}}" }),
        ),
    ];
    let mission = Mission {
        name,
        sector,
        objective: non_blank(Some(&m.objective)),
        done_definition: non_blank(Some(&m.done_definition)),
        tags: m.tags.clone(),
        context: context.as_deref().and_then(|c| non_blank(Some(c))),
        constraints: constraints.as_deref().and_then(|c| non_blank(Some(c))),
        perimeter: (perimeter != Perimeter::default()).then_some(perimeter),
        steps,
        outputs: vec!["answer.md".into()],
        ..Mission::default()
    };
    Imported { mission, notes }
}
