//! `mission new NAME [--sector S] [--dir DIR]`: writes a native mission file to start from
//! (`<dir>/<slug>.yaml`), valid as written, and never overwrites an existing file (exit 2).
//! The path is printed on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code of a refused `new` (bad name, existing file).
const USAGE: u8 = 2;

/// The text of a new mission named `name`.
pub fn scaffold(name: &str, sector: Option<&str>) -> String {
    let slug = studio_api::studio_core::slug(name);
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let sector_line = match sector {
        Some(s) => format!("sector: {}\n", quoted(s)),
        None => String::new(),
    };
    format!(
        r##"# A Mission Studio mission. Check it with `mission validate {slug}.yaml`, see its plan with
# `mission run {slug}.yaml --dry-run`, run it with `mission run {slug}.yaml`.
version: "1.0"
id: local.{slug}
name: {name}
description: What this mission does, in one sentence.
{sector_line}goal: The outcome the mission achieves.
done_definition: outputs/report.md exists and says what was found.
tags: [draft]
config:
  fail_fast: true
  max_concurrent_steps: 4
  timeout_seconds: 600
perimeter:
  budget: {{max_cost_usd: 1.0, max_steps: 20, max_runtime_minutes: 10}}
  approval: {{mode: auto}}
  sandbox: full-access
steps:
  - id: gather
    name: Gather input
    step_type: create_file
    parameters:
      path: input.txt
      content: "Replace this step with the real input of the mission."
  - id: read
    name: Read it back
    step_type: read_file
    depends_on: [gather]
    parameters: {{path: input.txt}}
  - id: report
    name: Write the report
    step_type: create_file
    depends_on: [read]
    parameters:
      path: report.md
      content: "# {{{{mission.id}}}}\n\nRead {{{{read.output.size}}}} bytes.\n"
outputs: [report.md]
"##,
        name = quoted(name),
    )
}

/// Runs the command; returns the exit code.
pub fn new_mission(name: &str, sector: Option<&str>, dir: Option<&Path>) -> u8 {
    if name.trim().is_empty() {
        eprintln!("error: the mission name is empty");
        return USAGE;
    }
    let dir: PathBuf = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return 1;
    }
    let path = dir.join(format!("{}.yaml", studio_api::studio_core::slug(name)));
    let text = scaffold(name, sector);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists; it was left as it is (choose another name or --dir)",
                path.display()
            );
            return USAGE;
        }
        Err(e) => {
            eprintln!("error: cannot create {}: {e}", path.display());
            return 1;
        }
    };
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        let _ = std::fs::remove_file(&path);
        return 1;
    }
    println!("{}", path.display());
    eprintln!(
        "created {}: edit its steps, then `mission validate {}`",
        path.display(),
        path.display()
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffold_is_a_valid_mission_for_awkward_names() {
        for (name, sector) in [
            ("Keyword Analysis", Some("Intelligence")),
            ("quotes \" and: colons # hash", None),
        ] {
            let text = scaffold(name, sector);
            let loaded = studio_api::studio_core::load_str(&text, "new.yaml").unwrap();
            assert_eq!(loaded.mission.name, name);
            assert_eq!(loaded.mission.sector.as_deref(), sector);
            let diags = studio_api::studio_core::validate(&loaded);
            assert!(diags.is_empty(), "{diags:#?}");
        }
    }
}
