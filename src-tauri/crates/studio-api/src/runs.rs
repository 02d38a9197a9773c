//! Running a mission with its evidence folder and its history record, and resuming a run.
//! The CLI's `mission run` / `mission resume` and the app's Run button call these.

use crate::{ApiError, ErrorCode, StudioApi};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use studio_core::{Mission, Perimeter};
use studio_engine::{EventSink, FanOutSink, JsonlFileSink, ReusedOutput, RunOptions, RunResult};
use studio_pack::{EvidenceFolder, MissionFileRef, RunIdentity};
use studio_store::{NewRun, ProcessIdentity, Store, StoreSink};

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub result: RunResult,
    pub evidence_dir: PathBuf,
    /// Set when the history could not record the whole run (the evidence folder still has it).
    pub history_error: Option<String>,
    /// What became of the run's trace, when its mission's `telemetry` asks for more than the
    /// history (`memory`, `otlp`).
    pub telemetry: Option<crate::telemetry::TelemetryReport>,
}

/// The store's sink, then the telemetry's: the telemetry sees each event as it is emitted.
struct WithTelemetry<'a>(
    &'a mut dyn EventSink,
    &'a mut crate::telemetry::TelemetrySink,
);

impl EventSink for WithTelemetry<'_> {
    fn emit(&mut self, event: &studio_engine::Event) -> Result<(), studio_engine::SinkError> {
        let stored = self.0.emit(event);
        self.1.emit(event)?;
        stored
    }
    fn step_finished(
        &mut self,
        record: &studio_engine::StepRecord<'_>,
    ) -> Result<(), studio_engine::SinkError> {
        let stored = self.0.step_finished(record);
        self.1.step_finished(record)?;
        stored
    }
    fn flush(&mut self) -> Result<(), studio_engine::SinkError> {
        let stored = self.0.flush();
        self.1.flush()?;
        stored
    }
}

/// What `mission resume RUN` runs: the earlier run's mission and inputs, and the outputs of the
/// steps that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumePlan {
    pub from_run: String,
    pub mission: Mission,
    /// The earlier run's inputs (`--var` given now overrides them).
    pub context: BTreeMap<String, Value>,
    /// Steps whose output is reused, by id.
    pub reuse: BTreeMap<String, Value>,
    /// The earlier run's workspace, copied into the new run's.
    pub workspace: Option<PathBuf>,
    /// The mission file the new run's mission comes from: the file given to the resume, else
    /// the earlier run's, as it was read then.
    pub mission_file: Option<MissionFileRef>,
    /// The earlier run's mission file as it is on disk now (`None`: none was recorded).
    pub recorded_file: Option<RecordedFile>,
    /// The earlier run's own operator perimeter, as recorded (`None` for runs recorded before
    /// it was): a resume starts from it.
    pub operator: Option<Perimeter>,
    /// Why each step that runs again does (`failed`, `skipped`, `changed`, `new`, `after `x``).
    pub rerun_reasons: BTreeMap<String, String>,
}

/// A run's mission file compared with the file on disk now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFile {
    pub path: PathBuf,
    /// The file is still there.
    pub exists: bool,
    /// Its bytes differ from those the run read (or it is gone).
    pub changed: bool,
}

/// A mission file's path (absolute when it can be) and the SHA-256 of its bytes now.
pub fn mission_file_ref(path: &std::path::Path) -> Option<MissionFileRef> {
    let bytes = std::fs::read(path).ok()?;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    Some(MissionFileRef {
        path: path.display().to_string(),
        sha256: studio_core::hash::sha256_of(&bytes),
    })
}

/// What a run's `meta.json` recorded of its launch: its mission file and operator perimeter.
pub(crate) fn recorded_launch(
    evidence_dir: Option<&str>,
) -> (Option<MissionFileRef>, Option<Perimeter>) {
    let meta = evidence_dir
        .and_then(|d| std::fs::read_to_string(std::path::Path::new(d).join("meta.json")).ok())
        .and_then(|text| serde_json::from_str::<studio_pack::Meta>(&text).ok());
    match meta {
        Some(meta) => (
            meta.mission_file,
            meta.operator_perimeter
                .and_then(|v| serde_json::from_value(v).ok()),
        ),
        None => (None, None),
    }
}

impl ResumePlan {
    /// Steps that run again (failed, skipped, cancelled or never finished), in mission order.
    pub fn rerun_steps(&self) -> Vec<String> {
        self.mission
            .steps
            .iter()
            .filter(|s| !self.reuse.contains_key(&s.id))
            .map(|s| s.id.clone())
            .collect()
    }
}

impl StudioApi {
    /// Runs `mission` with a new evidence folder and records it in the history as it goes.
    /// `downstream` (progress display, `--events` file, UI channel) sees each event only once
    /// it is committed. An engine refusal before the start is `InvalidInput`.
    pub async fn run_recorded(
        &self,
        mission: &Mission,
        options: RunOptions,
        downstream: impl EventSink + 'static,
    ) -> Result<RunOutcome, ApiError> {
        self.execute(mission, options, downstream, None, None, None)
            .await
    }

    /// [`StudioApi::run_recorded`] with the run's workspace seeded from a copy of `seed` (a VP
    /// session's workspace: each mission of the session starts from what the earlier ones left).
    pub async fn run_recorded_seeded(
        &self,
        mission: &Mission,
        options: RunOptions,
        downstream: impl EventSink + 'static,
        seed: &std::path::Path,
    ) -> Result<RunOutcome, ApiError> {
        self.execute(mission, options, downstream, None, None, Some(seed))
            .await
    }

    /// [`StudioApi::run_recorded`] of a mission read from `file`: the file's path and SHA-256
    /// are recorded in `meta.json`, so a resume can tell when it changed since.
    pub async fn run_recorded_file(
        &self,
        mission: &Mission,
        file: &std::path::Path,
        options: RunOptions,
        downstream: impl EventSink + 'static,
    ) -> Result<RunOutcome, ApiError> {
        self.execute(
            mission,
            options,
            downstream,
            None,
            mission_file_ref(file),
            None,
        )
        .await
    }

    /// Prepares `mission resume RUN_ID`: unknown run → `NotFound`; a run still running in a
    /// live process → `InvalidInput`.
    pub fn prepare_resume(&self, run_id: &str) -> Result<ResumePlan, ApiError> {
        let source = self.with_store(|s| Ok(s.resume_source(run_id)?))?;
        if !source.run.status.is_final() {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "run {run_id} is still {} in another process; wait for it to end (or cancel \
                     it) before resuming",
                    source.run.status.as_str()
                ),
            ));
        }
        let mission: Mission = serde_json::from_value(source.mission).map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("the stored mission of run {run_id} cannot be read: {e}"),
            )
        })?;
        let context = match source.context {
            Value::Object(map) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        let known: std::collections::HashSet<&str> =
            mission.steps.iter().map(|s| s.id.as_str()).collect();
        let reuse: BTreeMap<String, Value> = source
            .succeeded
            .into_iter()
            .filter(|(id, _)| known.contains(id.as_str()))
            .collect();
        let statuses = self.with_store(|s| Ok(s.steps(run_id)?))?;
        let rerun_reasons = mission
            .steps
            .iter()
            .filter(|s| !reuse.contains_key(&s.id))
            .map(|s| {
                let status = statuses
                    .iter()
                    .find(|r| r.step_id == s.id)
                    .map_or("not run", |r| match r.status {
                        studio_core::StepStatus::Failed => "failed",
                        studio_core::StepStatus::Skipped => "skipped",
                        studio_core::StepStatus::Cancelled => "cancelled",
                        _ => "not run",
                    });
                (s.id.clone(), status.to_string())
            })
            .collect();
        let (mission_file, operator) = recorded_launch(source.run.evidence_dir.as_deref());
        let recorded_file = mission_file.as_ref().map(|f| {
            let path = PathBuf::from(&f.path);
            let now = mission_file_ref(&path);
            RecordedFile {
                exists: now.is_some(),
                changed: now.is_none_or(|n| n.sha256 != f.sha256),
                path,
            }
        });
        Ok(ResumePlan {
            from_run: run_id.to_string(),
            workspace: source
                .run
                .evidence_dir
                .map(|d| PathBuf::from(d).join("workspace")),
            mission,
            context,
            reuse,
            mission_file,
            recorded_file,
            operator,
            rerun_reasons,
        })
    }

    /// Runs a prepared resume: a new run linked to the old one (`resumed_from`), starting from
    /// a copy of its workspace, reusing the outputs of the steps that succeeded.
    pub async fn resume_recorded(
        &self,
        plan: &ResumePlan,
        mut options: RunOptions,
        downstream: impl EventSink + 'static,
    ) -> Result<RunOutcome, ApiError> {
        for (step, output) in &plan.reuse {
            options = options.with_reused(
                step.clone(),
                ReusedOutput {
                    from_run: plan.from_run.clone(),
                    output: output.clone(),
                },
            );
        }
        let file = plan.mission_file.clone();
        self.execute(&plan.mission, options, downstream, Some(plan), file, None)
            .await
    }

    async fn execute(
        &self,
        mission: &Mission,
        mut options: RunOptions,
        downstream: impl EventSink + 'static,
        resume: Option<&ResumePlan>,
        mission_file: Option<MissionFileRef>,
        seed: Option<&std::path::Path>,
    ) -> Result<RunOutcome, ApiError> {
        // Recovery runs before this run is recorded.
        self.recover_interrupted_runs()?;
        // The knowledge store of the data folder, shared by every run, unless the host chose
        // another.
        if options.knowledge_store.is_none() {
            options.knowledge_store = Some(self.paths.knowledge_store_path());
        }
        // The operator's providers, unless the host gave its own table.
        if *options.governance.providers == studio_engine::providers::ProviderTable::default() {
            options.governance.providers = std::sync::Arc::new(self.provider_table()?);
        }
        let logic_hash = studio_core::logic_hash(mission);
        let identity = RunIdentity {
            run_id: options.run_id.clone(),
            trace_id: options.trace_id.clone(),
            logic_hash: logic_hash.clone(),
            started_at: chrono::Utc::now(),
        };
        let runs_dir = self.paths.runs_dir();
        let pack_err = |e: studio_pack::PackError| ApiError::new(ErrorCode::Io, e.to_string());
        let mut folder = EvidenceFolder::create(&runs_dir, mission, &identity).map_err(pack_err)?;
        if let Some(plan) = resume {
            if let Some(ws) = &plan.workspace {
                folder.seed_workspace(ws).map_err(pack_err)?;
            }
            folder.set_resumed_from(&plan.from_run).map_err(pack_err)?;
        }
        if let Some(seed) = seed.filter(|s| s.is_dir()) {
            folder.seed_workspace(seed).map_err(pack_err)?;
        }
        options.workspace = folder.workspace();
        let approvals = crate::audit::prepare_run(&mut folder, mission, &mut options)?;
        let operator = serde_json::to_value(&options.governance.operator).ok();
        folder
            .set_launch(mission_file, operator)
            .map_err(pack_err)?;
        let audit_path = folder.audit_path();
        let events = JsonlFileSink::create(folder.events_path())
            .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
        let record = NewRun {
            run_id: options.run_id.clone(),
            mission_id: mission.mission_id(),
            mission_name: mission.name.clone(),
            trace_id: options.trace_id.clone(),
            logic_hash,
            evidence_dir: Some(folder.root().display().to_string()),
            resumed_from: resume.map(|p| p.from_run.clone()),
            mission: serde_json::to_value(mission)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?,
            context: Value::Object(options.context.clone().into_iter().collect()),
            steps: mission
                .steps
                .iter()
                .map(|s| (s.id.clone(), s.step_type.clone()))
                .collect(),
            owner: ProcessIdentity::current(),
        };
        let writer = Store::open(self.paths.database_path())?;
        let mut sink = StoreSink::start(
            writer,
            record,
            FanOutSink::new().with(events).with(downstream),
        )?;
        let mut telemetry =
            crate::telemetry::RunTelemetry::start(mission, &options.run_id, &options.trace_id);
        let ran = match &mut telemetry {
            Some(t) => {
                let mut both = WithTelemetry(&mut sink, &mut t.sink);
                studio_engine::run_mission(mission, options, &mut both).await
            }
            None => studio_engine::run_mission(mission, options, &mut sink).await,
        };
        let mut history_error = sink.failure();
        drop(sink); // waits for the writer: everything is committed and passed on
        let telemetry = match telemetry {
            Some(t) => Some(t.finish().await),
            None => None,
        };
        if let Some(report) = &telemetry {
            folder.set_telemetry(report.meta());
        }
        if ran.is_ok() {
            if let Err(e) = crate::audit::record_run(self, &audit_path, &approvals) {
                history_error.get_or_insert(format!("audit rows not recorded: {}", e.message));
            }
        }
        match ran {
            Ok(result) => {
                if let Err(e) = folder.finish(mission, &result) {
                    let _ = folder.finish_incomplete(&result, &e.to_string());
                    return Err(pack_err(e));
                }
                Ok(RunOutcome {
                    result,
                    evidence_dir: folder.root().to_path_buf(),
                    history_error,
                    telemetry,
                })
            }
            Err(e) => {
                let _ = folder.abort(&e.to_string());
                Err(ApiError::new(ErrorCode::InvalidInput, e.to_string()))
            }
        }
    }
}
