//! `mission audit [RUN_ID]`: the perimeter gate's decisions, one row per decision.

use std::io::Write;
use std::path::Path;

/// Prints the rows; exit code 0, or 1 when the data folder cannot be read.
pub fn audit(data_dir: Option<&Path>, run_id: Option<&str>, json: bool) -> u8 {
    let api = match crate::cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let rows = match api.audit(run_id) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let mut out = std::io::stdout().lock();
    let printed = if json {
        serde_json::to_string_pretty(&rows)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(out, "{text}"))
    } else if rows.is_empty() {
        writeln!(out, "no audit rows")
    } else {
        rows.iter().try_for_each(|r| {
            writeln!(
                out,
                "{} run {} step {}#{}: {} at {} check: {} ({} tool, {} mission, authorised by {}): {}",
                r.at,
                r.run_id,
                r.step_id,
                r.attempt,
                r.decision.as_str(),
                r.check.as_str(),
                r.tool,
                r.tool_sector,
                r.mission_sector,
                r.authorising_sector.as_deref().unwrap_or("-"),
                r.reason
            )
        })
    };
    if let Err(e) = printed {
        eprintln!("error: cannot write the audit rows: {e}");
        return 1;
    }
    0
}
