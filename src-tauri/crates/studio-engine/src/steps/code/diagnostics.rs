//! Compiler and linter messages read into one shape: cargo's JSON messages (`build`, `test`,
//! `clippy`), `python3 -m compileall`'s error blocks, and the `path:line:col: [CODE] message`
//! lines of ruff, flake8 and pyflakes.

use super::project::Project;
use serde::Serialize;
use serde_json::Value;

/// One message of a compiler or linter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Diagnostic {
    /// `error`, `warning`, `note` or `help`.
    pub level: String,
    pub message: String,
    /// Relative to the workspace when the file lies inside it.
    pub file: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub code: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level == "error"
    }

    pub fn is_warning(&self) -> bool {
        self.level == "warning"
    }

    /// `src/lib.rs:3:5: error[E0308]: mismatched types`.
    pub fn describe(&self) -> String {
        let place = match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
            (Some(f), Some(l), None) => format!("{f}:{l}: "),
            (Some(f), None, _) => format!("{f}: "),
            _ => String::new(),
        };
        let code = self
            .code
            .as_ref()
            .map(|c| format!("[{c}]"))
            .unwrap_or_default();
        format!("{place}{}{code}: {}", self.level, self.message)
    }
}

/// Counts errors and warnings.
pub(super) fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    (
        diagnostics.iter().filter(|d| d.is_error()).count(),
        diagnostics.iter().filter(|d| d.is_warning()).count(),
    )
}

/// What cargo said in its JSON messages.
#[derive(Debug, Default)]
pub(super) struct CargoMessages {
    pub diagnostics: Vec<Diagnostic>,
    /// Executables built, relative to the workspace.
    pub artifacts: Vec<String>,
    /// The `build-finished` message's verdict.
    pub build_success: Option<bool>,
}

/// Reads the `--message-format=json` lines of cargo's standard output (other lines are the
/// programs' own output, e.g. libtest's, and are skipped).
pub(super) fn cargo_messages(stdout: &str, project: &Project) -> CargoMessages {
    let mut found = CargoMessages::default();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match v.get("reason").and_then(Value::as_str) {
            Some("compiler-message") => {
                if let Some(d) = v.get("message").and_then(|m| rustc_message(m, project)) {
                    if !found.diagnostics.contains(&d) {
                        found.diagnostics.push(d);
                    }
                }
            }
            Some("compiler-artifact") => {
                if let Some(exe) = v.get("executable").and_then(Value::as_str) {
                    let rel = project.workspace_path(exe);
                    if !found.artifacts.contains(&rel) {
                        found.artifacts.push(rel);
                    }
                }
            }
            Some("build-finished") => {
                found.build_success = v.get("success").and_then(Value::as_bool);
            }
            _ => {}
        }
    }
    found
}

/// One rustc diagnostic, or `None` for the summaries ("aborting due to…", "N warnings
/// emitted", "For more information…").
fn rustc_message(m: &Value, project: &Project) -> Option<Diagnostic> {
    let level = m.get("level")?.as_str()?;
    let message = m.get("message")?.as_str()?.to_string();
    let spans = m.get("spans").and_then(Value::as_array);
    let primary = spans.and_then(|s| {
        s.iter()
            .find(|sp| sp.get("is_primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| s.first())
    });
    if primary.is_none()
        && (message.starts_with("aborting due to")
            || message.ends_with("emitted")
            || level == "failure-note")
    {
        return None;
    }
    let level = if level.starts_with("error") {
        "error"
    } else {
        level
    };
    let code = m
        .get("code")
        .and_then(|c| c.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(Diagnostic {
        level: level.to_string(),
        message,
        file: primary
            .and_then(|s| s.get("file_name"))
            .and_then(Value::as_str)
            .map(|f| project.workspace_path(f)),
        line: primary
            .and_then(|s| s.get("line_start"))
            .and_then(Value::as_u64),
        column: primary
            .and_then(|s| s.get("column_start"))
            .and_then(Value::as_u64),
        code,
    })
}

/// The error blocks `python3 -m compileall -q` prints:
///
/// ```text
/// *** Error compiling './pkg/bad.py'...
///   File "./pkg/bad.py", line 2
///     def f(:
///           ^
/// SyntaxError: invalid syntax
/// ```
///
/// The column is read from the caret, counted in the file's own line (`source_line` gives it).
pub(super) fn compileall_errors(
    stdout: &str,
    project: &Project,
    source_line: &dyn Fn(&str, u64) -> Option<String>,
) -> Vec<Diagnostic> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(rest) = lines[i].strip_prefix("*** Error compiling '") else {
            i += 1;
            continue;
        };
        let printed = rest.trim_end_matches("'...").trim_end_matches('\'');
        let mut d = Diagnostic {
            level: "error".into(),
            message: "cannot compile".into(),
            file: Some(project.workspace_path(printed)),
            line: None,
            column: None,
            code: None,
        };
        let mut code_line: Option<&str> = None;
        i += 1;
        while i < lines.len() && !lines[i].starts_with("*** ") {
            let l = lines[i];
            let t = l.trim();
            if let Some(n) = t
                .strip_prefix("File \"")
                .and_then(|r| r.split_once("\", line "))
                .and_then(|(_, n)| n.split(',').next())
                .and_then(|n| n.trim().parse::<u64>().ok())
            {
                d.line = Some(n);
            } else if !t.is_empty() && t.chars().all(|c| c == '^' || c == '~') {
                if let (Some(line), Some(code)) = (d.line, code_line) {
                    let caret = l.find('^').unwrap_or(0);
                    let shown_indent = code.len() - code.trim_start().len();
                    let own_indent =
                        source_line(printed, line).map_or(0, |s| s.len() - s.trim_start().len());
                    d.column = Some((caret.saturating_sub(shown_indent) + own_indent + 1) as u64);
                }
            } else if let Some((name, msg)) = exception_line(t) {
                d.code = Some(name.to_string());
                d.message = msg.to_string();
            } else if d.line.is_some() && !t.is_empty() {
                code_line = Some(l);
            }
            i += 1;
        }
        found.push(d);
    }
    found
}

/// `SyntaxError: invalid syntax` → (`SyntaxError`, `invalid syntax`).
fn exception_line(line: &str) -> Option<(&str, &str)> {
    let (name, msg) = line.split_once(": ")?;
    let is_name = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && (name.ends_with("Error") || name.ends_with("Warning"));
    is_name.then_some((name, msg))
}

/// The `path:line:col: [CODE] message` lines of ruff (`--output-format=concise`), flake8 and
/// pyflakes; other lines (source excerpts, carets, summaries) are skipped.
pub(super) fn linter_lines(text: &str, project: &Project) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(4, ':');
        let (Some(path), Some(row), Some(col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(row), Ok(col)) = (row.trim().parse::<u64>(), col.trim().parse::<u64>()) else {
            continue;
        };
        let rest = rest.trim();
        let (code, message) = match rest.split_once(' ') {
            Some((c, m)) if is_lint_code(c) => (Some(c.to_string()), m.trim().to_string()),
            _ => (None, rest.to_string()),
        };
        let level = if python_error(code.as_deref(), &message) {
            "error"
        } else {
            "warning"
        };
        found.push(Diagnostic {
            level: level.into(),
            message,
            file: Some(project.workspace_path(path)),
            line: Some(row),
            column: Some(col),
            code,
        });
    }
    found
}

/// `F401`, `E501`, `PLR0913`.
fn is_lint_code(word: &str) -> bool {
    let letters = word.chars().take_while(char::is_ascii_uppercase).count();
    letters > 0 && letters < word.len() && word[letters..].chars().all(|c| c.is_ascii_digit())
}

/// Findings that mean the code cannot run: syntax errors and undefined names.
fn python_error(code: Option<&str>, message: &str) -> bool {
    match code {
        Some(c) => {
            c.starts_with("E9")
                || matches!(c, "F821" | "F822" | "F823" | "F831")
                || c.starts_with("F70")
        }
        None => {
            let m = message.to_ascii_lowercase();
            m.contains("syntax") || m.contains("undefined name") || m.contains("indent")
        }
    }
}
