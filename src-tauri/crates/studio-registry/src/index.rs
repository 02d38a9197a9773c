//! The index: template files → rows of `mission_templates`.
//!
//! [`index`] scans the roots in order (the builtin library first, then the operator's folder),
//! each recursively, files sorted by path; reads every `.yaml`, `.yml` and `.json` file and
//! hashes its bytes. A file whose valid row has the same content hash is not loaded again.
//! Any other file is loaded and validated with studio-core (the mission rules plus the
//! template rule, [`crate::schema::template_diagnostics`]). Then, in one transaction, changed
//! rows are written (keeping the batch's columns) and rows of files that are gone deleted.
//!
//! A file that fails is reported ([`IndexProblem`]: file, line, column, reason) and stored as
//! an invalid row keyed `file:<path>` with its diagnostics; queries leave it out. Two files
//! with the same mission id: the first in scan order keeps the id, the other is reported and
//! stored invalid. Nothing a file contains makes the index fail; only the database can.

use crate::model::TemplateSource;
use crate::schema::template_diagnostics;
use crate::RegistryError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use studio_core::{Diagnostic, LoadedMission, Severity};
use studio_store::{Store, TemplateRecord};

/// A folder of template files and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRoot {
    pub dir: PathBuf,
    pub source: TemplateSource,
}

impl TemplateRoot {
    pub fn builtin(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            source: TemplateSource::Builtin,
        }
    }

    pub fn user(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            source: TemplateSource::User,
        }
    }
}

/// A template file that is left out of the library, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexProblem {
    pub file: PathBuf,
    /// 1-based line and column of the first problem, when it has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// A stable code: a studio-core diagnostic code, `duplicate_id` or `io`.
    pub code: String,
    pub reason: String,
}

impl std::fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What one pass of the index did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexReport {
    /// Template files found.
    pub scanned: usize,
    /// Valid templates now in the library: new ids …
    pub added: Vec<String>,
    /// … ids whose file changed (edited, renamed or moved) …
    pub updated: Vec<String>,
    /// … and the number left as they were (same bytes).
    pub unchanged: usize,
    /// Ids that left the library (file deleted, renamed to another id, now invalid).
    pub removed: Vec<String>,
    /// Files left out of the library, one entry per file, in scan order.
    pub problems: Vec<IndexProblem>,
    /// True when the stored index changed (the library or its problems).
    pub changed: bool,
    pub duration_ms: u64,
}

/// A file found under a root.
struct Found {
    path: PathBuf,
    source: TemplateSource,
}

/// What a file turned out to be before the duplicate check.
enum Outcome {
    /// Same bytes as its valid row: the row stays as it is.
    Unchanged(TemplateRecord),
    Valid(TemplateRecord),
    Invalid(TemplateRecord, IndexProblem),
}

/// Scans the roots and brings `mission_templates` in line with the files.
pub fn index(store: &mut Store, roots: &[TemplateRoot]) -> Result<IndexReport, RegistryError> {
    let started = Instant::now();
    let existing = store.template_rows()?;
    let by_path: HashMap<&str, &TemplateRecord> = existing
        .iter()
        .filter(|r| r.record.valid)
        .map(|r| (r.record.path.as_str(), &r.record))
        .collect();
    let by_id: HashMap<&str, &TemplateRecord> = existing
        .iter()
        .map(|r| (r.record.template_id.as_str(), &r.record))
        .collect();

    let files = scan(roots);
    let mut report = IndexReport {
        scanned: files.len(),
        ..IndexReport::default()
    };
    let mut first_of_id: HashMap<String, PathBuf> = HashMap::new();
    let mut keep: HashSet<String> = HashSet::new();
    let mut writes: Vec<TemplateRecord> = Vec::new();
    for found in &files {
        let outcome = examine(found, &by_path);
        let (record, problem, unchanged) = match outcome {
            Outcome::Unchanged(r) => (r, None, true),
            Outcome::Valid(r) => (r, None, false),
            Outcome::Invalid(r, p) => (r, Some(p), false),
        };
        let (record, problem, unchanged) = match (problem, first_of_id.get(&record.template_id)) {
            (None, Some(first)) => {
                let problem = IndexProblem {
                    file: found.path.clone(),
                    line: None,
                    column: None,
                    code: "duplicate_id".into(),
                    reason: format!(
                        "the mission id `{}` is already used by {}; give this template its own `id`",
                        record.template_id,
                        first.display()
                    ),
                };
                let invalid = invalid_record(found, &record.content_hash, &problem, Vec::new());
                (invalid, Some(problem), false)
            }
            (problem, _) => (record, problem, unchanged),
        };
        if problem.is_none() {
            first_of_id.insert(record.template_id.clone(), found.path.clone());
        }
        keep.insert(record.template_id.clone());
        match &problem {
            None if unchanged => report.unchanged += 1,
            None => {
                let before = by_id.get(record.template_id.as_str());
                match before {
                    Some(b) if b.valid && same_index(b, &record) => report.unchanged += 1,
                    Some(b) if b.valid => {
                        report.updated.push(record.template_id.clone());
                        writes.push(record);
                    }
                    _ => {
                        report.added.push(record.template_id.clone());
                        writes.push(record);
                    }
                }
            }
            Some(p) => {
                report.problems.push(p.clone());
                let before = by_id.get(record.template_id.as_str());
                if before.is_none_or(|b| !same_index(b, &record)) {
                    writes.push(record);
                }
            }
        }
    }
    report.removed = existing
        .iter()
        .filter(|r| r.record.valid && !first_of_id.contains_key(&r.record.template_id))
        .map(|r| r.record.template_id.clone())
        .collect();
    let deleted = if writes.is_empty() && existing.len() == keep.len() {
        0
    } else {
        store.upsert_templates(&writes, &keep)?
    };
    report.changed = !writes.is_empty() || deleted > 0;
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// True when a stored row already says what `new` says (all but the time it was indexed).
fn same_index(old: &TemplateRecord, new: &TemplateRecord) -> bool {
    old == new
}

/// Template files under the roots: roots in order, each walked recursively, sorted by path.
/// Hidden files and folders (a leading `.`) and editor backups (`~`) are skipped; a root that
/// does not exist is skipped.
fn scan(roots: &[TemplateRoot]) -> Vec<Found> {
    let mut out = Vec::new();
    for root in roots {
        let mut files = Vec::new();
        walk(&root.dir, &mut files, 0);
        files.sort();
        out.extend(files.into_iter().map(|path| Found {
            path,
            source: root.source,
        }));
    }
    out
}

/// Deepest folder nesting walked under a root (a guard against symlink loops).
const MAX_DEPTH: usize = 8;

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out, depth + 1);
        } else if is_template_file(&path) {
            out.push(path);
        }
    }
}

/// `.yaml`, `.yml` or `.json`.
pub fn is_template_file(path: &Path) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
}

fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn examine(found: &Found, by_path: &HashMap<&str, &TemplateRecord>) -> Outcome {
    let path_text = found.path.display().to_string();
    let bytes = match std::fs::read(&found.path) {
        Ok(b) => b,
        Err(e) => {
            let problem = IndexProblem {
                file: found.path.clone(),
                line: None,
                column: None,
                code: "io".into(),
                reason: format!("cannot read the file: {e}"),
            };
            return Outcome::Invalid(invalid_record(found, "", &problem, Vec::new()), problem);
        }
    };
    let hash = content_hash(&bytes);
    if let Some(row) = by_path.get(path_text.as_str()) {
        if row.content_hash == hash && row.source == found.source.as_str() {
            return Outcome::Unchanged((*row).clone());
        }
    }
    let loaded = match String::from_utf8(bytes) {
        Ok(text) => studio_core::load_str(&text, &path_text),
        // The loader reports the offending byte's place.
        Err(_) => studio_core::load_file(&found.path),
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            let d = e.diagnostic();
            let problem = problem_of(found, &d);
            return Outcome::Invalid(invalid_record(found, &hash, &problem, vec![d]), problem);
        }
    };
    let diagnostics = template_problems(&loaded);
    if let Some(first) = diagnostics.first() {
        let mut problem = problem_of(found, first);
        if diagnostics.len() > 1 {
            problem.reason.push_str(&format!(
                " (and {} more problem(s); `mission validate {}` lists them all)",
                diagnostics.len() - 1,
                path_text
            ));
        }
        return Outcome::Invalid(invalid_record(found, &hash, &problem, diagnostics), problem);
    }
    Outcome::Valid(valid_record(found, &loaded, hash))
}

/// What keeps a loaded template out of the library, in file order: its validation errors, its
/// unknown keys (a template is held to the strict format: an unknown key there is a typo that
/// would silently change nothing) and the fields a template must have.
pub fn template_problems(loaded: &LoadedMission) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = studio_core::validate(loaded)
        .into_iter()
        .filter(|d| d.severity == Severity::Error || d.code == studio_core::Code::UnknownField)
        .map(|mut d| {
            d.severity = Severity::Error;
            d
        })
        .collect();
    diagnostics.extend(template_diagnostics(loaded));
    diagnostics.sort_by_key(|d| d.location.map_or(usize::MAX, |l| l.offset));
    diagnostics
}

fn problem_of(found: &Found, d: &Diagnostic) -> IndexProblem {
    let mut reason = d.message.clone();
    if !d.field.is_empty() && !reason.contains(&format!("`{}`", d.field)) {
        reason = format!("{}: {reason}", d.field);
    }
    IndexProblem {
        file: found.path.clone(),
        line: d.location.map(|l| l.line),
        column: d.location.map(|l| l.column),
        code: d.code.as_str().to_string(),
        reason,
    }
}

fn valid_record(found: &Found, loaded: &LoadedMission, content_hash: String) -> TemplateRecord {
    let m = &loaded.mission;
    TemplateRecord {
        template_id: m.mission_id(),
        path: found.path.display().to_string(),
        source: found.source.as_str().to_string(),
        name: m.name.clone(),
        sector: m.sector.clone(),
        risk: m
            .risk
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
        goal: m.goal.clone(),
        tags: m.tags.clone(),
        required_depts: m.required_depts.clone(),
        est_roi: m.est_roi,
        value_usd: m.value_usd,
        logic_hash: studio_core::logic_hash(m),
        content_hash,
        valid: true,
        diagnostics: json!([]),
        needs: needs_of(m),
    }
}

/// What a run of `m` needs for real (see [`crate::TemplateSummary::needs`]).
pub fn needs_of(m: &studio_core::Mission) -> Vec<String> {
    let mut needs = Vec::new();
    let mut add = |n: &str| {
        if !needs.iter().any(|x| x == n) {
            needs.push(n.to_string());
        }
    };
    for step in &m.steps {
        let canned = m.simulated_tool(step).is_some();
        match step.step_type.as_str() {
            "llm" if !canned => add("model"),
            "http" if canned => add("simulated_network"),
            "http" => add("network"),
            _ => {}
        }
    }
    needs
}

/// The row of a file left out of the library.
fn invalid_record(
    found: &Found,
    content_hash: &str,
    problem: &IndexProblem,
    diagnostics: Vec<Diagnostic>,
) -> TemplateRecord {
    let mut list: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code.as_str(),
                "field": d.field,
                "line": d.location.map(|l| l.line),
                "column": d.location.map(|l| l.column),
                "message": d.message,
                "help": d.help,
            })
        })
        .collect();
    if list.is_empty() {
        list.push(json!({
            "code": problem.code,
            "field": "",
            "line": problem.line,
            "column": problem.column,
            "message": problem.reason,
            "help": null,
        }));
    }
    let path = found.path.display().to_string();
    TemplateRecord {
        template_id: format!("file:{path}"),
        name: found
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path,
        source: found.source.as_str().to_string(),
        sector: None,
        risk: None,
        goal: None,
        tags: Vec::new(),
        required_depts: Vec::new(),
        est_roi: None,
        value_usd: None,
        logic_hash: String::new(),
        content_hash: content_hash.to_string(),
        valid: false,
        diagnostics: Value::Array(list),
        needs: Vec::new(),
    }
}

#[cfg(test)]
mod needs_tests {
    use super::needs_of;

    fn mission(yaml: &str) -> studio_core::Mission {
        studio_core::load_str(yaml, "t.yaml").unwrap().mission
    }

    #[test]
    fn needs_name_models_real_calls_and_simulated_ones() {
        let m = mission(
            "name: t\nsimulation: {enabled: true, tools: [{name: fetch, static_response: {}}]}\nsteps:\n  - {id: fetch, step_type: http, parameters: {url: 'http://x.invalid'}}\n  - {id: post, step_type: http, parameters: {url: 'http://x.invalid'}}\n  - {id: ask, step_type: llm, parameters: {prompt: hi}}\n",
        );
        assert_eq!(needs_of(&m), ["simulated_network", "network", "model"]);
        let offline = mission("name: t\nsteps:\n  - {id: a, step_type: noop}\n");
        assert!(needs_of(&offline).is_empty());
    }
}
