//! The step types. Each module runs one type and returns its output in the fixed shape of
//! DESIGN §5 (documented in the crate README).

pub(crate) mod agents;
mod code;
mod command;
mod copy_file;
mod create_file;
mod data;
mod db;
mod delete_file;
mod edit_file;
mod file_search;
mod git;
mod http;
mod inference;
pub(crate) mod knowledge;
mod list_directory;
pub(crate) mod llm;
mod move_file;
mod network;
mod noop;
mod params;
mod parse_json;
mod parse_yaml;
pub(crate) mod program;
mod read_file;
mod system;
mod tool;
mod workspace;

use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;

pub(crate) use network::ftp::secrets as ftp_secrets;
pub(crate) use system::canonical as canonical_params;
pub(crate) use workspace::Workspace;

/// The step types this build runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepKind {
    Noop,
    Command,
    CreateFile,
    EditFile,
    DeleteFile,
    CopyFile,
    MoveFile,
    ReadFile,
    ListDirectory,
    FileSearch,
    ParseJson,
    ParseYaml,
    Http,
    Llm,
    Tool,
    Data(data::Kind),
    Db(db::Kind),
    Git(git::Kind),
    Code(code::Kind),
    System(system::Kind),
    Network(network::Kind),
    Agents(agents::Kind),
    Inference(inference::Kind),
    Knowledge(knowledge::Kind),
}

const KINDS: &[(&str, StepKind)] = &[
    ("noop", StepKind::Noop),
    ("command", StepKind::Command),
    ("create_file", StepKind::CreateFile),
    ("edit_file", StepKind::EditFile),
    ("delete_file", StepKind::DeleteFile),
    ("copy_file", StepKind::CopyFile),
    ("move_file", StepKind::MoveFile),
    ("read_file", StepKind::ReadFile),
    ("list_directory", StepKind::ListDirectory),
    ("file_search", StepKind::FileSearch),
    ("parse_json", StepKind::ParseJson),
    ("parse_yaml", StepKind::ParseYaml),
    ("http", StepKind::Http),
    ("llm", StepKind::Llm),
    ("tool", StepKind::Tool),
];

impl StepKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "noop" => Self::Noop,
            "command" => Self::Command,
            "create_file" => Self::CreateFile,
            "edit_file" => Self::EditFile,
            "delete_file" => Self::DeleteFile,
            "copy_file" => Self::CopyFile,
            "move_file" => Self::MoveFile,
            "read_file" => Self::ReadFile,
            "list_directory" => Self::ListDirectory,
            "file_search" => Self::FileSearch,
            "parse_json" => Self::ParseJson,
            "parse_yaml" => Self::ParseYaml,
            "http" => Self::Http,
            "llm" => Self::Llm,
            "tool" => Self::Tool,
            _ => return Self::parse_family(name),
        })
    }

    /// The types of the families (`steps/<family>/mod.rs`), each listing its own.
    fn parse_family(name: &str) -> Option<Self> {
        fn find<K: Copy>(kinds: &[(&str, K)], name: &str) -> Option<K> {
            kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
        }
        find(data::KINDS, name)
            .map(Self::Data)
            .or_else(|| find(db::KINDS, name).map(Self::Db))
            .or_else(|| find(git::KINDS, name).map(Self::Git))
            .or_else(|| find(code::KINDS, name).map(Self::Code))
            .or_else(|| find(system::KINDS, name).map(Self::System))
            .or_else(|| find(network::KINDS, name).map(Self::Network))
            .or_else(|| find(agents::KINDS, name).map(Self::Agents))
            .or_else(|| find(inference::KINDS, name).map(Self::Inference))
            .or_else(|| find(knowledge::KINDS, name).map(Self::Knowledge))
    }

    /// Every type this build runs, with its name.
    pub fn all() -> impl Iterator<Item = (&'static str, StepKind)> {
        fn wrap<K: Copy>(
            kinds: &'static [(&'static str, K)],
            f: fn(K) -> StepKind,
        ) -> impl Iterator<Item = (&'static str, StepKind)> {
            kinds.iter().map(move |(n, k)| (*n, f(*k)))
        }
        KINDS
            .iter()
            .copied()
            .chain(wrap(data::KINDS, StepKind::Data))
            .chain(wrap(db::KINDS, StepKind::Db))
            .chain(wrap(git::KINDS, StepKind::Git))
            .chain(wrap(code::KINDS, StepKind::Code))
            .chain(wrap(system::KINDS, StepKind::System))
            .chain(wrap(network::KINDS, StepKind::Network))
            .chain(wrap(agents::KINDS, StepKind::Agents))
            .chain(wrap(inference::KINDS, StepKind::Inference))
            .chain(wrap(knowledge::KINDS, StepKind::Knowledge))
    }

    /// What a family's step changes, given its parameters; `None` for the first types (see
    /// `tools::builtin_identity`).
    pub fn family_side_effects(self, params: &Value) -> Option<crate::tools::SideEffects> {
        match self {
            Self::Data(k) => Some(data::side_effects(k, params)),
            Self::Db(k) => Some(db::side_effects(k, params)),
            Self::Git(k) => Some(git::side_effects(k, params)),
            Self::Code(k) => Some(code::side_effects(k, params)),
            Self::System(k) => Some(system::side_effects(k, params)),
            Self::Network(k) => Some(network::side_effects(k, params)),
            Self::Agents(k) => Some(agents::side_effects(k, params)),
            Self::Inference(k) => Some(inference::side_effects(k, params)),
            Self::Knowledge(k) => Some(knowledge::side_effects(k, params)),
            _ => None,
        }
    }

    /// What a step reaches when that depends on its parameters (a knowledge step reaches a
    /// model only when it embeds with a provider); `None`: what its type reaches
    /// ([`crate::tools::reach`]).
    pub fn family_reach(self, params: &Value) -> Option<crate::tools::Reach> {
        match self {
            Self::Knowledge(k) => Some(knowledge::reach(k, params)),
            _ => None,
        }
    }

    /// The step type's name, as missions write it.
    pub fn name(self) -> &'static str {
        Self::all().find(|(_, k)| *k == self).map_or("", |(n, _)| n)
    }

    /// Steps that finish without waiting on anything run inside the scheduler, not as tasks.
    pub fn is_inline(self) -> bool {
        matches!(self, Self::Noop)
    }
}

#[cfg(test)]
#[test]
fn every_kind_parses_from_its_name() {
    for (name, kind) in StepKind::all() {
        assert_eq!(StepKind::parse(name), Some(kind));
        assert_eq!(kind.name(), name);
    }
    assert_eq!(StepKind::parse("nope"), None);
}

/// A `command` step's line as written in the mission: a whole shell line runs only with
/// `shell: true`, and then only when the mission wrote it literally (no `{{…}}`), so no
/// variable ever reaches a shell. Checked on the parameters before they are resolved.
pub(crate) fn check_shell_line(raw: &Value) -> Result<(), String> {
    let shell = matches!(raw.get("shell"), Some(Value::Bool(true)))
        || raw.get("shell").and_then(Value::as_str) == Some("true");
    if !shell {
        return Ok(());
    }
    match raw.get("command") {
        Some(Value::String(line)) if line.contains("{{") => Err(
            "a `shell: true` line may not hold `{{…}}`: no variable ever reaches a shell; give the program and its `args` instead".to_string(),
        ),
        Some(Value::String(_)) => Ok(()),
        _ => Err("`shell: true` needs the whole line, written literally, in `command`".to_string()),
    }
}

/// The names of the step types this build runs.
pub fn implemented_step_types() -> Vec<&'static str> {
    StepKind::all().map(|(n, _)| n).collect()
}

/// Whether this build runs the step type.
pub fn is_implemented(name: &str) -> bool {
    StepKind::parse(name).is_some()
}

/// What a successful attempt produced.
#[derive(Debug, Default)]
pub(crate) struct StepOutput {
    pub value: Value,
    /// URLs contacted (for `links.txt`).
    pub links: Vec<String>,
    /// Workspace-relative paths written (each one a `mission.artifact` event).
    pub artifacts: Vec<String>,
    /// What an LLM call used (settled against the budget).
    pub usage: Option<crate::budget::Spend>,
}

impl StepOutput {
    pub fn new(value: Value) -> Self {
        Self {
            value,
            ..Default::default()
        }
    }

    pub fn with_artifact(mut self, path: impl Into<String>) -> Self {
        self.artifacts.push(path.into());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The step ran and failed (bad parameters, non-zero exit, refused path, ...).
    Error,
    /// The attempt was stopped from outside (timeout or cancellation); the executor words it.
    Interrupted,
    /// The worker that ran it was lost, and the step is not idempotent: it fails as
    /// `interrupted`, without a retry (it might have had its effect); resuming runs it again.
    Lost,
}

/// Why an attempt did not succeed.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// Output produced before the failure (e.g. a command's exit code and stderr).
    pub output: Option<Value>,
    /// What an LLM call used before it failed (`None`: unknown, the whole reservation is
    /// charged).
    pub usage: Option<crate::budget::Spend>,
    /// The gate refused the attempt because the budget is spent: the run ends.
    pub budget_exceeded: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Error,
            message: message.into(),
            output: None,
            usage: None,
            budget_exceeded: false,
        }
    }

    pub fn interrupted() -> Self {
        Self {
            kind: FailureKind::Interrupted,
            message: "interrupted".into(),
            output: None,
            usage: None,
            budget_exceeded: false,
        }
    }

    pub fn with_output(mut self, output: Value) -> Self {
        self.output = Some(output);
        self
    }
}

/// What every step of a run shares: the workspace, an HTTP client made on first use, the
/// run's setup (LLM context and prices, environment, sandbox), the processes its
/// `process_start` steps started (stopped when the run ends, at the latest when this is
/// dropped) and the ONNX models its `model_inference` steps loaded.
pub(crate) struct Shared {
    pub workspace: Workspace,
    http: OnceLock<Result<reqwest::Client, String>>,
    pub setup: RunSetup,
    pub processes: system::RunProcesses,
    /// The ONNX models `model_inference` steps loaded, kept for the rest of the run.
    pub models: inference::ModelCache,
}

/// Run-wide settings that steps read.
#[derive(Debug, Default)]
pub(crate) struct RunSetup {
    /// The mission's goal, constraints and perimeter, put first in every LLM system message.
    pub llm_context: String,
    pub prices: crate::pricing::PriceTable,
    /// `{{env.NAME}}` values; `None` reads the process environment.
    pub env: Option<std::collections::BTreeMap<String, String>>,
    /// When set, command steps start confined (Landlock) to this folder: read-only sandbox.
    pub confine_commands_to: Option<PathBuf>,
    /// The operator's providers and default provider (`llm` steps' `provider:`).
    pub providers: Arc<crate::providers::ProviderTable>,
    /// Every model call is answered by the simulated provider (`--simulate-llm`).
    pub simulate_llm: bool,
    /// Folders outside the workspace the operator's perimeter grants to repository steps
    /// (`perimeter.roots`), as written; each is resolved when a step names a path in it.
    pub granted_roots: Vec<PathBuf>,
    /// Host keys the operator trusts for SSH (`perimeter.network.trusted_host_keys`), as
    /// OpenSSH known_hosts lines; `ssh_execute` trusts these and its own `known_hosts` only.
    pub trusted_host_keys: Vec<String>,
    /// The knowledge store the `rag_*` steps share (`knowledge.db` in the data folder); `None`:
    /// a store of the run's own in its workspace (see `steps::knowledge`).
    pub knowledge_store: Option<PathBuf>,
}

impl RunSetup {
    pub fn env_var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

impl Shared {
    pub fn with_setup(workspace: Workspace, setup: RunSetup) -> Self {
        Self {
            workspace,
            http: OnceLock::new(),
            setup,
            processes: system::RunProcesses::default(),
            models: inference::ModelCache::default(),
        }
    }

    pub fn workspace_path(&self) -> &PathBuf {
        self.workspace.root()
    }

    pub(crate) fn http_client(&self) -> Result<&reqwest::Client, Failure> {
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .user_agent(concat!("mission-studio/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot set up the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|e| Failure::new(e.clone()))
    }
}

/// What one attempt of a step gets.
pub(crate) struct StepCtx {
    pub shared: Arc<Shared>,
    /// Cancelled when the attempt times out or the run is stopped.
    pub cancel: CancellationToken,
    /// What an `agent` or `chain` step gets from the run (its gate, tools, script); `None`
    /// for every other step.
    pub agent: Option<Arc<agents::AgentRuntime>>,
}

/// Runs one attempt of a step with resolved parameters.
pub(crate) async fn run(
    kind: StepKind,
    params: Value,
    ctx: &StepCtx,
) -> Result<StepOutput, Failure> {
    match kind {
        StepKind::Noop => noop::run(params),
        StepKind::Command => command::run(&params, ctx).await,
        StepKind::CreateFile => create_file::run(params, ctx).await,
        StepKind::EditFile => edit_file::run(params, ctx).await,
        StepKind::DeleteFile => delete_file::run(params, ctx).await,
        StepKind::CopyFile => copy_file::run(params, ctx).await,
        StepKind::MoveFile => move_file::run(params, ctx).await,
        StepKind::ReadFile => read_file::run(params, ctx).await,
        StepKind::ListDirectory => list_directory::run(params, ctx).await,
        StepKind::FileSearch => file_search::run(params, ctx).await,
        StepKind::ParseJson => parse_json::run(params, ctx).await,
        StepKind::ParseYaml => parse_yaml::run(params, ctx).await,
        StepKind::Http => http::run(&params, ctx).await,
        StepKind::Llm => llm::run(&params, ctx).await,
        StepKind::Tool => tool::run(&params, ctx).await,
        StepKind::Data(k) => data::run(k, params, ctx).await,
        StepKind::Db(k) => db::run(k, params, ctx).await,
        StepKind::Git(k) => git::run(k, params, ctx).await,
        StepKind::Code(k) => code::run(k, params, ctx).await,
        StepKind::System(k) => system::run(k, params, ctx).await,
        StepKind::Network(k) => network::run(k, params, ctx).await,
        StepKind::Agents(k) => agents::run(k, params, ctx).await,
        StepKind::Inference(k) => inference::run(k, params, ctx).await,
        StepKind::Knowledge(k) => knowledge::run(k, params, ctx).await,
    }
}

/// Runs an inline step (see [`StepKind::is_inline`]).
pub(crate) fn run_inline(kind: StepKind, params: Value) -> Result<StepOutput, Failure> {
    match kind {
        StepKind::Noop => noop::run(params),
        other => Err(Failure::new(format!(
            "step type {other:?} cannot run inline"
        ))),
    }
}
