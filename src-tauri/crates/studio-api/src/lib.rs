//! The one API surface of Mission Studio.
//!
//! The desktop app's Tauri commands and the `mission` CLI are thin adapters over the functions
//! here. Transport types (DTOs, camelCase over IPC) live in [`dto`]; errors cross the boundary as
//! one shape, [`ApiError`] `{code, message}`.

pub mod active;
mod audit;
pub mod caps;
pub mod check;
pub mod decisions;
pub mod dto;
mod dto_check;
pub mod editor;
pub mod envelope;
pub mod error;
pub mod evidence;
pub mod forecast;
pub mod generate;
pub mod history;
pub mod history_dto;
pub mod history_search;
pub mod library;
pub mod library_app;
pub mod library_dto;
pub mod live;
pub mod mission_diff;
pub mod oversight;
pub mod paths;
pub mod provider_check;
pub mod providers;
pub mod resume;
pub mod runs;
pub mod settings;
pub mod spark;
pub mod squad;
pub mod squad_status;
pub mod telemetry;
pub mod ts_bindings;

pub use dto::{Diagnostics, StepTypeDto};
pub use dto_check::{DiagnosticItem, MissionReport};
pub use editor::{EditorPreview, SavedMission};
pub use error::{ApiError, ErrorCode};
pub use evidence::{
    EvidenceEntry, EvidenceEntryKind, EvidenceFile, EvidenceFileKind, EvidenceTree, EvidenceWatch,
};
pub use generate::generate_mission;
pub use history::{RecoveryReport, RunDetails, RunDiff, StepDiff, StepSide};
pub use history_dto::{
    MissionFacet, ResumeStarted, RunCompare, RunDetail, RunList, RunListItem, RunListQuery,
    RunSortKey, RunStepItem, StepCompare, StepSideItem,
};
pub use history_search::{HistorySearch, MatchLine, MatchPart, RunMatchItem, SearchedRun};
pub use library::{IndexReport, SortKey, TemplateDetail, TemplateQuery, TemplateSummary};
pub use live::{LiveNotice, LiveRuns, RunSource};
pub use mission_diff::{diff_missions, FieldChange, MissionDiff, StepChange};
pub use paths::{AppPaths, DATA_DIR_ENV, TEMPLATES_DIR_ENV};
pub use runs::{ResumePlan, RunOutcome};
pub use settings::{Settings, Theme};
pub use squad_status::{NatsCheck, SquadStatus};
pub use studio_store::{ApprovalRow, RunFilter, RunSummary, StepRow};
/// The crates under this API (the mission format, the engine, the evidence folder, the history),
/// for the types its callers see in its signatures. The CLI names no other crate of the
/// workspace: it reaches them through here (`.ci/check-core-deps.sh` checks it).
pub use {studio_core, studio_engine, studio_pack, studio_store};

use std::sync::{Arc, Mutex};

/// The API handle held by the app shell and the CLI.
#[derive(Debug, Clone)]
pub struct StudioApi {
    paths: AppPaths,
    /// Serialises read-modify-write of the settings file.
    settings_lock: Arc<Mutex<()>>,
    /// The history database, opened (and recovered) on first use.
    history: Arc<history::HistoryState>,
    /// The template library, opened on first use.
    library: Arc<library::LibraryState>,
}

impl StudioApi {
    /// Opens the API over a data folder, creating the folders it needs.
    pub fn open(paths: AppPaths) -> Result<Self, ApiError> {
        paths.ensure()?;
        Ok(Self::open_existing(paths))
    }

    /// The API over a data folder without creating anything in it: for what only reads its
    /// settings (a dry run's forecast reads the providers and the global hard caps).
    pub fn open_existing(paths: AppPaths) -> Self {
        Self {
            paths,
            settings_lock: Arc::default(),
            history: Arc::default(),
            library: Arc::default(),
        }
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    /// The operator's settings.
    pub fn settings(&self) -> Result<Settings, ApiError> {
        Settings::load(&self.paths.settings_path())
    }

    /// Sets the theme and returns the saved settings.
    pub fn set_theme(&self, theme: Theme) -> Result<Settings, ApiError> {
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.paths.settings_path();
        let mut settings = Settings::load(&path)?;
        settings.theme = theme;
        settings.save(&path)?;
        Ok(settings)
    }

    /// Sets (or clears) the default provider and returns the saved settings. It must be a
    /// built-in provider or one of the provider table.
    pub fn set_default_provider(&self, name: Option<&str>) -> Result<Settings, ApiError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = name {
            let configured = self.configured_provider_names();
            let builtin = studio_engine::providers::BUILTIN;
            if !builtin.contains(&n) && !configured.iter().any(|c| c == n) {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "no provider `{n}`: add it first; configured: {}; built in: {}",
                        if configured.is_empty() {
                            "none".to_string()
                        } else {
                            configured.join(", ")
                        },
                        builtin.join(", ")
                    ),
                ));
            }
        }
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.paths.settings_path();
        let mut settings = Settings::load(&path)?;
        settings.default_provider = name.filter(|n| *n != "default").map(str::to_string);
        settings.save(&path)?;
        Ok(settings)
    }

    /// Turns "simulate every model call" on or off and returns the saved settings.
    pub fn set_simulate_llm(&self, on: bool) -> Result<Settings, ApiError> {
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.paths.settings_path();
        let mut settings = Settings::load(&path)?;
        settings.simulate_llm = on;
        settings.save(&path)?;
        Ok(settings)
    }

    /// Sets (or clears, with `None` or blank) the NATS URL of a squad and returns the saved
    /// settings. A URL must start with `nats://` or `tls://` and parse.
    pub fn set_nats_url(&self, url: Option<&str>) -> Result<Settings, ApiError> {
        let url = url
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(squad_status::validate_nats_url)
            .transpose()?;
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.paths.settings_path();
        let mut settings = Settings::load(&path)?;
        settings.nats_url = url;
        settings.save(&path)?;
        Ok(settings)
    }

    /// What validation needs to know of this installation: the configured providers.
    pub fn validate_options(&self, inputs: Vec<String>) -> studio_core::ValidateOptions {
        studio_core::ValidateOptions {
            inputs,
            providers: Some(self.configured_provider_names()),
        }
    }

    /// What the About / diagnostics view shows: version and where things live.
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics {
            app_version: studio_core::VERSION.to_string(),
            data_dir: self.paths.data_dir().display().to_string(),
            database_path: self.paths.database_path().display().to_string(),
            log_dir: self.paths.log_dir().display().to_string(),
            runs_dir: self.paths.runs_dir().display().to_string(),
            data_dir_from_env: self.paths.from_env(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            step_types_available: studio_core::STEP_TYPES
                .iter()
                .filter(|t| t.status() == studio_core::StepTypeStatus::Available)
                .count() as u32,
            step_types_known: studio_core::STEP_TYPES.len() as u32,
            step_types: studio_core::STEP_TYPES
                .iter()
                .map(|t| StepTypeDto {
                    name: t.name.to_string(),
                    family: t.category.to_string(),
                    available: t.status() == studio_core::StepTypeStatus::Available,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_report_the_folders_of_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        let d = api.diagnostics();
        assert_eq!(d.app_version, studio_core::VERSION);
        assert_eq!(d.data_dir, dir.path().display().to_string());
        assert!(d.database_path.starts_with(&d.data_dir));
        assert!(d.log_dir.starts_with(&d.data_dir));
        assert!(
            std::path::Path::new(&d.log_dir).is_dir(),
            "open() creates the log folder"
        );
        assert_eq!(d.step_types_known, 51);
        assert_eq!(d.step_types.len(), 51);
        let available: Vec<&str> = d
            .step_types
            .iter()
            .filter(|t| t.available)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(available.len() as u32, d.step_types_available);
        assert!(available.contains(&"llm") && available.contains(&"http"));
        let agent = d.step_types.iter().find(|t| t.name == "agent").unwrap();
        assert_eq!((agent.family.as_str(), agent.available), ("ai", true));
    }

    #[test]
    fn set_theme_persists_across_api_handles() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(api.settings().unwrap().theme, Theme::System);
        api.set_theme(Theme::Light).unwrap();
        let again = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(again.settings().unwrap().theme, Theme::Light);
    }

    #[test]
    fn the_nats_url_is_validated_persisted_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(api.nats_url().unwrap(), None);
        let err = api.set_nats_url(Some("localhost:4222")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("nats://"), "{}", err.message);
        api.set_nats_url(Some(" nats://127.0.0.1:4222 ")).unwrap();
        let again = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(
            again.nats_url().unwrap().as_deref(),
            Some("nats://127.0.0.1:4222")
        );
        again.set_nats_url(Some("  ")).unwrap();
        assert_eq!(api.nats_url().unwrap(), None);
    }
}
