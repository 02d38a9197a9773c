//! The [`Registry`] handle: the index database, the template roots and the in-memory
//! snapshot that queries read. Clones share one state; it is `Send + Sync`, so the app, the
//! watcher's thread and the batch can hold it at once.

use crate::index::{index, IndexReport, TemplateRoot};
use crate::model::{StepSummary, TemplateDetail, TemplateSummary};
use crate::query::{Snapshot, TemplateQuery};
use crate::RegistryError;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use studio_core::LoadedMission;
use studio_store::Store;

/// The template library of one data folder.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    roots: Vec<TemplateRoot>,
    snapshot: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("roots", &self.inner.roots)
            .field("templates", &self.snapshot().len())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens the index in the history database at `db_path` over these roots (in priority
    /// order: the first file to claim an id keeps it) and loads the snapshot from what is
    /// indexed. It does not scan the files: call [`Registry::reindex`] for that.
    pub fn open(db_path: &Path, roots: Vec<TemplateRoot>) -> Result<Self, RegistryError> {
        let store = Store::open(db_path)?;
        let snapshot = Snapshot::from_rows(store.template_rows()?);
        Ok(Self {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                roots,
                snapshot: RwLock::new(Arc::new(snapshot)),
            }),
        })
    }

    pub fn roots(&self) -> &[TemplateRoot] {
        &self.inner.roots
    }

    /// Scans the roots, brings the index in line with the files and, when something changed,
    /// refreshes the snapshot. One pass at a time.
    pub fn reindex(&self) -> Result<IndexReport, RegistryError> {
        let mut store = self.inner.store.lock().unwrap_or_else(|p| p.into_inner());
        let report = index(&mut store, &self.inner.roots)?;
        if report.changed {
            let snapshot = Snapshot::from_rows(store.template_rows()?);
            *self
                .inner
                .snapshot
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        }
        Ok(report)
    }

    /// Reloads the snapshot from the database (after the batch wrote stats and badges).
    pub fn refresh(&self) -> Result<(), RegistryError> {
        let store = self.inner.store.lock().unwrap_or_else(|p| p.into_inner());
        let snapshot = Snapshot::from_rows(store.template_rows()?);
        *self
            .inner
            .snapshot
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        Ok(())
    }

    /// The current snapshot (cheap: shared, immutable).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner
            .snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The valid templates that match, in the query's order.
    pub fn list(&self, query: &TemplateQuery) -> Vec<TemplateSummary> {
        self.snapshot().query(query)
    }

    /// The summary of one template.
    pub fn summary(&self, id: &str) -> Result<TemplateSummary, RegistryError> {
        self.snapshot()
            .get(id)
            .cloned()
            .ok_or_else(|| RegistryError::UnknownTemplate { id: id.to_string() })
    }

    /// One template's file, loaded and validated again (it is what runs).
    pub fn load(&self, id: &str) -> Result<(TemplateSummary, LoadedMission), RegistryError> {
        let summary = self.summary(id)?;
        let unusable = |message: String| RegistryError::Unusable {
            id: id.to_string(),
            path: summary.path.clone(),
            message,
        };
        let loaded = studio_core::load_file(&summary.path).map_err(|e| unusable(e.to_string()))?;
        if let Some(d) = studio_core::validate(&loaded)
            .into_iter()
            .find(|d| d.is_error())
        {
            return Err(unusable(match d.location {
                Some(at) => format!("line {}, column {}: {}", at.line, at.column, d.message),
                None => d.message,
            }));
        }
        if loaded.mission.mission_id() != id {
            return Err(unusable(format!(
                "the file now holds mission `{}`; re-index the library",
                loaded.mission.mission_id()
            )));
        }
        Ok((summary, loaded))
    }

    /// One template in full: its summary, texts, steps, parallel levels and perimeter.
    pub fn get(&self, id: &str) -> Result<TemplateDetail, RegistryError> {
        let (summary, loaded) = self.load(id)?;
        let m = loaded.mission;
        let levels = studio_core::levels(&m)
            .map(|levels| {
                levels
                    .into_iter()
                    .map(|level| level.into_iter().map(|i| m.steps[i].id.clone()).collect())
                    .collect()
            })
            .unwrap_or_default();
        let steps = m
            .steps
            .iter()
            .map(|s| StepSummary {
                id: s.id.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                step_type: s.step_type.clone(),
                depends_on: s.depends_on.clone(),
            })
            .collect();
        Ok(TemplateDetail {
            summary,
            description: m.description,
            objective: m.objective,
            done_definition: m.done_definition,
            context: m.context,
            constraints: m.constraints,
            steps,
            levels,
            perimeter: m.perimeter,
            outputs: m.outputs,
        })
    }
}
