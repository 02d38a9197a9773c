//! Spark tooling (DESIGN §14): generate a mission from a plan or a GraphSpec, compare two
//! mission files, package one with its manifest, requirements, schemas and tools, check its
//! deployment readiness, and print a run's plan as Spark's `render_text` does.

pub mod diff_html;
pub mod generate;
pub mod mission_diff;
pub mod mission_package;
pub mod package_open;
pub mod plan_text;
pub mod readiness;
pub mod yaml_out;

pub use generate::{generate_from_graph, generate_from_plan, parse_plan, render_mission};
pub use mission_diff::{diff_missions, Change, MissionDiff, SectionDiff, StepChange};
pub use mission_package::{package_mission, PackageManifest, PackageOptions};
pub use package_open::{is_package, open_package, OpenedPackage};
pub use plan_text::{render_plan_text, PlanLine};
pub use readiness::{check_readiness, Finding, Machine, Readiness};

/// The tool registry's folders for a mission file: its library's `missions/tools/`, then the
/// data folder's `tools/` (read last, so it wins).
pub fn tool_dirs(
    data_dir: Option<&std::path::Path>,
    mission_file: &std::path::Path,
) -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = crate::live::library_tools_dir(mission_file) {
        dirs.push(dir);
    }
    if let Ok(paths) = crate::AppPaths::resolve(data_dir) {
        dirs.push(paths.data_dir().join("tools"));
    }
    dirs
}

/// This machine as `mission check` sees it: CPUs, memory, environment, the providers
/// configured in the data folder and the tools of the registry.
pub fn readiness_machine(
    data_dir: Option<&std::path::Path>,
    mission_file: &std::path::Path,
) -> Machine {
    let providers = crate::AppPaths::resolve(data_dir)
        .map(|p| crate::providers::configured_names_in(p.data_dir()))
        .unwrap_or_default();
    let tools = studio_engine::tools::ToolRegistry::load_dirs(&tool_dirs(data_dir, mission_file))
        .map(|r| r.names().map(str::to_string).collect())
        .unwrap_or_default();
    Machine::here(providers, tools)
}
