//! Reading a mission file: YAML or JSON, within limits, keeping the text for diagnostics.
//!
//! YAML goes through `serde-saphyr` (pure Rust, no panics on malformed input) with a budget that
//! refuses hostile files fast: a size cap, a nesting cap, a cap on the events that aliases may
//! replay (alias bombs) and a cap on steps. JSON goes through `serde_json`, whose recursion
//! limit refuses deep nesting. Unknown fields are errors, reported with their line and column.
//!
//! Over 800 lines only with its unit tests (the code itself is about 700).

use crate::compat::PathAliases;
use crate::diagnostic::{Code, Diagnostic};
use crate::import::{ImportKind, ImportReport};
use crate::mission::Mission;
use crate::source::{Location, SourceFile, SourceFormat};
use crate::spans::{Part, SpanIndex};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Largest mission file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;
/// Most steps a mission may have.
pub const MAX_STEPS: usize = 100_000;

/// The limits the loader applies. `Limits::default()` is what `load_file` and `load_str` use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_steps: usize,
    /// Most YAML nodes (mappings, sequences, scalars) in one file.
    pub max_nodes: usize,
    /// Most alias uses (`*name`) in one file.
    pub max_aliases: usize,
    /// Most events that alias expansion may replay in total: what stops an alias bomb.
    pub max_alias_replay_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_FILE_BYTES,
            max_depth: MAX_DEPTH,
            max_steps: MAX_STEPS,
            max_nodes: 4_000_000,
            max_aliases: 100_000,
            max_alias_replay_events: 50_000,
        }
    }
}

/// A mission read from a file, with what is needed to point diagnostics into that file.
#[derive(Debug, Clone)]
pub struct LoadedMission {
    pub mission: Mission,
    pub source: SourceFile,
    pub format: SourceFormat,
    /// Set when the mission was converted from another format (see [`crate::import`]), or
    /// written in RustChain's spellings (see [`crate::compat`]): what it was and what the
    /// conversion mapped and dropped.
    pub import: Option<ImportReport>,
    /// What loading found that does not stop the mission from loading: unknown keys
    /// (warnings), and problems of the RustChain shapes (an edge naming no step). Located in
    /// the file; [`crate::validate`] reports them with its own.
    pub load_diagnostics: Vec<Diagnostic>,
    /// The file as written, when [`Self::source`] is a converted form of it (imports):
    /// `load_diagnostics` point into this one.
    pub original: Option<SourceFile>,
    /// Where moved fields were written (`steps[0].parameters` written as `steps[0].config`).
    pub aliases: PathAliases,
    spans: OnceLock<SpanIndex>,
}

impl LoadedMission {
    /// Wraps a mission that was not read from a file (built in memory): its source becomes its
    /// pretty JSON form, so diagnostics can still point at fields.
    pub fn from_mission(mission: Mission, name: impl Into<String>) -> Self {
        let text = serde_json::to_string_pretty(&mission).unwrap_or_default();
        Self {
            mission,
            source: SourceFile {
                name: name.into(),
                text,
            },
            format: SourceFormat::Json,
            import: None,
            load_diagnostics: Vec::new(),
            original: None,
            aliases: PathAliases::default(),
            spans: OnceLock::new(),
        }
    }

    /// Positions of every field, computed on first use.
    pub fn spans(&self) -> &SpanIndex {
        self.spans
            .get_or_init(|| SpanIndex::build(&self.source.text))
    }

    /// Where the field at `path` (e.g. `steps[2].parameters.url`) is, or its nearest parent.
    pub fn locate(&self, path: &str, part: Part) -> Option<Location> {
        self.spans().locate(&self.aliases.written(path), part)
    }

    /// Where step number `index` (0-based, in declaration order) starts.
    pub fn step_location(&self, index: usize) -> Option<Location> {
        self.locate(&format!("steps[{index}]"), Part::Value)
    }
}

/// Why a mission could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}: the file has {size} bytes; a mission file may have at most {limit}")]
    TooLarge {
        name: String,
        size: u64,
        limit: usize,
    },
    /// The text is not a mission: a syntax error, an unknown or mistyped field, a limit.
    #[error("{}", .0.diagnostic)]
    Invalid(Box<InvalidSource>),
}

/// A text that was read but is not a valid mission, and the diagnostic saying why.
#[derive(Debug, Clone)]
pub struct InvalidSource {
    pub source: SourceFile,
    pub diagnostic: Diagnostic,
}

impl LoadError {
    /// The problem as a diagnostic, located in the file when the text was read.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            Self::Io { path, source } => {
                let mut d =
                    Diagnostic::error(Code::Io, "", format!("cannot read the file: {source}"))
                        .with_help("check the path and that the file is readable");
                d.file = path.display().to_string();
                d
            }
            Self::TooLarge { name, size, limit } => {
                let mut d = Diagnostic::error(
                    Code::TooLarge,
                    "",
                    format!("the file has {size} bytes; a mission file may have at most {limit}"),
                )
                .with_help("split the mission, or move large content into files it reads");
                d.file = name.clone();
                d
            }
            Self::Invalid(invalid) => invalid.diagnostic.clone(),
        }
    }

    /// The text that was read, when there is one (for rendering the diagnostic in context).
    pub fn source_file(&self) -> Option<&SourceFile> {
        match self {
            Self::Invalid(invalid) => Some(&invalid.source),
            _ => None,
        }
    }
}

/// Reads a mission file; `.json` files are JSON, everything else YAML (unless it starts like a
/// JSON object). A directory is read as a mission pack, and a Spark MissionSpec or a Mission
/// Envelope payload is converted (see [`crate::import`]).
pub fn load_file(path: &Path) -> Result<LoadedMission, LoadError> {
    load_file_with(path, &Limits::default())
}

/// [`load_file`] with explicit limits.
pub fn load_file_with(path: &Path, limits: &Limits) -> Result<LoadedMission, LoadError> {
    match read_text(path, limits)? {
        Text::Read(text) => {
            let format = format_of(Some(path), &text);
            let loaded = load_text(text, path.display().to_string(), format, limits)?;
            // A pack's `mission.yaml` named directly: read its directory, Markdown files too.
            let pack = loaded.import.as_ref().map(|r| r.kind)
                == Some(crate::import::ImportKind::MissionPack);
            match path.parent() {
                Some(dir) if pack && path.ends_with(crate::import::pack::MISSION_FILE) => {
                    let dir = if dir.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        dir
                    };
                    crate::import::pack::load_dir(dir, limits)
                }
                _ => Ok(loaded),
            }
        }
        Text::Directory => crate::import::pack::load_dir(path, limits),
    }
}

/// What [`read_text`] found at a path.
pub(crate) enum Text {
    Read(String),
    Directory,
}

/// Reads a UTF-8 text file within the size limit (a non-UTF-8 file is a located error).
pub(crate) fn read_text(path: &Path, limits: &Limits) -> Result<Text, LoadError> {
    let name = path.display().to_string();
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_dir() {
        return Ok(Text::Directory);
    }
    let size = metadata.len();
    if size > limits.max_bytes as u64 {
        return Err(LoadError::TooLarge {
            name,
            size,
            limit: limits.max_bytes,
        });
    }
    // The file may grow while we read it: never read more than the limit allows.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > limits.max_bytes {
        return Err(LoadError::TooLarge {
            name,
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let location = Location::at_offset(&text, at, 1);
            let source = SourceFile { name, text };
            let diagnostic = located(
                Diagnostic::error(Code::Syntax, "", "the file is not UTF-8 text")
                    .with_help("save the mission as UTF-8"),
                &source,
                Some(location),
            );
            return Err(invalid(source, diagnostic));
        }
    };
    Ok(Text::Read(text))
}

/// Parses a mission from text; `origin` names it in diagnostics (a path, or e.g. `<editor>`).
/// The format follows the origin's extension, then the content.
pub fn load_str(text: &str, origin: &str) -> Result<LoadedMission, LoadError> {
    let format = format_of(Some(Path::new(origin)), text);
    load_str_with(text, origin, format, &Limits::default())
}

/// [`load_str`] with an explicit format and limits.
pub fn load_str_with(
    text: &str,
    origin: &str,
    format: SourceFormat,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    if text.len() > limits.max_bytes {
        return Err(LoadError::TooLarge {
            name: origin.to_string(),
            size: text.len() as u64,
            limit: limits.max_bytes,
        });
    }
    load_text(text.to_string(), origin.to_string(), format, limits)
}

/// The format of a mission text: by extension, else JSON when it starts with `{`.
pub fn format_of(path: Option<&Path>, text: &str) -> SourceFormat {
    let ext = path
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => SourceFormat::Json,
        Some("yaml" | "yml") => SourceFormat::Yaml,
        _ if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{') =>
        {
            SourceFormat::Json
        }
        _ => SourceFormat::Yaml,
    }
}

pub(crate) fn load_text(
    text: String,
    name: String,
    format: SourceFormat,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let bom = text.len() - body.len();
    let tree: Value = match parse_as::<Value>(body, format, limits) {
        Ok(tree) => tree,
        Err(failure) => return Err(failure.shifted(bom).into_error(SourceFile { name, text })),
    };
    if let Some(kind) = crate::import::detect(&tree) {
        return crate::import::load_tree_as(kind, tree, text, bom, name, format, limits);
    }
    load_mission_tree(tree, SourceFile { name, text }, format, limits)
}

/// A mission document (native, or with RustChain's spellings) to a loaded mission: compat
/// rewrites, unknown keys, then the native types.
fn load_mission_tree(
    mut tree: Value,
    source: SourceFile,
    format: SourceFormat,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let stem = Path::new(&source.name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("mission")
        .to_string();
    let upgrade = match crate::compat::upgrade(&mut tree, &stem) {
        Ok(upgrade) => upgrade,
        Err(d) => {
            let location = SpanIndex::build(&source.text).locate(&d.field, Part::Key);
            let d = located(*d, &source, location);
            return Err(invalid(source, d));
        }
    };
    let schema = crate::schema::cached_mission_schema();
    let mut unknown = Vec::new();
    crate::keys::prune(&mut tree, schema, schema, "", &mut unknown);
    let mission: Mission = match serde_path_to_error::deserialize(tree) {
        Ok(mission) => mission,
        Err(err) => {
            let path = error_path(err.path());
            let message = strip_location_suffix(&err.inner().to_string());
            let help = help_for(&message);
            let location =
                SpanIndex::build(&source.text).locate(&upgrade.aliases.written(&path), Part::Value);
            let d = located(
                Diagnostic::error(Code::Syntax, path, message).with_help(help),
                &source,
                location,
            );
            return Err(invalid(source, d));
        }
    };
    let import = (!upgrade.notes.is_empty()).then(|| ImportReport {
        kind: ImportKind::RustChain,
        origin: source.name.clone(),
        notes: upgrade.notes,
    });
    let mut loaded = LoadedMission {
        mission,
        source,
        format,
        import,
        load_diagnostics: Vec::new(),
        original: None,
        aliases: upgrade.aliases,
        spans: OnceLock::new(),
    };
    let mut found = upgrade.diagnostics;
    found.extend(unknown.into_iter().map(unknown_key_warning));
    for mut d in found {
        let part = if d.code == Code::UnknownField || d.code == Code::InvalidField {
            Part::Key
        } else {
            Part::Value
        };
        d.file = loaded.source.name.clone();
        d.location = loaded.locate(&d.field, part);
        loaded.load_diagnostics.push(d);
    }
    check_step_limit(loaded, limits)
}

/// A document read as `T` after its unknown keys were left out (each a located warning); a
/// value of the wrong type is a located error. `aliases` maps paths of a reshaped document
/// back to the text.
pub(crate) fn typed_from_tree<T: serde::de::DeserializeOwned + schemars::JsonSchema>(
    mut tree: Value,
    source: &SourceFile,
    aliases: &PathAliases,
) -> Result<(T, Vec<Diagnostic>), LoadError> {
    let schema = schemars::schema_for!(T).to_value();
    let mut unknown = Vec::new();
    crate::keys::prune(&mut tree, &schema, &schema, "", &mut unknown);
    let spans = SpanIndex::build(&source.text);
    let typed: T = match serde_path_to_error::deserialize(tree) {
        Ok(typed) => typed,
        Err(err) => {
            let path = aliases.written(&error_path(err.path())).into_owned();
            let message = strip_location_suffix(&err.inner().to_string());
            let help = help_for(&message);
            let location = spans.locate(&path, Part::Value);
            let d = located(
                Diagnostic::error(Code::Syntax, path, message).with_help(help),
                source,
                location,
            );
            return Err(invalid(source.clone(), d));
        }
    };
    let warnings = unknown
        .into_iter()
        .map(|u| {
            let mut d = unknown_key_warning(u);
            d.file = source.name.clone();
            d.field = aliases.written(&d.field).into_owned();
            d.location = spans.locate(&d.field, Part::Key);
            d
        })
        .collect();
    Ok((typed, warnings))
}

/// The diagnostic of a key that the format does not know.
pub(crate) fn unknown_key_warning(u: crate::keys::UnknownKey) -> Diagnostic {
    let help = match crate::suggest::did_you_mean(&u.key, u.allowed.iter().map(String::as_str)) {
        Some(s) => {
            format!("did you mean `{s}`? (`mission validate --strict` refuses unknown keys)")
        }
        None if u.allowed.is_empty() => "remove it: nothing is expected here".to_string(),
        None => format!(
            "remove it or fix its spelling; the keys allowed here are: {}",
            u.allowed.join(", ")
        ),
    };
    Diagnostic::warning(
        Code::UnknownField,
        u.path,
        format!("unknown key `{}`: it is ignored", u.key),
    )
    .with_help(help)
}

/// A serde path (`steps[2].timeout_seconds`) in this crate's path form.
fn error_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out = match segment {
            Segment::Seq { index } => crate::spans::child_index(&out, *index),
            Segment::Map { key } => crate::spans::child_key(&out, key),
            Segment::Enum { variant } => crate::spans::child_key(&out, variant),
            Segment::Unknown => out,
        };
    }
    out
}

/// Refuses a mission with more steps than the limit allows, pointing at `steps`.
pub(crate) fn check_step_limit(
    loaded: LoadedMission,
    limits: &Limits,
) -> Result<LoadedMission, LoadError> {
    let steps = loaded.mission.steps.len();
    if steps > limits.max_steps {
        let location = loaded.locate("steps", Part::Key);
        let diagnostic = located(
            Diagnostic::error(
                Code::TooManySteps,
                "steps",
                format!(
                    "the mission has {steps} steps; at most {} are accepted",
                    limits.max_steps
                ),
            )
            .with_help("split the mission into smaller ones"),
            &loaded.source,
            location,
        );
        return Err(invalid(loaded.source, diagnostic));
    }
    Ok(loaded)
}

/// A parse failure before it is tied to its file.
pub(crate) struct Failure {
    message: String,
    offset: Option<usize>,
    len: usize,
    help: String,
}

impl Failure {
    /// The failure of a text that had `by` bytes (a byte order mark) cut from its start.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.map(|o| o + by);
        self
    }

    /// The message and the byte offset it points at, for readers of other documents.
    pub(crate) fn parts(self) -> (String, Option<usize>) {
        (self.message, self.offset)
    }

    pub(crate) fn into_error(self, source: SourceFile) -> LoadError {
        let location = self
            .offset
            .map(|o| Location::at_offset(&source.text, o, self.len));
        // Name the field when the failure sits on a key or value we can index.
        let field = self
            .offset
            .and_then(|o| {
                SpanIndex::build(&source.text)
                    .path_at(o)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let diagnostic = located(
            Diagnostic::error(Code::Syntax, field, self.message).with_help(self.help),
            &source,
            location,
        );
        invalid(source, diagnostic)
    }
}

fn invalid(source: SourceFile, diagnostic: Diagnostic) -> LoadError {
    LoadError::Invalid(Box::new(InvalidSource { source, diagnostic }))
}

/// Ties a diagnostic to its file. A problem that no field of the text can carry (an empty
/// document, a document that is not a mapping) points at where the document starts: the root
/// is the nearest parent of every field.
fn located(mut d: Diagnostic, source: &SourceFile, location: Option<Location>) -> Diagnostic {
    d.file = source.name.clone();
    d.location = location.or_else(|| Some(document_start(&source.text)));
    d
}

/// Where a document's content starts: after a byte order mark, blank lines and comments.
fn document_start(text: &str) -> Location {
    let mut offset = text.len() - text.trim_start_matches('\u{feff}').len();
    for line in text[offset..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            offset += line.len() - trimmed.len();
            return Location::at_offset(text, offset, 0);
        }
        offset += line.len();
    }
    Location::at_offset(text, 0, 0)
}

fn yaml_options(limits: &Limits) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits.max_depth,
            flow_nesting_limit: limits.max_depth,
            max_nodes: limits.max_nodes,
            max_events: limits.max_nodes.saturating_mul(2),
            max_aliases: limits.max_aliases,
            max_anchors: limits.max_aliases,
            max_documents: 1,
            max_total_scalar_bytes: limits.max_bytes,
            max_recorded_anchor_events: limits.max_alias_replay_events,
            max_recorded_anchor_bytes: limits.max_bytes,
            // Merging one anchor into every step is legitimate; the replay cap bounds the cost.
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_alias_replay_events,
            max_replay_stack_depth: 16,
        },
        // `yes`/`no`/`on`/`off` stay strings inside parameters (the "Norway problem").
        strict_booleans: true,
        with_snippet: false,
    }
}

/// Parses `text` as a `T` in `format`, within the limits.
pub(crate) fn parse_as<T: serde::de::DeserializeOwned>(
    text: &str,
    format: SourceFormat,
    limits: &Limits,
) -> Result<T, Failure> {
    match format {
        SourceFormat::Yaml => parse_yaml(text, limits),
        SourceFormat::Json => parse_json(text, limits),
    }
}

fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str, limits: &Limits) -> Result<T, Failure> {
    serde_saphyr::from_str_with_options::<T>(text, yaml_options(limits)).map_err(|err| {
        let err = err.without_snippet();
        let location = err.location().filter(|l| l.line() > 0);
        let (offset, len) = match &location {
            Some(l) => {
                let span = l.span();
                (
                    span.byte_offset().map(|o| o as usize),
                    span.byte_len().unwrap_or(0) as usize,
                )
            }
            None => (None, 0),
        };
        let offset = offset.or_else(|| {
            location.map(|l| line_column_offset(text, l.line() as usize, l.column() as usize))
        });
        let message = strip_location_suffix(&err.to_string());
        let help = help_for(&message);
        Failure {
            message,
            offset,
            len,
            help,
        }
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, _limits: &Limits) -> Result<T, Failure> {
    serde_json::from_str::<T>(text).map_err(|err| {
        let message = strip_location_suffix(&err.to_string());
        let offset = (err.line() > 0).then(|| {
            json_key_offset(
                text,
                &message,
                line_column_offset(text, err.line(), err.column()),
            )
        });
        let help = help_for(&message);
        Failure {
            message,
            offset,
            len: 1,
            help,
        }
    })
}

/// Byte offset of a 1-based line and column (in characters).
fn line_column_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// Removes the " at line N, column M …" the parsers append: the location is reported
/// separately.
fn strip_location_suffix(message: &str) -> String {
    let mut search = 0;
    while let Some(found) = message[search..].find(" at line ") {
        let at = search + found;
        let rest = &message[at + " at line ".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let after = &rest[digits..];
        if digits > 0 && (after.starts_with(", column ") || after.starts_with(" column ")) {
            return message[..at].to_string();
        }
        search = at + 1;
    }
    message.to_string()
}

/// serde_json reports an unknown field just after its key; point at the key itself.
fn json_key_offset(text: &str, message: &str, offset: usize) -> usize {
    let Some(name) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    else {
        return offset;
    };
    let quoted = format!("\"{name}\"");
    text[..offset.min(text.len())]
        .rfind(&quoted)
        .unwrap_or(offset)
}

/// What to do about a parse failure, from its message.
fn help_for(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    if m.contains("unknown field") {
        if let Some(expected) = message.split("expected one of ").nth(1) {
            return format!(
                "remove it or fix its spelling; the fields allowed here are: {expected}"
            );
        }
        return "remove it or fix its spelling".into();
    }
    if m.contains("missing field") {
        return "add the field; see missions/README.md for the mission format".into();
    }
    if m.contains("budget") || m.contains("alias") || m.contains("replay") {
        return "the file exceeds the loader's limits (aliases, size or nesting); write it out plainly".into();
    }
    if m.contains("depth") || m.contains("nesting") || m.contains("recursion") {
        return format!("nest mappings and lists at most {MAX_DEPTH} levels deep");
    }
    if m.contains("duplicate") {
        return "each key may appear once in a mapping; remove the repeated one".into();
    }
    if m.contains("invalid type") || m.contains("invalid ") || m.contains("expected") {
        return "give this field a value of the type the mission format expects (see missions/schema/mission.schema.json)".into();
    }
    "fix the syntax at this position".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const OK: &str = "name: Demo\nsteps:\n  - id: a\n    step_type: noop\n";

    #[test]
    fn yaml_and_json_load_into_the_same_mission() {
        let yaml = load_str(OK, "demo.yaml").unwrap();
        let json = load_str(
            r#"{"name":"Demo","steps":[{"id":"a","step_type":"noop"}]}"#,
            "demo.json",
        )
        .unwrap();
        assert_eq!(yaml.mission, json.mission);
        assert_eq!(
            (yaml.format, json.format),
            (SourceFormat::Yaml, SourceFormat::Json)
        );
        assert_eq!(yaml.source.name, "demo.yaml");
    }

    #[test]
    fn unknown_fields_are_warnings_with_line_column_and_field() {
        let text = "name: Demo\nsteps:\n  - id: a\n    step_type: noop\n    paramaters: {}\n";
        let loaded = load_str(text, "m.yaml").unwrap();
        let d = &loaded.load_diagnostics[0];
        assert_eq!(
            (d.code, d.severity),
            (Code::UnknownField, crate::Severity::Warning)
        );
        assert!(
            d.message.contains("unknown key `paramaters`"),
            "{}",
            d.message
        );
        let loc = d.location.expect("located");
        assert_eq!((loc.line, loc.column), (5, 5));
        assert_eq!(d.field, "steps[0].paramaters");
        assert!(
            d.help
                .as_deref()
                .unwrap()
                .contains("did you mean `parameters`?"),
            "help suggests the field: {d:?}"
        );
        assert_eq!(loaded.mission.steps[0].parameters, serde_json::json!({}));
    }

    #[test]
    fn json_warnings_and_errors_are_located_too() {
        let text = "{\"name\": \"x\",\n \"steps\": [], \"stepz\": 1}";
        let loaded = load_str(text, "m.json").unwrap();
        let d = &loaded.load_diagnostics[0];
        assert_eq!(d.location.expect("located").line, 2);
        assert!(d.message.contains("unknown key `stepz`"), "{}", d.message);
        let text = "{\"name\": \"x\",\n \"steps\": [{\"id\": \"a\",\n \"step_type\": \"noop\", \"retry_attempts\": \"x\"}]}";
        let d = load_str(text, "m.json").unwrap_err().diagnostic();
        assert_eq!(d.field, "steps[0].retry_attempts");
        assert_eq!(d.location.expect("located").line, 3);
        assert!(d.message.contains("invalid type"), "{}", d.message);
    }

    #[test]
    fn the_format_follows_the_extension_then_the_content() {
        assert_eq!(
            format_of(Some(Path::new("a.JSON")), "x: 1"),
            SourceFormat::Json
        );
        assert_eq!(
            format_of(Some(Path::new("a.yml")), "{}"),
            SourceFormat::Yaml
        );
        assert_eq!(format_of(None, "  {\"a\": 1}"), SourceFormat::Json);
        assert_eq!(
            format_of(Some(Path::new("mission")), "name: x"),
            SourceFormat::Yaml
        );
    }

    #[test]
    fn yes_and_no_stay_strings_in_parameters() {
        let m = load_str(
            "name: x\nsteps:\n  - id: a\n    step_type: noop\n    parameters: {answer: no}\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(m.mission.steps[0].parameters["answer"], "no");
    }

    /// A mission whose one step carries `value` (YAML flow text) as a parameter, where any value
    /// is accepted: what stops the input must be the loader's limits, not the mission's shape.
    fn with_parameter(anchors: &str, value: &str) -> String {
        format!("name: hostile\nsteps:\n  - id: a\n    step_type: noop\n    parameters:\n{anchors}      x: {value}\n")
    }

    #[test]
    fn an_alias_bomb_is_refused_fast() {
        let mut anchors = String::from("      a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let (prev, next) = (pair[0], pair[1]);
            let refs = vec![format!("*{prev}"); 9].join(",");
            anchors.push_str(&format!("      {next}: &{next} [{refs}]\n"));
        }
        // Fully expanded, `x` would hold 9^9 ≈ 387 million strings.
        let text = with_parameter(&anchors, "*i");
        let started = Instant::now();
        let err = load_str(&text, "bomb.yaml").unwrap_err();
        let took = started.elapsed();
        // The refusal comes from the alias budget (checked below), not from memory running out:
        // expanding the bomb would take minutes. The bound is loose for a loaded debug build; the
        // benchmark measures the real figure.
        assert!(took < Duration::from_secs(3), "took {took:?}");
        let d = err.diagnostic();
        assert_eq!(d.code, Code::Syntax, "{err}");
        assert!(
            d.message.contains("budget"),
            "refused by the alias budget: {}",
            d.message
        );
        assert!(d.field.starts_with("steps[0].parameters"), "{}", d.field);
    }

    #[test]
    fn aliases_within_the_budget_still_work() {
        let text = "name: merge\nsteps:\n  - id: a\n    step_type: noop\n    parameters: &p {x: 1}\n  - id: b\n    step_type: noop\n    parameters: *p\n";
        let loaded = load_str(text, "m.yaml").unwrap();
        assert_eq!(loaded.mission.steps[1].parameters["x"], 1);
    }

    #[test]
    fn ten_thousand_nested_brackets_are_refused_fast() {
        let deep_list = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let deep_map = format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000));
        let json = format!(
            "{{\"name\":\"x\",\"steps\":[{{\"id\":\"a\",\"step_type\":\"noop\",\"parameters\":{{\"x\":{deep_list}}}}}]}}"
        );
        for (text, origin) in [
            (with_parameter("", &deep_list), "deep-list.yaml"),
            (with_parameter("", &deep_map), "deep-map.yaml"),
            (json, "deep.json"),
        ] {
            let started = Instant::now();
            let err = load_str(&text, origin).unwrap_err();
            let took = started.elapsed();
            // Loose bound for a loaded debug build; the depth limit (checked below) is what stops it.
            assert!(took < Duration::from_secs(3), "{origin} took {took:?}");
            let d = err.diagnostic();
            assert_eq!(d.code, Code::Syntax, "{origin}: {err}");
            assert!(
                d.location
                    .is_some_and(|l| l.line >= 5 || origin.ends_with(".json")),
                "{origin}: {d:?}"
            );
        }
    }

    #[test]
    fn size_and_step_limits_are_enforced() {
        let limits = Limits {
            max_bytes: 16,
            ..Limits::default()
        };
        let err = load_str_with(OK, "m.yaml", SourceFormat::Yaml, &limits).unwrap_err();
        assert!(
            matches!(err, LoadError::TooLarge { size, limit: 16, .. } if size == OK.len() as u64)
        );

        let limits = Limits {
            max_steps: 1,
            ..Limits::default()
        };
        let two = format!("{OK}  - id: b\n    step_type: noop\n");
        let err = load_str_with(&two, "m.yaml", SourceFormat::Yaml, &limits).unwrap_err();
        let d = err.diagnostic();
        assert_eq!(d.code, Code::TooManySteps);
        assert_eq!(d.location.map(|l| l.line), Some(2), "points at `steps:`");
    }

    #[test]
    fn a_file_too_large_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, "#".repeat(64)).unwrap();
        let limits = Limits {
            max_bytes: 32,
            ..Limits::default()
        };
        assert!(matches!(
            load_file_with(&path, &limits),
            Err(LoadError::TooLarge { size: 64, .. })
        ));
        let missing = load_file(&dir.path().join("none.yaml")).unwrap_err();
        assert_eq!(missing.diagnostic().code, Code::Io);
    }

    #[test]
    fn a_byte_order_mark_and_non_utf8_text_are_handled() {
        let loaded = load_str(&format!("\u{feff}{OK}"), "bom.yaml").unwrap();
        assert_eq!(loaded.mission.steps.len(), 1);
        let err = load_str(&format!("\u{feff}{OK}  - bad\n"), "bom.yaml").unwrap_err();
        let loc = err.diagnostic().location.unwrap();
        assert_eq!(loc.line, 5, "lines are counted in the original text");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.yaml");
        std::fs::write(&path, b"name: caf\xe9\nsteps: []\n").unwrap();
        let d = load_file(&path).unwrap_err().diagnostic();
        assert_eq!(
            (d.code, d.location.map(|l| (l.line, l.column))),
            (Code::Syntax, Some((1, 10)))
        );
    }

    #[test]
    fn missions_built_in_memory_get_a_json_source_to_point_into() {
        let loaded = load_str(OK, "m.yaml").unwrap();
        let rebuilt = LoadedMission::from_mission(loaded.mission.clone(), "<memory>");
        assert_eq!(rebuilt.source.name, "<memory>");
        assert!(rebuilt.step_location(0).is_some());
    }

    #[test]
    fn location_suffixes_are_stripped_only_when_they_are_one() {
        assert_eq!(strip_location_suffix("bad at line 3, column 4"), "bad");
        assert_eq!(strip_location_suffix("bad at line 3 column 4"), "bad");
        assert_eq!(
            strip_location_suffix("look at line 3 of the poem"),
            "look at line 3 of the poem"
        );
        assert_eq!(
            strip_location_suffix(
                "budget breached: X at line 6, column 14 (defined at line 10, column 13)"
            ),
            "budget breached: X"
        );
    }
}
