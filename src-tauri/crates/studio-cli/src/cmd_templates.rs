//! `mission templates list|show` and `mission run --template ID`: the template library of the
//! data folder (the builtin templates plus `<data dir>/templates/`).
//!
//! Exit codes: 0 done, 2 usage (an unknown template id), 1 anything else. `run --template`
//! exits as `mission run` does.

use crate::cmd_run::{self, code};
use clap::Subcommand;
use std::path::Path;
use studio_api::library::{IndexProblem, SortKey, TemplateDetail, TemplateQuery, TemplateSummary};
use studio_api::{ApiError, ErrorCode, StudioApi};

/// `mission templates …`
#[derive(Debug, Clone, Subcommand)]
pub enum TemplatesCommand {
    /// List the library's templates (files that fail to load or validate are reported on
    /// stderr and left out).
    List {
        /// Only this sector (Finance, HR, Security, ...).
        #[arg(long, value_name = "SECTOR")]
        sector: Option<String>,
        /// Only this risk level: low, medium or high (derived from history when measured).
        #[arg(long, value_name = "RISK")]
        risk: Option<String>,
        /// Words that must all occur in the name, goal, tags, sector or id.
        #[arg(long, value_name = "WORDS")]
        search: Option<String>,
        /// Only templates with this tag (repeatable: all of them).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Only templates that require this department.
        #[arg(long, value_name = "DEPT")]
        dept: Option<String>,
        /// Only templates with this badge, e.g. top_performance.
        #[arg(long, value_name = "BADGE")]
        badge: Option<String>,
        /// Order: roi, success, cost, recent or name.
        #[arg(long, value_name = "KEY", default_value = "name", value_parser = parse_sort)]
        sort: SortKey,
        /// At most this many templates.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Print a JSON array: [{id, name, sector, goal, required_depts, risk, est_roi, tags,
        /// logic_hash, value_usd, path, source, stats, badges, roi, roi_is_estimate,
        /// risk_level}].
        #[arg(long)]
        json: bool,
    },
    /// Show one template in full: fields, texts, steps, parallel levels, perimeter. Exit code
    /// 2 when the id is unknown.
    Show {
        #[arg(value_name = "TEMPLATE_ID")]
        id: String,
        /// Print one JSON document (the list's fields plus objective, done_definition,
        /// context, constraints, steps, levels, perimeter, outputs).
        #[arg(long)]
        json: bool,
    },
}

fn parse_sort(text: &str) -> Result<SortKey, String> {
    text.parse()
}

fn fail(e: &ApiError) -> u8 {
    eprintln!("error: {e}");
    match e.code {
        ErrorCode::NotFound | ErrorCode::InvalidInput => code::USAGE,
        _ => code::FAILED,
    }
}

/// Files left out of the library, on stderr.
fn report_problems(problems: &[IndexProblem]) {
    if problems.is_empty() {
        return;
    }
    eprintln!(
        "warning: {} template file(s) left out of the library:",
        problems.len()
    );
    for p in problems {
        eprintln!("  {p}");
    }
}

pub fn templates(data_dir: Option<&Path>, command: &TemplatesCommand) -> u8 {
    let api = match cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(c) => return c,
    };
    match command {
        TemplatesCommand::List {
            sector,
            risk,
            search,
            tags,
            dept,
            badge,
            sort,
            limit,
            json,
        } => {
            let query = TemplateQuery {
                search: search.clone(),
                sector: sector.clone(),
                risk: risk.clone(),
                tags: tags.clone(),
                dept: dept.clone(),
                badge: badge.clone(),
                sort: *sort,
                limit: *limit,
            };
            let list = match api.list_templates(&query) {
                Ok(list) => list,
                Err(e) => return fail(&e),
            };
            report_problems(&api.template_problems().unwrap_or_default());
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else if list.is_empty() {
                eprintln!("no template matches; `mission templates list` shows them all");
            } else {
                print!("{}", table(&list));
            }
            code::COMPLETED
        }
        TemplatesCommand::Show { id, json } => match api.get_template(id) {
            Ok(detail) => {
                if *json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&detail).unwrap_or_default()
                    );
                } else {
                    print!("{}", show(&detail));
                }
                code::COMPLETED
            }
            Err(e) => {
                let code = fail(&e);
                suggest(&api, id);
                code
            }
        },
    }
}

/// "did you mean …" for an unknown id.
fn suggest(api: &StudioApi, id: &str) {
    let Ok(registry) = api.template_registry() else {
        return;
    };
    let snapshot = registry.snapshot();
    if let Some(close) = studio_api::studio_core::suggest::did_you_mean(
        id,
        snapshot.summaries().map(|s| s.id.as_str()),
    ) {
        eprintln!("did you mean `{close}`?");
    }
}

/// The ROI as shown: measured, or the declared estimate marked "(est.)".
fn roi_text(t: &TemplateSummary) -> String {
    match (t.roi, t.roi_is_estimate) {
        (Some(roi), true) => format!("{roi:.1}x (est.)"),
        (Some(roi), false) => format!("{roi:.1}x"),
        (None, _) => "-".into(),
    }
}

/// The aligned table of `templates list`.
pub fn table(list: &[TemplateSummary]) -> String {
    let header = [
        "ID", "NAME", "SECTOR", "RISK", "ROI", "SUCCESS", "AVG COST", "RUNS", "BADGES",
    ];
    let rows: Vec<[String; 9]> = list
        .iter()
        .map(|t| {
            let stats = t.stats.as_ref().filter(|s| s.runs > 0);
            [
                t.id.clone(),
                t.name.clone(),
                t.sector.clone().unwrap_or_else(|| "-".into()),
                t.risk_level.clone().unwrap_or_else(|| "-".into()),
                roi_text(t),
                stats.map_or("-".into(), |s| format!("{:.0}%", s.success_rate * 100.0)),
                stats.map_or("-".into(), |s| format!("${:.4}", s.avg_cost_usd)),
                stats.map_or("0".into(), |s| s.runs.to_string()),
                if t.badges.is_empty() {
                    "-".into()
                } else {
                    t.badges.join(",")
                },
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(str::to_string));
    for row in &rows {
        out.push_str(&line(row));
    }
    let estimates = list.iter().filter(|t| t.roi_is_estimate).count();
    out.push_str(&format!(
        "{} template(s){}\n",
        list.len(),
        if estimates > 0 {
            format!("; (est.) = declared estimate, no measured runs yet ({estimates})")
        } else {
            String::new()
        }
    ));
    out
}

/// The text of `templates show`.
pub fn show(d: &TemplateDetail) -> String {
    let t = &d.summary;
    let mut out = String::new();
    let mut field = |name: &str, value: String| out.push_str(&format!("{name:<15} {value}\n"));
    field("id", t.id.clone());
    field("name", t.name.clone());
    field("sector", t.sector.clone().unwrap_or_default());
    field("goal", t.goal.clone().unwrap_or_default());
    field("required depts", t.required_depts.join(", "));
    field("tags", t.tags.join(", "));
    field(
        "risk",
        match (&t.risk, &t.risk_level) {
            (Some(declared), Some(shown)) if declared != shown => {
                format!("{shown} (derived from history; declared {declared})")
            }
            (declared, shown) => shown.clone().or(declared.clone()).unwrap_or_default(),
        },
    );
    field("roi", roi_text(t));
    field("value", t.value_usd.map_or("-".into(), |v| format!("${v}")));
    match t.stats.as_ref().filter(|s| s.runs > 0) {
        Some(s) => {
            field(
                "runs",
                format!(
                    "{} (success {:.0}%, avg cost ${:.4}, avg profit ${:.2}, p50 {} ms, p95 {} ms)",
                    s.runs,
                    s.success_rate * 100.0,
                    s.avg_cost_usd,
                    s.avg_profit_usd,
                    s.p50_duration_ms,
                    s.p95_duration_ms
                ),
            );
            if let Some(at) = &s.last_run_at {
                field("last run", at.clone());
            }
        }
        None => field("runs", "none measured yet: figures are estimates".into()),
    }
    field(
        "badges",
        if t.badges.is_empty() {
            "-".into()
        } else {
            t.badges.join(", ")
        },
    );
    field("logic hash", t.logic_hash.clone());
    field(
        "file",
        format!("{} ({})", t.path.display(), t.source.as_str()),
    );
    for (name, text) in [
        ("description", &d.description),
        ("objective", &d.objective),
        ("done when", &d.done_definition),
        ("context", &d.context),
        ("constraints", &d.constraints),
    ] {
        if let Some(text) = text {
            out.push_str(&format!("\n{name}:\n"));
            for l in text.trim_end().lines() {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }
    out.push_str(&format!("\nsteps ({}):\n", d.steps.len()));
    for s in &d.steps {
        let after = if s.depends_on.is_empty() {
            String::new()
        } else {
            format!("  after {}", s.depends_on.join(", "))
        };
        out.push_str(&format!(
            "  {:<24} {:<12} {}{after}\n",
            s.id,
            s.step_type,
            s.name.as_deref().unwrap_or("")
        ));
    }
    out.push_str("\nlevels (steps of a level run in parallel):\n");
    for (i, level) in d.levels.iter().enumerate() {
        out.push_str(&format!("  {}: {}\n", i + 1, level.join(", ")));
    }
    if let Some(p) = &d.perimeter {
        out.push_str(&format!(
            "\nperimeter:\n  {}\n",
            serde_json::to_string(p).unwrap_or_default()
        ));
    }
    if !d.outputs.is_empty() {
        out.push_str(&format!("\noutputs: {}\n", d.outputs.join(", ")));
    }
    out
}

/// `mission run --template ID`: runs the indexed template's file with every flag of
/// `mission run FILE`. An unknown id is a usage error (exit 2).
pub fn run_template(id: &str, args: &cmd_run::RunArgs) -> u8 {
    let api = match cmd_run::open_api(args.data_dir.as_deref()) {
        Ok(api) => api,
        Err(c) => return c,
    };
    let summary = match api
        .template_registry()
        .and_then(|r| r.summary(id).map_err(ApiError::from))
    {
        Ok(s) => s,
        Err(e) => {
            let code = fail(&e);
            suggest(&api, id);
            return code;
        }
    };
    drop(api);
    let args = cmd_run::RunArgs {
        file: summary.path,
        ..args.clone()
    };
    cmd_run::run(&args)
}
