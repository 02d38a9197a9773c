//! The launch forecast of the dry runs (`mission run FILE|--template|--active --dry-run`,
//! `mission resume RUN --dry-run`): after the plan, each cap's worst case against the
//! perimeter the run would get (global hard caps ∧ the mission's ∧ the operator's flags), as a
//! table on stdout, or as `forecast` in the `--json` document. Exit code 5 when a cap cannot
//! hold: the run would be refused at a step, named with what it needs and the cap.
//!
//! Dry runs create nothing in the data folder: the forecast only reads its global hard caps,
//! providers and prices.

use crate::cmd_run::code;
use crate::perimeter_args::PerimeterArgs;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use studio_api::forecast::global_hint;
use studio_api::studio_core::perimeter::GLOBAL_CAPS_FILE;
use studio_api::studio_core::{Mission, Perimeter};
use studio_api::studio_engine::budget::micros_to_usd;
use studio_api::studio_engine::forecast::{Cap, Forecast, Level, Severity, Verdict};
use studio_api::{AppPaths, StudioApi};

/// What a forecast is made of besides the mission.
pub struct ForecastInput<'a> {
    pub perimeter: &'a PerimeterArgs,
    pub data_dir: Option<&'a Path>,
    /// Where the mission was read from (its library's tools).
    pub mission_file: &'a Path,
    pub context: BTreeMap<String, Value>,
    /// The operator perimeter, when it is not the flags' (an active mission's, a resume's).
    pub operator: Option<Perimeter>,
    /// Outputs a resume reuses.
    pub reused: BTreeMap<String, Value>,
}

/// The forecast of a run of `mission`, or the exit code to stop with (its cause printed).
pub fn make(mission: &Mission, input: ForecastInput<'_>) -> Result<Forecast, u8> {
    let paths = AppPaths::resolve(input.data_dir).map_err(|e| {
        eprintln!("error: {e}");
        code::FAILED
    })?;
    let mut governance = input
        .perimeter
        .governance(input.mission_file, paths.data_dir())
        .map_err(|message| {
            eprintln!("error: {message}");
            code::USAGE
        })?;
    if let Some(operator) = input.operator {
        governance.operator = operator;
    }
    let api = StudioApi::open_existing(paths);
    api.forecast(mission, &governance, input.context, input.reused)
        .map_err(|e| {
            eprintln!("error: {e}");
            code::INVALID
        })
}

/// The exit code of a dry run with this forecast: 5 when the run cannot complete.
pub fn exit_code(forecast: &Forecast) -> u8 {
    if forecast.can_complete() {
        code::COMPLETED
    } else {
        code::BUDGET_EXCEEDED
    }
}

fn status_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "ok",
        Verdict::Tight => "tight",
        Verdict::Short => "short",
        Verdict::Unbounded => "unbounded",
    }
}

/// What to raise when a global hard cap sets the limit: the Settings field, and the file.
fn global_advice(cap: Cap, set_by: &[Level]) -> Option<String> {
    global_hint(cap, set_by).map(|field| {
        format!(
            "a global hard cap: raise {field}, or `{}` in {GLOBAL_CAPS_FILE} in the data folder",
            cap.field()
        )
    })
}

/// The forecast as a table, then what it found (blocking first).
pub fn write_table(out: &mut dyn Write, forecast: &Forecast) -> std::io::Result<()> {
    writeln!(
        out,
        "launch forecast (worst case of every attempt, retries included, against the perimeter):"
    )?;
    let rows: Vec<[String; 5]> = forecast
        .caps
        .iter()
        .map(|c| {
            [
                c.cap.label().to_string(),
                c.worst_case
                    .map_or_else(|| "unbounded".into(), |v| c.cap.show(v)),
                c.limit.map_or_else(|| "no cap".into(), |v| c.cap.show(v)),
                status_word(c.verdict).to_string(),
                c.culprits
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    let header = [
        "cap".to_string(),
        "worst case".into(),
        "limit".into(),
        "".into(),
        "".into(),
    ];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let head = format!(
        "  {:<w0$}  {:<w1$}  {:<w2$}",
        header[0], header[1], header[2]
    );
    writeln!(out, "{}", head.trim_end())?;
    for r in &rows {
        let line = format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:<9} {}",
            r[0], r[1], r[2], r[3], r[4]
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    for f in &forecast.findings {
        let advice = f
            .cap
            .filter(|_| f.severity != Severity::Note)
            .and_then(|c| global_advice(c, &f.set_by))
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let tag = match f.severity {
            Severity::Blocking => "",
            Severity::Warning => "warning: ",
            Severity::Note => "note: ",
        };
        writeln!(out, "{tag}{}{advice}", f.message)?;
    }
    if forecast.findings.is_empty() {
        writeln!(out, "every cap holds the worst case")?;
    }
    Ok(())
}

/// The forecast in a dry run's `--json` document (stable field names). Amounts are in the
/// cap's unit: tokens, calls, steps as counts, cost in USD (to the micro-dollar), runtime in
/// seconds; `null`: no cap, or unbounded.
pub fn json(forecast: &Forecast) -> Value {
    let unit = |cap: Cap, v: u64| -> Value {
        match cap {
            Cap::MaxCostUsd => json!(micros_to_usd(v)),
            Cap::MaxRuntimeMinutes => json!(v as f64 / 1000.0),
            _ => json!(v),
        }
    };
    let opt = |cap: Cap, v: Option<u64>| v.map_or(Value::Null, |v| unit(cap, v));
    let caps: Vec<Value> = forecast
        .caps
        .iter()
        .map(|c| {
            json!({
                "cap": c.cap.field(),
                "unit": match c.cap {
                    Cap::MaxTokens => "tokens",
                    Cap::MaxLlmCalls => "calls",
                    Cap::MaxCostUsd => "usd",
                    Cap::MaxSteps => "steps",
                    Cap::MaxRuntimeMinutes => "seconds",
                },
                "worst_case": opt(c.cap, c.worst_case),
                "limit": opt(c.cap, c.limit),
                "verdict": c.verdict,
                "holds": c.holds(),
                "culprits": c.culprits,
                "set_by": c.set_by,
                "settings_field": global_hint(c.cap, &c.set_by),
            })
        })
        .collect();
    let findings: Vec<Value> = forecast
        .findings
        .iter()
        .map(|f| {
            json!({
                "severity": f.severity,
                "cap": f.cap.map(Cap::field),
                "step_id": f.step_id,
                "need": f.cap.map_or(Value::Null, |c| opt(c, f.need)),
                "used": f.cap.map_or(Value::Null, |c| opt(c, f.used)),
                "limit": f.cap.map_or(Value::Null, |c| opt(c, f.limit)),
                "message": f.message,
                "settings_field": f.cap.and_then(|c| global_hint(c, &f.set_by)),
            })
        })
        .collect();
    let steps: Vec<Value> = forecast
        .steps
        .iter()
        .map(|s| {
            json!({
                "step_id": s.step_id,
                "step_type": s.step_type,
                "attempts": s.attempts,
                "reused": s.reused,
                "simulated": s.simulated,
                "tokens": s.worst_case.tokens,
                "llm_calls": s.worst_case.llm_calls,
                "cost_usd": micros_to_usd(s.worst_case.cost_micros),
                "prompt_tokens": s.llm.as_ref().map(|l| l.prompt_tokens),
                "max_tokens": s.llm.as_ref().map(|l| l.max_tokens),
                "prompt_exact": s.llm.as_ref().is_none_or(|l| l.prompt_exact),
                "worst_seconds": s.worst_ms.map(|ms| ms as f64 / 1000.0),
                "problem": s.problem,
            })
        })
        .collect();
    json!({
        "can_complete": forecast.can_complete(),
        "holds": forecast.holds(),
        "caps": caps,
        "findings": findings,
        "steps": steps,
        "unknown_values": forecast.unknown_values,
    })
}

/// On stderr, why the run cannot complete (with what to raise when a global hard cap is the
/// reason).
pub fn report_shortfall(forecast: &Forecast) {
    if let Some(f) = forecast.shortfall() {
        let advice = f
            .cap
            .and_then(|c| global_advice(c, &f.set_by))
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        eprintln!("error: {}{advice}", f.message);
    }
}

/// For each cap flag given: a note when the run is held below it (by the mission's own cap or
/// a global hard cap), saying which, and where to raise a global one.
pub fn notes_on_flags(perimeter: &PerimeterArgs, forecast: &Forecast) {
    let given = [
        (
            Cap::MaxTokens,
            "--max-tokens",
            perimeter.max_tokens.map(|v| v as f64),
        ),
        (
            Cap::MaxLlmCalls,
            "--max-llm-calls",
            perimeter.max_llm_calls.map(|v| v as f64),
        ),
        (Cap::MaxCostUsd, "--max-cost-usd", perimeter.max_cost_usd),
        (
            Cap::MaxSteps,
            "--max-steps",
            perimeter.max_steps.map(|v| v as f64),
        ),
        (
            Cap::MaxRuntimeMinutes,
            "--max-runtime-minutes",
            perimeter.max_runtime_minutes,
        ),
    ];
    for (cap, flag, value) in given {
        let (Some(value), Some(c)) = (value, forecast.cap(cap)) else {
            continue;
        };
        if c.set_by.contains(&Level::Operator) || c.set_by.is_empty() {
            continue;
        }
        let Some(limit) = c.limit else { continue };
        let by = if c.set_by.contains(&Level::Global) {
            global_advice(cap, &c.set_by).unwrap_or_default()
        } else {
            "the mission's own perimeter".to_string()
        };
        eprintln!(
            "note: {flag} {value} is above what the run is held to: {} ({by})",
            cap.show(limit)
        );
    }
}
