//! `mission history`, `mission show RUN_ID`, `mission diff RUN_A RUN_B`: the history database
//! of the data folder (the same one the app shows). Data on stdout (a table, or with `--json`
//! one document); an unknown run id is a usage error (exit 2).

use crate::cmd_run::{code, open_api};
use std::io::Write;
use std::path::Path;
use studio_api::studio_core::RunStatus;
use studio_api::{ErrorCode, RunDetails, RunDiff, RunFilter, RunSummary, StepSide, StudioApi};

/// `mission history`.
pub fn history(data_dir: Option<&Path>, filter: &RunFilter, json: bool) -> u8 {
    let api = match open_api(data_dir) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let runs = match api.history(filter) {
        Ok(runs) => runs,
        Err(e) => return fail(&e),
    };
    let printed = if json {
        print_json(&runs)
    } else {
        print_runs(&runs)
    };
    finish(printed)
}

/// `mission show RUN_ID`.
pub fn show(data_dir: Option<&Path>, run_id: &str, json: bool) -> u8 {
    let Some(details) = with_api(data_dir, |api| api.run_details(run_id)) else {
        return code::FAILED;
    };
    let details = match details {
        Ok(d) => d,
        Err(code) => return code,
    };
    let printed = if json {
        print_json(&details)
    } else {
        print_details(&details)
    };
    finish(printed)
}

/// `mission show RUN --plan`: the run's plan as Spark's `render_text`.
pub fn show_plan(data_dir: Option<&Path>, run_id: &str) -> u8 {
    let Some(details) = with_api(data_dir, |api| api.run_details(run_id)) else {
        return code::FAILED;
    };
    let details = match details {
        Ok(d) => d,
        Err(code) => return code,
    };
    let (title, lines) = studio_api::spark::plan_text::plan_of_run(&details);
    print!("{}", studio_api::spark::render_plan_text(&title, &lines));
    0
}

/// `mission diff RUN_A RUN_B`.
pub fn diff(data_dir: Option<&Path>, a: &str, b: &str, json: bool) -> u8 {
    let Some(diff) = with_api(data_dir, |api| api.diff_runs(a, b)) else {
        return code::FAILED;
    };
    let diff = match diff {
        Ok(d) => d,
        Err(code) => return code,
    };
    let printed = if json {
        print_json(&diff)
    } else {
        print_diff(&diff)
    };
    finish(printed)
}

/// Parses `--status`.
pub fn parse_status(text: &str) -> Result<RunStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        format!(
            "unknown status `{text}`; one of: queued, running, blocked, completed, failed, \
             cancelled, timed_out"
        )
    })
}

/// Parses `--since`: a date (`2026-01-31`, midnight UTC) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!("--since `{text}`: expected a date (YYYY-MM-DD) or an RFC 3339 time")
        })
}

/// Runs `f` on an opened API; `None` when the API could not be opened (already reported).
/// Unknown run ids become exit code 2.
fn with_api<T>(
    data_dir: Option<&Path>,
    f: impl FnOnce(&StudioApi) -> Result<T, studio_api::ApiError>,
) -> Option<Result<T, u8>> {
    let api = open_api(data_dir).ok()?;
    Some(f(&api).map_err(|e| fail(&e)))
}

pub(crate) fn fail(e: &studio_api::ApiError) -> u8 {
    eprintln!("error: {e}");
    match e.code {
        ErrorCode::NotFound => code::USAGE,
        _ => code::FAILED,
    }
}

pub(crate) fn finish(printed: std::io::Result<()>) -> u8 {
    match printed {
        Ok(()) => code::COMPLETED,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            code::FAILED
        }
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    writeln!(std::io::stdout().lock(), "{text}")
}

fn print_runs(runs: &[RunSummary]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if runs.is_empty() {
        return writeln!(out, "no runs yet: `mission run FILE` records one");
    }
    writeln!(
        out,
        "{:<24}  {:<36}  {:<10}  {:>9}  mission",
        "started", "run", "status", "ms"
    )?;
    for r in runs {
        let mut note = String::new();
        if let Some(from) = &r.resumed_from {
            note.push_str(&format!("  (resumes {from})"));
        }
        if let Some(reason) = &r.reason {
            note.push_str(&format!("  — {}", one_line(reason, 60)));
        }
        writeln!(
            out,
            "{:<24}  {:<36}  {:<10}  {:>9}  {}{note}",
            r.started_at,
            r.run_id,
            r.status.as_str(),
            r.usage.runtime_ms,
            r.mission_id
        )?;
    }
    Ok(())
}

fn print_details(d: &RunDetails) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let r = &d.run;
    writeln!(out, "run       {}", r.run_id)?;
    writeln!(out, "mission   {} ({})", r.mission_id, r.mission_name)?;
    writeln!(out, "status    {}", r.status.as_str())?;
    if let Some(reason) = &r.reason {
        writeln!(out, "reason    {reason}")?;
    }
    writeln!(
        out,
        "time      {} → {}",
        r.started_at,
        r.finished_at.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "usage     {} ms, {} LLM calls, {} tokens, ${:.4}",
        r.usage.runtime_ms, r.usage.llm_calls, r.usage.tokens, r.usage.cost_usd
    )?;
    if let Some(from) = &r.resumed_from {
        writeln!(out, "resumes   {from}")?;
    }
    writeln!(
        out,
        "evidence  {}",
        d.evidence_dir.as_deref().unwrap_or("-")
    )?;
    writeln!(out, "\nsteps ({} of {}):", d.steps.len(), r.step_count)?;
    for s in &d.steps {
        let mut note = String::new();
        if let Some(from) = &s.reused_from {
            note.push_str(&format!("  reused from {from}"));
        }
        if let Some(e) = &s.error {
            note.push_str(&format!("  {}", one_line(e, 70)));
        }
        writeln!(
            out,
            "  {:<24} {:<10} {:>3} attempt(s) {:>8} ms{note}",
            s.step_id,
            s.status.as_str(),
            s.attempts,
            s.duration_ms
        )?;
    }
    writeln!(out, "\nevents ({}):", d.events.len())?;
    for e in &d.events {
        writeln!(
            out,
            "  {:>4} {:<18} {}",
            e.seq,
            e.event_type.as_str(),
            one_line(&e.summary, 90)
        )?;
    }
    Ok(())
}

fn print_diff(d: &RunDiff) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let (a, b) = (&d.a, &d.b);
    writeln!(out, "{:<14} {:<38} {:<38}", "", "A", "B")?;
    writeln!(out, "{:<14} {:<38} {:<38}", "run", a.run_id, b.run_id)?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "mission", a.mission_id, b.mission_id
    )?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "status",
        a.status.as_str(),
        b.status.as_str()
    )?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "runtime ms", a.usage.runtime_ms, b.usage.runtime_ms
    )?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "llm calls", a.usage.llm_calls, b.usage.llm_calls
    )?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "tokens", a.usage.tokens, b.usage.tokens
    )?;
    writeln!(
        out,
        "{:<14} {:<38} {:<38}",
        "cost usd",
        format!("{:.4}", a.usage.cost_usd),
        format!("{:.4}", b.usage.cost_usd)
    )?;
    writeln!(out, "\nsteps:")?;
    for s in &d.steps {
        let output = if s.same_output {
            "same output"
        } else {
            "OUTPUT DIFFERS"
        };
        writeln!(
            out,
            "  {:<24} {:<26} {:<26} {output}",
            s.step_id,
            side_text(s.a.as_ref()),
            side_text(s.b.as_ref())
        )?;
    }
    Ok(())
}

fn side_text(side: Option<&StepSide>) -> String {
    match side {
        None => "-".into(),
        Some(s) => {
            let reused = if s.reused_from.is_some() {
                " reused"
            } else {
                ""
            };
            format!("{} {} ms{reused}", s.status.as_str(), s.duration_ms)
        }
    }
}

fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > max {
        format!("{}…", line.chars().take(max).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_a_time_and_status_names_the_choices() {
        assert_eq!(
            parse_since("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T00:00:00+00:00"
        );
        assert!(parse_since("2026-01-31T10:00:00+02:00").is_ok());
        assert!(parse_since("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(parse_status("timed_out").unwrap(), RunStatus::TimedOut);
        assert!(parse_status("done").unwrap_err().contains("completed"));
    }
}
