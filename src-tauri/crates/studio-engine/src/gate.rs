//! The gate (DESIGN §6): every attempt of every step passes it before it runs. In order:
//!
//! 1. **tool** — allowed and not forbidden by the perimeter;
//! 2. **sector** — the tool's owning sector is the mission's, `common`, or connected by the
//!    operator;
//!
//!    2b. **network** — every host the step reaches ([`crate::hosts`]) matches
//!    `perimeter.network.allowed_hosts` (globs; an empty list allows any);
//! 3. **sandbox** — read-only refuses external side effects, and commands unless Landlock can
//!    confine them to the workspace;
//! 4. **budget** — the attempt's worst case is *reserved* (one step, the tool's cost, an LLM
//!    call's prompt and `max_tokens`, clamped to what is left) and settled after it ran;
//! 5. **approval** — strict: every step with side effects or that calls out (the network, a
//!    model, another program: [`crate::tools::Reach`]); threshold: estimated cost ≥ threshold
//!    or a tool in `required_for`; auto: none; a step's `approval: required` always asks. The
//!    decision is bound to the hash of the exact resolved step.
//!
//! Every decision writes exactly one [`AuditRecord`]. The gate is shared by the run's tasks; its
//! only lock guards the budget ledger and the set of approved step hashes.
//!
//! Over 800 lines only with its unit tests (the code itself is about 700): the checks stay in one
//! ordered function, so their order reads in one place.

use crate::approval::{ApprovalOutcome, ApprovalRequest, Approver};
use crate::audit::{AuditRecord, AuditSink, Check, Decision};
use crate::budget::{usd_to_micros_up, Ledger, LlmDemand, Overrun, Reservation, Spend};
use crate::sandbox::LandlockSupport;
use crate::tools::{Effects, SideEffects, ToolIdentity, COMMON_SECTOR};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use studio_core::perimeter::EffectivePerimeter;
use studio_core::{Approval, ApprovalMode, Sandbox, StepApproval};

/// The sector of a mission that declares none.
pub const DEFAULT_SECTOR: &str = "default";

/// One attempt asking to run.
#[derive(Debug, Clone, Copy)]
pub struct GateRequest<'a> {
    pub step_id: &'a str,
    pub step_type: &'a str,
    pub attempt: u32,
    pub tool: &'a ToolIdentity,
    /// Answered by a simulation override: no side effects, no cost.
    pub simulated: bool,
    /// Whether it starts a program (a `command` step or a tool made of one).
    pub runs_command: bool,
    pub step_approval: Option<StepApproval>,
    pub llm: Option<&'a LlmDemand>,
    /// The exact resolved step (parameters, or the prepared tool call): what an approval is
    /// bound to.
    pub params: &'a Value,
    /// What the operator is shown: the resolved parameters with secrets masked.
    pub preview: &'a Value,
    /// Model endpoints the step calls besides what its parameters name (see
    /// [`crate::governance::Prepared::endpoints`]): checked like the hosts of its parameters.
    pub endpoints: &'a [String],
}

/// Why an attempt may not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub check: Check,
    pub kind: RefusalKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Tool, sector or sandbox: the step fails.
    Refused,
    /// The budget is spent: the run ends `budget_exceeded`.
    BudgetExceeded,
    /// The operator said no: the step is skipped.
    Denied,
    /// Nobody could be asked: the step is skipped.
    Unavailable,
}

/// The gate's answer before any approval.
#[derive(Debug)]
pub enum Verdict {
    Allow(Reservation),
    Refuse(Refusal),
    /// Approval is needed: the budget is reserved meanwhile; pass this to [`Gate::decide`].
    Ask(Box<PendingAsk>),
}

/// An attempt waiting for approval.
#[derive(Debug)]
pub struct PendingAsk {
    pub reservation: Reservation,
    pub request: ApprovalRequest,
    row: Option<AuditRecord>,
}

/// Everything a gate is made of.
pub struct GateSetup {
    pub perimeter: EffectivePerimeter,
    pub mission_id: String,
    pub mission_sector: Option<String>,
    pub run_id: String,
    pub trace_id: String,
    pub approver: Arc<dyn Approver>,
    pub audit: Vec<Arc<dyn AuditSink>>,
    /// Hashes of steps approved in advance (e.g. by the app before the start).
    pub pre_approved: HashSet<String>,
    pub landlock: LandlockSupport,
}

pub struct Gate {
    perimeter: EffectivePerimeter,
    mission_id: String,
    mission_sector: String,
    run_id: String,
    trace_id: String,
    approver: Arc<dyn Approver>,
    audit: Vec<Arc<dyn AuditSink>>,
    approved: Mutex<HashSet<String>>,
    ledger: Ledger,
    landlock: LandlockSupport,
    /// Masks secrets in audit rows and approval previews.
    redact: Box<dyn Fn(&str) -> String + Send + Sync>,
    /// The global hard caps: a budget refusal at one of them says where to raise it.
    global_caps: studio_core::Budget,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("perimeter", &self.perimeter)
            .field("mission_sector", &self.mission_sector)
            .finish_non_exhaustive()
    }
}

/// `sha256:` of the exact resolved step: its id, type and parameters (canonical JSON).
pub fn step_hash(step_id: &str, step_type: &str, params: &Value) -> String {
    let mut h = Sha256::new();
    h.update(step_id.as_bytes());
    h.update([0]);
    h.update(step_type.as_bytes());
    h.update([0]);
    h.update(studio_core::canonical::canonical_json(params).as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl Gate {
    pub fn new(setup: GateSetup) -> Self {
        Self {
            ledger: Ledger::new(&setup.perimeter.budget),
            perimeter: setup.perimeter,
            mission_id: setup.mission_id,
            mission_sector: setup
                .mission_sector
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_SECTOR.to_string()),
            run_id: setup.run_id,
            trace_id: setup.trace_id,
            approver: setup.approver,
            audit: setup.audit,
            approved: Mutex::new(setup.pre_approved),
            landlock: setup.landlock,
            redact: Box::new(|s: &str| s.to_string()),
            global_caps: studio_core::Budget::default(),
        }
    }

    /// The global hard caps of the run (the top level of its perimeter): a budget refusal at
    /// one of them names the Settings field and the file that raise it.
    pub fn with_global_caps(mut self, caps: studio_core::Budget) -> Self {
        self.global_caps = caps;
        self
    }

    /// `(a global hard cap: raise Settings → Global hard caps → Tokens, or `max_tokens` in
    /// perimeter.yaml in the data folder)` when the refused cap is the global one.
    fn global_cap_note(&self, refusal: &crate::budget::BudgetRefusal) -> Option<String> {
        let b = &self.global_caps;
        let global = match refusal.cap {
            "max_steps" => b.max_steps,
            "max_llm_calls" => b.max_llm_calls,
            "max_tokens" => b.max_tokens,
            "max_cost_usd" => b.max_cost_usd.map(crate::budget::usd_to_micros_down),
            _ => None,
        }?;
        (global == refusal.amounts.limit).then(|| {
            let field = studio_core::perimeter::settings_field(refusal.cap)
                .unwrap_or_else(|| studio_core::perimeter::GLOBAL_CAPS_IN_SETTINGS.to_string());
            format!(
                " (a global hard cap: raise {field}, or `{}` in {} in the data folder)",
                refusal.cap,
                studio_core::perimeter::GLOBAL_CAPS_FILE
            )
        })
    }

    /// Masks secrets in what the gate writes (audit reasons, approval previews).
    pub fn with_redaction(
        mut self,
        redact: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        self.redact = Box::new(redact);
        self
    }

    pub fn perimeter(&self) -> &EffectivePerimeter {
        &self.perimeter
    }

    pub fn mission_sector(&self) -> &str {
        &self.mission_sector
    }

    /// What the run has spent so far.
    pub fn spent(&self) -> Spend {
        self.ledger.spent()
    }

    /// What the run has spent in LLM calls and money, or `None` while that is nothing (events
    /// then carry no spending without taking the ledger's lock).
    pub fn spending(&self) -> Option<Spend> {
        self.ledger.has_spent_money().then(|| self.ledger.spent())
    }

    pub fn overruns(&self) -> Vec<Overrun> {
        self.ledger.overruns()
    }

    /// Whether read-only command steps run confined.
    pub fn confines_commands(&self) -> bool {
        self.perimeter.sandbox == Sandbox::ReadOnly && self.landlock.enforced
    }

    /// Checks 1–5 for one attempt. `Allow` and `Refuse` are recorded at once; `Ask` is
    /// recorded by [`Gate::decide`].
    pub fn admit(&self, req: &GateRequest<'_>) -> Verdict {
        // 1. tool
        let type_refusal = (req.step_type != req.tool.name)
            .then(|| {
                self.perimeter
                    .forbidden_tools
                    .contains(req.step_type)
                    .then(|| {
                        format!(
                            "step type `{}` is forbidden by the perimeter",
                            req.step_type
                        )
                    })
            })
            .flatten();
        if let Some(reason) = type_refusal.or_else(|| self.perimeter.tool_refusal(&req.tool.name)) {
            return self.refuse(
                self.row(req, None),
                Check::Tool,
                RefusalKind::Refused,
                reason,
            );
        }
        // 2. sector
        let authorising = match self.authorising_sector(&req.tool.sector) {
            Ok(sector) => sector,
            Err(reason) => {
                return self.refuse(
                    self.row(req, None),
                    Check::Sector,
                    RefusalKind::Refused,
                    reason,
                )
            }
        };
        // 2b. network
        if let Some(reason) = self.network_refusal(req) {
            return self.refuse(
                self.row(req, None),
                Check::Network,
                RefusalKind::Refused,
                reason,
            );
        }
        // 3. sandbox
        if let Some(reason) = self.sandbox_refusal(req) {
            return self.refuse(
                self.row(req, None),
                Check::Sandbox,
                RefusalKind::Refused,
                reason,
            );
        }
        // 4. budget
        let base = Spend {
            steps: 1,
            cost_micros: if req.simulated {
                0
            } else {
                usd_to_micros_up(req.tool.cost_usd)
            },
            ..Default::default()
        };
        let llm = if req.simulated { None } else { req.llm };
        let reservation = match self.ledger.reserve(base, llm) {
            Ok(r) => r,
            Err(refusal) => {
                let note = self.global_cap_note(&refusal).unwrap_or_default();
                return self.refuse(
                    self.row(req, None),
                    Check::Budget,
                    RefusalKind::BudgetExceeded,
                    format!("{refusal}{note}"),
                );
            }
        };
        // 5. approval
        let cost_usd = reservation.amount.cost_usd();
        let Some(why) = self.approval_rule(req, cost_usd) else {
            return self.allow(
                self.row(req, Some(authorising)),
                reservation,
                Check::Approval,
                "no approval needed",
            );
        };
        let hash = step_hash(req.step_id, req.step_type, req.params);
        if self.is_approved(&hash) {
            return self.allow(
                self.row(req, Some(authorising)),
                reservation,
                Check::Approval,
                &format!("{why}; approved earlier for this exact step"),
            );
        }
        let preview: Value =
            serde_json::from_str(&(self.redact)(&req.preview.to_string())).unwrap_or(Value::Null);
        let request = ApprovalRequest {
            run_id: self.run_id.clone(),
            mission_id: self.mission_id.clone(),
            step_id: req.step_id.to_string(),
            step_type: req.step_type.to_string(),
            tool: req.tool.name.to_string(),
            tool_sector: req.tool.sector.to_string(),
            side_effects: if req.simulated {
                SideEffects::None
            } else {
                req.tool.side_effects
            }
            .as_str()
            .to_string(),
            estimated_cost_usd: cost_usd,
            why,
            preview,
            step_hash: hash,
        };
        Verdict::Ask(Box::new(PendingAsk {
            reservation,
            request,
            row: self.row(req, Some(authorising)),
        }))
    }

    /// Asks the approver and waits. Approved: the reservation stands and the step's hash is
    /// remembered (a retry of the same step is not asked again). Otherwise the reservation is
    /// released. Either way one audit row is written.
    pub async fn decide(&self, ask: Box<PendingAsk>) -> Result<Reservation, Refusal> {
        let PendingAsk {
            reservation,
            request,
            row,
        } = *ask;
        let expected = request.step_hash.clone();
        let why = request.why.clone();
        let decision = self.approver.decide(request).await;
        let by = (self.redact)(&decided_by(&decision.by, decision.note.as_deref()));
        match decision.outcome {
            ApprovalOutcome::Approved if decision.step_hash == expected => {
                self.approved
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(expected);
                match self.allow(
                    row,
                    reservation,
                    Check::Approval,
                    &format!("{why}; approved by {by}"),
                ) {
                    Verdict::Allow(r) => Ok(r),
                    _ => unreachable!("allow always allows"),
                }
            }
            outcome => {
                self.ledger.release(&reservation);
                let (kind, reason) = match outcome {
                    ApprovalOutcome::Approved => (
                        RefusalKind::Denied,
                        format!(
                            "approval_denied: the approval was given for another step (hash {}), not this one",
                            decision.step_hash
                        ),
                    ),
                    ApprovalOutcome::Denied => (
                        RefusalKind::Denied,
                        format!("approval_denied: {why}; denied by {by}"),
                    ),
                    ApprovalOutcome::Unavailable => (
                        RefusalKind::Unavailable,
                        format!("approval_unavailable: {why}; nobody could be asked ({by})"),
                    ),
                };
                if let Some(mut row) = row {
                    row.authorising_sector = None;
                    row.decision = Decision::Denied;
                    row.check = Check::Approval;
                    row.reason = (self.redact)(&reason);
                    self.record(row);
                }
                Err(Refusal {
                    check: Check::Approval,
                    kind,
                    reason,
                })
            }
        }
    }

    /// Reserves one model turn of an `agent` or `chain` step (its worst case: the prompt and
    /// `max_tokens`, clamped to what the caps leave) before it is sent. The step itself passed
    /// the gate; its turns are budget only, with no audit row of their own (each tool call
    /// the model makes is gated and audited as a sub-step).
    pub fn reserve_model_turn(&self, demand: &LlmDemand) -> Result<Reservation, Refusal> {
        self.ledger
            .reserve(Spend::default(), Some(demand))
            .map_err(|refusal| {
                let note = self.global_cap_note(&refusal).unwrap_or_default();
                Refusal {
                    check: Check::Budget,
                    kind: RefusalKind::BudgetExceeded,
                    reason: format!("{refusal}{note}"),
                }
            })
    }

    /// Records the refusal of a call an agent's model made to a tool it was not offered: the
    /// call never reaches the checks (nothing is known of the tool), yet it is audited.
    pub fn refuse_unoffered(&self, step_id: &str, tool: &str, reason: &str) -> Refusal {
        let identity = ToolIdentity {
            name: std::borrow::Cow::Owned(tool.to_string()),
            sector: std::borrow::Cow::Borrowed(crate::tools::COMMON_SECTOR),
            side_effects: SideEffects::None,
            reach: crate::tools::Reach::Outside,
            cost_usd: 0.0,
        };
        let req = GateRequest {
            step_id,
            step_type: tool,
            attempt: 1,
            tool: &identity,
            simulated: false,
            runs_command: false,
            step_approval: None,
            llm: None,
            params: &Value::Null,
            preview: &Value::Null,
            endpoints: &[],
        };
        match self.refuse(
            self.row(&req, None),
            Check::Tool,
            RefusalKind::Refused,
            reason.to_string(),
        ) {
            Verdict::Refuse(r) => r,
            _ => unreachable!("refuse always refuses"),
        }
    }

    /// Ends an attempt's reservation with what it used (see [`Ledger::settle`]).
    pub fn settle(&self, reservation: &Reservation, llm_used: Option<Spend>) -> Option<Overrun> {
        self.ledger.settle(reservation, llm_used)
    }

    /// Gives back a reservation whose attempt never ran.
    pub fn release(&self, reservation: &Reservation) {
        self.ledger.release(reservation)
    }

    fn is_approved(&self, hash: &str) -> bool {
        self.approved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(hash)
    }

    fn authorising_sector(&self, tool_sector: &str) -> Result<&str, String> {
        if tool_sector.eq_ignore_ascii_case(COMMON_SECTOR) {
            return Ok(COMMON_SECTOR);
        }
        if tool_sector.eq_ignore_ascii_case(&self.mission_sector) {
            return Ok(&self.mission_sector);
        }
        if self
            .perimeter
            .connected_sectors
            .iter()
            .any(|s| s.eq_ignore_ascii_case(tool_sector))
        {
            // The mission's sector authorises it through the operator's connection.
            return Ok(&self.mission_sector);
        }
        Err(format!(
            "sector isolation: a {} mission cannot call a {} tool unless the operator connects {}",
            self.mission_sector, tool_sector, tool_sector
        ))
    }

    /// A host the step reaches that `perimeter.network.allowed_hosts` does not allow (none is
    /// judged when the list is empty, or for a simulated answer, which reaches nothing).
    fn network_refusal(&self, req: &GateRequest<'_>) -> Option<String> {
        if self.perimeter.allowed_hosts.is_empty() || req.simulated {
            return None;
        }
        crate::hosts::reached(req.step_type, req.params)
            .into_iter()
            .chain(req.endpoints.iter().map(|url| crate::hosts::from_url(url)))
            .find_map(|target| match target {
                crate::hosts::Target::Host { host, port } => self
                    .perimeter
                    .host_refusal(&host, port)
                    .map(|why| format!("network: `{}` {why}", req.step_type)),
                crate::hosts::Target::Unnamed(written) => Some(format!(
                    "network: `{}` names no host the gate can check (`{}`), and the perimeter allows only {}; give the connection as a URL with its host",
                    req.step_type,
                    (self.redact)(&written),
                    self.perimeter
                        .allowed_hosts
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            })
    }

    fn sandbox_refusal(&self, req: &GateRequest<'_>) -> Option<String> {
        if self.perimeter.sandbox != Sandbox::ReadOnly || req.simulated {
            return None;
        }
        if req.tool.side_effects == SideEffects::External {
            return Some(format!(
                "read-only sandbox: `{}` has external side effects",
                req.tool.name
            ));
        }
        if req.runs_command && !self.landlock.enforced {
            return Some(format!(
                "read-only sandbox: `{}` starts a program and Landlock is not available to confine it to the workspace",
                req.tool.name
            ));
        }
        None
    }

    fn approval_rule(&self, req: &GateRequest<'_>, cost_usd: f64) -> Option<String> {
        let effects = if req.simulated {
            Effects::SIMULATED
        } else {
            req.tool.effects()
        };
        approval_reason(
            &self.perimeter.approval,
            req.step_approval,
            &req.tool.name,
            req.step_type,
            effects,
            cost_usd,
        )
    }

    /// The audit row of a decision, when someone records them (no sinks: no work).
    fn row(&self, req: &GateRequest<'_>, authorising: Option<&str>) -> Option<AuditRecord> {
        if self.audit.is_empty() {
            return None;
        }
        Some(AuditRecord {
            run_id: self.run_id.clone(),
            mission_id: self.mission_id.clone(),
            step_id: req.step_id.to_string(),
            attempt: req.attempt,
            tool: req.tool.name.to_string(),
            tool_sector: req.tool.sector.to_string(),
            mission_sector: self.mission_sector.clone(),
            authorising_sector: authorising.map(str::to_string),
            decision: Decision::Allowed,
            check: Check::Approval,
            reason: String::new(),
            trace_id: self.trace_id.clone(),
            at: String::new(),
        })
    }

    fn allow(
        &self,
        row: Option<AuditRecord>,
        r: Reservation,
        check: Check,
        reason: &str,
    ) -> Verdict {
        if let Some(mut row) = row {
            row.decision = Decision::Allowed;
            row.check = check;
            row.reason = (self.redact)(reason);
            self.record(row);
        }
        Verdict::Allow(r)
    }

    fn refuse(
        &self,
        row: Option<AuditRecord>,
        check: Check,
        kind: RefusalKind,
        reason: String,
    ) -> Verdict {
        if let Some(mut row) = row {
            row.authorising_sector = None;
            row.decision = Decision::Refused;
            row.check = check;
            row.reason = (self.redact)(&reason);
            self.record(row);
        }
        Verdict::Refuse(Refusal {
            check,
            kind,
            reason,
        })
    }

    /// Records a row that is not a decision of the checks (a person's edit of the state),
    /// stamped now, in every sink of the run.
    pub(crate) fn record_audit(&self, row: &AuditRecord) {
        self.record(row.clone());
    }

    fn record(&self, mut row: AuditRecord) {
        row.at = crate::timefmt::rfc3339(crate::timefmt::now());
        for sink in &self.audit {
            if let Err(e) = sink.record(&row) {
                tracing::warn!("audit sink failed: {e}");
            }
        }
    }
}

/// Who decided, with the note they gave: `ui`, or `ui: "not on a Friday"`.
pub fn decided_by(by: &str, note: Option<&str>) -> String {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => format!("{by}: \"{note}\""),
        None => by.to_string(),
    }
}

/// Step 5 of the gate on its own: why an attempt of this step needs approval, or `None`.
/// `effects` are the tool's side effects and reach ([`Effects::SIMULATED`] for a simulated
/// call); `cost_usd` the attempt's estimated cost. The gate and the app's approval preview both
/// use this rule.
///
/// Strict asks for every step that changes something (side effects) or **calls out** (reaches
/// the network, a model or another program, [`crate::tools::Reach`]), even when it changes
/// nothing: an HTTP GET and a model call wait too.
pub fn approval_reason(
    approval: &Approval,
    step_approval: Option<StepApproval>,
    tool_name: &str,
    step_type: &str,
    effects: Effects,
    cost_usd: f64,
) -> Option<String> {
    if step_approval == Some(StepApproval::Required) {
        return Some("the step asks for approval".into());
    }
    match approval.mode {
        ApprovalMode::Auto => None,
        ApprovalMode::Strict if effects.side_effects != SideEffects::None => Some(format!(
            "strict approval: `{tool_name}` has {} side effects",
            effects.side_effects.as_str()
        )),
        ApprovalMode::Strict if effects.reach.calls_out() => Some(format!(
            "strict approval: `{tool_name}` calls out ({})",
            effects.reach.describe()
        )),
        mode => {
            if let Some(t) = approval
                .required_for
                .iter()
                .find(|t| t.as_str() == tool_name || t.as_str() == step_type)
            {
                return Some(format!("`{t}` is in approval.required_for"));
            }
            match (mode, approval.threshold_usd) {
                (ApprovalMode::Threshold, Some(t))
                    if cost_usd >= t && step_approval != Some(StepApproval::Never) =>
                {
                    Some(format!(
                        "threshold approval: estimated cost {cost_usd:.6} USD ≥ {t} USD"
                    ))
                }
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::{ApprovalDecision, ApproveAll, DecisionFuture, DenyAll, NoApprover};
    use crate::audit::CollectingAudit;
    use crate::tools::builtin_identity;
    use serde_json::json;
    use studio_core::{merge_perimeters, Approval, Budget, Perimeter, ToolRules};

    fn gate(
        perimeter: Perimeter,
        sector: &str,
        approver: Arc<dyn Approver>,
    ) -> (Gate, CollectingAudit) {
        let audit = CollectingAudit::new();
        let g = Gate::new(GateSetup {
            perimeter: merge_perimeters(&Perimeter::default(), &Perimeter::default(), &perimeter),
            mission_id: "m".into(),
            mission_sector: Some(sector.into()),
            run_id: "run".into(),
            trace_id: "trace".into(),
            approver,
            audit: vec![Arc::new(audit.clone())],
            pre_approved: HashSet::new(),
            landlock: LandlockSupport {
                abi: 0,
                enforced: false,
                network: false,
            },
        });
        (g, audit)
    }

    fn finance_tool() -> ToolIdentity {
        ToolIdentity {
            name: "place_order".into(),
            sector: "Finance".into(),
            side_effects: SideEffects::External,
            reach: crate::tools::Reach::Network,
            cost_usd: 0.02,
        }
    }

    fn req<'a>(
        id: &'a str,
        ty: &'a str,
        tool: &'a ToolIdentity,
        params: &'a Value,
    ) -> GateRequest<'a> {
        GateRequest {
            step_id: id,
            step_type: ty,
            attempt: 1,
            tool,
            simulated: false,
            runs_command: ty == "command",
            step_approval: None,
            llm: None,
            params,
            preview: params,
            endpoints: &[],
        }
    }

    #[test]
    fn a_security_mission_cannot_call_a_finance_tool() {
        let (g, audit) = gate(Perimeter::default(), "Security", Arc::new(ApproveAll));
        let tool = finance_tool();
        let p = json!({"symbol": "ACME"});
        let Verdict::Refuse(r) = g.admit(&req("buy", "tool", &tool, &p)) else {
            panic!("must be refused")
        };
        assert_eq!(r.check, Check::Sector);
        assert!(
            r.reason.contains("Security") && r.reason.contains("Finance"),
            "{}",
            r.reason
        );
        let rows = audit.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].tool_sector.as_str(),
                rows[0].mission_sector.as_str()
            ),
            ("Finance", "Security")
        );
        assert_eq!(rows[0].authorising_sector, None);
        assert_eq!(g.spent(), Spend::default(), "nothing reserved");
    }

    #[test]
    fn a_connected_sector_is_authorised_by_the_missions_sector() {
        let p = Perimeter {
            connected_sectors: vec!["finance".into()],
            ..Default::default()
        };
        let (g, audit) = gate(p, "Security", Arc::new(ApproveAll));
        let tool = finance_tool();
        let params = json!({});
        assert!(matches!(
            g.admit(&req("buy", "tool", &tool, &params)),
            Verdict::Allow(_)
        ));
        assert_eq!(
            audit.rows()[0].authorising_sector.as_deref(),
            Some("Security")
        );
    }

    #[test]
    fn forbidden_tools_and_the_read_only_sandbox_refuse_in_order() {
        let p = Perimeter {
            tools: Some(ToolRules {
                allowed: vec![],
                forbidden: vec!["delete_file".into()],
            }),
            sandbox: Some(Sandbox::ReadOnly),
            ..Default::default()
        };
        let (g, _) = gate(p, "Ops", Arc::new(ApproveAll));
        let params = json!({"method": "POST"});
        let del = builtin_identity("delete_file", &params);
        let Verdict::Refuse(r) = g.admit(&req("d", "delete_file", &del, &params)) else {
            panic!()
        };
        assert_eq!(r.check, Check::Tool);
        let post = builtin_identity("http", &params);
        let Verdict::Refuse(r) = g.admit(&req("p", "http", &post, &params)) else {
            panic!()
        };
        assert_eq!(r.check, Check::Sandbox);
        let cmd = builtin_identity("command", &params);
        let Verdict::Refuse(r) = g.admit(&req("c", "command", &cmd, &params)) else {
            panic!()
        };
        assert!(r.reason.contains("Landlock"), "{}", r.reason);
        let file = builtin_identity("create_file", &params);
        assert!(matches!(
            g.admit(&req("f", "create_file", &file, &params)),
            Verdict::Allow(_)
        ));
    }

    #[test]
    fn the_budget_refuses_the_attempt_past_the_cap() {
        let p = Perimeter {
            budget: Some(Budget {
                max_steps: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (g, audit) = gate(p, "Ops", Arc::new(ApproveAll));
        let noop = builtin_identity("noop", &json!({}));
        let params = json!({});
        let Verdict::Allow(r) = g.admit(&req("a", "noop", &noop, &params)) else {
            panic!()
        };
        g.settle(&r, None);
        let Verdict::Refuse(r) = g.admit(&req("b", "noop", &noop, &params)) else {
            panic!()
        };
        assert_eq!(r.kind, RefusalKind::BudgetExceeded);
        assert!(
            r.reason.starts_with("budget_exceeded: max_steps"),
            "{}",
            r.reason
        );
        assert_eq!(audit.rows().len(), 2);
    }

    fn strict() -> Perimeter {
        Perimeter {
            approval: Some(Approval {
                mode: ApprovalMode::Strict,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn strict_mode_asks_for_side_effects_and_remembers_the_exact_step() {
        let (g, audit) = gate(strict(), "Ops", Arc::new(ApproveAll));
        let params = json!({"path": "a.txt", "content": "x"});
        let file = builtin_identity("create_file", &params);
        let Verdict::Ask(ask) = g.admit(&req("w", "create_file", &file, &params)) else {
            panic!("strict asks")
        };
        assert_eq!(ask.request.preview, params);
        assert!(g.decide(ask).await.is_ok());
        // A retry of the very same step is not asked again…
        assert!(matches!(
            g.admit(&req("w", "create_file", &file, &params)),
            Verdict::Allow(_)
        ));
        // …but an edited one, or another step with the same parameters, is.
        let edited = json!({"path": "a.txt", "content": "y"});
        assert!(matches!(
            g.admit(&req("w", "create_file", &file, &edited)),
            Verdict::Ask(_)
        ));
        assert!(matches!(
            g.admit(&req("w2", "create_file", &file, &params)),
            Verdict::Ask(_)
        ));
        // Reads need nothing.
        let read = builtin_identity("read_file", &params);
        assert!(matches!(
            g.admit(&req("r", "read_file", &read, &params)),
            Verdict::Allow(_)
        ));
        assert_eq!(audit.rows().len(), 3, "asks are recorded when decided");
    }

    #[tokio::test]
    async fn strict_mode_asks_for_steps_that_call_out_even_when_they_change_nothing() {
        let (g, _) = gate(strict(), "Ops", Arc::new(ApproveAll));
        let get = json!({"url": "http://127.0.0.1:9/status"});
        for (ty, what) in [
            ("http", "the network"),
            ("llm", "a model"),
            ("command", "workspace side effects"),
        ] {
            let tool = builtin_identity(ty, &get);
            let Verdict::Ask(ask) = g.admit(&req(ty, ty, &tool, &get)) else {
                panic!("strict asks for `{ty}`")
            };
            assert!(ask.request.why.contains(what), "{}", ask.request.why);
            g.release(&ask.reservation);
        }
        // A simulation override sends nothing out: it runs without asking.
        let http = builtin_identity("http", &get);
        let mut simulated = req("sim", "http", &http, &get);
        simulated.simulated = true;
        assert!(matches!(g.admit(&simulated), Verdict::Allow(_)));
        // Local steps that change nothing do not ask.
        let parse = builtin_identity("parse_json", &get);
        assert!(matches!(
            g.admit(&req("p", "parse_json", &parse, &get)),
            Verdict::Allow(_)
        ));
    }

    struct DenyWithNote;
    impl Approver for DenyWithNote {
        fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
            Box::pin(async move {
                let mut d = ApprovalDecision::deny(&request, "ui");
                d.note = Some("not before the freeze ends".into());
                d
            })
        }
    }

    #[tokio::test]
    async fn a_denial_names_who_denied_and_their_note() {
        let (g, audit) = gate(strict(), "Ops", Arc::new(DenyWithNote));
        let params = json!({"url": "http://127.0.0.1:9/"});
        let http = builtin_identity("http", &params);
        let Verdict::Ask(ask) = g.admit(&req("h", "http", &http, &params)) else {
            panic!()
        };
        let err = g.decide(ask).await.unwrap_err();
        assert!(
            err.reason
                .ends_with("denied by ui: \"not before the freeze ends\""),
            "{}",
            err.reason
        );
        assert!(audit.rows()[0]
            .reason
            .contains("not before the freeze ends"));
    }

    struct WrongHash;
    impl Approver for WrongHash {
        fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
            Box::pin(async move {
                let mut d = ApprovalDecision::approve(&request, "operator");
                d.step_hash = "sha256:0000".into();
                d
            })
        }
    }

    #[tokio::test]
    async fn denials_and_approvals_for_another_step_release_the_budget() {
        for (approver, kind) in [
            (Arc::new(DenyAll) as Arc<dyn Approver>, RefusalKind::Denied),
            (Arc::new(NoApprover), RefusalKind::Unavailable),
            (Arc::new(WrongHash), RefusalKind::Denied),
        ] {
            let mut p = strict();
            p.budget = Some(Budget {
                max_steps: Some(1),
                ..Default::default()
            });
            let (g, audit) = gate(p, "Ops", approver);
            let params = json!({"command": "true"});
            let cmd = builtin_identity("create_file", &params);
            let Verdict::Ask(ask) = g.admit(&req("c", "create_file", &cmd, &params)) else {
                panic!()
            };
            let err = g.decide(ask).await.unwrap_err();
            assert_eq!(err.kind, kind, "{}", err.reason);
            let rows = audit.rows();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].decision, Decision::Denied);
            let noop = builtin_identity("noop", &params);
            assert!(
                matches!(
                    g.admit(&req("n", "noop", &noop, &params)),
                    Verdict::Allow(_)
                ),
                "the denied step's reservation was given back"
            );
        }
    }

    #[test]
    fn threshold_mode_asks_for_listed_tools_and_costly_steps() {
        let p = Perimeter {
            approval: Some(Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(0.01),
                required_for: vec!["http".into()],
            }),
            connected_sectors: vec!["Finance".into()],
            ..Default::default()
        };
        let (g, _) = gate(p, "Ops", Arc::new(ApproveAll));
        let params = json!({});
        let get = builtin_identity("http", &params);
        assert!(matches!(
            g.admit(&req("h", "http", &get, &params)),
            Verdict::Ask(_)
        ));
        let order = finance_tool();
        let Verdict::Ask(ask) = g.admit(&req("o", "tool", &order, &params)) else {
            panic!()
        };
        assert!(ask.request.why.contains("threshold"), "{}", ask.request.why);
        let mut cheap = order.clone();
        cheap.cost_usd = 0.001;
        assert!(matches!(
            g.admit(&req("o2", "tool", &cheap, &params)),
            Verdict::Allow(_)
        ));
    }
}
