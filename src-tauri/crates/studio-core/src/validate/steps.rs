//! Step ids, dependencies, cycles, step types and parameters.

use super::{list, step_path, Checker};
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{cycle_path, BuildProblem, StepGraph};
use crate::spans::{child_key, Part};
use crate::step_params::{check_parameters, knowledge, params_of, ProblemKind, BUILTIN_PROVIDERS};
use crate::step_types::{step_type, StepTypeStatus, STEP_TYPES};
use crate::suggest::did_you_mean;
use crate::variables::NAMESPACES;
use serde_json::Value;

/// Checks the steps and returns their graph (built without the faulty parts) and, when there is
/// no cycle, the level of each step.
pub(super) fn check_steps<'m>(c: &mut Checker<'m>) -> (StepGraph<'m>, Option<Vec<usize>>) {
    let mission = c.mission;
    if mission.steps.is_empty() {
        c.push(
            Diagnostic::warning(Code::EmptyMission, "steps", "the mission has no steps")
                .with_help("add at least one step under `steps:`"),
            Part::Key,
        );
    }
    for (i, step) in mission.steps.iter().enumerate() {
        check_id(c, i, &step.id);
        check_step_type(c, i);
        if step.timeout_seconds == Some(0) {
            c.push(
                Diagnostic::error(
                    Code::InvalidConfig,
                    format!("{}.timeout_seconds", step_path(i)),
                    "a step timeout of 0 seconds would fail every attempt",
                )
                .with_help(
                    "give at least 1 second, or remove `timeout_seconds` for no step timeout",
                ),
                Part::Value,
            );
        }
    }

    let (graph, problems) = StepGraph::build(mission);
    for problem in problems {
        report_build_problem(c, problem);
    }
    let levels = graph.step_levels().ok();
    if levels.is_none() {
        for cycle in graph.cycles() {
            report_cycle(c, &cycle);
        }
    }
    (graph, levels)
}

fn check_id(c: &mut Checker<'_>, i: usize, id: &str) {
    let field = format!("{}.id", step_path(i));
    if id.trim().is_empty() {
        c.push(
            Diagnostic::error(Code::InvalidStepId, field, "the step id is blank")
                .with_help("give the step a short unique id such as `fetch_data`"),
            Part::Value,
        );
    } else if id.contains(['.', '{', '}', '[', ']']) || id.chars().any(char::is_whitespace) {
        c.push(
            Diagnostic::warning(
                Code::InvalidStepId,
                field,
                format!("step id `{id}` cannot be used in a `{{{{{id}.output}}}}` reference"),
            )
            .with_help("use letters, digits, `_` and `-` only"),
            Part::Value,
        );
    } else if NAMESPACES.contains(&id) {
        c.push(
            Diagnostic::warning(
                Code::InvalidStepId,
                field,
                format!("step id `{id}` is also a variable namespace: `{{{{{id}.…}}}}` reads the namespace, not this step"),
            )
            .with_help("rename the step"),
            Part::Value,
        );
    }
}

fn check_step_type(c: &mut Checker<'_>, i: usize) {
    let step = &c.mission.steps[i];
    let field = format!("{}.step_type", step_path(i));
    let name = step.step_type.as_str();
    match step_type(name) {
        None => {
            let shell_like = ["shell", "bash", "sh", "script", "exec", "run", "powershell"]
                .contains(&name.to_ascii_lowercase().as_str());
            let help = match did_you_mean(name, STEP_TYPES.iter().map(|t| t.name)) {
                _ if shell_like => "use `step_type: command` with the program and its `args` (or, for a literal line that needs a shell, `command: <line>` with `shell: true`)".to_string(),
                Some(s) => format!("did you mean `{s}`?"),
                None => "see the step types in missions/README.md".to_string(),
            };
            c.push(
                Diagnostic::error(
                    Code::UnknownStepType,
                    field,
                    format!("unknown step type `{name}`"),
                )
                .with_help(help),
                Part::Value,
            );
        }
        Some(info) if info.status() == StepTypeStatus::NotAvailableYet => {
            let available: Vec<&str> = STEP_TYPES
                .iter()
                .filter(|t| t.status() == StepTypeStatus::Available)
                .map(|t| t.name)
                .collect();
            c.push(
                Diagnostic::error(
                    Code::StepTypeNotAvailable,
                    field,
                    format!("`{name}` is not available yet in this version"),
                )
                .with_help(format!(
                    "`{name}` is a known step type that this build cannot run yet; available now: {}",
                    available.join(", ")
                )),
                Part::Value,
            );
        }
        Some(_) => check_step_parameters(c, i),
    }
}

fn check_step_parameters(c: &mut Checker<'_>, i: usize) {
    let step = &c.mission.steps[i];
    let Some(spec) = params_of(&step.step_type) else {
        return;
    };
    let params_path = format!("{}.parameters", step_path(i));
    for problem in check_parameters(spec, &step.parameters) {
        let field = if problem.param.is_empty() {
            params_path.clone()
        } else {
            child_key(&params_path, &problem.param)
        };
        let (d, part) = match problem.kind {
            ProblemKind::Missing => (
                Diagnostic::error(Code::MissingParameter, field, problem.message),
                Part::Key,
            ),
            ProblemKind::WrongType => (
                Diagnostic::error(Code::InvalidParameter, field, problem.message),
                Part::Value,
            ),
            ProblemKind::Unknown => (
                Diagnostic::warning(Code::UnknownParameter, field, problem.message),
                Part::Key,
            ),
            ProblemKind::Conflict => (
                Diagnostic::error(Code::ConflictingParameters, field, problem.message),
                Part::Key,
            ),
        };
        c.push(d.with_help(problem.help), part);
    }
    match step.step_type.as_str() {
        "command" => check_command_line(c, i),
        "llm" => check_provider(c, i, &[]),
        t if knowledge::is_knowledge_type(t) => check_embedder(c, i),
        "csv_process" => check_csv_operations(c, i),
        _ => {}
    }
}

/// The operations of a `csv_process` step: names, arguments and their types, located at the entry
/// or argument at fault.
fn check_csv_operations(c: &mut Checker<'_>, i: usize) {
    use crate::step_params::csv_ops::{csv_operations, PathPart};
    let Err(problems) = csv_operations(&c.mission.steps[i].parameters) else {
        return;
    };
    for problem in problems {
        let mut field = format!("{}.parameters", step_path(i));
        for part in &problem.path {
            field = match part {
                PathPart::Key(k) => child_key(&field, k),
                PathPart::Index(n) => crate::spans::child_index(&field, *n),
            };
        }
        let part = if problem.at_key {
            Part::Key
        } else {
            Part::Value
        };
        c.push(
            Diagnostic::error(Code::InvalidParameter, field, problem.message)
                .with_help(problem.help),
            part,
        );
    }
}

/// A whole shell line in `command` (no `args`) is refused with the program + args form, unless
/// the mission asks for a shell with `shell: true` and the line is a literal.
fn check_command_line(c: &mut Checker<'_>, i: usize) {
    let p = &c.mission.steps[i].parameters;
    let Some(command) = p.get("command").and_then(Value::as_str) else {
        return;
    };
    let shell = matches!(p.get("shell"), Some(Value::Bool(true)))
        || p.get("shell").and_then(Value::as_str) == Some("true");
    let has_args = p.get("args").is_some_and(|a| !a.is_null());
    let field = format!("{}.parameters.command", step_path(i));
    if shell {
        if command.contains("{{") {
            c.push(
                Diagnostic::error(
                    Code::ShellCommandLine,
                    field,
                    "a `shell: true` line may not hold `{{…}}`: no variable ever reaches a shell",
                )
                .with_help("drop `shell: true` and give the program and its arguments, each `{{…}}` inside one argument: `command: prog`, `args: [\"--name\", \"{{context.name}}\"]`"),
                Part::Value,
            );
        } else if has_args {
            c.push(
                Diagnostic::error(
                    Code::ConflictingParameters,
                    format!("{}.parameters.args", step_path(i)),
                    "with `shell: true` the whole line is in `command`; `args` would be ignored",
                )
                .with_help("put the arguments in the line, or drop `shell: true` and keep `command` + `args`"),
                Part::Key,
            );
        }
        return;
    }
    let line = command.trim();
    if has_args || !line.contains(char::is_whitespace) {
        return;
    }
    let help = match shlex::split(line) {
        Some(words) if !words.is_empty() && !has_shell_syntax(line) => {
            let args: Vec<String> = words[1..]
                .iter()
                .map(|w| serde_json::to_string(w).unwrap_or_default())
                .collect();
            format!(
                "give the program and its arguments apart: `command: {}` and `args: [{}]`; or, for a literal line that needs a shell, add `shell: true`",
                words[0],
                args.join(", ")
            )
        }
        _ => "this line uses shell syntax (pipes, `&&`, redirections, variables): split it into steps, each with `command` + `args`, or, for a literal line, add `shell: true`".to_string(),
    };
    c.push(
        Diagnostic::error(
            Code::ShellCommandLine,
            field,
            format!(
                "`command` holds a whole shell line (`{}`) and no `args`",
                short(line)
            ),
        )
        .with_help(help),
        Part::Value,
    );
}

/// Whether a line relies on a shell to mean what it says.
fn has_shell_syntax(line: &str) -> bool {
    ["&&", "||", "|", ";", ">", "<", "$", "`", "*", "~"]
        .iter()
        .any(|t| line.contains(t))
}

fn short(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// A knowledge step's embedder: `local`, or a provider as for `llm`, except Anthropic, whose API
/// has no embeddings.
fn check_embedder(c: &mut Checker<'_>, i: usize) {
    let p = &c.mission.steps[i].parameters;
    if p.get("provider").and_then(Value::as_str) == Some("anthropic") {
        c.push(
            Diagnostic::error(
                Code::InvalidParameter,
                format!("{}.parameters.provider", step_path(i)),
                "the Anthropic API has no embeddings: this step would fail",
            )
            .with_help(format!(
                "use `{}` (built in, offline), `openai` (any OpenAI-compatible server), `ollama`, or a provider of Settings that speaks one of them",
                knowledge::LOCAL_EMBEDDER
            )),
            Part::Value,
        );
        return;
    }
    check_provider(c, i, &[knowledge::LOCAL_EMBEDDER]);
}

/// An `llm` step's provider: built in, `also` (names the step type knows besides), or named in
/// the operator's provider table.
fn check_provider(c: &mut Checker<'_>, i: usize, also: &[&str]) {
    let p = &c.mission.steps[i].parameters;
    let Some(provider) = p.get("provider").and_then(Value::as_str) else {
        return;
    };
    if provider.contains("{{") || BUILTIN_PROVIDERS.contains(&provider) || also.contains(&provider)
    {
        return;
    }
    let configured = c.options.providers.as_deref().unwrap_or(&[]);
    if configured.iter().any(|n| n == provider) {
        return;
    }
    let known: Vec<&str> = also
        .iter()
        .chain(BUILTIN_PROVIDERS)
        .copied()
        .chain(configured.iter().map(String::as_str))
        .collect();
    let help = match did_you_mean(provider, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? Or add `{provider}` in Settings → Providers (its wire format and base URL, e.g. openai at http://127.0.0.1:11435/v1)"),
        None => format!(
            "add `{provider}` in Settings → Providers (the app) or to providers.json in the data folder: its wire format (openai, ollama or anthropic) and base URL; built in: {}",
            BUILTIN_PROVIDERS.join(", ")
        ),
    };
    c.push(
        Diagnostic::warning(
            Code::UnknownProvider,
            format!("{}.parameters.provider", step_path(i)),
            format!(
                "the provider `{provider}` is neither built in nor configured: the step would fail"
            ),
        )
        .with_help(help),
        Part::Value,
    );
}

fn report_build_problem(c: &mut Checker<'_>, problem: BuildProblem) {
    let mission = c.mission;
    match problem {
        BuildProblem::DuplicateId { first, second } => {
            let id = &mission.steps[second].id;
            let first_at = c
                .line_of(&format!("{}.id", step_path(first)))
                .map_or(String::new(), |l| format!(" (line {l})"));
            c.push(
                Diagnostic::error(
                    Code::DuplicateStepId,
                    format!("{}.id", step_path(second)),
                    format!(
                        "step id `{id}` is already used by step {}{first_at}",
                        first + 1
                    ),
                )
                .with_help("give each step its own id; `depends_on` and references use it"),
                Part::Value,
            );
        }
        BuildProblem::UnknownDependency { step, position } => {
            let s = &mission.steps[step];
            let dep = &s.depends_on[position];
            let ids = mission
                .steps
                .iter()
                .map(|s| s.id.as_str())
                .filter(|id| *id != s.id);
            let help = match did_you_mean(dep, ids) {
                Some(similar) => format!("did you mean `{similar}`?"),
                None => format!("declare a step with id `{dep}`, or remove it from `depends_on`"),
            };
            c.push(
                Diagnostic::error(
                    Code::UnknownDependency,
                    format!("{}.depends_on[{position}]", step_path(step)),
                    format!(
                        "step `{}` depends on `{dep}`, which is not a step of this mission",
                        s.id
                    ),
                )
                .with_help(help),
                Part::Value,
            );
        }
        BuildProblem::RepeatedDependency { step, position } => {
            let s = &mission.steps[step];
            let dep = &s.depends_on[position];
            c.push(
                Diagnostic::warning(
                    Code::DuplicateDependency,
                    format!("{}.depends_on[{position}]", step_path(step)),
                    format!("`{dep}` is listed twice in the `depends_on` of `{}`", s.id),
                )
                .with_help("remove the repeated entry"),
                Part::Value,
            );
        }
    }
}

fn report_cycle(c: &mut Checker<'_>, cycle: &[usize]) {
    let mission = c.mission;
    let path = cycle_path(mission, cycle);
    let first = cycle[0];
    let next_id = &path[1];
    let position = mission.steps[first]
        .depends_on
        .iter()
        .position(|d| d == next_id)
        .unwrap_or(0);
    let ids: Vec<&str> = path[..path.len() - 1].iter().map(String::as_str).collect();
    c.push(
        Diagnostic::error(
            Code::DependencyCycle,
            format!("{}.depends_on[{position}]", step_path(first)),
            format!(
                "the steps depend on each other in a cycle: {}",
                path.join(" -> ")
            ),
        )
        .with_help(if ids.len() == 1 {
            format!("remove `{}` from its own `depends_on`", ids[0])
        } else {
            format!(
                "remove one of the dependencies between {} so that the steps form a DAG",
                list(&ids, 6)
            )
        }),
        Part::Value,
    );
}
