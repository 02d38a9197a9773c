//! The tools an agent is offered: step types and registry tools named in `tools:`, each under
//! its own name with its input's JSON Schema (a step type's parameters, a registry tool's
//! `input_schema`).

use crate::providers::ToolSpec;
use crate::tools::ToolRegistry;
use serde_json::{json, Value};

/// Types an agent may not call: another loop inside the loop.
const NOT_A_TOOL: &[&str] = &["agent", "chain"];

/// What a name offered to the model stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Offered {
    /// A step type: the call's arguments are its parameters.
    StepType(String),
    /// A registry tool: the call's arguments are its `input`.
    Registry(String),
}

#[derive(Debug, Default)]
pub(crate) struct Toolbox {
    offered: Vec<(String, Offered)>,
    pub specs: Vec<ToolSpec>,
}

impl Toolbox {
    /// The tools named in `tools:`; a name that is neither a step type this build runs nor a
    /// registry tool is an error that lists what there is.
    pub fn new(names: &[String], registry: &ToolRegistry) -> Result<Self, String> {
        let mut toolbox = Toolbox::default();
        for name in names {
            let name = name.trim();
            if toolbox.offered.iter().any(|(n, _)| n == name) {
                continue;
            }
            if NOT_A_TOOL.contains(&name) {
                return Err(format!(
                    "`{name}` cannot be an agent's tool: an agent's calls are single steps"
                ));
            }
            let (offered, spec) = if let Some(def) = registry.get(name) {
                let schema = def
                    .input_schema
                    .clone()
                    .unwrap_or_else(|| json!({"type": "object"}));
                let description = if def.description.is_empty() {
                    format!("registry tool of sector {}", def.sector)
                } else {
                    def.description.clone()
                };
                (
                    Offered::Registry(name.to_string()),
                    spec(name, description, schema),
                )
            } else if let Some(params) = studio_core::step_params::params_of(name)
                .filter(|_| crate::steps::is_implemented(name))
            {
                let schema = studio_core::step_params::input_schema(params);
                (
                    Offered::StepType(name.to_string()),
                    spec(name, params.summary.to_string(), schema),
                )
            } else {
                let registry: Vec<&str> = registry.names().collect();
                return Err(format!(
                    "`{name}` in `tools` is neither a step type nor a tool of the registry{}",
                    if registry.is_empty() {
                        " (the registry is empty)".to_string()
                    } else {
                        format!(" (registry tools: {})", registry.join(", "))
                    }
                ));
            };
            toolbox.offered.push((name.to_string(), offered));
            toolbox.specs.push(spec);
        }
        Ok(toolbox)
    }

    /// What `name` stands for, when it was offered.
    pub fn find(&self, name: &str) -> Option<&Offered> {
        self.offered.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }

    pub fn names(&self) -> Vec<&str> {
        self.offered.iter().map(|(n, _)| n.as_str()).collect()
    }
}

fn spec(name: &str, description: String, input_schema: Value) -> ToolSpec {
    // Providers cap descriptions; the first sentence or two say enough.
    let description: String = description.chars().take(600).collect();
    ToolSpec {
        name: name.to_string(),
        description,
        input_schema,
    }
}

impl Offered {
    /// The step type and parameters a call with `arguments` runs as.
    pub fn as_step(&self, arguments: &Value) -> (String, Value) {
        let arguments = match arguments {
            Value::Null => json!({}),
            v => v.clone(),
        };
        match self {
            Offered::StepType(t) => (t.clone(), arguments),
            Offered::Registry(name) => ("tool".into(), json!({"name": name, "input": arguments})),
        }
    }
}
