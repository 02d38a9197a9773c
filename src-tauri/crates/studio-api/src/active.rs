//! Active missions, the daily batch and the review queue for the app and the CLI
//! (`mission deploy`, `mission active list`, `mission run --active`, `mission batch run`,
//! `mission review list|resolve`).
//!
//! An active mission is a library template saved with the operator's perimeter and inputs
//! (see `studio_registry::active` for what makes it unique and how the hard caps are checked).
//! Running one goes through the same recorded-run path as `mission run`; the run row carries
//! the active mission's id.

use crate::runs::RunOutcome;
use crate::{ApiError, ErrorCode, StudioApi};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use studio_core::{parse_perimeter, Mission, Perimeter};
use studio_engine::{Event, EventSink, EventType, RunOptions, SinkError, StepRecord};
use studio_registry::active::{self, ActiveError, ActiveMission, Deployed};
pub use studio_registry::batch::Trigger;
use studio_registry::batch::{self, BatchError, BatchSummary};
pub use studio_registry::review::FlagStatus;
use studio_registry::review::{self, ReviewError};
use studio_registry::schedule::{Attempt, ScheduleConfig, Scheduler};
pub use studio_store::ReviewFlag;

/// The file of global hard caps in the data folder.
pub const GLOBAL_PERIMETER_FILE: &str = "perimeter.yaml";

impl From<ActiveError> for ApiError {
    fn from(e: ActiveError) -> Self {
        let code = match &e {
            ActiveError::AboveCap(_)
            | ActiveError::InvalidPerimeter(_)
            | ActiveError::InvalidTemplate { .. } => ErrorCode::InvalidInput,
            ActiveError::UnknownTemplate(_) | ActiveError::NotFound(_) => ErrorCode::NotFound,
            ActiveError::Corrupt { .. } => ErrorCode::Internal,
            ActiveError::Store(_) => match e {
                ActiveError::Store(inner) => return inner.into(),
                _ => unreachable!("matched above"),
            },
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Store(inner) => inner.into(),
            busy @ BatchError::Busy { .. } => {
                ApiError::new(ErrorCode::InvalidInput, busy.to_string())
            }
        }
    }
}

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Store(inner) => inner.into(),
            missing @ ReviewError::NotFound(_) => {
                ApiError::new(ErrorCode::NotFound, missing.to_string())
            }
        }
    }
}

/// What `run_active` runs: the active mission and its template's mission as the file says now.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivePlan {
    pub active: ActiveMission,
    pub mission: Mission,
    /// The template file (its library's `tools/` folder serves the run).
    pub template_path: PathBuf,
    /// True when the template's logic changed since it was deployed (the current file runs).
    pub template_changed: bool,
}

/// The operator perimeter of a run of an active mission: the active mission's perimeter,
/// tightened by `given` (the CLI's flags), which can only tighten it.
pub fn active_operator(active: &Perimeter, given: &Perimeter) -> Perimeter {
    let mut operator =
        studio_core::merge_perimeters(active, &Perimeter::default(), given).to_perimeter();
    // Connections are granted, not bounded, by the operator level: the active mission's
    // grants, narrowed to the given ones when some are given.
    operator.connected_sectors = if given.connected_sectors.is_empty() {
        active.connected_sectors.clone()
    } else {
        active
            .connected_sectors
            .iter()
            .filter(|s| given.connected_sectors.contains(s))
            .cloned()
            .collect()
    };
    // Trusted SSH host keys are the active mission's grant too (the merge keeps only `given`'s).
    let keys = active
        .network
        .as_ref()
        .map(|n| n.trusted_host_keys.clone())
        .unwrap_or_default();
    if !keys.is_empty() {
        operator
            .network
            .get_or_insert_with(Default::default)
            .trusted_host_keys = keys;
    }
    operator
}

impl StudioApi {
    /// The global hard caps: `<data dir>/perimeter.yaml`, or none when the file is absent.
    pub fn global_perimeter(&self) -> Result<Perimeter, ApiError> {
        let path = self.paths().data_dir().join(GLOBAL_PERIMETER_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_perimeter(&text).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("{}: {e}; fix the file of global hard caps", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Perimeter::default()),
            Err(e) => Err(ApiError::io("read the global hard caps", &path, e)),
        }
    }

    /// Saves a library template with a perimeter and inputs as an active mission. A perimeter
    /// above a global hard cap is refused (`InvalidInput`, naming field, value and cap); an
    /// unknown template is `NotFound`. Saving the same template, perimeter and inputs again
    /// returns the saved one (`created: false`).
    pub fn deploy(
        &self,
        template_id: &str,
        perimeter: &Perimeter,
        inputs: &BTreeMap<String, Value>,
        name: Option<&str>,
    ) -> Result<Deployed, ApiError> {
        let global = self.global_perimeter()?;
        // The index must know the template's current file.
        self.template_registry()?;
        self.with_store(|s| {
            Ok(active::deploy(
                s,
                template_id,
                perimeter,
                inputs,
                name,
                &global,
            )?)
        })
    }

    /// Every active mission, newest first.
    pub fn list_active(&self) -> Result<Vec<ActiveMission>, ApiError> {
        self.with_store(|s| Ok(active::list(s)?))
    }

    /// One active mission (`NotFound` for an unknown id).
    pub fn get_active(&self, id: &str) -> Result<ActiveMission, ApiError> {
        self.with_store(|s| Ok(active::get(s, id)?))
    }

    /// Edits an active mission in place (name, perimeter, inputs; `None` keeps the inputs). A
    /// perimeter above a global hard cap is refused as in [`Self::deploy`].
    pub fn update_active(
        &self,
        id: &str,
        name: Option<&str>,
        perimeter: &Perimeter,
        inputs: Option<&BTreeMap<String, Value>>,
    ) -> Result<ActiveMission, ApiError> {
        let global = self.global_perimeter()?;
        let inputs = match inputs {
            Some(i) => i.clone(),
            None => self.get_active(id)?.inputs,
        };
        self.with_store(|s| Ok(active::update(s, id, name, perimeter, &inputs, &global)?))
    }

    /// Deletes an active mission; its runs stay in the history.
    pub fn delete_active(&self, id: &str) -> Result<(), ApiError> {
        self.with_store(|s| Ok(active::delete(s, id)?))
    }

    /// Prepares a run of an active mission: its template's file loaded and validated again,
    /// and its perimeter checked again against the hard caps (they may have been lowered since
    /// it was saved: then the run is refused, never clamped).
    pub fn prepare_active(&self, id: &str) -> Result<ActivePlan, ApiError> {
        let active = self.get_active(id)?;
        active::check_perimeter(&active.perimeter, &self.global_perimeter()?)?;
        let (summary, loaded) = self.template_registry()?.load(&active.template_id)?;
        Ok(ActivePlan {
            template_changed: summary.logic_hash != active.logic_hash,
            template_path: summary.path,
            mission: loaded.mission,
            active,
        })
    }

    /// Runs a prepared active mission through the recorded-run path of `mission run`: the
    /// active mission's inputs (overridden by `options.context`), its perimeter tightened by
    /// `options.governance.operator` (which can only tighten it), and the run row linked to
    /// the active mission.
    pub async fn run_active(
        &self,
        plan: &ActivePlan,
        mut options: RunOptions,
        downstream: impl EventSink + 'static,
    ) -> Result<RunOutcome, ApiError> {
        let mut context: BTreeMap<String, Value> = plan.active.inputs.clone();
        context.extend(std::mem::take(&mut options.context));
        options.context = context;
        let given = std::mem::take(&mut options.governance.operator);
        options.governance.operator = active_operator(&plan.active.perimeter, &given);

        let link = LinkToActive {
            api: self.clone(),
            active_id: plan.active.id.clone(),
            failure: Arc::default(),
            downstream,
        };
        let failure = Arc::clone(&link.failure);
        let run_id = options.run_id.clone();
        let mut outcome = self
            .run_recorded_file(&plan.mission, &plan.template_path, options, link)
            .await?;
        // The sink linked the run when it was accepted; make sure, in case that failed.
        let linked = self.with_store(|s| Ok(s.link_run_to_active(&run_id, &plan.active.id)?));
        let failure = failure.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let (Err(e), None) = (&linked, &outcome.history_error) {
            outcome.history_error = Some(format!(
                "the run was not linked to active mission {}: {}{}",
                plan.active.id,
                e.message,
                failure.map(|f| format!(" ({f})")).unwrap_or_default()
            ));
        }
        Ok(outcome)
    }

    /// Runs the daily batch now (`mission batch run`, the app's scheduler): the library is
    /// indexed first, and its snapshot refreshed after, so lists show the new figures. A batch
    /// running in another live process is refused (`InvalidInput`).
    pub fn run_batch(&self, trigger: Trigger) -> Result<BatchSummary, ApiError> {
        let registry = self.template_registry()?;
        registry.reindex()?;
        let summary = self.with_store(|s| Ok(batch::run_batch(s, trigger, chrono::Utc::now())?))?;
        registry.refresh()?;
        Ok(summary)
    }

    /// Whether the daily batch is due (none completed in the last 24 hours).
    pub fn batch_due(&self) -> Result<bool, ApiError> {
        self.with_store(|s| Ok(batch::batch_due(s, chrono::Utc::now())?))
    }

    /// Starts the app's batch schedule: at start-up when overdue, then every 24 hours by wall
    /// clock. After each batch the library snapshot is refreshed and `on_attempt` is called
    /// (the app logs it and emits `registry://changed`). Dropping the handle stops it.
    pub fn start_batch_schedule(
        &self,
        on_attempt: impl Fn(&Attempt) + Send + 'static,
    ) -> Result<Scheduler, ApiError> {
        let registry = self.template_registry()?;
        let config = ScheduleConfig::daily(self.paths().database_path());
        Scheduler::start(config, move |attempt| {
            if attempt.is_ok() {
                let _ = registry.refresh();
            }
            on_attempt(&attempt);
        })
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Io,
                format!("cannot start the batch schedule: {e}"),
            )
        })
    }

    /// The review queue: flags with this status (`None`: all), most recently updated first.
    pub fn review_flags(&self, status: Option<FlagStatus>) -> Result<Vec<ReviewFlag>, ApiError> {
        self.with_store(|s| Ok(review::list(s, status)?))
    }

    /// Marks a review flag resolved, with an optional note.
    pub fn resolve_flag(&self, flag_id: i64, note: Option<&str>) -> Result<ReviewFlag, ApiError> {
        self.with_store(|s| Ok(review::resolve(s, flag_id, note, chrono::Utc::now())?))
    }

    /// Marks a review flag acknowledged, with an optional note.
    pub fn acknowledge_flag(
        &self,
        flag_id: i64,
        note: Option<&str>,
    ) -> Result<ReviewFlag, ApiError> {
        self.with_store(|s| Ok(review::acknowledge(s, flag_id, note, chrono::Utc::now())?))
    }
}

/// Passes events on and links the run to its active mission as soon as the run row exists
/// (the `mission.accepted` event reaches downstream sinks only once committed).
struct LinkToActive<S> {
    api: StudioApi,
    active_id: String,
    failure: Arc<Mutex<Option<String>>>,
    downstream: S,
}

impl<S: EventSink> EventSink for LinkToActive<S> {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        if event.event_type == EventType::Accepted {
            let linked = self
                .api
                .with_store(|s| Ok(s.link_run_to_active(&event.run_id, &self.active_id)?));
            if let Err(e) = linked {
                *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.message);
            }
        }
        self.downstream.emit(event)
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        self.downstream.step_finished(record)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.downstream.flush()
    }
}
