//! Tools (DESIGN §5): every step type is a tool with an owning sector, side effects and a cost
//! estimate, and sector-owned tools live in a registry outside the missions — YAML files in
//! `missions/tools/` and `<data dir>/tools/`, one tool each — so a mission can never declare its
//! own permissions.
//!
//! A registry tool is called with `step_type: tool, parameters: {name, input}`; its `input` is
//! checked against the tool's `input_schema` (JSON Schema), then its `run` (exactly one of
//! `command`, `http`, `llm`) is filled in with `{{input}}`, `{{input.<path>}}` and
//! `{{env.NAME}}` and runs as that step type.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The sector of tools any mission may call.
pub const COMMON_SECTOR: &str = "common";

/// What a tool can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SideEffects {
    /// Reads only.
    #[default]
    None,
    /// Writes inside the run's workspace.
    Workspace,
    /// Acts outside the machine or the workspace (orders, messages, remote writes).
    External,
}

impl SideEffects {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Workspace => "workspace",
            Self::External => "external",
        }
    }
}

/// A tool of the registry (one YAML file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDef {
    pub name: String,
    /// Owning sector; `common` = any mission may call it.
    pub sector: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub side_effects: SideEffects,
    #[serde(default)]
    pub idempotent: bool,
    /// Estimated cost per call in USD (reservations, threshold approvals).
    #[serde(default)]
    pub cost_usd: f64,
    /// JSON Schema the call's `input` must satisfy (default: any object).
    #[serde(default)]
    pub input_schema: Option<Value>,
    pub run: ToolRun,
}

/// How a tool runs: exactly one of these, with the parameters of that step type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRun {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<Value>,
}

impl ToolRun {
    /// The step type it runs as, and that step type's parameter template.
    pub fn kind(&self) -> Result<(&'static str, &Value), String> {
        match (&self.command, &self.http, &self.llm) {
            (Some(v), None, None) => Ok(("command", v)),
            (None, Some(v), None) => Ok(("http", v)),
            (None, None, Some(v)) => Ok(("llm", v)),
            _ => Err("`run` needs exactly one of `command`, `http`, `llm`".into()),
        }
    }
}

/// A tool file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("cannot read tool file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("tool file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The sector-owned tools, by name.
#[derive(Debug, Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, (ToolDef, PathBuf)>,
}

impl ToolRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.yaml` / `*.yml` / `*.json` file of each folder, in order; a tool of a later
    /// folder replaces one of the same name from an earlier folder (the data folder's tools are
    /// read last). Missing folders are skipped.
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<Self, ToolError> {
        let mut registry = Self::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("yaml" | "yml" | "json")
                        )
                })
                .collect();
            files.sort();
            for path in files {
                let tool = load_tool(&path)?;
                registry.tools.insert(tool.name.clone(), (tool, path));
            }
        }
        Ok(registry)
    }

    pub fn insert(&mut self, tool: ToolDef) {
        self.tools
            .insert(tool.name.clone(), (tool, PathBuf::from("(built in code)")));
    }

    pub fn get(&self, name: &str) -> Option<&ToolDef> {
        self.tools.get(name).map(|(t, _)| t)
    }

    /// The file a tool was read from (`None` for an unknown tool or one built in code).
    pub fn path_of(&self, name: &str) -> Option<&Path> {
        self.tools
            .get(name)
            .map(|(_, p)| p.as_path())
            .filter(|p| p.is_file())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }

    pub fn tools(&self) -> impl Iterator<Item = &ToolDef> {
        self.tools.values().map(|(t, _)| t)
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

fn load_tool(path: &Path) -> Result<ToolDef, ToolError> {
    let text = std::fs::read_to_string(path).map_err(|source| ToolError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |message: String| ToolError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let tool: ToolDef = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?
    } else {
        serde_saphyr::from_str(&text).map_err(|e| invalid(e.to_string()))?
    };
    check_tool(&tool).map_err(invalid)?;
    Ok(tool)
}

/// Refuses a tool definition that could not run.
pub fn check_tool(tool: &ToolDef) -> Result<(), String> {
    if tool.name.trim().is_empty() || tool.name.contains(char::is_whitespace) {
        return Err(format!("tool name `{}` must be one word", tool.name));
    }
    if tool.sector.trim().is_empty() {
        return Err(format!("tool `{}` has no sector", tool.name));
    }
    if !tool.cost_usd.is_finite() || tool.cost_usd < 0.0 {
        return Err(format!("tool `{}`: `cost_usd` must be ≥ 0", tool.name));
    }
    tool.run.kind()?;
    if let Some(schema) = &tool.input_schema {
        jsonschema::validator_for(schema)
            .map_err(|e| format!("tool `{}`: invalid `input_schema`: {e}", tool.name))?;
    }
    Ok(())
}

/// Checks a call's input against the tool's schema; the message lists every problem.
pub fn check_input(tool: &ToolDef, input: &Value) -> Result<(), String> {
    let Some(schema) = &tool.input_schema else {
        return Ok(());
    };
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("tool `{}`: invalid `input_schema`: {e}", tool.name))?;
    let problems: Vec<String> = validator
        .iter_errors(input)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the input of tool `{}` does not match its schema: {}",
            tool.name,
            problems.join("; ")
        ))
    }
}

/// Fills a tool's `run` template: `{{input}}` (whole, keeps its JSON type), `{{input.<path>}}`
/// and `{{env.NAME}}`. Anything else between braces is an error naming it.
pub fn render(
    template: &Value,
    input: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    match template {
        Value::String(s) => render_str(s, input, env),
        Value::Array(items) => items
            .iter()
            .map(|i| render(i, input, env))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), render(v, input, env)?)))
            .collect::<Result<Map<_, _>, String>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn render_str(
    s: &str,
    input: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    if let Some(inner) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        if !inner.contains("{{") && !inner.contains("}}") {
            return lookup(inner.trim(), input, env);
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        match lookup(rest[open + 2..open + 2 + close].trim(), input, env)? {
            Value::String(text) => out.push_str(&text),
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn lookup(
    reference: &str,
    input: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    if reference == "input" {
        return Ok(input.clone());
    }
    if let Some(path) = reference.strip_prefix("input.") {
        let mut at = input;
        for key in path.split('.') {
            at = match at {
                Value::Object(map) => map.get(key),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            }
            .ok_or_else(|| format!("`{{{{{reference}}}}}`: the input has no `{path}`"))?;
        }
        return Ok(at.clone());
    }
    if let Some(name) = reference.strip_prefix("env.") {
        return env(name).map(Value::String).ok_or_else(|| {
            format!("`{{{{{reference}}}}}`: environment variable `{name}` is not set")
        });
    }
    Err(format!(
        "`{{{{{reference}}}}}`: a tool can only refer to `input` and `env`"
    ))
}

/// What a step reaches beyond its run when it runs. A step that reaches anything but
/// [`Reach::Local`] **calls out**: strict approval asks for it even when it changes nothing
/// (an HTTP GET, a model call), because what it sends leaves the run.
///
/// This is the one definition of "calls out": the gate's strict rule, the perimeter preview and
/// the approval card all read it ([`reach`], [`ToolIdentity::reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Reads or writes only inside the run (its workspace, its own values).
    #[default]
    Local,
    /// Opens network connections (HTTP, sockets, databases, remote hosts).
    Network,
    /// Asks a language model (whichever provider answers it).
    Model,
    /// Starts another program.
    Program,
    /// A registry tool whose run is unknown, or a step type this build does not know: taken as
    /// calling out.
    Outside,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Network => "network",
            Self::Model => "model",
            Self::Program => "program",
            Self::Outside => "outside",
        }
    }

    /// Whether the step calls out (anything but [`Reach::Local`]).
    pub fn calls_out(self) -> bool {
        self != Self::Local
    }

    /// What it calls, in words ("the network", "a model", …).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Local => "nothing outside the run",
            Self::Network => "the network",
            Self::Model => "a model",
            Self::Program => "another program",
            Self::Outside => "something outside the run",
        }
    }
}

/// What a step type reaches when it runs (see [`Reach`]), at most: a step's own parameters may
/// say it reaches less ([`builtin_identity`]). Unknown names call out.
pub fn reach(step_type: &str) -> Reach {
    match step_type {
        "noop" | "create_file" | "edit_file" | "delete_file" | "copy_file" | "move_file"
        | "read_file" | "list_directory" | "file_search" | "parse_json" | "parse_yaml"
        | "parse_xml" | "validate_schema" | "csv_process" | "extract_functions"
        | "generate_docs" | "compress" | "monitor_resources" => Reach::Local,
        "http" | "websocket_connect" | "ftp_upload" | "ftp_download" | "ssh_execute"
        | "ping_host" | "service_health" | "sql_query" | "redis_set" | "redis_get"
        | "db_backup" | "db_migrate" => Reach::Network,
        // The knowledge types at their worst: with a provider. With the local embedder they
        // reach nothing, which `builtin_identity` reads from their parameters.
        "llm" | "agent" | "chain" | "model_inference" | "generate_embedding"
        | "similarity_search" | "rag_query" | "rag_add" => Reach::Model,
        "command" | "process_start" | "process_kill" | "compile_code" | "run_tests"
        | "format_code" | "lint_code" | "git_commit" | "git_branch" | "git_merge"
        | "git_status" | "git_diff" => Reach::Program,
        _ => Reach::Outside,
    }
}

/// What a built-in step reaches given its parameters: [`reach`], except that `model_inference`
/// on a workspace ONNX file runs in-process and reaches nothing outside the run (with an
/// `endpoint`, or one of its aliases, it asks a model server).
fn reach_with(step_type: &str, params: &Value) -> Reach {
    if step_type == "model_inference" {
        let spec = studio_core::step_params::params_of(step_type);
        let has_endpoint = params.as_object().is_some_and(|map| {
            map.iter().any(|(k, v)| {
                !v.is_null() && spec.map_or(k.as_str(), |s| s.canonical(k)) == "endpoint"
            })
        });
        if !has_endpoint {
            return Reach::Local;
        }
    }
    reach(step_type)
}

/// The two things approval rules look at: what a step changes and what it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects {
    pub side_effects: SideEffects,
    pub reach: Reach,
}

impl Effects {
    /// A step answered by a simulation override: it changes and reaches nothing.
    pub const SIMULATED: Effects = Effects {
        side_effects: SideEffects::None,
        reach: Reach::Local,
    };
}

/// What the gate needs to know about the tool a step calls. Built-in step types borrow their
/// names (no allocation per step).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolIdentity {
    pub name: Cow<'static, str>,
    pub sector: Cow<'static, str>,
    pub side_effects: SideEffects,
    /// What it reaches beyond the run (whether it calls out).
    pub reach: Reach,
    /// Estimated cost of one call in USD (before any LLM part).
    pub cost_usd: f64,
}

impl ToolIdentity {
    pub fn effects(&self) -> Effects {
        Effects {
            side_effects: self.side_effects,
            reach: self.reach,
        }
    }
}

impl ToolDef {
    /// The identity the gate judges a call of this tool by: its sector, side effects and cost,
    /// and what its `run` reaches (a command, an HTTP request or a model call all call out).
    pub fn identity(&self) -> ToolIdentity {
        ToolIdentity {
            name: self.name.clone().into(),
            sector: self.sector.clone().into(),
            side_effects: self.side_effects,
            reach: self
                .run
                .kind()
                .map_or(Reach::Outside, |(kind, _)| reach(kind)),
            cost_usd: self.cost_usd,
        }
    }
}

/// The identity of a step as declared: a `tool` step's registry tool when the registry has it,
/// else the built-in step type's ([`builtin_identity`]). What the perimeter preview judges.
pub fn declared_identity(step_type: &str, params: &Value, registry: &ToolRegistry) -> ToolIdentity {
    let tool = (step_type == "tool")
        .then(|| {
            params
                .get("name")
                .or_else(|| params.get("tool"))
                .and_then(Value::as_str)
        })
        .flatten()
        .and_then(|name| registry.get(name));
    match tool {
        Some(def) => def.identity(),
        None => builtin_identity(step_type, params),
    }
}

/// The identity of a built-in step type: every one is `common`; its side effects follow what it
/// does (an `http` GET/HEAD/OPTIONS only reads).
pub fn builtin_identity(step_type: &str, params: &Value) -> ToolIdentity {
    let kind = crate::steps::StepKind::parse(step_type);
    let family = kind.and_then(|k| k.family_side_effects(params));
    let side_effects = family.unwrap_or_else(|| match step_type {
        "noop" | "read_file" | "list_directory" | "file_search" | "parse_json" | "parse_yaml"
        | "llm" => SideEffects::None,
        "create_file" | "edit_file" | "delete_file" | "copy_file" | "move_file" => {
            SideEffects::Workspace
        }
        // A command is confined to the workspace by the sandbox when it is read-only.
        "command" => SideEffects::Workspace,
        "http" => {
            let method = params
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("GET")
                .to_ascii_uppercase();
            if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
                SideEffects::None
            } else {
                SideEffects::External
            }
        }
        _ => SideEffects::External,
    });
    // The step types this build runs are matched first (one `match`, not a scan of all 51).
    let name = kind
        .map(|kind| kind.name())
        .or_else(|| {
            studio_core::STEP_TYPES
                .iter()
                .find(|info| info.name == step_type)
                .map(|info| info.name)
        })
        .map_or_else(|| Cow::Owned(step_type.to_string()), Cow::Borrowed);
    ToolIdentity {
        name,
        sector: Cow::Borrowed(COMMON_SECTOR),
        side_effects,
        reach: kind
            .and_then(|k| k.family_reach(params))
            .unwrap_or_else(|| reach_with(step_type, params)),
        cost_usd: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(yaml: &str) -> ToolDef {
        serde_saphyr::from_str(yaml).unwrap()
    }

    const ORDER: &str = r#"
name: place_order
sector: Finance
side_effects: external
cost_usd: 0.02
input_schema:
  type: object
  required: [symbol, qty]
  properties:
    symbol: {type: string}
    qty: {type: integer, minimum: 1}
run:
  http: {method: POST, url: "{{env.BROKER_URL}}/orders", body: "{{input}}"}
"#;

    #[test]
    fn input_is_checked_against_the_schema_with_every_problem_named() {
        let t = tool(ORDER);
        check_tool(&t).unwrap();
        assert!(check_input(&t, &json!({"symbol": "ACME", "qty": 3})).is_ok());
        let err = check_input(&t, &json!({"symbol": 1, "qty": 0})).unwrap_err();
        assert!(err.contains("/symbol") && err.contains("/qty"), "{err}");
        let err = check_input(&t, &json!({})).unwrap_err();
        assert!(err.contains("symbol"), "{err}");
    }

    #[test]
    fn the_run_template_is_filled_with_input_and_env() {
        let t = tool(ORDER);
        let (kind, template) = t.run.kind().unwrap();
        assert_eq!(kind, "http");
        let env = |n: &str| (n == "BROKER_URL").then(|| "http://127.0.0.1:9".to_string());
        let input = json!({"symbol": "ACME", "qty": 3});
        let params = render(template, &input, &env).unwrap();
        assert_eq!(params["url"], "http://127.0.0.1:9/orders");
        assert_eq!(params["body"], input, "a whole reference keeps its type");
        let none = |_: &str| None;
        let err = render(template, &input, &none).unwrap_err();
        assert!(err.contains("BROKER_URL"), "{err}");
        let err = render(&json!("{{run.id}}"), &input, &env).unwrap_err();
        assert!(err.contains("only refer to"), "{err}");
    }

    #[test]
    fn a_tool_needs_exactly_one_way_to_run_and_a_valid_schema() {
        let mut t = tool(ORDER);
        t.run.command = Some(json!({"command": "true"}));
        assert!(check_tool(&t).unwrap_err().contains("exactly one"));
        let mut t = tool(ORDER);
        t.input_schema = Some(json!({"type": "no-such-type"}));
        assert!(check_tool(&t).unwrap_err().contains("input_schema"));
    }

    #[test]
    fn the_registry_reads_folders_in_order_and_later_ones_win() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("place_order.yaml"), ORDER).unwrap();
        std::fs::write(
            b.path().join("place_order.yaml"),
            ORDER.replace("cost_usd: 0.02", "cost_usd: 0.05"),
        )
        .unwrap();
        std::fs::write(a.path().join("notes.txt"), "not a tool").unwrap();
        let r = ToolRegistry::load_dirs(&[
            a.path().to_path_buf(),
            b.path().to_path_buf(),
            PathBuf::from("/nonexistent"),
        ])
        .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r.get("place_order").unwrap().cost_usd, 0.05);
        std::fs::write(a.path().join("broken.yaml"), "name: x\n").unwrap();
        let err = ToolRegistry::load_dirs(&[a.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().contains("broken.yaml"), "{err}");
    }

    #[test]
    fn the_starter_tools_load_and_cover_every_sector() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../missions/tools");
        let r = ToolRegistry::load_dirs(&[dir]).unwrap();
        let sectors: std::collections::BTreeSet<&str> =
            r.tools().map(|t| t.sector.as_str()).collect();
        for sector in [
            "Finance",
            "Wealth",
            "Security",
            "Shadow",
            "Intelligence",
            "Operations",
            "Research",
            "Marketing",
            "Sales",
            "HR",
            "Legal",
            "Engineering",
            "Health",
            COMMON_SECTOR,
        ] {
            assert!(sectors.contains(sector), "no starter tool for {sector}");
        }
        let order = r.get("place_order").unwrap();
        assert!(check_input(order, &json!({"symbol": "ACME", "side": "buy", "qty": 5})).is_ok());
        assert!(check_input(order, &json!({"symbol": "ACME", "side": "hold", "qty": 5})).is_err());
        let lines = r.get("line_count").unwrap();
        assert!(check_input(lines, &json!({"path": "src/main.rs"})).is_ok());
        assert!(check_input(lines, &json!({"path": "../etc/passwd"})).is_err());
        assert!(check_input(lines, &json!({"path": "/etc/passwd"})).is_err());
        assert_eq!(r.get("dark_web_scan").unwrap().sector, "Shadow");
    }

    #[test]
    fn every_step_type_of_the_catalogue_says_whether_it_calls_out() {
        for info in studio_core::STEP_TYPES {
            let r = reach(info.name);
            assert!(
                r != Reach::Outside || info.name == "tool",
                "`{}` has no reach of its own",
                info.name
            );
        }
        // Strict's promise: these wait for approval even when they change nothing.
        for ty in [
            "http",
            "llm",
            "command",
            "sql_query",
            "agent",
            "ssh_execute",
        ] {
            assert!(reach(ty).calls_out(), "{ty}");
        }
        for ty in [
            "noop",
            "read_file",
            "parse_json",
            "create_file",
            "csv_process",
        ] {
            assert!(!reach(ty).calls_out(), "{ty}");
        }
        assert_eq!(reach("teleport"), Reach::Outside, "unknown names call out");
        // A registry tool reaches what its `run` reaches.
        let t = tool(ORDER);
        assert_eq!(t.identity().reach, Reach::Network);
        let mut registry = ToolRegistry::new();
        registry.insert(t);
        let id = declared_identity("tool", &json!({"name": "place_order"}), &registry);
        assert_eq!((id.sector.as_ref(), id.reach), ("Finance", Reach::Network));
        let id = declared_identity("tool", &json!({"name": "nobody"}), &registry);
        assert_eq!(id.reach, Reach::Outside);
    }

    #[test]
    fn builtin_step_types_are_common_tools_with_their_side_effects() {
        assert_eq!(
            builtin_identity("http", &json!({"method": "post"})).side_effects,
            SideEffects::External
        );
        assert_eq!(
            builtin_identity("http", &json!({})).side_effects,
            SideEffects::None
        );
        assert_eq!(
            builtin_identity("create_file", &json!({})).side_effects,
            SideEffects::Workspace
        );
        assert_eq!(builtin_identity("noop", &json!({})).sector, COMMON_SECTOR);
        let local = builtin_identity("model_inference", &json!({"model": "m.onnx"}));
        assert_eq!(
            (local.side_effects, local.reach),
            (SideEffects::None, Reach::Local)
        );
        let served = builtin_identity("model_inference", &json!({"model": "m", "url": "http://h"}));
        assert_eq!(
            (served.side_effects, served.reach),
            (SideEffects::None, Reach::Model)
        );
        assert_eq!(
            builtin_identity("ftp_download", &json!({"host": "h"})).side_effects,
            SideEffects::Workspace
        );
        assert_eq!(
            builtin_identity("ftp_upload", &json!({"host": "h"})).side_effects,
            SideEffects::External
        );
    }
}
