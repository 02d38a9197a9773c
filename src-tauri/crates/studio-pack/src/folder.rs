//! Creating an evidence folder at the start of a run and completing it at the end.

use crate::atomic;
use crate::meta::{Environment, Meta};
use crate::render;
use crate::PackError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use studio_core::{Mission, RunStatus};
use studio_engine::{RunResult, Usage};

/// Who the run is: fixed before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    pub run_id: String,
    pub trace_id: String,
    pub logic_hash: String,
    pub started_at: DateTime<Utc>,
}

/// `<YYYYMMDD-HHMM>__<project>__<slug>` (UTC), project = the mission's sector or `default`.
pub fn folder_name(mission: &Mission, at: DateTime<Utc>) -> String {
    let project = mission
        .sector
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(studio_core::slug)
        .unwrap_or_else(|| "default".to_string());
    let named = if mission.name.trim().is_empty() {
        mission.mission_id()
    } else {
        mission.name.clone()
    };
    let slug = studio_core::slug(&named);
    format!("{}__{project}__{slug}", at.format("%Y%m%d-%H%M"))
}

/// An evidence folder being filled by a run.
#[derive(Debug)]
pub struct EvidenceFolder {
    root: PathBuf,
    meta: Meta,
}

const SUBFOLDERS: &[&str] = &[
    "workspace",
    "outputs",
    "evidence",
    "evidence/raw",
    "evidence/screenshots",
];

impl EvidenceFolder {
    /// Creates the folder under `runs_dir` (a new name if one exists), writes `mission.yaml`,
    /// `context.md`, `constraints.md` and the first `meta.json` (status `running`).
    pub fn create(
        runs_dir: &Path,
        mission: &Mission,
        run: &RunIdentity,
    ) -> Result<Self, PackError> {
        std::fs::create_dir_all(runs_dir).map_err(|e| PackError::io(runs_dir, e))?;
        let base = folder_name(mission, run.started_at);
        let root = create_unique(runs_dir, &base)?;
        for sub in SUBFOLDERS {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(|e| PackError::io(&dir, e))?;
        }
        atomic::write(
            &root.join("mission.yaml"),
            render::mission_yaml(mission)?.as_bytes(),
        )?;
        atomic::write(
            &root.join("context.md"),
            render::context_md(mission).as_bytes(),
        )?;
        atomic::write(
            &root.join("constraints.md"),
            render::constraints_md(mission).as_bytes(),
        )?;
        let meta = Meta {
            run_id: run.run_id.clone(),
            mission_id: mission.mission_id(),
            mission_name: mission.name.clone(),
            trace_id: run.trace_id.clone(),
            logic_hash: run.logic_hash.clone(),
            status: RunStatus::Running,
            reason: None,
            started_at: rfc3339(run.started_at),
            finished_at: None,
            total_duration_ms: None,
            broker: None,
            model: None,
            simulate_llm: false,
            simulated_llm_steps: Vec::new(),
            simulated_steps: Vec::new(),
            outputs: Vec::new(),
            outputs_missing: Vec::new(),
            evidence: Vec::new(),
            environment: Environment::current(),
            usage: Usage::default(),
            steps: BTreeMap::new(),
            state: BTreeMap::new(),
            resumed_from: None,
            perimeter: None,
            sandbox: None,
            reused_steps: BTreeMap::new(),
            mission_file: None,
            operator_perimeter: None,
            telemetry: None,
        };
        atomic::write_json(&root.join("meta.json"), &meta)?;
        Ok(Self { root, meta })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn workspace(&self) -> PathBuf {
        self.root.join("workspace")
    }

    pub fn events_path(&self) -> PathBuf {
        self.root.join("events.jsonl")
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Marks the run as a resume of `run_id` (in `meta.json` from its next write:
    /// [`EvidenceFolder::set_launch`], made before the run starts).
    pub fn set_resumed_from(&mut self, run_id: &str) -> Result<(), PackError> {
        self.meta.resumed_from = Some(run_id.to_string());
        Ok(())
    }

    /// Records that every model call of the run is simulated (`--simulate-llm`; in
    /// `meta.json` from its next write).
    pub fn set_simulate_llm(&mut self, on: bool) -> Result<(), PackError> {
        self.meta.simulate_llm = on;
        Ok(())
    }

    /// Records the mission file the run was read from and the operator's own perimeter, and
    /// writes `meta.json` with everything set so far (the hosts call it last before the run).
    pub fn set_launch(
        &mut self,
        mission_file: Option<crate::meta::MissionFileRef>,
        operator_perimeter: Option<Value>,
    ) -> Result<(), PackError> {
        self.meta.mission_file = mission_file;
        self.meta.operator_perimeter = operator_perimeter;
        atomic::write_json(&self.root.join("meta.json"), &self.meta)
    }

    /// Records what became of the run's trace (written with the rest of `meta.json` by
    /// [`EvidenceFolder::finish`]).
    pub fn set_telemetry(&mut self, report: Value) {
        self.meta.telemetry = Some(report);
    }

    /// Where the gate's decisions go (`evidence/audit.jsonl`).
    pub fn audit_path(&self) -> PathBuf {
        self.root.join("evidence").join("audit.jsonl")
    }

    /// Records the run's perimeter and sandbox (in `meta.json` from its next write).
    pub fn set_governance(&mut self, perimeter: Value, sandbox: Value) -> Result<(), PackError> {
        self.meta.perimeter = Some(perimeter);
        self.meta.sandbox = Some(sandbox);
        Ok(())
    }

    /// Copies an earlier run's workspace into this one (files and folders; symlinks are not
    /// followed), so reused steps' files are there for the steps that run again.
    pub fn seed_workspace(&self, from: &Path) -> Result<u64, PackError> {
        crate::seed::copy_tree(from, &self.workspace())
    }

    /// Records a run that could not start (e.g. a refused step type).
    pub fn abort(&mut self, reason: &str) -> Result<(), PackError> {
        self.meta.status = RunStatus::Failed;
        self.meta.reason = Some(reason.to_string());
        self.meta.finished_at = Some(rfc3339(Utc::now()));
        atomic::write_json_synced(&self.root.join("meta.json"), &self.meta)
    }

    /// Records in `meta.json` that the run ended (the result's status and end) although its
    /// folder could not be completed (`why`, e.g. a full disk), so the folder never stays
    /// `running` while the history has the run ended. Best effort: on a disk still full this
    /// small write may fail too.
    pub fn finish_incomplete(&mut self, result: &RunResult, why: &str) -> Result<(), PackError> {
        self.meta.status = result.status;
        self.meta.reason = Some(match &result.reason {
            Some(reason) => format!("{reason}; evidence incomplete: {why}"),
            None => format!("evidence incomplete: {why}"),
        });
        self.meta.finished_at = Some(rfc3339(result.finished_at));
        atomic::write_json(&self.root.join("meta.json"), &self.meta)
    }

    /// Completes the folder from the run's result: declared outputs, `answer.md`, the evidence
    /// files, and the final `meta.json`.
    pub fn finish(&mut self, mission: &Mission, result: &RunResult) -> Result<(), PackError> {
        let (copied, missing) = self.copy_outputs(mission)?;
        self.record_models(result);
        self.meta.simulated_steps = mission
            .steps
            .iter()
            .filter(|s| mission.simulated_tool(s).is_some())
            .filter(|s| {
                result.step_results.get(&s.id).is_some_and(|r| {
                    r.reused_from.is_none() && r.status == studio_core::StepStatus::Success
                })
            })
            .map(|s| s.id.clone())
            .collect();
        let answer = self.root.join("outputs/answer.md");
        let simulation = render::Simulation {
            switch_on: self.meta.simulate_llm,
            steps: &self.meta.simulated_llm_steps,
            canned: &self.meta.simulated_steps,
        };
        if !answer.exists() {
            atomic::write(
                &answer,
                render::answer_md(mission, result, &copied, &missing, &simulation).as_bytes(),
            )?;
        } else if !simulation.is_empty() {
            // A step wrote the answer itself: it still says that the models were simulated.
            let written = std::fs::read_to_string(&answer).unwrap_or_default();
            let text = format!("{}{written}", render::simulation_notice(&simulation));
            atomic::write(&answer, text.as_bytes())?;
        }
        let evidence = self.root.join("evidence");
        atomic::write(
            &evidence.join("steps.md"),
            render::steps_md(mission, result).as_bytes(),
        )?;
        atomic::write(
            &evidence.join("links.txt"),
            render::links_txt(result).as_bytes(),
        )?;
        let mut evidence_files = vec!["steps.md".to_string(), "links.txt".to_string()];
        evidence_files.extend(crate::raw::write_records(&evidence, mission, result)?);
        self.meta.status = result.status;
        self.meta.reason = result.reason.clone();
        self.meta.finished_at = Some(rfc3339(result.finished_at));
        self.meta.total_duration_ms = Some(result.total_duration_ms);
        self.meta.outputs = list_files(&self.root.join("outputs"));
        self.meta.outputs_missing = missing;
        self.meta.evidence = evidence_files;
        self.meta.usage = result.usage;
        self.meta.steps = result
            .counts()
            .into_iter()
            .map(|(status, n)| (status.as_str().to_string(), n))
            .collect();
        self.meta.state = result.state.clone();
        self.meta.reused_steps = result
            .step_results
            .iter()
            .filter_map(|(id, r)| r.reused_from.clone().map(|from| (id.to_string(), from)))
            .collect();
        // The one synced write of the folder: its final record (see `atomic`).
        atomic::write_json_synced(&self.root.join("meta.json"), &self.meta)
    }

    /// The providers and models the model steps (`llm`, `agent`, `chain`) used, and which
    /// answers were simulated.
    fn record_models(&mut self, result: &RunResult) {
        let mut providers: Vec<String> = Vec::new();
        let mut models: Vec<String> = Vec::new();
        let mut simulated = Vec::new();
        for (id, r) in result.step_results.iter() {
            if !matches!(&*r.step_type, "llm" | "agent" | "chain") {
                continue;
            }
            let out = &r.output;
            let push = |list: &mut Vec<String>, v: Option<&str>| {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    if !list.iter().any(|x| x == v) {
                        list.push(v.to_string());
                    }
                }
            };
            push(&mut providers, out.get("provider").and_then(|v| v.as_str()));
            push(&mut models, out.get("model").and_then(|v| v.as_str()));
            if out.get("simulated").and_then(|v| v.as_bool()) == Some(true) {
                simulated.push(id.to_string());
            }
        }
        self.meta.broker = (!providers.is_empty()).then(|| providers.join(", "));
        self.meta.model = (!models.is_empty()).then(|| models.join(", "));
        self.meta.simulated_llm_steps = simulated;
    }

    /// Copies each declared output from the workspace into `outputs/` (through the workspace
    /// capability, so a symlink cannot smuggle in a file from outside).
    fn copy_outputs(&self, mission: &Mission) -> Result<(Vec<String>, Vec<String>), PackError> {
        let workspace = self.workspace();
        let dir = cap_std::fs::Dir::open_ambient_dir(&workspace, cap_std::ambient_authority())
            .map_err(|e| PackError::io(&workspace, e))?;
        let (mut copied, mut missing) = (Vec::new(), Vec::new());
        for declared in &mission.outputs {
            let rel = Path::new(declared);
            let safe = !declared.is_empty()
                && rel
                    .components()
                    .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
            let bytes = if safe { dir.read(rel).ok() } else { None };
            match bytes {
                Some(bytes) => {
                    let target = self.root.join("outputs").join(rel);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| PackError::io(parent, e))?;
                    }
                    atomic::write(&target, &bytes)?;
                    copied.push(declared.clone());
                }
                None => missing.push(declared.clone()),
            }
        }
        Ok((copied, missing))
    }
}

fn create_unique(runs_dir: &Path, base: &str) -> Result<PathBuf, PackError> {
    for n in 1u32.. {
        let name = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let path = runs_dir.join(name);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => continue,
            Err(e) => return Err(PackError::io(&path, e)),
        }
    }
    unreachable!("the loop returns")
}

fn list_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_name_follows_the_mission_pack_format() {
        let mut m = Mission {
            name: "Keyword Analysis".into(),
            ..Default::default()
        };
        let at = DateTime::parse_from_rfc3339("2025-12-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            folder_name(&m, at),
            "20251231-1200__default__keyword-analysis"
        );
        m.sector = Some("Intelligence".into());
        assert_eq!(
            folder_name(&m, at),
            "20251231-1200__intelligence__keyword-analysis"
        );
    }
}
