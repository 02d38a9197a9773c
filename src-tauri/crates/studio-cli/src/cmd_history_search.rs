//! `mission history --search TEXT`: the runs that produced some text (the mission pack's
//! INDEX), best first, each with its matching lines. On a terminal the matched words are bold;
//! otherwise (a pipe, a file, `TERM=dumb`) they are put in `[` `]`, so `grep` and logs keep
//! them. `--json` prints one document, `{runs: [...]}`.

use crate::cmd_history::{fail, finish, print_json};
use crate::cmd_run::open_api;
use std::io::{IsTerminal, Write};
use std::path::Path;
use studio_api::{HistorySearch, MatchLine, SearchedRun};

/// Runs listed when `--limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;

/// Parses `--search`: blank text is a usage error (exit 2), not a search for everything.
pub fn parse_search(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("--search needs the text to look for, e.g. --search \"disk full\"".into());
    }
    Ok(text.to_string())
}

/// `mission history --search`.
pub fn search(data_dir: Option<&Path>, search: &HistorySearch, json: bool) -> u8 {
    let api = match open_api(data_dir) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let runs = match api.search_history(search) {
        Ok(runs) => runs,
        Err(e) => return fail(&e),
    };
    let printed = if json {
        print_json(&Found { runs: &runs })
    } else {
        let out = std::io::stdout();
        let style = if out.is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb") {
            Highlight::Bold
        } else {
            Highlight::Brackets
        };
        print_found(&mut out.lock(), &search.text, &runs, style)
    };
    finish(printed)
}

/// The `--json` document.
#[derive(serde::Serialize)]
struct Found<'a> {
    runs: &'a [SearchedRun],
}

/// How matched words stand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Highlight {
    /// `[word]`: plain text, for pipes and files.
    Brackets,
    /// ANSI bold, for a terminal.
    Bold,
}

impl Highlight {
    fn marks(self) -> (&'static str, &'static str) {
        match self {
            Self::Brackets => ("[", "]"),
            Self::Bold => ("\x1b[1m", "\x1b[22m"),
        }
    }
}

fn print_found(
    out: &mut impl Write,
    text: &str,
    runs: &[SearchedRun],
    style: Highlight,
) -> std::io::Result<()> {
    if runs.is_empty() {
        return writeln!(
            out,
            "no run matches \"{text}\": no finished run produced it (summary, step outputs and \
             errors, output names) and no mission or run id is named so"
        );
    }
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}  {}  {:<10}  {} ({})",
            run.started_at,
            run.run_id,
            run.status.as_str(),
            run.mission,
            run.mission_name
        )?;
        for m in &run.matches {
            writeln!(out, "    {:<22}  {}", place(m), marked(m, style))?;
        }
    }
    Ok(())
}

/// Where a line was found: `summary`, `step fetch output`, `output name`, ...
fn place(m: &MatchLine) -> String {
    let field = m.field.replace('_', " ");
    match &m.step_id {
        Some(step) => format!("step {step} {field}"),
        None => field,
    }
}

/// The line with its matched words marked.
fn marked(m: &MatchLine, style: Highlight) -> String {
    let (open, close) = style.marks();
    let mut out = String::with_capacity(m.line.len() + 8 * m.highlights.len());
    let mut hits = m.highlights.iter().peekable();
    for (i, c) in m.line.chars().enumerate() {
        if hits.peek().is_some_and(|h| h[0] == i) {
            out.push_str(open);
        }
        out.push(c);
        if hits.peek().is_some_and(|h| h[1] == i + 1) {
            out.push_str(close);
            hits.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, highlights: Vec<[usize; 2]>) -> MatchLine {
        MatchLine {
            field: "output".into(),
            step_id: Some("fetch".into()),
            line: text.into(),
            highlights,
        }
    }

    #[test]
    fn matched_words_are_bracketed_or_bold() {
        let m = line("café total: 42", vec![[0, 4], [12, 14]]);
        assert_eq!(marked(&m, Highlight::Brackets), "[café] total: [42]");
        assert_eq!(
            marked(&m, Highlight::Bold),
            "\x1b[1mcafé\x1b[22m total: \x1b[1m42\x1b[22m"
        );
        assert_eq!(place(&m), "step fetch output");
        let name = MatchLine {
            field: "output_name".into(),
            step_id: None,
            ..m
        };
        assert_eq!(place(&name), "output name");
    }

    #[test]
    fn a_blank_search_is_a_usage_error() {
        assert!(parse_search("  ").unwrap_err().contains("--search"));
        assert_eq!(parse_search(" disk full ").unwrap(), "disk full");
    }
}
