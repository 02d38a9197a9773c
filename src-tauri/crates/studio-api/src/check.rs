//! Checking a mission file and reporting its problems compiler style: the same text in the
//! CLI (`mission validate`, `mission run`) and in the window (a mission file, the library's
//! broken templates, an active mission), each problem with its file, line, column, code frame,
//! hint and "did you mean".

use crate::dto_check::{DiagnosticItem, MissionReport};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use serde_json::{json, Value};
use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use studio_core::{
    has_errors, load_file, logic_hash, strict, validate_with, Diagnostic, LoadedMission, Severity,
    ValidateOptions,
};

/// How files are checked: what validation knows beyond the file (the run's inputs, the
/// configured providers), and whether warnings count as errors (`--strict`).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub validate: ValidateOptions,
    pub strict: bool,
}

impl CheckOptions {
    /// The options for a data folder (its configured providers) and the run inputs given.
    pub fn for_data_dir(data_dir: Option<&Path>, inputs: Vec<String>, strict: bool) -> Self {
        let providers = crate::AppPaths::resolve(data_dir)
            .map(|paths| crate::providers::configured_names_in(paths.data_dir()))
            .unwrap_or_default();
        Self {
            validate: ValidateOptions {
                inputs,
                providers: Some(providers),
            },
            strict,
        }
    }
}

/// Checks a template file as the library does: the strict format (an unknown key is an
/// error) and the fields a template must have.
pub fn check_template(path: &Path) -> FileCheck {
    let file = path.display().to_string();
    match load_file(path) {
        Ok(loaded) => FileCheck {
            file,
            diagnostics: studio_registry::index::template_problems(&loaded),
            source: Some(Arc::from(loaded.source.text.as_str())),
            original: None,
            loaded: Some(loaded),
        },
        Err(err) => FileCheck {
            file,
            diagnostics: vec![err.diagnostic()],
            source: err.source_file().map(|s| Arc::from(s.text.as_str())),
            original: None,
            loaded: None,
        },
    }
}

/// What checking one mission file found.
pub struct FileCheck {
    /// The file as named on the command line.
    pub file: String,
    /// The mission, when the file could be read and parsed.
    pub loaded: Option<LoadedMission>,
    /// Every problem, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics point into (a converted mission's JSON form for an import).
    pub(crate) source: Option<Arc<str>>,
    /// An import's original file: `(name, text)`; its diagnostics point into it.
    pub(crate) original: Option<(String, Arc<str>)>,
}

impl FileCheck {
    /// Valid: loaded, and no diagnostic is an error (warnings are allowed).
    pub fn is_valid(&self) -> bool {
        self.loaded.is_some() && !has_errors(&self.diagnostics)
    }

    pub fn logic_hash(&self) -> Option<String> {
        self.loaded.as_ref().map(|l| logic_hash(&l.mission))
    }

    /// How many problems of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Loads and validates one file.
pub fn check_file(path: &Path, options: &CheckOptions) -> FileCheck {
    let file = path.display().to_string();
    match load_file(path) {
        Ok(loaded) => {
            let mut diagnostics = validate_with(&loaded, &options.validate);
            if options.strict {
                diagnostics = strict(diagnostics);
            }
            FileCheck {
                file,
                diagnostics,
                source: Some(Arc::from(loaded.source.text.as_str())),
                original: loaded
                    .original
                    .as_ref()
                    .map(|o| (o.name.clone(), Arc::from(o.text.as_str()))),
                loaded: Some(loaded),
            }
        }
        Err(err) => FileCheck {
            file,
            diagnostics: vec![err.diagnostic()],
            source: err.source_file().map(|s| Arc::from(s.text.as_str())),
            original: None,
            loaded: None,
        },
    }
}

/// One diagnostic as stable JSON: `{severity, code, message, file, line, column, field, help}`.
pub fn diagnostic_json(d: &Diagnostic) -> Value {
    json!({
        "severity": d.severity.as_str(),
        "code": d.code.as_str(),
        "message": d.message,
        "file": d.file,
        "line": d.location.map(|l| l.line),
        "column": d.location.map(|l| l.column),
        "field": d.field,
        "help": d.help,
    })
}

/// What the conversion of an imported mission (Spark MissionSpec, mission pack directory,
/// Mission Envelope payload) mapped and dropped, one `note:` block on stderr.
pub fn write_import_notes(out: &mut dyn Write, check: &FileCheck) -> std::io::Result<()> {
    let Some(report) = check.loaded.as_ref().and_then(|l| l.import.as_ref()) else {
        return Ok(());
    };
    if report.kind == studio_core::ImportKind::RustChain {
        writeln!(
            out,
            "note: {} uses RustChain's spellings, read as the native ones ({} note(s)):",
            check.file,
            report.notes.len()
        )?;
    } else {
        writeln!(
            out,
            "note: {} was converted from a {} ({} note(s)):",
            check.file,
            report.kind.label(),
            report.notes.len()
        )?;
    }
    for note in &report.notes {
        writeln!(out, "  - {note}")?;
    }
    Ok(())
}

/// How reports are drawn: colours and Unicode on a terminal, plain ASCII otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportStyle {
    pub color: bool,
}

impl ReportStyle {
    pub fn for_stderr() -> Self {
        Self {
            color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

/// Renders the diagnostics of one file, compiler style, pointing into its text.
pub fn render_diagnostics(
    out: &mut dyn Write,
    check: &FileCheck,
    style: ReportStyle,
) -> std::io::Result<()> {
    let handler = if style.color {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
    } else {
        GraphicalReportHandler::new_themed(GraphicalTheme::none())
            .with_width(100)
            .with_wrap_lines(false)
    };
    write_import_notes(out, check)?;
    // A converted mission's diagnostics point into its converted (JSON) form.
    let name = check
        .loaded
        .as_ref()
        .filter(|l| l.import.is_some())
        .map_or(check.file.as_str(), |l| l.source.name.as_str());
    let source = check
        .source
        .as_ref()
        .map(|text| NamedSource::new(name, Arc::clone(text)));
    let original = check
        .original
        .as_ref()
        .map(|(n, text)| (n.as_str(), NamedSource::new(n, Arc::clone(text))));
    for d in &check.diagnostics {
        // Loading's diagnostics of an import point into the file as written.
        let source = match &original {
            Some((name, text)) if d.file == *name => Some(text.clone()),
            _ => source.clone(),
        };
        let report = Report { d, source };
        let mut text = String::new();
        if handler.render_report(&mut text, &report).is_err() {
            text = format!("{d}\n");
        }
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// A diagnostic as miette sees it.
#[derive(Debug)]
struct Report<'a> {
    d: &'a Diagnostic,
    source: Option<NamedSource<Arc<str>>>,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.d.location) {
            (Some(_), Some(_)) => write!(f, "{}", self.d.message),
            _ => write!(f, "{}: {}", self.d.file, self.d.message),
        }
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.d.location?;
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.d.location?;
        self.source.as_ref()?;
        let label = if self.d.field.is_empty() {
            "here".to_string()
        } else {
            self.d.field.clone()
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            loc.offset,
            loc.len,
        ))))
    }
}

impl FileCheck {
    /// The problems of a mission that is not a file as written (an active mission, a
    /// converted one): reported without a code frame.
    pub fn without_source(name: &str, diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            file: name.to_string(),
            loaded: None,
            diagnostics,
            source: None,
            original: None,
        }
    }

    /// The report the window shows: every problem, and the text `mission validate` prints
    /// for them (without colours).
    pub fn report(&self) -> MissionReport {
        let mut rendered = Vec::new();
        let _ = render_diagnostics(&mut rendered, self, ReportStyle { color: false });
        MissionReport {
            file: self.file.clone(),
            valid: self.is_valid(),
            errors: self.count(Severity::Error) as u32,
            warnings: self.count(Severity::Warning) as u32,
            items: self.diagnostics.iter().map(DiagnosticItem::from).collect(),
            rendered: String::from_utf8_lossy(&rendered).into_owned(),
        }
    }
}
