//! The agency perimeter as the engine enforces it (DESIGN §6): what a run may spend and touch.
//!
//! Three levels give a [`Perimeter`] each: the global hard caps (settings), the template's
//! defaults (the mission file) and the operator's choices (`--perimeter FILE`, the app's Quick
//! Deploy). [`merge`] combines them so that a lower level can only **tighten** what is above it:
//! every cap is the smallest given, the strictest approval mode wins, read-only wins over
//! full-access, forbidden tools add up, allowed-tool lists intersect.
//!
//! Connected sectors are different: a mission cannot connect itself. The operator grants
//! connections; the global and template lists, when given, only bound what the operator may
//! grant.
//!
//! The mission-pack form (`budget: {maxSteps, maxTokens, maxTimeMinutes}`, `approval:
//! none|on-request|always`, `sandbox`) and the Mission Envelope form (`constraints:
//! {allowed_tools, forbidden_tools, approval_required}`, `budget: {max_runtime_minutes,
//! max_llm_calls, max_cost_usd}`) map onto the same model ([`PackGovernance`],
//! [`EnvelopeGovernance`]); [`parse_perimeter`] reads any of the three forms.
//!
//! Over 800 lines only with its unit tests (the code itself is under 500; the imported forms and
//! the file reader are in `perimeter/`).

use crate::mission::{Approval, ApprovalMode, Budget, NetworkRules, Perimeter, Sandbox, ToolRules};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

mod forms;
mod parse;
pub use forms::*;
pub use parse::*;

/// The approval threshold used when a form asks for approvals "on request" without an amount.
pub const DEFAULT_THRESHOLD_USD: f64 = 1.0;

/// The perimeter a run is held to, after [`merge`]. Every field is final: `None` caps mean
/// "no cap at any level".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EffectivePerimeter {
    pub budget: Budget,
    pub approval: Approval,
    pub sandbox: Sandbox,
    /// Empty = every tool not forbidden.
    pub allowed_tools: BTreeSet<String>,
    pub forbidden_tools: BTreeSet<String>,
    /// Sectors whose tools the run may call besides its own and `common`.
    pub connected_sectors: BTreeSet<String>,
    /// Folders outside the workspace that repository steps may work in (absolute paths).
    #[serde(default)]
    pub roots: BTreeSet<String>,
    /// Hosts network steps may reach, as globs ([`host_allowed`]); empty = any host.
    #[serde(default)]
    pub allowed_hosts: BTreeSet<String>,
    /// OpenSSH `known_hosts` lines the operator trusts (`ssh_execute`).
    #[serde(default)]
    pub trusted_host_keys: Vec<String>,
}

/// The marker of an allow list that intersected to nothing: it matches no tool and no host.
pub const NOTHING_ALLOWED: &str = "(none)";

impl EffectivePerimeter {
    /// Whether the perimeter lets a tool (a step type or a registry tool name) be called, and if
    /// not, why.
    pub fn tool_refusal(&self, tool: &str) -> Option<String> {
        if self.forbidden_tools.contains(tool) {
            Some(format!("tool `{tool}` is forbidden by the perimeter"))
        } else if !self.allowed_tools.is_empty() && !self.allowed_tools.contains(tool) {
            Some(format!(
                "tool `{tool}` is not in the perimeter's allowed tools ({})",
                self.allowed_tools
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        }
    }

    /// Whether the perimeter lets a step reach `host` (on `port`, when known), and if not, why.
    pub fn host_refusal(&self, host: &str, port: Option<u16>) -> Option<String> {
        if self.allowed_hosts.is_empty() || host_allowed(&self.allowed_hosts, host, port) {
            return None;
        }
        let shown = match port {
            Some(p) if host.contains(':') => format!("[{host}]:{p}"),
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Some(format!(
            "host `{shown}` is not in the perimeter's allowed hosts ({})",
            self.allowed_hosts
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// The perimeter as readable text (for `constraints.md` and the LLM system message).
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        let b = &self.budget;
        let cap = |v: Option<String>| v.unwrap_or_else(|| "no cap".into());
        lines.push(format!(
            "- budget: cost {} USD, tokens {}, LLM calls {}, steps (attempts) {}, runtime {} min",
            cap(b.max_cost_usd.map(|v| format!("{v}"))),
            cap(b.max_tokens.map(|v| v.to_string())),
            cap(b.max_llm_calls.map(|v| v.to_string())),
            cap(b.max_steps.map(|v| v.to_string())),
            cap(b.max_runtime_minutes.map(|v| format!("{v}"))),
        ));
        let mode = match self.approval.mode {
            ApprovalMode::Strict => "strict (every step with side effects)".to_string(),
            ApprovalMode::Threshold => match self.approval.threshold_usd {
                Some(t) => format!("threshold (estimated cost ≥ {t} USD)"),
                None => "threshold (listed tools only)".to_string(),
            },
            ApprovalMode::Auto => "auto (none)".to_string(),
        };
        lines.push(format!("- approval: {mode}"));
        if !self.approval.required_for.is_empty() {
            lines.push(format!(
                "- approval required for: {}",
                self.approval.required_for.join(", ")
            ));
        }
        lines.push(format!(
            "- sandbox: {}",
            match self.sandbox {
                Sandbox::ReadOnly => "read-only (no effects outside the workspace)",
                Sandbox::FullAccess => "full-access",
            }
        ));
        let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        if !self.allowed_tools.is_empty() {
            lines.push(format!("- allowed tools: {}", join(&self.allowed_tools)));
        }
        if !self.forbidden_tools.is_empty() {
            lines.push(format!(
                "- forbidden tools: {}",
                join(&self.forbidden_tools)
            ));
        }
        if !self.connected_sectors.is_empty() {
            lines.push(format!(
                "- connected sectors: {}",
                join(&self.connected_sectors)
            ));
        }
        if !self.roots.is_empty() {
            lines.push(format!(
                "- folders granted outside the workspace (repository steps): {}",
                join(&self.roots)
            ));
        }
        if !self.allowed_hosts.is_empty() {
            lines.push(format!(
                "- network: only these hosts: {}",
                join(&self.allowed_hosts)
            ));
        }
        if !self.trusted_host_keys.is_empty() {
            lines.push(format!(
                "- trusted SSH host keys: {}",
                self.trusted_host_keys
                    .iter()
                    .map(|k| known_hosts_summary(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        lines.join("\n")
    }

    /// Back to the file form (for `mission.yaml` of the evidence folder).
    pub fn to_perimeter(&self) -> Perimeter {
        Perimeter {
            budget: Some(self.budget.clone()),
            approval: Some(self.approval.clone()),
            sandbox: Some(self.sandbox),
            tools: Some(ToolRules {
                allowed: self.allowed_tools.iter().cloned().collect(),
                forbidden: self.forbidden_tools.iter().cloned().collect(),
            }),
            connected_sectors: self.connected_sectors.iter().cloned().collect(),
            roots: self.roots.iter().cloned().collect(),
            network: (!self.allowed_hosts.is_empty() || !self.trusted_host_keys.is_empty()).then(
                || NetworkRules {
                    allowed_hosts: self.allowed_hosts.iter().cloned().collect(),
                    trusted_host_keys: self.trusted_host_keys.clone(),
                },
            ),
        }
    }
}

/// A `known_hosts` line as shown: its host names and key type, not the key itself.
fn known_hosts_summary(line: &str) -> String {
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(hosts), Some(kind)) => format!("{hosts} ({kind})"),
        _ => line.trim().to_string(),
    }
}

/// A host pattern split into its name (lower case, IPv6 without brackets) and its port.
fn split_pattern(pattern: &str) -> (String, Option<u16>) {
    let p = pattern.trim();
    if let Some(rest) = p.strip_prefix('[') {
        if let Some((name, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|s| s.parse().ok());
            return (name.to_ascii_lowercase(), port);
        }
    }
    match p.rsplit_once(':') {
        // One colon: `name:port`; more: a bare IPv6 address.
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name.to_ascii_lowercase(), Some(port)),
            Err(_) => (p.to_ascii_lowercase(), None),
        },
        _ => (p.to_ascii_lowercase(), None),
    }
}

/// Whether a host name matches a name glob: `*` is any host; `*.suffix` any name that ends
/// with `.suffix` (`a.internal`, `b.a.internal`, not `internal`); else the same name (case
/// insensitive).
fn name_matches(glob: &str, host: &str) -> bool {
    if glob == "*" {
        return true;
    }
    match glob.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        None => glob == host,
    }
}

/// Whether `host` (a name or an address; IPv6 without brackets) on `port` matches one of the
/// patterns (`api.example.com`, `*.internal`, `127.0.0.1:8080`, `[::1]`). A pattern with a port
/// matches only that port; the [`NOTHING_ALLOWED`] marker matches nothing.
pub fn host_allowed<'a>(
    patterns: impl IntoIterator<Item = &'a String>,
    host: &str,
    port: Option<u16>,
) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    patterns.into_iter().any(|pattern| {
        let (name, want) = split_pattern(pattern);
        name_matches(&name, &host) && want.is_none_or(|w| Some(w) == port)
    })
}

/// Whether every host `inner` matches is also matched by `outer` (both patterns).
fn pattern_within(inner: &str, outer: &str) -> bool {
    let (iname, iport) = split_pattern(inner);
    let (oname, oport) = split_pattern(outer);
    if oport.is_some() && oport != iport {
        return false;
    }
    if oname == "*" {
        return true;
    }
    match (iname.strip_prefix("*."), oname.strip_prefix("*.")) {
        // `*.a.b` lies within `*.b`; a wildcard never lies within a plain name.
        (Some(isuffix), Some(_)) => name_matches(&oname, isuffix) || iname == oname,
        (Some(_), None) => false,
        (None, _) => name_matches(&oname, &iname),
    }
}

/// Where the global hard caps are set in the app (its Settings page) and on disk.
pub const GLOBAL_CAPS_IN_SETTINGS: &str = "Settings → Global hard caps";
/// The file of the global hard caps in the data folder.
pub const GLOBAL_CAPS_FILE: &str = "perimeter.yaml";

/// The field of the Settings page that sets a global hard cap, for messages that say what to
/// raise: `max_tokens` (or `budget.max_tokens`) → `Settings → Global hard caps → Tokens`.
pub fn settings_field(field: &str) -> Option<String> {
    let label = match field.strip_prefix("budget.").unwrap_or(field) {
        "max_cost_usd" => "Cost",
        "max_tokens" => "Tokens",
        "max_llm_calls" => "LLM calls",
        "max_steps" => "Steps",
        "max_runtime_minutes" => "Runtime",
        "approval.mode" => "Approval mode",
        "approval.threshold_usd" => "Approval threshold",
        "sandbox" => "Sandbox",
        "connected_sectors" => "Connected sectors",
        "tools.allowed" | "tools.forbidden" => "Forbidden tools",
        _ => return None,
    };
    Some(format!("{GLOBAL_CAPS_IN_SETTINGS} → {label}"))
}

/// Combines the three levels; each can only tighten what is above it.
pub fn merge(global: &Perimeter, template: &Perimeter, operator: &Perimeter) -> EffectivePerimeter {
    let levels = [global, template, operator];
    let budgets: Vec<&Budget> = levels.iter().filter_map(|p| p.budget.as_ref()).collect();
    let min_f = |get: fn(&Budget) -> Option<f64>| {
        budgets
            .iter()
            .filter_map(|b| get(b))
            .filter(|v| !v.is_nan())
            .reduce(f64::min)
    };
    let min_u = |get: fn(&Budget) -> Option<u64>| budgets.iter().filter_map(|b| get(b)).min();
    let budget = Budget {
        max_cost_usd: min_f(|b| b.max_cost_usd).map(|v| v.max(0.0)),
        max_tokens: min_u(|b| b.max_tokens),
        max_llm_calls: min_u(|b| b.max_llm_calls),
        max_steps: min_u(|b| b.max_steps),
        max_runtime_minutes: min_f(|b| b.max_runtime_minutes),
    };

    let approvals: Vec<&Approval> = levels.iter().filter_map(|p| p.approval.as_ref()).collect();
    let mode = approvals
        .iter()
        .map(|a| a.mode)
        .max_by_key(|m| strictness(*m))
        .unwrap_or(ApprovalMode::Auto);
    let threshold_usd = approvals
        .iter()
        .filter_map(|a| a.threshold_usd)
        .filter(|v| !v.is_nan())
        .reduce(f64::min);
    let mut required_for: Vec<String> = Vec::new();
    for a in &approvals {
        for t in &a.required_for {
            if !required_for.contains(t) {
                required_for.push(t.clone());
            }
        }
    }
    let approval = Approval {
        mode,
        threshold_usd,
        required_for,
    };

    let sandbox = if levels.iter().any(|p| p.sandbox == Some(Sandbox::ReadOnly)) {
        Sandbox::ReadOnly
    } else {
        Sandbox::FullAccess
    };

    let mut forbidden_tools = BTreeSet::new();
    let mut allowed_tools: Option<BTreeSet<String>> = None;
    for rules in levels.iter().filter_map(|p| p.tools.as_ref()) {
        forbidden_tools.extend(rules.forbidden.iter().cloned());
        if !rules.allowed.is_empty() {
            let set: BTreeSet<String> = rules.allowed.iter().cloned().collect();
            allowed_tools = Some(match allowed_tools {
                None => set,
                Some(prev) => prev.intersection(&set).cloned().collect(),
            });
        }
    }
    // An allow list that intersects to nothing allows nothing: keep a marker that matches no tool.
    let allowed_tools = match allowed_tools {
        Some(set) if set.is_empty() => BTreeSet::from([NOTHING_ALLOWED.to_string()]),
        Some(set) => set,
        None => BTreeSet::new(),
    };

    let mut connected_sectors: BTreeSet<String> =
        operator.connected_sectors.iter().cloned().collect();
    for bound in [global, template] {
        if !bound.connected_sectors.is_empty() {
            connected_sectors.retain(|s| bound.connected_sectors.contains(s));
        }
    }

    // Folders outside the workspace: granted by the operator only, inside the bounds that
    // Settings and the template set when they list any.
    let mut roots: BTreeSet<String> = operator.roots.iter().map(|r| clean_root(r)).collect();
    for bound in [global, template] {
        if !bound.roots.is_empty() {
            roots.retain(|r| {
                bound
                    .roots
                    .iter()
                    .any(|b| std::path::Path::new(r).starts_with(clean_root(b)))
            });
        }
    }

    // Hosts: every level that lists hosts bounds the others; a pattern stays when each of those
    // levels has one that covers it (so `*.internal` above and `db.internal` below give
    // `db.internal`). Lists that share nothing allow nothing.
    let host_lists: Vec<&Vec<String>> = levels
        .iter()
        .filter_map(|p| p.network.as_ref())
        .map(|n| &n.allowed_hosts)
        .filter(|l| !l.is_empty())
        .collect();
    let mut allowed_hosts = BTreeSet::new();
    for list in &host_lists {
        for pattern in list.iter() {
            let kept = host_lists
                .iter()
                .all(|other| other.iter().any(|o| pattern_within(pattern, o)));
            if kept {
                allowed_hosts.insert(pattern.trim().to_string());
            }
        }
    }
    if !host_lists.is_empty() && allowed_hosts.is_empty() {
        allowed_hosts.insert(NOTHING_ALLOWED.to_string());
    }
    // SSH host keys are trusted by the operator only, like roots.
    let trusted_host_keys = operator
        .network
        .as_ref()
        .map(|n| n.trusted_host_keys.clone())
        .unwrap_or_default();

    EffectivePerimeter {
        budget,
        approval,
        sandbox,
        allowed_tools,
        forbidden_tools,
        connected_sectors,
        roots,
        allowed_hosts,
        trusted_host_keys,
    }
}

/// A root as compared and shown: without a trailing `/` (the file system root stays `/`).
fn clean_root(root: &str) -> String {
    let trimmed = root.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

fn strictness(mode: ApprovalMode) -> u8 {
    match mode {
        ApprovalMode::Auto => 0,
        ApprovalMode::Threshold => 1,
        ApprovalMode::Strict => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(cost: Option<f64>, tokens: Option<u64>, steps: Option<u64>) -> Perimeter {
        Perimeter {
            budget: Some(Budget {
                max_cost_usd: cost,
                max_tokens: tokens,
                max_steps: steps,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn caps_take_the_smallest_value_at_any_level() {
        let e = merge(
            &budget(Some(10.0), None, Some(100)),
            &budget(Some(2.0), Some(5000), None),
            &budget(Some(50.0), Some(9000), Some(7)),
        );
        assert_eq!(
            e.budget.max_cost_usd,
            Some(2.0),
            "the operator cannot loosen"
        );
        assert_eq!(e.budget.max_tokens, Some(5000));
        assert_eq!(e.budget.max_steps, Some(7), "the operator can tighten");
        assert_eq!(e.budget.max_llm_calls, None);
    }

    #[test]
    fn approval_sandbox_and_tools_only_get_stricter() {
        let global = Perimeter {
            approval: Some(Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(5.0),
                required_for: vec!["http".into()],
            }),
            tools: Some(ToolRules {
                allowed: vec!["http".into(), "noop".into(), "command".into()],
                forbidden: vec!["delete_file".into()],
            }),
            ..Default::default()
        };
        let template = Perimeter {
            sandbox: Some(Sandbox::ReadOnly),
            tools: Some(ToolRules {
                allowed: vec!["noop".into(), "http".into()],
                forbidden: vec![],
            }),
            ..Default::default()
        };
        let operator = Perimeter {
            approval: Some(Approval::default()),
            sandbox: Some(Sandbox::FullAccess),
            tools: Some(ToolRules {
                allowed: vec![],
                forbidden: vec!["http".into()],
            }),
            ..Default::default()
        };
        let e = merge(&global, &template, &operator);
        assert_eq!(
            e.approval.mode,
            ApprovalMode::Threshold,
            "auto does not loosen"
        );
        assert_eq!(e.approval.threshold_usd, Some(5.0));
        assert_eq!(e.approval.required_for, vec!["http".to_string()]);
        assert_eq!(e.sandbox, Sandbox::ReadOnly);
        assert!(e.tool_refusal("noop").is_none());
        assert!(
            e.tool_refusal("command").is_some(),
            "not in the template's list"
        );
        assert!(
            e.tool_refusal("http").is_some(),
            "forbidden by the operator"
        );
        assert!(e.tool_refusal("delete_file").is_some());
    }

    #[test]
    fn disjoint_allow_lists_allow_nothing() {
        let a = Perimeter {
            tools: Some(ToolRules {
                allowed: vec!["noop".into()],
                forbidden: vec![],
            }),
            ..Default::default()
        };
        let b = Perimeter {
            tools: Some(ToolRules {
                allowed: vec!["http".into()],
                forbidden: vec![],
            }),
            ..Default::default()
        };
        let e = merge(&a, &b, &Perimeter::default());
        assert!(e.tool_refusal("noop").is_some() && e.tool_refusal("http").is_some());
    }

    #[test]
    fn a_mission_cannot_connect_itself_to_other_sectors() {
        let template = Perimeter {
            connected_sectors: vec!["Finance".into(), "Shadow".into()],
            ..Default::default()
        };
        let e = merge(&Perimeter::default(), &template, &Perimeter::default());
        assert!(e.connected_sectors.is_empty(), "only the operator connects");
        let operator = Perimeter {
            connected_sectors: vec!["Finance".into(), "Legal".into()],
            ..Default::default()
        };
        let e = merge(&Perimeter::default(), &template, &operator);
        assert_eq!(
            e.connected_sectors.iter().collect::<Vec<_>>(),
            vec!["Finance"],
            "the template bounds the grant"
        );
    }

    #[test]
    fn the_mission_pack_form_maps_onto_the_model() {
        let p = parse_perimeter(
            "budget:\n  maxSteps: 50\n  maxTokens: 100000\n  maxTimeMinutes: 30\napproval: on-request\nsandbox: read-only\n",
        )
        .unwrap();
        let b = p.budget.unwrap();
        assert_eq!(
            (b.max_steps, b.max_tokens, b.max_runtime_minutes),
            (Some(50), Some(100000), Some(30.0))
        );
        let a = p.approval.unwrap();
        assert_eq!(a.mode, ApprovalMode::Threshold);
        assert_eq!(a.threshold_usd, Some(DEFAULT_THRESHOLD_USD));
        assert_eq!(p.sandbox, Some(Sandbox::ReadOnly));
        for (text, mode) in [
            ("approval: none", ApprovalMode::Auto),
            ("approval: always", ApprovalMode::Strict),
        ] {
            assert_eq!(parse_perimeter(text).unwrap().approval.unwrap().mode, mode);
        }
    }

    #[test]
    fn the_envelope_form_maps_onto_the_model() {
        let p = parse_perimeter(
            r#"{"constraints": {"allowed_tools": ["http", "llm"], "forbidden_tools": ["command"],
                "approval_required": ["http"]},
                "budget": {"max_runtime_minutes": 10, "max_llm_calls": 5, "max_cost_usd": 0}}"#,
        )
        .unwrap();
        let b = p.budget.clone().unwrap();
        assert_eq!(b.max_runtime_minutes, Some(10.0));
        assert_eq!(b.max_llm_calls, Some(5));
        assert_eq!(b.max_cost_usd, None, "0 is the envelope's placeholder");
        let a = p.approval.clone().unwrap();
        assert_eq!(
            (a.mode, a.threshold_usd, a.required_for),
            (ApprovalMode::Threshold, None, vec!["http".to_string()])
        );
        let e = merge(&Perimeter::default(), &Perimeter::default(), &p);
        assert!(e.tool_refusal("command").is_some());
        assert!(e.tool_refusal("noop").is_some(), "not allowed");
        assert!(e.tool_refusal("llm").is_none());
    }

    #[test]
    fn the_native_form_reads_with_or_without_the_perimeter_key() {
        let a = parse_perimeter(
            "budget: {max_cost_usd: 0.5, max_llm_calls: 3}\nconnected_sectors: [Finance]\n",
        )
        .unwrap();
        let b = parse_perimeter("perimeter:\n  budget: {max_cost_usd: 0.5, max_llm_calls: 3}\n  connected_sectors: [Finance]\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.budget.unwrap().max_cost_usd, Some(0.5));
        assert!(matches!(
            parse_perimeter("budget: {max_cost_usd: -1}"),
            Err(PerimeterError::Value { .. })
        ));
        assert!(matches!(
            parse_perimeter("budgett: {}"),
            Err(PerimeterError::Shape { .. })
        ));
        assert!(matches!(
            parse_perimeter("[unclosed"),
            Err(PerimeterError::Syntax { .. })
        ));
    }

    #[test]
    fn every_perimeter_error_names_its_field_and_where_it_is() {
        let text = "perimeter:\n  budget:\n    max_cost_usd: -1\n";
        let e = parse_perimeter(text).unwrap_err();
        assert_eq!(e.field(), "perimeter.budget.max_cost_usd");
        assert_eq!(e.location().map(|l| (l.line, l.column)), Some((3, 19)));
        assert!(e.to_string().contains("line 3, column 19"), "{e}");
        let e =
            parse_perimeter("network:\n  allowed_hosts: [ok.example, \"http://x\"]\n").unwrap_err();
        assert_eq!(e.field(), "network.allowed_hosts[1]");
        assert_eq!(e.location().map(|l| l.line), Some(2));
        let e = parse_perimeter("budget: {max_tokens: many}").unwrap_err();
        assert_eq!(e.field(), "budget.max_tokens", "{e}");
        let e = parse_perimeter("7").unwrap_err();
        assert_eq!(
            e.location().map(|l| (l.line, l.column)),
            Some((1, 1)),
            "{e}"
        );
        let e = parse_perimeter("budget: {max_steps: 1}\n  bad: [").unwrap_err();
        assert!(
            matches!(
                e,
                PerimeterError::Syntax {
                    location: Some(_),
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn the_rendered_perimeter_names_every_rule() {
        let e = merge(
            &budget(Some(1.5), Some(100), None),
            &Perimeter::default(),
            &Perimeter {
                sandbox: Some(Sandbox::ReadOnly),
                ..Default::default()
            },
        );
        let text = e.render();
        assert!(
            text.contains("cost 1.5 USD") && text.contains("tokens 100"),
            "{text}"
        );
        assert!(text.contains("read-only"), "{text}");
    }

    #[test]
    fn every_budget_cap_names_its_settings_field() {
        assert_eq!(
            settings_field("max_tokens").as_deref(),
            Some("Settings → Global hard caps → Tokens")
        );
        assert_eq!(
            settings_field("budget.max_cost_usd").as_deref(),
            Some("Settings → Global hard caps → Cost")
        );
        for f in [
            "max_llm_calls",
            "max_steps",
            "max_runtime_minutes",
            "approval.mode",
        ] {
            assert!(settings_field(f).is_some(), "{f}");
        }
        assert_eq!(settings_field("nope"), None);
    }

    #[test]
    fn roots_are_granted_by_the_operator_only_and_bounded_by_the_levels_above() {
        let roots = |list: &[&str]| Perimeter {
            roots: list.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        };
        let none = Perimeter::default();
        // The operator grants; the template alone grants nothing.
        let e = merge(&none, &none, &roots(&["/srv/repos/app/"]));
        assert_eq!(e.roots, BTreeSet::from(["/srv/repos/app".to_string()]));
        assert!(merge(&none, &roots(&["/srv"]), &none).roots.is_empty());
        // Settings and the template bound the grant when they list roots.
        let e = merge(
            &roots(&["/srv/repos"]),
            &none,
            &roots(&["/srv/repos/app", "/home/me"]),
        );
        assert_eq!(e.roots, BTreeSet::from(["/srv/repos/app".to_string()]));
        let e = merge(
            &none,
            &roots(&["/srv/repos/lib"]),
            &roots(&["/srv/repos/app"]),
        );
        assert!(e.roots.is_empty());
        // A prefix that is not a parent folder does not bound.
        let e = merge(&roots(&["/srv/rep"]), &none, &roots(&["/srv/repos"]));
        assert!(e.roots.is_empty());
        let shown = merge(&none, &none, &roots(&["/srv/repos"])).render();
        assert!(shown.contains("/srv/repos"), "{shown}");
    }

    #[test]
    fn roots_must_be_absolute_paths_without_parent_steps() {
        for bad in ["repos/app", "/srv/../etc", "./x"] {
            let err = parse_perimeter(&format!("roots: [\"{bad}\"]\n")).unwrap_err();
            assert!(err.to_string().contains("absolute path"), "{bad}: {err}");
        }
        assert!(parse_perimeter("roots: [/srv/repos]\n").is_ok());
    }

    fn hosts(list: &[&str]) -> Perimeter {
        Perimeter {
            network: Some(NetworkRules {
                allowed_hosts: list.iter().map(|h| h.to_string()).collect(),
                trusted_host_keys: Vec::new(),
            }),
            ..Default::default()
        }
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn host_globs_match_names_addresses_and_ports() {
        let p = set(&["api.example.com", "*.internal", "127.0.0.1:8080", "[::1]"]);
        assert!(host_allowed(&p, "api.example.com", Some(443)));
        assert!(host_allowed(&p, "API.Example.com", None), "any case");
        assert!(!host_allowed(&p, "example.com", Some(443)));
        assert!(host_allowed(&p, "a.internal", Some(5432)));
        assert!(host_allowed(&p, "b.a.internal", None));
        assert!(!host_allowed(&p, "internal", None));
        assert!(!host_allowed(&p, "xinternal", None));
        assert!(host_allowed(&p, "127.0.0.1", Some(8080)));
        assert!(
            !host_allowed(&p, "127.0.0.1", Some(80)),
            "only the port named"
        );
        assert!(!host_allowed(&p, "127.0.0.1", None));
        assert!(host_allowed(&p, "::1", Some(9)));
        assert!(host_allowed(&p, "[::1]", Some(9)));
        assert!(host_allowed(&set(&["*"]), "anything.at.all", None));
        assert!(!host_allowed(&set(&[NOTHING_ALLOWED]), "none", None));
    }

    #[test]
    fn allowed_hosts_only_narrow_from_level_to_level() {
        let none = Perimeter::default();
        assert!(
            merge(&none, &none, &none).allowed_hosts.is_empty(),
            "any host"
        );
        // One level that lists hosts sets the list, whichever it is.
        let e = merge(&none, &hosts(&["*.internal"]), &none);
        assert_eq!(e.allowed_hosts, set(&["*.internal"]));
        // A wider level keeps the narrower patterns of the others.
        let e = merge(
            &hosts(&["*.internal", "api.example.com"]),
            &none,
            &hosts(&["db.internal", "*.a.internal", "evil.com"]),
        );
        assert_eq!(e.allowed_hosts, set(&["*.a.internal", "db.internal"]));
        let e = merge(
            &none,
            &hosts(&["api.example.com"]),
            &hosts(&["*.example.com"]),
        );
        assert_eq!(e.allowed_hosts, set(&["api.example.com"]));
        // Ports: a pattern with a port lies within the same name without one.
        let e = merge(&hosts(&["127.0.0.1"]), &none, &hosts(&["127.0.0.1:8080"]));
        assert_eq!(e.allowed_hosts, set(&["127.0.0.1:8080"]));
        // Disjoint lists allow nothing.
        let e = merge(&hosts(&["api.example.com"]), &none, &hosts(&["127.0.0.1"]));
        assert_eq!(e.allowed_hosts, set(&[NOTHING_ALLOWED]));
        assert!(e.host_refusal("127.0.0.1", Some(80)).is_some());
        let why = e.host_refusal("api.example.com", Some(443)).unwrap();
        assert!(
            why.contains("api.example.com:443") && why.contains(NOTHING_ALLOWED),
            "{why}"
        );
        // The file form keeps the list, so a merged perimeter merges again to the same.
        let again = merge(&e.to_perimeter(), &none, &none);
        assert_eq!(again.allowed_hosts, e.allowed_hosts);
    }

    #[test]
    fn trusted_host_keys_come_from_the_operator_only_and_are_rendered() {
        let key = "server.internal ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample";
        let keys = Perimeter {
            network: Some(NetworkRules {
                allowed_hosts: vec!["*.internal".into()],
                trusted_host_keys: vec![key.into()],
            }),
            ..Default::default()
        };
        let none = Perimeter::default();
        assert!(merge(&keys, &keys, &none).trusted_host_keys.is_empty());
        let e = merge(&none, &none, &keys);
        assert_eq!(e.trusted_host_keys, vec![key.to_string()]);
        let shown = e.render();
        assert!(shown.contains("only these hosts: *.internal"), "{shown}");
        assert!(shown.contains("server.internal (ssh-ed25519)"), "{shown}");
        assert!(
            !shown.contains("AAAAC3"),
            "the key itself is not shown: {shown}"
        );
        assert_eq!(e.to_perimeter().network, keys.network);
    }

    #[test]
    fn network_rules_read_from_a_file_and_bad_hosts_are_refused() {
        let p = parse_perimeter(
            "network:\n  allowed_hosts: [\"api.example.com\", \"*.internal\", \"127.0.0.1:8080\"]\n  trusted_host_keys: [\"h ssh-ed25519 AAAA\"]\n",
        )
        .unwrap();
        let n = p.network.unwrap();
        assert_eq!(n.allowed_hosts.len(), 3);
        assert_eq!(n.trusted_host_keys.len(), 1);
        for bad in [
            "https://api.example.com",
            "a*.internal",
            "api.*.com",
            "a b",
            "",
        ] {
            let text = format!("network:\n  allowed_hosts: [\"{bad}\"]\n");
            assert!(parse_perimeter(&text).is_err(), "{bad}");
        }
        assert!(
            parse_perimeter("network:\n  hosts: [a]\n").is_err(),
            "unknown field"
        );
    }
}
