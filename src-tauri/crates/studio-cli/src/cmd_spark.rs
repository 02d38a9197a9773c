//! Spark tooling on mission files (DESIGN §14): `mission generate`, `mission diff A B` on two
//! mission files, `mission check`. The work is done by `studio_api::spark`; this file reads
//! the arguments and prints.

use std::path::{Path, PathBuf};
use studio_api::spark::{self, diff_html, mission_diff, readiness};
use studio_api::studio_core::DeploymentTarget;

const USAGE: u8 = 2;
const INVALID: u8 = 3;

/// Output forms of `mission diff` on mission files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Html,
}

/// `mission generate NAME --plan LIST [--graph FILE] [-o FILE]`.
pub fn generate(name: &str, plan: Option<&str>, graph: Option<&Path>, out: Option<&Path>) -> u8 {
    let groups = match plan.map(spark::parse_plan).transpose() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return USAGE;
        }
    };
    let mission = match (graph, &groups) {
        (Some(graph), _) => match spark::generate_from_graph(name, graph, groups.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {}", e.message);
                return INVALID;
            }
        },
        (None, Some(groups)) => spark::generate_from_plan(name, groups),
        (None, None) => {
            eprintln!("error: give the steps with --plan \"a,b,c\" (or a Spark GraphSpec with --graph FILE)");
            return USAGE;
        }
    };
    let out = out.map_or_else(
        || PathBuf::from(format!("{}.yaml", studio_api::studio_core::slug(name))),
        Path::to_path_buf,
    );
    if out.exists() {
        eprintln!(
            "error: {} already exists; it was left as it is (choose another -o)",
            out.display()
        );
        return USAGE;
    }
    let text = spark::render_mission(&mission);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&out)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => {
            println!("{}", out.display());
            eprintln!("wrote {} ({} steps)", out.display(), mission.steps.len());
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            1
        }
    }
}

fn load(path: &Path) -> Result<studio_api::studio_core::Mission, u8> {
    match studio_api::studio_core::load_file(path) {
        Ok(l) => Ok(l.mission),
        Err(e) => {
            eprintln!("error: {}: {}", path.display(), e.diagnostic().message);
            Err(INVALID)
        }
    }
}

/// `mission diff A B` on mission files: 0 equal, 1 different, 2 usage, 3 unreadable file.
pub fn diff(a: &Path, b: &Path, format: DiffFormat, out: Option<&Path>) -> u8 {
    let (ma, mb) = match (load(a), load(b)) {
        (Ok(ma), Ok(mb)) => (ma, mb),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let d = spark::diff_missions(&a.display().to_string(), &ma, &b.display().to_string(), &mb);
    let text = match format {
        DiffFormat::Text => mission_diff::render_text(&d),
        DiffFormat::Json => serde_json::to_string_pretty(&d).unwrap_or_default() + "\n",
        DiffFormat::Html => diff_html::render_html(&d),
    };
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("error: {}: {e}", path.display());
                return 1;
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    u8::from(!d.equal)
}

/// The readiness of a mission file for a target; `Err(code)` when it cannot be read.
pub fn readiness_of(
    data_dir: Option<&Path>,
    file: &Path,
    target: Option<DeploymentTarget>,
) -> Result<readiness::Readiness, u8> {
    let mission = load(file)?;
    let target = target
        .or_else(|| mission.deployment.as_ref().and_then(|d| d.target))
        .unwrap_or(DeploymentTarget::Development);
    let machine = studio_api::spark::readiness_machine(data_dir, file);
    Ok(spark::check_readiness(&mission, target, &machine))
}

/// `mission check FILE --target T [--json]`: 0 ready, 1 not ready, 3 invalid mission.
pub fn check(
    data_dir: Option<&Path>,
    file: &Path,
    target: Option<DeploymentTarget>,
    json: bool,
) -> u8 {
    let options = studio_api::check::CheckOptions::for_data_dir(data_dir, Vec::new(), false);
    if crate::cmd_validate::load_and_validate(file, &options).is_err() {
        return INVALID;
    }
    let report = match readiness_of(data_dir, file, target) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", readiness::render_text(&report));
    }
    u8::from(!report.ready)
}

/// Parses `--target`.
pub fn parse_target(text: &str) -> Result<DeploymentTarget, String> {
    DeploymentTarget::parse(text)
        .ok_or_else(|| format!("unknown target `{text}`; one of: development, staging, production"))
}
