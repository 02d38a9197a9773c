//! Active missions: a template saved with the operator's perimeter and run inputs ("Quick
//! Deploy"), runnable later by id.
//!
//! **Identity.** An active mission is the triple (template id, perimeter, inputs). Its id is
//! `am-` followed by the first 16 hex digits of the SHA-256 of the canonical JSON of
//! `{"template_id", "perimeter", "inputs"}`, where the perimeter is written in its native form
//! with its lists sorted and deduplicated (the order of allowed tools or connected sectors does
//! not change what a run may do) and object keys sorted. Saving the same triple again returns
//! the existing active mission unchanged (its first name stays); a different name alone does
//! not make a new one.
//!
//! **Hard caps.** The perimeter is checked against the global hard caps (`<data dir>/
//! perimeter.yaml`) before anything is saved: a value looser than a cap is refused with an
//! error naming the field, the value and the cap — never clamped. Checked: every budget cap,
//! the approval mode and threshold, the sandbox, connected sectors (when the global level
//! lists them) and allowed tools the global level forbids. A cap the operator leaves unset is
//! inherited at run time (the three-level merge takes the smallest).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use studio_core::{ApprovalMode, Perimeter, Sandbox};
use studio_store::{ActiveRow, Saved, Store, StoreError};

/// A template saved with a perimeter and inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveMission {
    /// `am-` + 16 hex digits (see the module documentation).
    pub id: String,
    pub template_id: String,
    pub name: String,
    /// The operator's perimeter (canonical form: lists sorted).
    pub perimeter: Perimeter,
    /// Run inputs, read by the mission as `{{context.NAME}}`.
    pub inputs: BTreeMap<String, Value>,
    /// The template's logic hash when it was deployed.
    pub logic_hash: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One value of the perimeter that is looser than a global hard cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapViolation {
    /// The perimeter field, e.g. `budget.max_cost_usd`.
    pub field: String,
    /// The value asked for.
    pub value: String,
    /// The global hard cap it exceeds.
    pub cap: String,
}

impl fmt::Display for CapViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is {}, above the global hard cap {}",
            self.field, self.value, self.cap
        )?;
        match studio_core::perimeter::settings_field(&self.field) {
            Some(field) => write!(f, " ({field})"),
            None => Ok(()),
        }
    }
}

/// Why an active mission cannot be saved, found or run.
#[derive(Debug, thiserror::Error)]
pub enum ActiveError {
    #[error(
        "the perimeter exceeds the global hard caps: {}. Lower these values, or raise the caps \
         in Settings → Global hard caps (perimeter.yaml in the data folder)",
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    AboveCap(Vec<CapViolation>),
    #[error("invalid perimeter: {0}")]
    InvalidPerimeter(String),
    #[error("no template with id `{0}` in the library; `mission templates list` shows the ids")]
    UnknownTemplate(String),
    #[error("template `{id}` ({path}) is not valid and cannot be deployed; `mission validate {path}` says why")]
    InvalidTemplate { id: String, path: String },
    #[error("no active mission with id `{0}`; `mission active list` shows the ids")]
    NotFound(String),
    #[error("the stored active mission `{id}` cannot be read: {message}")]
    Corrupt { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The canonical form of a perimeter: lists sorted and deduplicated.
pub fn canonical_perimeter(perimeter: &Perimeter) -> Perimeter {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let mut p = perimeter.clone();
    p.connected_sectors = sorted(&p.connected_sectors);
    if let Some(tools) = &mut p.tools {
        tools.allowed = sorted(&tools.allowed);
        tools.forbidden = sorted(&tools.forbidden);
    }
    if let Some(approval) = &mut p.approval {
        approval.required_for = sorted(&approval.required_for);
    }
    if let Some(network) = &mut p.network {
        network.allowed_hosts = sorted(&network.allowed_hosts);
    }
    p
}

/// The id of the active mission of this template, perimeter and inputs.
pub fn active_id(
    template_id: &str,
    perimeter: &Perimeter,
    inputs: &BTreeMap<String, Value>,
) -> String {
    let doc = json!({
        "template_id": template_id,
        "perimeter": serde_json::to_value(canonical_perimeter(perimeter)).unwrap_or(Value::Null),
        "inputs": inputs,
    });
    let digest = Sha256::digest(studio_core::canonical::canonical_json(&doc).as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("am-{hex}")
}

fn strictness(mode: ApprovalMode) -> u8 {
    match mode {
        ApprovalMode::Auto => 0,
        ApprovalMode::Threshold => 1,
        ApprovalMode::Strict => 2,
    }
}

fn mode_name(mode: ApprovalMode) -> &'static str {
    match mode {
        ApprovalMode::Auto => "auto",
        ApprovalMode::Threshold => "threshold",
        ApprovalMode::Strict => "strict",
    }
}

/// Every value of `operator` looser than the global hard caps in `global` (empty when none).
pub fn cap_violations(operator: &Perimeter, global: &Perimeter) -> Vec<CapViolation> {
    let mut out = Vec::new();
    let mut push = |field: &str, value: String, cap: String| {
        out.push(CapViolation {
            field: field.to_string(),
            value,
            cap,
        })
    };
    if let (Some(b), Some(cap)) = (&operator.budget, &global.budget) {
        let floats = [
            ("budget.max_cost_usd", b.max_cost_usd, cap.max_cost_usd),
            (
                "budget.max_runtime_minutes",
                b.max_runtime_minutes,
                cap.max_runtime_minutes,
            ),
        ];
        for (field, value, cap) in floats {
            if let (Some(v), Some(c)) = (value, cap) {
                if v > c {
                    push(field, v.to_string(), c.to_string());
                }
            }
        }
        let ints = [
            ("budget.max_tokens", b.max_tokens, cap.max_tokens),
            ("budget.max_llm_calls", b.max_llm_calls, cap.max_llm_calls),
            ("budget.max_steps", b.max_steps, cap.max_steps),
        ];
        for (field, value, cap) in ints {
            if let (Some(v), Some(c)) = (value, cap) {
                if v > c {
                    push(field, v.to_string(), c.to_string());
                }
            }
        }
    }
    if let (Some(a), Some(cap)) = (&operator.approval, &global.approval) {
        if strictness(a.mode) < strictness(cap.mode) {
            push(
                "approval.mode",
                mode_name(a.mode).into(),
                mode_name(cap.mode).into(),
            );
        }
        if let (Some(v), Some(c)) = (a.threshold_usd, cap.threshold_usd) {
            if v > c {
                push("approval.threshold_usd", v.to_string(), c.to_string());
            }
        }
    }
    if global.sandbox == Some(Sandbox::ReadOnly) && operator.sandbox == Some(Sandbox::FullAccess) {
        push("sandbox", "full-access".into(), "read-only".into());
    }
    if !global.connected_sectors.is_empty() {
        for s in &operator.connected_sectors {
            if !global.connected_sectors.contains(s) {
                push(
                    "connected_sectors",
                    s.clone(),
                    format!("[{}]", global.connected_sectors.join(", ")),
                );
            }
        }
    }
    if let (Some(t), Some(cap)) = (&operator.tools, &global.tools) {
        for tool in &t.allowed {
            if cap.forbidden.contains(tool) {
                push(
                    "tools.allowed",
                    tool.clone(),
                    format!("forbidden: [{}]", cap.forbidden.join(", ")),
                );
            }
        }
    }
    out
}

/// Checks a perimeter's own values and then against the global hard caps.
pub fn check_perimeter(operator: &Perimeter, global: &Perimeter) -> Result<(), ActiveError> {
    studio_core::perimeter::check(operator)
        .map_err(|e| ActiveError::InvalidPerimeter(e.to_string()))?;
    let violations = cap_violations(operator, global);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ActiveError::AboveCap(violations))
    }
}

/// What [`deploy`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed {
    pub active: ActiveMission,
    /// False when the same template, perimeter and inputs were already saved.
    pub created: bool,
}

/// Saves `template_id` with `perimeter` and `inputs` as an active mission, after checking the
/// perimeter against `global` (the hard caps). The template must be indexed and valid.
pub fn deploy(
    store: &mut Store,
    template_id: &str,
    perimeter: &Perimeter,
    inputs: &BTreeMap<String, Value>,
    name: Option<&str>,
    global: &Perimeter,
) -> Result<Deployed, ActiveError> {
    check_perimeter(perimeter, global)?;
    let template = store
        .template_row(template_id)?
        .ok_or_else(|| ActiveError::UnknownTemplate(template_id.to_string()))?;
    if !template.record.valid {
        return Err(ActiveError::InvalidTemplate {
            id: template_id.to_string(),
            path: template.record.path,
        });
    }
    let perimeter = canonical_perimeter(perimeter);
    let id = active_id(template_id, &perimeter, inputs);
    let row = ActiveRow {
        active_id: id.clone(),
        template_id: template_id.to_string(),
        name: name
            .map(str::to_string)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| template.record.name.clone()),
        perimeter: serde_json::to_value(&perimeter).map_err(|e| ActiveError::Corrupt {
            id: id.clone(),
            message: e.to_string(),
        })?,
        inputs: serde_json::to_value(inputs).map_err(|e| ActiveError::Corrupt {
            id: id.clone(),
            message: e.to_string(),
        })?,
        logic_hash: template.record.logic_hash.clone(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let saved = store.insert_active(&row)?;
    let active = get(store, &id)?;
    Ok(Deployed {
        active,
        created: saved == Saved::Created,
    })
}

fn from_row(row: ActiveRow) -> Result<ActiveMission, ActiveError> {
    let corrupt = |e: serde_json::Error| ActiveError::Corrupt {
        id: row.active_id.clone(),
        message: e.to_string(),
    };
    let perimeter: Perimeter = serde_json::from_value(row.perimeter.clone()).map_err(corrupt)?;
    let inputs: BTreeMap<String, Value> =
        serde_json::from_value(row.inputs.clone()).map_err(corrupt)?;
    Ok(ActiveMission {
        id: row.active_id,
        template_id: row.template_id,
        name: row.name,
        perimeter,
        inputs,
        logic_hash: row.logic_hash,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// One active mission, or [`ActiveError::NotFound`].
pub fn get(store: &Store, id: &str) -> Result<ActiveMission, ActiveError> {
    let row = store
        .active(id)?
        .ok_or_else(|| ActiveError::NotFound(id.to_string()))?;
    from_row(row)
}

/// Every active mission, newest first.
pub fn list(store: &Store) -> Result<Vec<ActiveMission>, ActiveError> {
    store.list_active()?.into_iter().map(from_row).collect()
}

/// Edits an active mission in place: its name (kept when `None` or blank), perimeter and
/// inputs, after checking the perimeter against `global`. Its id, template and runs stay: the
/// id was derived from what was first saved, and an edit does not move the runs elsewhere.
pub fn update(
    store: &mut Store,
    id: &str,
    name: Option<&str>,
    perimeter: &Perimeter,
    inputs: &BTreeMap<String, Value>,
    global: &Perimeter,
) -> Result<ActiveMission, ActiveError> {
    check_perimeter(perimeter, global)?;
    let current = get(store, id)?;
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or(current.name, str::to_string);
    let corrupt = |e: serde_json::Error| ActiveError::Corrupt {
        id: id.to_string(),
        message: e.to_string(),
    };
    let perimeter = serde_json::to_value(canonical_perimeter(perimeter)).map_err(corrupt)?;
    let inputs = serde_json::to_value(inputs).map_err(corrupt)?;
    if !store.update_active(id, &name, &perimeter, &inputs)? {
        return Err(ActiveError::NotFound(id.to_string()));
    }
    get(store, id)
}

/// Deletes an active mission (its runs stay in the history), or [`ActiveError::NotFound`].
pub fn delete(store: &mut Store, id: &str) -> Result<(), ActiveError> {
    if store.delete_active(id)? {
        Ok(())
    } else {
        Err(ActiveError::NotFound(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studio_core::{Approval, Budget, ToolRules};

    fn budget(cost: f64, steps: u64) -> Perimeter {
        Perimeter {
            budget: Some(Budget {
                max_cost_usd: Some(cost),
                max_steps: Some(steps),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_id_ignores_list_order_and_changes_with_any_value() {
        let mut a = budget(1.0, 10);
        a.connected_sectors = vec!["Legal".into(), "Finance".into()];
        let mut b = budget(1.0, 10);
        b.connected_sectors = vec!["Finance".into(), "Legal".into(), "Legal".into()];
        let inputs = BTreeMap::from([("city".to_string(), json!("Lyon"))]);
        let id = active_id("t", &a, &inputs);
        assert!(id.starts_with("am-") && id.len() == 19, "{id}");
        assert_eq!(id, active_id("t", &b, &inputs));
        assert_ne!(id, active_id("t", &budget(1.5, 10), &inputs));
        assert_ne!(id, active_id("u", &a, &inputs));
        assert_ne!(id, active_id("t", &a, &BTreeMap::new()));
    }

    #[test]
    fn every_looser_value_is_named_with_its_cap() {
        let mut global = budget(10.0, 50);
        global.approval = Some(Approval {
            mode: ApprovalMode::Threshold,
            threshold_usd: Some(2.0),
            required_for: vec![],
        });
        global.sandbox = Some(Sandbox::ReadOnly);
        global.connected_sectors = vec!["Finance".into()];
        global.tools = Some(ToolRules {
            allowed: vec![],
            forbidden: vec!["command".into()],
        });
        let mut op = budget(25.0, 50);
        op.approval = Some(Approval {
            mode: ApprovalMode::Auto,
            threshold_usd: Some(5.0),
            required_for: vec![],
        });
        op.sandbox = Some(Sandbox::FullAccess);
        op.connected_sectors = vec!["Finance".into(), "Shadow".into()];
        op.tools = Some(ToolRules {
            allowed: vec!["http".into(), "command".into()],
            forbidden: vec![],
        });
        let v = cap_violations(&op, &global);
        let fields: Vec<&str> = v.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "budget.max_cost_usd",
                "approval.mode",
                "approval.threshold_usd",
                "sandbox",
                "connected_sectors",
                "tools.allowed"
            ]
        );
        assert_eq!((v[0].value.as_str(), v[0].cap.as_str()), ("25", "10"));
        let err = check_perimeter(&op, &global).unwrap_err().to_string();
        assert!(
            err.contains("`budget.max_cost_usd` is 25, above the global hard cap 10"),
            "{err}"
        );
        assert!(
            cap_violations(&budget(10.0, 3), &global).is_empty(),
            "equal is allowed"
        );
        assert!(cap_violations(&Perimeter::default(), &global).is_empty());
    }
}
