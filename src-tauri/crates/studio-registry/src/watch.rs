//! The watcher: template folders watched with `notify`, events debounced by
//! `notify-debouncer-full`, and a re-index after each quiet moment. Adding, editing, deleting
//! or renaming a template file (or a folder of them) shows in the library within a fraction
//! of a second; the callback receives the [`IndexReport`] when the index changed, so the app
//! can tell its windows ("templates changed").
//!
//! Opening and reading files (which the index itself does) are not changes and are ignored,
//! so a re-index never triggers another.

use crate::index::IndexReport;
use crate::{Registry, RegistryError};
use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::path::PathBuf;
use std::time::Duration;

/// How long the folders must be quiet before a re-index: a save that writes a file in
/// several steps, or a `git checkout` of many files, becomes one pass.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(150);

/// A running watcher; dropping it stops watching.
pub struct TemplateWatcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for TemplateWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateWatcher")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

impl TemplateWatcher {
    /// The folders watched.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

/// True for events that may change what a template file holds or where it is.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

impl Registry {
    /// Watches every root (creating the user folder if it is missing; a builtin folder that
    /// does not exist is skipped) and re-indexes after changes, calling `on_change` with the
    /// report whenever the index changed. Errors of a pass are logged and the watcher goes on.
    pub fn watch<F>(
        &self,
        debounce: Duration,
        on_change: F,
    ) -> Result<TemplateWatcher, RegistryError>
    where
        F: Fn(&IndexReport) + Send + 'static,
    {
        let registry = self.clone();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                if !events.iter().any(|e| is_change(&e.event.kind)) {
                    return;
                }
                match registry.reindex() {
                    Ok(report) if report.changed => on_change(&report),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("re-indexing the templates failed: {e}"),
                }
            }
            Err(errors) => {
                for e in errors {
                    tracing::warn!("template watcher: {e}");
                }
            }
        };
        let mut debouncer =
            new_debouncer(debounce, None, handler).map_err(|e| RegistryError::Watch {
                path: PathBuf::new(),
                message: e.to_string(),
            })?;
        let mut dirs = Vec::new();
        for root in self.roots() {
            if root.source == crate::TemplateSource::User {
                std::fs::create_dir_all(&root.dir).map_err(|source| RegistryError::Io {
                    path: root.dir.clone(),
                    source,
                })?;
            } else if !root.dir.is_dir() {
                continue;
            }
            debouncer
                .watch(&root.dir, RecursiveMode::Recursive)
                .map_err(|e| RegistryError::Watch {
                    path: root.dir.clone(),
                    message: e.to_string(),
                })?;
            dirs.push(root.dir.clone());
        }
        Ok(TemplateWatcher {
            _debouncer: debouncer,
            dirs,
        })
    }
}
