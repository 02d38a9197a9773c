//! The template library (DESIGN §10) for the app and the CLI: list, search and sort the
//! templates, read one in full, re-index, and watch the folders.
//!
//! The library is the builtin templates ([`AppPaths::builtin_templates_dir`]) plus the
//! operator's own folder (`<data dir>/templates/`); when both hold a mission id, the builtin
//! one keeps it and the other file is reported. The registry is opened on first use and the
//! folders indexed then (unchanged files are not loaded again), so a fresh process sees the
//! files as they are; after that, [`StudioApi::reindex_templates`] or the watcher keep it in
//! step.

use crate::{ApiError, AppPaths, ErrorCode, StudioApi};
use std::sync::{Mutex, OnceLock};
pub use studio_registry::{
    IndexProblem, IndexReport, Registry, RegistryError, SortKey, StepSummary, TemplateDetail,
    TemplateQuery, TemplateRoot, TemplateSource, TemplateStats, TemplateSummary, TemplateWatcher,
};

/// The library's state shared by clones of one [`StudioApi`].
#[derive(Debug, Default)]
pub(crate) struct LibraryState {
    registry: OnceLock<Registry>,
    /// Serialises the first open (two threads must not both index the folders).
    opening: Mutex<()>,
    /// The report of the latest index pass made through the API.
    last_report: Mutex<Option<IndexReport>>,
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        let code = match &e {
            RegistryError::Store(_) => match e {
                RegistryError::Store(inner) => return inner.into(),
                _ => unreachable!(),
            },
            RegistryError::UnknownTemplate { .. } => ErrorCode::NotFound,
            RegistryError::Unusable { .. } => ErrorCode::InvalidInput,
            RegistryError::Watch { .. } | RegistryError::Io { .. } => ErrorCode::Io,
        };
        ApiError::new(code, e.to_string())
    }
}

/// The folders of the library, in priority order: builtin, then the operator's.
pub fn template_roots(paths: &AppPaths) -> Vec<TemplateRoot> {
    let mut roots = Vec::new();
    if let Some(dir) = paths.builtin_templates_dir() {
        roots.push(TemplateRoot::builtin(dir));
    }
    roots.push(TemplateRoot::user(paths.user_templates_dir()));
    roots
}

impl StudioApi {
    /// The registry of this data folder, opened and indexed on first use. The batch and the
    /// app's watcher share it, so what they change shows in every list.
    pub fn template_registry(&self) -> Result<Registry, ApiError> {
        if let Some(registry) = self.library.registry.get() {
            return Ok(registry.clone());
        }
        let _guard = self
            .library
            .opening
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(registry) = self.library.registry.get() {
            return Ok(registry.clone());
        }
        let registry = Registry::open(&self.paths().database_path(), template_roots(self.paths()))?;
        let report = registry.reindex()?;
        *self
            .library
            .last_report
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(report);
        Ok(self.library.registry.get_or_init(|| registry).clone())
    }

    /// The valid templates that match the query, in its order (`mission templates list`, the
    /// Library page).
    pub fn list_templates(&self, query: &TemplateQuery) -> Result<Vec<TemplateSummary>, ApiError> {
        Ok(self.template_registry()?.list(query))
    }

    /// One template in full: summary, texts, steps, parallel levels, perimeter
    /// (`mission templates show`, the detail pane). `NotFound` for an unknown id.
    pub fn get_template(&self, id: &str) -> Result<TemplateDetail, ApiError> {
        Ok(self.template_registry()?.get(id)?)
    }

    /// Scans the folders again and returns what changed and which files are left out.
    pub fn reindex_templates(&self) -> Result<IndexReport, ApiError> {
        let registry = self.template_registry()?;
        let report = registry.reindex()?;
        *self
            .library
            .last_report
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
        Ok(report)
    }

    /// The files left out of the library at the latest index pass (file, line, column,
    /// reason).
    pub fn template_problems(&self) -> Result<Vec<IndexProblem>, ApiError> {
        self.template_registry()?;
        Ok(self
            .library
            .last_report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|r| r.problems.clone())
            .unwrap_or_default())
    }

    /// Watches the template folders and re-indexes after every change (debounced);
    /// `on_change` receives the report each time the library changed (the app emits
    /// `registry://changed`). Watching stops when the returned watcher is dropped.
    pub fn watch_templates<F>(&self, on_change: F) -> Result<TemplateWatcher, ApiError>
    where
        F: Fn(&IndexReport) + Send + 'static,
    {
        let registry = self.template_registry()?;
        let state = self.library.clone();
        Ok(
            registry.watch(studio_registry::watch::DEFAULT_DEBOUNCE, move |report| {
                *state.last_report.lock().unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
                on_change(report);
            })?,
        )
    }
}
