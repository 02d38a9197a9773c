//! Test results read from what the runners print: libtest's lines (`cargo test`), pytest's
//! JUnit XML report, and TAP (`node --test` and other TAP producers).

use super::project::clip;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Value};

/// Longest failure message kept.
const MAX_MESSAGE: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Passed,
    Failed,
    Ignored,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Ignored => "ignored",
        }
    }
}

/// One test and, when it failed, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TestCase {
    pub name: String,
    pub outcome: Outcome,
    pub message: Option<String>,
}

/// The tests of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Report {
    pub tests: Vec<TestCase>,
}

impl Report {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.tests.iter().filter(|t| t.outcome == outcome).count()
    }

    pub fn failures(&self) -> Vec<&TestCase> {
        self.tests
            .iter()
            .filter(|t| t.outcome == Outcome::Failed)
            .collect()
    }

    /// `{passed, failed, ignored, total, failures, tests}` of the step's output.
    pub fn output_fields(&self) -> Value {
        let (passed, failed, ignored) = (
            self.count(Outcome::Passed),
            self.count(Outcome::Failed),
            self.count(Outcome::Ignored),
        );
        json!({
            "passed": passed,
            "failed": failed,
            "ignored": ignored,
            "total": passed + failed + ignored,
            "failures": self.failures().iter().map(|t| json!({
                "name": t.name,
                "message": t.message.clone().unwrap_or_default(),
            })).collect::<Vec<_>>(),
            "tests": self.tests.iter().map(|t| json!({
                "name": t.name,
                "outcome": t.outcome.name(),
            })).collect::<Vec<_>>(),
        })
    }

    /// "tests::fails (assertion failed…), tests::other" for messages.
    pub fn failing_names(&self, max: usize) -> String {
        let failures = self.failures();
        let mut names: Vec<String> = failures
            .iter()
            .take(max)
            .map(|t| match t.message.as_deref().and_then(first_line) {
                Some(m) => format!("{} ({})", t.name, clip(m, 160)),
                None => t.name.clone(),
            })
            .collect();
        if failures.len() > max {
            names.push(format!("and {} more", failures.len() - max));
        }
        names.join("; ")
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// libtest's output (several test binaries in a row): `test NAME ... ok|FAILED|ignored` lines
/// and, for each failure, its `---- NAME stdout ----` section.
pub(super) fn libtest(stdout: &str) -> Report {
    let mut report = Report::default();
    let mut section: Option<(String, Vec<&str>)> = None;
    let mut sections: Vec<(String, String)> = Vec::new();
    let close = |section: &mut Option<(String, Vec<&str>)>,
                 sections: &mut Vec<(String, String)>| {
        if let Some((name, lines)) = section.take() {
            let text: Vec<&str> = lines
                .into_iter()
                .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
                .collect();
            sections.push((name, text.join("\n").trim().to_string()));
        }
    };
    for line in stdout.lines() {
        if line.starts_with('{') {
            continue;
        }
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|r| r.strip_suffix(" stdout ----"))
        {
            close(&mut section, &mut sections);
            section = Some((name.to_string(), Vec::new()));
            continue;
        }
        if line == "failures:" || line.starts_with("test result: ") {
            close(&mut section, &mut sections);
            continue;
        }
        if let Some((_, lines)) = section.as_mut() {
            lines.push(line);
            continue;
        }
        let Some((name, verdict)) = line
            .strip_prefix("test ")
            .and_then(|r| r.rsplit_once(" ... "))
        else {
            continue;
        };
        let outcome = match verdict.trim() {
            "ok" => Outcome::Passed,
            "FAILED" => Outcome::Failed,
            v if v.starts_with("ignored") => Outcome::Ignored,
            _ => continue,
        };
        report.tests.push(TestCase {
            name: name.to_string(),
            outcome,
            message: None,
        });
    }
    close(&mut section, &mut sections);
    for (name, text) in sections {
        if let Some(t) = report
            .tests
            .iter_mut()
            .find(|t| t.name == name && t.outcome == Outcome::Failed && t.message.is_none())
        {
            t.message = Some(clip(&text, MAX_MESSAGE));
        }
    }
    report
}

/// A JUnit XML report as pytest writes it (`-o junit_family=xunit1`, so each case has its
/// `file`): names read like pytest's node ids (`tests/test_calc.py::TestX::test_add`).
pub(super) fn junit(xml: &str) -> Result<Report, String> {
    let mut reader = Reader::from_str(xml);
    let mut report = Report::default();
    let mut case: Option<TestCase> = None;
    // Inside <failure>/<error>: its text is gathered when the message attribute is generic.
    let mut detail: Option<String> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the JUnit report is not valid XML: {e}"))?;
        match event {
            Event::Start(e) if e.name().as_ref() == "testcase" => {
                report.tests.extend(case.take());
                case = Some(TestCase {
                    name: pytest_name(&e),
                    outcome: Outcome::Passed,
                    message: None,
                });
            }
            Event::Empty(e) if e.name().as_ref() == "testcase" => {
                report.tests.extend(case.take());
                report.tests.push(TestCase {
                    name: pytest_name(&e),
                    outcome: Outcome::Passed,
                    message: None,
                });
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(e.name().as_ref(), "failure" | "error" | "skipped") =>
            {
                if let Some(c) = case.as_mut() {
                    if e.name().as_ref() == "skipped" {
                        if c.outcome == Outcome::Passed {
                            c.outcome = Outcome::Ignored;
                        }
                    } else {
                        c.outcome = Outcome::Failed;
                        c.message = attr(e, "message").filter(|m| !m.trim().is_empty());
                        if matches!(event, Event::Start(_)) {
                            detail = Some(String::new());
                        }
                    }
                }
            }
            Event::Text(t) => {
                if let Some(d) = detail.as_mut() {
                    d.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(d) = detail.as_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => d.push(c),
                        _ => d.push_str(resolve_predefined_entity(&r).unwrap_or("")),
                    }
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), "failure" | "error") => {
                if let (Some(text), Some(c)) = (detail.take(), case.as_mut()) {
                    c.message = Some(clip(&better_message(c.message.take(), &text), MAX_MESSAGE));
                }
            }
            Event::End(e) if e.name().as_ref() == "testcase" => {
                report.tests.extend(case.take());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    report.tests.extend(case.take());
    Ok(report)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `tests/test_calc.py::TestCalc::test_add` from `file`, `classname` and `name`.
fn pytest_name(e: &BytesStart<'_>) -> String {
    let name = attr(e, "name").unwrap_or_default();
    let classname = attr(e, "classname").unwrap_or_default();
    let Some(file) = attr(e, "file").filter(|f| !f.is_empty()) else {
        return if classname.is_empty() {
            name
        } else {
            format!("{classname}::{name}")
        };
    };
    if classname.is_empty() {
        // A collection error: the case is the file.
        return file;
    }
    let module = file.trim_end_matches(".py").replace(['/', '\\'], ".");
    match classname
        .strip_prefix(&module)
        .and_then(|r| r.strip_prefix('.'))
    {
        Some(class) if !class.is_empty() => {
            format!("{file}::{}::{name}", class.replace('.', "::"))
        }
        _ => format!("{file}::{name}"),
    }
}

/// pytest's `message` attribute, unless it is generic ("collection failure"): then the `E`
/// lines of the traceback say more.
fn better_message(attribute: Option<String>, text: &str) -> String {
    let e_lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("E "))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match attribute {
        Some(m) if m != "collection failure" => m,
        _ if !e_lines.is_empty() => e_lines.join("\n"),
        Some(m) => m,
        None => text.trim().to_string(),
    }
}

/// TAP version 13/14 as `node --test` prints it: `ok N - name`, `not ok N - name # SKIP`,
/// subtests indented under `# Subtest: name`, and a YAML block after each result whose
/// `error:` is the failure message. A result with subtests above it is a suite: only its
/// tests are listed, named `suite > test`. `None` when the text holds no TAP results.
pub(super) fn tap(stdout: &str) -> Option<Report> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut report = Report::default();
    let mut subtests: Vec<(usize, String)> = Vec::new();
    // Indentation of the previous result line.
    let mut previous_indent: Option<usize> = None;
    let mut i = 0;
    let mut seen = false;
    while i < lines.len() {
        let line = lines[i];
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        i += 1;
        if let Some(name) = t.strip_prefix("# Subtest: ") {
            subtests.retain(|(level, _)| *level < indent);
            subtests.push((indent, name.trim().to_string()));
            continue;
        }
        let (failed, rest) = if let Some(r) = t.strip_prefix("not ok ") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("ok ") {
            (false, r)
        } else {
            continue;
        };
        seen = true;
        // "3 - name # SKIP reason"
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
        let rest = rest.strip_prefix("- ").unwrap_or(rest);
        let (name, directive) = match rest.split_once(" # ") {
            Some((n, d)) => (n.trim(), Some(d.trim().to_ascii_uppercase())),
            None => (rest.trim(), None),
        };
        let (block, next) = yaml_block(&lines, i, indent);
        i = next;
        let is_suite = previous_indent.is_some_and(|p| p > indent);
        previous_indent = Some(indent);
        if is_suite || block.iter().any(|l| l.trim() == "type: 'suite'") {
            continue;
        }
        let outcome = match directive.as_deref() {
            Some(d) if d.starts_with("SKIP") || d.starts_with("TODO") => Outcome::Ignored,
            _ if failed => Outcome::Failed,
            _ => Outcome::Passed,
        };
        let parents: Vec<&str> = subtests
            .iter()
            .filter(|(level, _)| *level < indent)
            .map(|(_, n)| n.as_str())
            .collect();
        let full = if parents.is_empty() {
            name.to_string()
        } else {
            format!("{} > {name}", parents.join(" > "))
        };
        let message = (outcome == Outcome::Failed)
            .then(|| yaml_error(&block))
            .flatten()
            .map(|m| clip(&m, MAX_MESSAGE));
        report.tests.push(TestCase {
            name: full,
            outcome,
            message,
        });
    }
    seen.then_some(report)
}

/// The `---` … `...` block right after a result line (indented more than it).
fn yaml_block<'a>(lines: &[&'a str], start: usize, indent: usize) -> (Vec<&'a str>, usize) {
    let Some(first) = lines.get(start) else {
        return (Vec::new(), start);
    };
    if first.trim() != "---" || first.len() - first.trim_start().len() <= indent {
        return (Vec::new(), start);
    }
    let mut block = Vec::new();
    let mut i = start + 1;
    while i < lines.len() && lines[i].trim() != "..." {
        block.push(lines[i]);
        i += 1;
    }
    (block, i + 1)
}

/// The `error:` value of a TAP YAML block: `error: 'text'` or `error: |-` and its lines.
fn yaml_error(block: &[&str]) -> Option<String> {
    let pos = block
        .iter()
        .position(|l| l.trim_start().starts_with("error:"))?;
    let line = block[pos];
    let key_indent = line.len() - line.trim_start().len();
    let value = line.trim_start()["error:".len()..].trim();
    if value.starts_with('|') || value.starts_with('>') || value.is_empty() {
        let text: Vec<&str> = block[pos + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > key_indent)
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        return (!text.is_empty()).then(|| text.join("\n"));
    }
    let unquoted = if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        value[1..value.len() - 1].replace("''", "'")
    } else if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        value[1..value.len() - 1].replace("\\\"", "\"")
    } else {
        value.to_string()
    };
    Some(unquoted)
}

#[cfg(test)]
mod tests;
