//! The app's Audit and Review pages: the gate's decisions across runs, filtered and paged
//! (what `mission audit` prints), and the Orchestrator's review queue with its resolve action
//! (what `mission review list|resolve` does). Transport types are camelCase over IPC.

use crate::active::{FlagStatus, ReviewFlag};
use crate::{ApiError, ErrorCode, StudioApi, TemplateQuery};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use studio_engine::audit::{AuditRecord, Check, Decision};
use ts_rs::TS;

/// The Audit page's filters and page; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "AuditQuery.ts")]
pub struct AuditQuery {
    /// A run id, or the start of one (case-insensitive).
    #[ts(optional)]
    pub run_id: Option<String>,
    /// `allowed`, `refused`, `denied`, or `approval` (every decision an approval rule applied
    /// to: approved or denied).
    #[ts(
        optional,
        type = "\"allowed\" | \"refused\" | \"denied\" | \"approval\""
    )]
    pub decision: Option<String>,
    /// The tool (step type or registry tool), exactly.
    #[ts(optional)]
    pub tool: Option<String>,
    /// RFC 3339 instants: decisions at or after / strictly before.
    #[ts(optional)]
    pub after: Option<String>,
    #[ts(optional)]
    pub before: Option<String>,
    /// Rows skipped (newest first), for paging.
    #[ts(optional)]
    pub offset: Option<u32>,
    /// At most this many rows (default 100, at most 1000).
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// One decision of the gate as the Audit page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "AuditRowDto.ts")]
pub struct AuditRowDto {
    pub at: String,
    pub run_id: String,
    pub mission_id: String,
    pub step_id: String,
    pub attempt: u32,
    pub tool: String,
    pub tool_sector: String,
    pub mission_sector: String,
    pub authorising_sector: Option<String>,
    #[ts(type = "\"allowed\" | \"refused\" | \"denied\"")]
    pub decision: String,
    /// The check that decided: `tool`, `sector`, `sandbox`, `budget` or `approval`.
    pub check: String,
    pub reason: String,
    pub trace_id: String,
    /// Who decided: the approver (`operator`, `approve-none`, …) for an approval, else `gate`.
    pub who: String,
}

/// A page of the gate's decisions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "AuditPage.ts")]
pub struct AuditPage {
    pub rows: Vec<AuditRowDto>,
    /// Rows that match the filters (the page holds `rows.len()` of them from `offset`).
    pub total: u32,
    pub offset: u32,
    /// Rows in all, before the filters.
    pub all: u32,
    /// Every tool that appears, for the tool filter.
    pub tools: Vec<String>,
}

/// One flag of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ReviewFlagDto.ts")]
pub struct ReviewFlagDto {
    pub flag_id: i64,
    pub template_id: String,
    /// The template's name when the library has it.
    pub template_name: Option<String>,
    pub step_id: Option<String>,
    /// The pattern, e.g. `repeated_step_failure`.
    pub pattern: String,
    /// Runs of the window in which the step failed, and runs in the window.
    pub failures: u32,
    pub window_runs: u32,
    /// The runs in which the step failed, newest first.
    pub run_ids: Vec<String>,
    #[ts(type = "\"open\" | \"acknowledged\" | \"resolved\"")]
    pub status: String,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

fn instant(field: &str, text: &Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("`{field}` is not an RFC 3339 instant ({t}): {e}"),
                )
            }),
    }
}

/// Whether an approval rule applied to the decision (an approver was asked, or had approved
/// this exact step earlier): every other allowed row's check is `approval` too, with the reason
/// "no approval needed".
fn asked_for_approval(r: &AuditRecord) -> bool {
    r.check == Check::Approval
        && match r.decision {
            Decision::Denied => true,
            Decision::Allowed => !r.reason.starts_with("no approval needed"),
            Decision::Refused => false,
        }
}

/// The approver named in an approval row's reason (`…; approved by X`, `…; denied by X`,
/// `…; nobody could be asked (X)`).
fn approver_in(reason: &str) -> Option<String> {
    for marker in ["; approved by ", "; denied by "] {
        if let Some(at) = reason.rfind(marker) {
            return Some(reason[at + marker.len()..].trim().to_string());
        }
    }
    reason
        .contains("nobody could be asked")
        .then(|| "nobody".to_string())
}

impl StudioApi {
    /// A page of the gate's decisions across runs (the Audit page), newest first.
    pub fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, ApiError> {
        let after = instant("after", &query.after)?;
        let before = instant("before", &query.before)?;
        let decision = match query.decision.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d @ ("allowed" | "refused" | "denied" | "approval")) => Some(d),
            Some(other) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("unknown decision `{other}`: use allowed, refused, denied or approval"),
                ))
            }
        };
        let run = query
            .run_id
            .as_deref()
            .map(|r| r.trim().to_ascii_lowercase())
            .filter(|r| !r.is_empty());
        let tool = query
            .tool
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());

        let mut rows = self.audit(None)?;
        let all = rows.len() as u32;
        let tools: Vec<String> = rows
            .iter()
            .map(|r| r.tool.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        rows.retain(|r| {
            let at = DateTime::parse_from_rfc3339(&r.at)
                .ok()
                .map(|d| d.with_timezone(&Utc));
            run.as_deref()
                .is_none_or(|p| r.run_id.to_ascii_lowercase().starts_with(p))
                && tool.is_none_or(|t| r.tool == t)
                && decision.is_none_or(|d| match d {
                    "approval" => asked_for_approval(r),
                    d => r.decision.as_str() == d,
                })
                && after.is_none_or(|a| at.is_some_and(|at| at >= a))
                && before.is_none_or(|b| at.is_some_and(|at| at < b))
        });
        // Newest first; of two rows at the same instant, the later one written first.
        rows.reverse();
        rows.sort_by(|a, b| b.at.cmp(&a.at));
        let total = rows.len() as u32;
        let offset = query.offset.unwrap_or(0).min(total);
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let page: Vec<AuditRecord> = rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let approvers = self.approvers_of(&page);
        let rows = page
            .into_iter()
            .map(|r| {
                let who = if asked_for_approval(&r) {
                    approvers
                        .get(&(r.run_id.clone(), r.step_id.clone()))
                        .cloned()
                        .or_else(|| approver_in(&r.reason))
                        .unwrap_or_else(|| "approver".to_string())
                } else {
                    "gate".to_string()
                };
                AuditRowDto {
                    at: r.at,
                    run_id: r.run_id,
                    mission_id: r.mission_id,
                    step_id: r.step_id,
                    attempt: r.attempt,
                    tool: r.tool,
                    tool_sector: r.tool_sector,
                    mission_sector: r.mission_sector,
                    authorising_sector: r.authorising_sector,
                    decision: r.decision.as_str().to_string(),
                    check: r.check.as_str().to_string(),
                    reason: r.reason,
                    trace_id: r.trace_id,
                    who,
                }
            })
            .collect();
        Ok(AuditPage {
            rows,
            total,
            offset,
            all,
            tools,
        })
    }

    /// Who answered each approval of the page's runs, by (run, step): the history's record.
    fn approvers_of(&self, rows: &[AuditRecord]) -> HashMap<(String, String), String> {
        let runs: BTreeSet<&str> = rows
            .iter()
            .filter(|r| asked_for_approval(r))
            .map(|r| r.run_id.as_str())
            .collect();
        let mut out = HashMap::new();
        for run in runs {
            for a in self.approvals(run).unwrap_or_default() {
                if let Some(by) = a.decided_by {
                    out.insert((a.run_id, a.step_id), by);
                }
            }
        }
        out
    }

    /// The review queue (the Review page): flags with this status (`None`: all), most recently
    /// updated first, with their templates' names.
    pub fn review_queue(&self, status: Option<&str>) -> Result<Vec<ReviewFlagDto>, ApiError> {
        let status = match status.map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(s) => Some(FlagStatus::parse(s).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("unknown status `{s}`: use open, acknowledged, resolved or all"),
                )
            })?),
        };
        let flags = self.review_flags(status)?;
        let names = self.template_names();
        Ok(flags.into_iter().map(|f| flag_dto(f, &names)).collect())
    }

    /// Resolves a flag of the review queue with an optional note; returns it as updated
    /// (`NotFound` for an unknown id).
    pub fn resolve_review_flag(
        &self,
        flag_id: i64,
        note: Option<&str>,
    ) -> Result<ReviewFlagDto, ApiError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let flag = self.resolve_flag(flag_id, note)?;
        Ok(flag_dto(flag, &self.template_names()))
    }

    fn template_names(&self) -> HashMap<String, String> {
        self.list_templates(&TemplateQuery::default())
            .map(|list| list.into_iter().map(|t| (t.id, t.name)).collect())
            .unwrap_or_default()
    }
}

fn flag_dto(f: ReviewFlag, names: &HashMap<String, String>) -> ReviewFlagDto {
    ReviewFlagDto {
        template_name: names.get(&f.template_id).cloned(),
        flag_id: f.flag_id,
        template_id: f.template_id,
        step_id: f.step_id,
        pattern: f.pattern,
        failures: f.failures,
        window_runs: f.window_runs,
        run_ids: f.run_ids,
        status: f.status,
        note: f.note,
        created_at: f.created_at,
        updated_at: f.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::approver_in;

    #[test]
    fn the_approver_is_read_from_an_approval_reason() {
        assert_eq!(
            approver_in("command steps need approval; denied by approve-none").as_deref(),
            Some("approve-none")
        );
        assert_eq!(
            approver_in("over 5 USD; approved by operator").as_deref(),
            Some("operator")
        );
        assert_eq!(
            approver_in("approval_unavailable: x; nobody could be asked (no approver)").as_deref(),
            Some("nobody")
        );
        assert_eq!(approver_in("within the budget"), None);
    }
}
