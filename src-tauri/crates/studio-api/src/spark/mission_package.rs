//! `mission package FILE -o X.zip [--include-deps]`: a mission as one portable zip.
//!
//! ```text
//! mission.json                 the normalised mission (native JSON form)
//! manifest.json                id, version, name, logic_hash, created_at, every file's SHA-256
//! requirements.json            step types, registry tools, providers and env vars it needs
//! schemas/state.schema.json    its state schema as JSON Schema (when it has one)
//! tools/<name>.yaml            the registry tools it calls (with --include-deps)
//! ```
//! `mission validate X.zip` and `mission run X.zip` open it (see [`super::package_open`]),
//! refusing a package whose files do not match the manifest.

use crate::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use studio_core::{logic_hash, Mission};
use studio_engine::tools::ToolRegistry;

/// The package format written in the manifest.
pub const FORMAT: &str = "mission-package/1";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageManifest {
    pub format: String,
    pub id: String,
    pub name: String,
    /// The mission's own version (`version:`), when it declares one.
    pub version: Option<String>,
    pub logic_hash: String,
    pub created_at: String,
    /// `sha256:<hex>` of every other file of the package, by path.
    pub files: BTreeMap<String, String>,
}

/// What goes in besides the mission.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// Copy the registry tools the mission calls into `tools/`.
    pub include_deps: bool,
    /// Folders of the tool registry, in order (a later one wins).
    pub tool_dirs: Vec<PathBuf>,
}

fn err(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// The registry tools the steps call (`step_type: tool`, `parameters.name`).
pub fn tools_called(mission: &Mission) -> Vec<String> {
    let mut out: Vec<String> = mission
        .steps
        .iter()
        .filter(|s| s.step_type == "tool")
        .filter_map(|s| s.parameters.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The providers the steps name (`parameters.provider`, not a `{{…}}` reference).
pub fn providers_named(mission: &Mission) -> Vec<String> {
    let mut out: Vec<String> = mission
        .steps
        .iter()
        .filter_map(|s| s.parameters.get("provider").and_then(Value::as_str))
        .filter(|p| !p.contains("{{"))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every `{{env.NAME}}` the steps read.
pub fn env_referenced(mission: &Mission) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                for occ in studio_core::variables::occurrences(s) {
                    if let Some(name) = occ.inner.strip_prefix("env.") {
                        out.push(name.trim().to_string());
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for step in &mission.steps {
        walk(&step.parameters, &mut out);
        step.state.values().for_each(|v| walk(v, &mut out));
    }
    out.sort();
    out.dedup();
    out
}

/// `requirements.json`.
pub fn requirements(mission: &Mission) -> Value {
    let mut step_types: Vec<&str> = mission.steps.iter().map(|s| s.step_type.as_str()).collect();
    step_types.sort_unstable();
    step_types.dedup();
    json!({
        "step_types": step_types,
        "tools": tools_called(mission),
        "providers": providers_named(mission),
        "env": env_referenced(mission),
        "studio_version": studio_core::VERSION,
    })
}

/// The state schema as a JSON Schema document.
pub fn state_json_schema(mission: &Mission) -> Option<Value> {
    let schema = mission.state_schema.as_ref()?;
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for (name, field) in &schema.fields {
        let json_type = match field.field_type.as_str() {
            "int" => "integer",
            "float" => "number",
            "bool" => "boolean",
            "list" => "array",
            "object" => "object",
            _ => "string",
        };
        let mut prop = json!({ "type": json_type });
        if let Some(default) = &field.default {
            prop["default"] = default.clone();
        }
        properties.insert(name.clone(), prop);
        if field.required {
            required.push(name.clone());
        }
    }
    Some(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{} state", mission.name),
        "type": "object",
        "properties": properties,
        "required": required,
    }))
}

/// Writes the package of `mission` to `out` (never overwriting) and returns its manifest.
pub fn package_mission(
    mission: &Mission,
    out: &Path,
    options: &PackageOptions,
) -> Result<PackageManifest, ApiError> {
    if out.exists() {
        return Err(err(format!(
            "{} already exists; it was left as it is (choose another -o)",
            out.display()
        )));
    }
    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "mission.json".into(),
            pretty(&serde_json::to_value(mission).unwrap_or_default()),
        ),
        ("requirements.json".into(), pretty(&requirements(mission))),
    ];
    if let Some(schema) = state_json_schema(mission) {
        files.push(("schemas/state.schema.json".into(), pretty(&schema)));
    }
    if options.include_deps {
        let registry =
            ToolRegistry::load_dirs(&options.tool_dirs).map_err(|e| err(e.to_string()))?;
        for name in tools_called(mission) {
            let Some(path) = registry.path_of(&name) else {
                return Err(err(format!(
                    "the mission calls the tool `{name}`, which is in no tool registry folder ({}); add it or leave out --include-deps",
                    options.tool_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                )));
            };
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("yaml");
            let bytes = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
            files.push((format!("tools/{name}.{ext}"), bytes));
        }
    }
    let manifest = PackageManifest {
        format: FORMAT.into(),
        id: mission.mission_id(),
        name: mission.name.clone(),
        version: mission.version.clone(),
        logic_hash: logic_hash(mission),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        files: files
            .iter()
            .map(|(p, b)| (p.clone(), studio_pack::sha256_hex(b)))
            .collect(),
    };
    files.push((
        "manifest.json".into(),
        pretty(&serde_json::to_value(&manifest).unwrap_or_default()),
    ));
    write_zip(out, &files).map_err(|e| err(format!("{}: {e}", out.display())))?;
    Ok(manifest)
}

fn write_zip(out: &Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    use zip::write::SimpleFileOptions;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    zip.finish()
        .map_err(|e| e.to_string())?
        .flush()
        .map_err(|e| e.to_string())
}
