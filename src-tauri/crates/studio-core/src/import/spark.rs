//! Spark `MissionSpec` (seed: the Spark mission system): a graph plus its plan, state schema,
//! strategies, telemetry, deployment and simulation.
//!
//! What is read, and what it becomes:
//!
//! | Spark                          | native                                                   |
//! |--------------------------------|----------------------------------------------------------|
//! | `mission_id`                   | `id`; `name` from its last dotted part                   |
//! | `description`                  | `description`                                            |
//! | `graph.nodes[]` `{id, type, description, config}` | one step each; `type` is the step type when it is one of the catalogue, else `noop` (its `config` kept as parameters) |
//! | `graph.edges[]` `{from_node, to_node}` | `depends_on` of `to_node`                        |
//! | `plan.steps[]`                 | `plan`; a plan step without a node becomes a `noop` step; its `depends_on` joins the step's |
//! | `state_schema.fields`          | `state_schema.fields` (types mapped: `str` → `string`, `dict` → `object`, `datetime` → `string`, …) |
//! | `simulation`                   | `simulation`                                             |
//! | `telemetry`                    | `telemetry` (`postgresql` → `sqlite`; `db_path`, `topics`, `metadata` dropped) |
//!
//! Dropped, each with a note: `spark_version`, `version` (the native `version` is the format's),
//! `graph.id`, `graph.description`, `graph.start`, edge `condition`s (every step of a DAG runs),
//! `state_schema.schema_class` and field descriptions. `deployment` is kept (runs stay local;
//! `mission check` reads it) and `telemetry` too (see `convert_telemetry`).
//!
//! The seed does not spell out `GraphSpec`; what is read here is Spark's model (`{id,
//! description, start, nodes: [{id, type, description, config, inputs, outputs}], edges: [{id,
//! from_node, to_node, condition, priority, metadata, fanout_behavior}], graph_state, event_bus,
//! task, tools}`) and its documents' spellings (`name`, `start_node`, `initial_state`, edges'
//! `from`/`to` or `from_id`/`to_id`). A bare GraphSpec (no `mission_id`), wrapped in `graph`
//! or written flat at the top, imports like a MissionSpec named after its graph.
//!
//! Longer than 800 lines on purpose: one format's whole mapping, field by field, reads best in one
//! place beside the table above.

use super::{non_blank, ImportNote, Imported};
use crate::deployment::{Deployment, DeploymentTarget, Resources};
use crate::mission::{
    Mission, Plan, PlanStep, SimulatedTool, Simulation, StateField, StateSchema, Step, Telemetry,
    TelemetryBackend,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A Spark `MissionSpec`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SparkMissionSpec {
    #[serde(default)]
    pub spark_version: Option<String>,
    /// Unique identifier (reverse DNS recommended). Absent in a bare `GraphSpec`: the graph's
    /// name (or id) stands for it.
    #[serde(default)]
    pub mission_id: Option<String>,
    /// Semantic version of the mission.
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub graph: GraphSpec,
    #[serde(default)]
    pub plan: Option<PlanSpec>,
    #[serde(default)]
    pub state_schema: Option<StateSchemaSpec>,
    #[serde(default)]
    pub strategies: Vec<StrategyBindingSpec>,
    #[serde(default)]
    pub telemetry: Option<TelemetrySpec>,
    #[serde(default)]
    pub deployment: Option<DeploymentSpec>,
    #[serde(default)]
    pub simulation: Option<SimulationSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphSpec {
    #[serde(default)]
    pub id: Option<String>,
    /// The documents' spelling of `id`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The node execution starts from (`start_node` in the documents).
    #[serde(default, alias = "start_node")]
    pub start: Option<String>,
    #[serde(default, alias = "initial_state")]
    pub graph_state: Option<Value>,
    #[serde(default)]
    pub event_bus: Option<Value>,
    #[serde(default)]
    pub task: Option<Value>,
    #[serde(default)]
    pub tools: Option<Value>,
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub edges: Vec<EdgeSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub id: String,
    #[serde(rename = "type")]
    pub node_type: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub inputs: Option<Value>,
    #[serde(default)]
    pub outputs: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    #[serde(alias = "from_id", alias = "from")]
    pub from_node: String,
    #[serde(alias = "to_id", alias = "to")]
    pub to_node: String,
    #[serde(default)]
    pub condition: Option<Value>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub fanout_behavior: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    #[serde(default)]
    pub steps: Vec<PlanStepSpec>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub auto_advance: Option<bool>,
    #[serde(default)]
    pub telemetry_topic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStepSpec {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSchemaSpec {
    /// A Python class path (`myapp.schemas:PipelineState`).
    #[serde(default)]
    pub schema_class: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, StateFieldSpec>,
    /// The model's form: a named schema, its version, a Python class, a JSON Schema.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub json_schema: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateFieldSpec {
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyBindingSpec {
    #[serde(default = "graph_target")]
    pub target: String,
    #[serde(default)]
    pub reference: Option<String>,
    pub strategy: ReasoningStrategySpec,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

fn graph_target() -> String {
    "graph".to_string()
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasoningStrategySpec {
    #[serde(rename = "type")]
    pub strategy_type: String,
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub custom_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySpec {
    #[serde(default)]
    pub enabled: bool,
    /// memory | sqlite | postgresql | otlp
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub db_path: Option<String>,
    #[serde(default)]
    pub sampling_rate: Option<f64>,
    #[serde(default)]
    pub buffer_size: Option<u64>,
    #[serde(default)]
    pub export_interval: Option<f64>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub topics: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentSpec {
    /// development | staging | production
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub resources: BTreeMap<String, Value>,
    #[serde(default)]
    pub health_check_interval: Option<u64>,
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Environment variables (the documents' form), or the environment's label (the model's
    /// form, `dev`).
    #[serde(default)]
    pub environment: Option<Value>,
    #[serde(default)]
    pub runtime: Option<Value>,
    #[serde(default)]
    pub entrypoint: Option<Value>,
    #[serde(default)]
    pub health_check: Option<Value>,
    #[serde(default)]
    pub scaling: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub tools: Vec<SimulationToolOverrideSpec>,
    #[serde(default)]
    pub latency_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationToolOverrideSpec {
    pub name: String,
    #[serde(default)]
    pub static_response: Value,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default)]
    pub response_schema: Option<Value>,
}

/// A bare `GraphSpec` written flat (`{spark_version, id, start, nodes, edges}`, as Spark's
/// models dump it) is put under `graph`, like the documents' wrapped form, so both read as a
/// MissionSpec without mission metadata.
///
/// The other spellings Spark's documents and dumps use are renamed to the ones read here:
/// edges' `from_id`/`from` and `to_id`/`to`, the graph's `start_node` and `initial_state`.
pub(crate) fn wrap_flat_graph(mut tree: Value, aliases: &mut crate::compat::PathAliases) -> Value {
    let flat = tree.get("graph").is_none() && tree.get("nodes").is_some_and(Value::is_array);
    let graph_path = if flat { "" } else { "graph" };
    let graph = if flat {
        Some(&mut tree)
    } else {
        tree.get_mut("graph")
    };
    if let Some(Value::Object(graph)) = graph {
        rename_key(graph, "start_node", "start", graph_path, aliases);
        rename_key(graph, "initial_state", "graph_state", graph_path, aliases);
        if let Some(Value::Array(edges)) = graph.get_mut("edges") {
            for (i, edge) in edges.iter_mut().enumerate() {
                let at =
                    crate::spans::child_index(&crate::spans::child_key(graph_path, "edges"), i);
                if let Value::Object(edge) = edge {
                    for from in ["from_id", "from"] {
                        rename_key(edge, from, "from_node", &at, aliases);
                    }
                    for to in ["to_id", "to"] {
                        rename_key(edge, to, "to_node", &at, aliases);
                    }
                }
            }
        }
    }
    if !flat {
        return tree;
    }
    let Value::Object(mut top) = tree else {
        return tree;
    };
    let version = top.remove("spark_version");
    let mut wrapped = serde_json::Map::new();
    if let Some(v) = version {
        wrapped.insert("spark_version".into(), v);
    }
    wrapped.insert("graph".into(), Value::Object(top));
    aliases.add("graph", "");
    Value::Object(wrapped)
}

fn rename_key(
    map: &mut serde_json::Map<String, Value>,
    from: &str,
    to: &str,
    at: &str,
    aliases: &mut crate::compat::PathAliases,
) {
    if map.contains_key(to) {
        return;
    }
    if let Some(value) = map.remove(from) {
        map.insert(to.to_string(), value);
        aliases.add(
            crate::spans::child_key(at, to),
            crate::spans::child_key(at, from),
        );
    }
}

/// Converts a MissionSpec to a native mission, noting what was mapped and dropped.
pub fn convert(spec: &SparkMissionSpec) -> Imported {
    let mut notes = Vec::new();
    let graph = &spec.graph;
    let mission_id = match non_blank(spec.mission_id.as_deref()) {
        Some(id) => id,
        None => {
            let (id, from) = match (
                non_blank(graph.name.as_deref()),
                non_blank(graph.id.as_deref()),
            ) {
                (Some(name), _) => (name, "graph.name"),
                (None, Some(id)) => (id, "graph.id"),
                (None, None) => ("spark-graph".to_string(), "graph"),
            };
            notes.push(ImportNote::mapped(
                from,
                format!("to the mission's `id` (`{id}`): a bare GraphSpec has no `mission_id`"),
            ));
            id
        }
    };
    let name = mission_id
        .rsplit('.')
        .find(|part| !part.trim().is_empty())
        .unwrap_or(&mission_id)
        .to_string();
    if spec.mission_id.is_some() {
        notes.push(ImportNote::mapped(
            "mission_id",
            format!("to `id`, and its last part to `name` (`{name}`)"),
        ));
    }
    if let Some(v) = &spec.spark_version {
        notes.push(ImportNote::dropped(
            "spark_version",
            format!("`{v}` is the Spark format's version; the native format has its own"),
        ));
    }
    if let Some(version) = &spec.version {
        notes.push(ImportNote::dropped(
            "version",
            format!(
                "`{version}` is the mission's own version; the native `version` is the format's"
            ),
        ));
    }
    if spec.mission_id.is_some() {
        if let Some(id) = graph.id.as_ref().or(graph.name.as_ref()) {
            notes.push(ImportNote::dropped(
                "graph.id",
                format!("`{id}`: the mission id names the graph"),
            ));
        }
    }
    let graph_extras: Vec<&str> = [
        ("graph.graph_state", graph.graph_state.is_some()),
        ("graph.event_bus", graph.event_bus.is_some()),
        ("graph.task", graph.task.is_some()),
        ("graph.tools", graph.tools.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(k, _)| k)
    .collect();
    if !graph_extras.is_empty() {
        notes.push(ImportNote::dropped(
            graph_extras.join(", "),
            "the Spark runtime's own settings; the mission's state is its `state_schema`, its tools the step types and the registry",
        ));
    }
    if graph.description.is_some() {
        notes.push(ImportNote::dropped(
            "graph.description",
            "the mission's `description` describes it",
        ));
    }
    if let Some(start) = &graph.start {
        notes.push(ImportNote::dropped(
            "graph.start",
            format!("`{start}`: steps start as soon as their dependencies end"),
        ));
    }

    let plan_steps: &[PlanStepSpec] = spec.plan.as_ref().map_or(&[], |p| &p.steps);
    let mut steps: Vec<Step> = Vec::with_capacity(graph.nodes.len() + plan_steps.len());
    for (i, node) in graph.nodes.iter().enumerate() {
        let field = format!("graph.nodes[{i}]");
        let known = crate::step_types::step_type(&node.node_type).is_some();
        let mut parameters = node
            .config
            .clone()
            .unwrap_or_else(|| Value::Object(Default::default()));
        let step_type = if known {
            node.node_type.clone()
        } else {
            notes.push(ImportNote::mapped(
                field.clone(),
                format!(
                    "(`{}`, type `{}`) to a `noop` step: `{}` is not a step type of this \
                     format; its config is kept as the step's parameters",
                    node.id, node.node_type, node.node_type
                ),
            ));
            "noop".to_string()
        };
        if !parameters.is_object() && step_type == "noop" {
            parameters = serde_json::json!({ "config": parameters });
        }
        steps.push(Step {
            id: node.id.clone(),
            name: None,
            description: non_blank(node.description.as_deref()),
            step_type,
            depends_on: Vec::new(),
            timeout_seconds: None,
            continue_on_error: None,
            retry_attempts: None,
            parameters,
            approval: None,
            state: BTreeMap::new(),
            dept: None,
            idempotent: None,
        });
    }
    if !graph.edges.is_empty() {
        notes.push(ImportNote::mapped(
            "graph.edges",
            "to `depends_on`: a step runs once every step with an edge to it has ended",
        ));
    }
    for (i, edge) in graph.edges.iter().enumerate() {
        if edge.condition.is_some() {
            notes.push(ImportNote::dropped(
                format!("graph.edges[{i}].condition"),
                format!(
                    "the edge `{}` -> `{}` is followed unconditionally (a mission's DAG runs \
                     every step whose dependencies succeeded)",
                    edge.from_node, edge.to_node
                ),
            ));
        }
        if let Some(step) = steps.iter_mut().find(|s| s.id == edge.to_node) {
            push_unique(&mut step.depends_on, &edge.from_node);
        } else {
            notes.push(ImportNote::dropped(
                format!("graph.edges[{i}]"),
                format!("it leads to `{}`, which is not a node", edge.to_node),
            ));
        }
    }
    for (i, item) in plan_steps.iter().enumerate() {
        match steps.iter_mut().find(|s| s.id == item.id) {
            Some(step) => {
                for dep in &item.depends_on {
                    push_unique(&mut step.depends_on, dep);
                }
                if step.description.is_none() {
                    step.description = non_blank(item.description.as_deref());
                }
            }
            None => {
                notes.push(ImportNote::mapped(
                    format!("plan.steps[{i}]"),
                    format!(
                        "(`{}`) to a `noop` step: no graph node has this id",
                        item.id
                    ),
                ));
                steps.push(Step {
                    id: item.id.clone(),
                    name: None,
                    description: non_blank(item.description.as_deref()),
                    step_type: "noop".into(),
                    depends_on: item.depends_on.clone(),
                    timeout_seconds: None,
                    continue_on_error: None,
                    retry_attempts: None,
                    parameters: Value::Object(Default::default()),
                    approval: None,
                    state: BTreeMap::new(),
                    dept: None,
                    idempotent: None,
                });
            }
        }
    }
    let plan = spec.plan.as_ref().map(|p| {
        notes.push(ImportNote::mapped(
            "plan",
            "to `plan` (its `depends_on` also joins the steps')",
        ));
        Plan {
            steps: p
                .steps
                .iter()
                .map(|s| PlanStep {
                    id: s.id.clone(),
                    description: non_blank(s.description.as_deref()),
                    depends_on: s.depends_on.clone(),
                })
                .collect(),
        }
    });

    let state_schema = spec
        .state_schema
        .as_ref()
        .map(|schema| convert_state(schema, &mut notes));
    let strategies = convert_strategies(&spec.strategies, &mut notes);
    let telemetry = spec
        .telemetry
        .as_ref()
        .and_then(|t| convert_telemetry(t, &mut notes));
    let deployment = spec
        .deployment
        .as_ref()
        .map(|d| convert_deployment(d, &mut notes));
    let simulation = spec.simulation.as_ref().map(|s| {
        notes.push(ImportNote::mapped("simulation", "to `simulation`"));
        Simulation {
            enabled: s.enabled,
            tools: s
                .tools
                .iter()
                .map(|t| SimulatedTool {
                    name: t.name.clone(),
                    static_response: t.static_response.clone(),
                })
                .collect(),
            agents: Vec::new(),
        }
    });

    let mission = Mission {
        id: Some(mission_id),
        name,
        description: non_blank(spec.description.as_deref()),
        state_schema,
        simulation,
        plan,
        telemetry,
        strategies,
        deployment,
        steps,
        ..Mission::default()
    };
    Imported { mission, notes }
}

/// Spark's `telemetry:` as the native block: `memory`, `sqlite` and `otlp` keep their backend
/// (with endpoint, sampling rate, buffer and interval); `postgresql` becomes `sqlite` (the
/// history); `db_path`, `topics` and `metadata` are dropped.
fn convert_telemetry(t: &TelemetrySpec, notes: &mut Vec<ImportNote>) -> Option<Telemetry> {
    let backend = match t.backend.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("sqlite") => TelemetryBackend::Sqlite,
        Some("memory") => TelemetryBackend::Memory,
        Some("otlp") => TelemetryBackend::Otlp,
        Some(other) => {
            notes.push(ImportNote::dropped(
                "telemetry.backend",
                format!("`{other}`: runs are recorded in the history database (`sqlite`)"),
            ));
            TelemetryBackend::Sqlite
        }
    };
    for (field, set) in [
        ("telemetry.db_path", t.db_path.is_some()),
        ("telemetry.topics", t.topics.is_some()),
        ("telemetry.metadata", t.metadata.is_some()),
    ] {
        if set {
            notes.push(ImportNote::dropped(
                field,
                "the history database lives in the data folder; every event is recorded",
            ));
        }
    }
    notes.push(ImportNote::mapped(
        "telemetry",
        format!(
            "to `telemetry` (backend `{}`{})",
            match backend {
                TelemetryBackend::Memory => "memory",
                TelemetryBackend::Sqlite => "sqlite",
                TelemetryBackend::Otlp => "otlp",
            },
            if t.enabled { "" } else { ", disabled" }
        ),
    ));
    Some(Telemetry {
        enabled: t.enabled,
        backend,
        endpoint: non_blank(t.endpoint.as_deref()),
        sampling_rate: t.sampling_rate,
        buffer_size: t.buffer_size,
        export_interval: t.export_interval,
    })
}

/// Spark's strategy bindings, kept as the native `strategies:` (DESIGN §5.2): `react` and
/// `plan_and_solve` are the agent step's strategies; another type, or a custom class, cannot
/// run here and is dropped with a note.
fn convert_strategies(
    specs: &[StrategyBindingSpec],
    notes: &mut Vec<ImportNote>,
) -> Vec<crate::agents::StrategyBinding> {
    let mut kept = Vec::new();
    for spec in specs {
        let field = format!("strategies[{}]", spec.target);
        match crate::agents::StrategyKind::parse(&spec.strategy.strategy_type) {
            Some(kind) if spec.strategy.custom_class.is_none() => {
                notes.push(ImportNote::mapped(
                    field,
                    format!(
                        "to `strategies:` ({} for agent step `{}`)",
                        kind.as_str(),
                        spec.target
                    ),
                ));
                kept.push(crate::agents::StrategyBinding {
                    target: spec.target.clone(),
                    reference: spec.reference.clone(),
                    strategy: crate::agents::Strategy {
                        kind,
                        config: spec.strategy.config.clone(),
                    },
                    description: spec.description.clone(),
                });
            }
            _ => notes.push(ImportNote::dropped(
                field,
                format!(
                    "strategy `{}` cannot run here (agent steps know react and plan_and_solve)",
                    spec.strategy
                        .custom_class
                        .as_deref()
                        .unwrap_or(&spec.strategy.strategy_type)
                ),
            )),
        }
    }
    kept
}

/// Spark's deployment block, kept as the native `deployment:` (read by `mission check`).
fn convert_deployment(d: &DeploymentSpec, notes: &mut Vec<ImportNote>) -> Deployment {
    let target = d.target.as_deref().and_then(|t| {
        let parsed = DeploymentTarget::parse(t);
        if parsed.is_none() {
            notes.push(ImportNote::dropped(
                "deployment.target",
                format!("`{t}` is none of development, staging, production"),
            ));
        }
        parsed
    });
    let quantity = |key: &str| {
        d.resources.get(key).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let resources = (!d.resources.is_empty()).then(|| Resources {
        cpu: quantity("cpu"),
        memory: quantity("memory"),
        gpu: quantity("gpu"),
    });
    let mut environment = BTreeMap::new();
    match &d.environment {
        Some(Value::Object(vars)) => {
            for (name, value) in vars {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                environment.insert(name.clone(), text);
            }
        }
        Some(other) => notes.push(ImportNote::dropped(
            "deployment.environment",
            format!("`{other}` is a label, not environment variables"),
        )),
        None => {}
    }
    let extras: Vec<&str> = [
        ("deployment.runtime", d.runtime.is_some()),
        ("deployment.entrypoint", d.entrypoint.is_some()),
        ("deployment.health_check", d.health_check.is_some()),
        ("deployment.scaling", d.scaling.is_some()),
        ("deployment.metadata", d.metadata.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(k, _)| k)
    .collect();
    if !extras.is_empty() {
        notes.push(ImportNote::dropped(
            extras.join(", "),
            "runs are local; `mission check` reads target, replicas, resources, restart policy and environment",
        ));
    }
    notes.push(ImportNote::mapped(
        "deployment",
        "to `deployment` (runs stay local; `mission check --target` reads it)",
    ));
    Deployment {
        target,
        replicas: d.replicas,
        resources,
        health_check_interval: d.health_check_interval,
        restart_policy: d.restart_policy.clone(),
        environment,
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

fn convert_state(schema: &StateSchemaSpec, notes: &mut Vec<ImportNote>) -> StateSchema {
    if let Some(class) = schema.schema_class.as_ref().or(schema.module.as_ref()) {
        notes.push(ImportNote::dropped(
            "state_schema.schema_class",
            format!("`{class}` is a Python class; the fields are typed here instead"),
        ));
    }
    let mut fields = BTreeMap::new();
    let mut described = Vec::new();
    for (name, field) in &schema.fields {
        let (native, changed) = state_type(&field.field_type);
        if changed {
            notes.push(ImportNote::mapped(
                format!("state_schema.fields.{name}.type"),
                format!("`{}` to `{native}`", field.field_type),
            ));
        }
        if field.description.is_some() {
            described.push(name.as_str());
        }
        fields.insert(
            name.clone(),
            StateField {
                field_type: native,
                required: field.required,
                default: field.default.clone(),
            },
        );
    }
    if let Some(properties) = schema
        .json_schema
        .as_ref()
        .and_then(|j| j.get("properties"))
        .and_then(Value::as_object)
    {
        let required: Vec<&str> = schema
            .json_schema
            .as_ref()
            .and_then(|j| j.get("required"))
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in properties {
            let json_type = property
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("object");
            let native = match json_type {
                "integer" => "int",
                "number" => "float",
                "boolean" => "bool",
                "array" => "list",
                "string" => "string",
                _ => "object",
            };
            fields.entry(name.clone()).or_insert_with(|| StateField {
                field_type: native.to_string(),
                required: required.contains(&name.as_str()),
                default: property.get("default").cloned(),
            });
        }
        notes.push(ImportNote::mapped(
            "state_schema.json_schema",
            "(its `properties`) to typed `state_schema.fields`",
        ));
    }
    if schema.name.is_some() || schema.version.is_some() {
        notes.push(ImportNote::dropped(
            "state_schema.name, state_schema.version",
            "the state is the mission's own; it needs no name",
        ));
    }
    if !described.is_empty() {
        notes.push(ImportNote::dropped(
            "state_schema.fields.*.description",
            format!(
                "of {}: state fields carry no description",
                described.join(", ")
            ),
        ));
    }
    StateSchema { fields }
}

/// The native type of a Spark state field type, and whether the name changed. An unknown
/// type is kept (validation then reports it).
fn state_type(spark: &str) -> (String, bool) {
    let native = match spark.trim().to_ascii_lowercase().as_str() {
        "int" | "integer" => "int",
        "float" | "number" => "float",
        "str" | "string" => "string",
        "bool" | "boolean" => "bool",
        "list" | "array" => "list",
        "dict" | "object" | "mapping" => "object",
        "datetime" | "date" | "time" => "string",
        _ => return (spark.to_string(), false),
    };
    (native.to_string(), native != spark)
}
