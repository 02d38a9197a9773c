//! Where Mission Studio keeps its data. The app and the CLI resolve the same folder, so they share
//! one history.

use crate::ApiError;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the data folder (tests use it).
pub const DATA_DIR_ENV: &str = "MISSION_STUDIO_DATA_DIR";

/// Environment variable that names the builtin template library (`missions/templates`).
pub const TEMPLATES_DIR_ENV: &str = "MISSION_STUDIO_TEMPLATES_DIR";

/// The data folder and the paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    data_dir: PathBuf,
    from_env: bool,
    /// The builtin template library, when set explicitly (the app's bundled resources).
    builtin_templates: Option<PathBuf>,
}

impl AppPaths {
    /// Uses exactly this folder.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: dir.into(),
            from_env: false,
            builtin_templates: None,
        }
    }

    /// Resolves the data folder: an explicit folder (e.g. `--data-dir`) wins, then
    /// `MISSION_STUDIO_DATA_DIR`, then the platform's data folder
    /// (`~/.local/share/mission-studio` on Linux).
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, ApiError> {
        if let Some(dir) = explicit {
            return Ok(Self::at(absolute(dir)));
        }
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self {
                data_dir: absolute(Path::new(&dir)),
                from_env: true,
                builtin_templates: None,
            });
        }
        let dirs = directories::ProjectDirs::from("dev", "missionstudio", "mission-studio")
            .ok_or_else(|| {
                ApiError::new(
                    crate::ErrorCode::Io,
                    format!("no home folder found; set {DATA_DIR_ENV} to choose a data folder"),
                )
            })?;
        Ok(Self::at(dirs.data_dir()))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn from_env(&self) -> bool {
        self.from_env
    }

    /// The SQLite file that holds all history.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("mission-studio.db")
    }

    /// The knowledge store of the `rag_*` steps, shared by every run of the app and the CLI.
    pub fn knowledge_store_path(&self) -> PathBuf {
        self.data_dir.join(studio_engine::knowledge::FILE_NAME)
    }

    /// The operator's settings, a readable JSON file.
    pub fn settings_path(&self) -> PathBuf {
        self.data_dir.join("settings.json")
    }

    /// Rolling log files of the app.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Evidence folders, one per run.
    pub fn runs_dir(&self) -> PathBuf {
        self.data_dir.join("runs")
    }

    /// The operator's own templates, beside the bundled library.
    pub fn user_templates_dir(&self) -> PathBuf {
        self.data_dir.join("templates")
    }

    /// Uses this folder as the builtin template library (the app passes its bundled copy).
    pub fn with_builtin_templates(mut self, dir: impl Into<PathBuf>) -> Self {
        self.builtin_templates = Some(dir.into());
        self
    }

    /// The builtin template library, the first of: the folder given to
    /// [`AppPaths::with_builtin_templates`]; `MISSION_STUDIO_TEMPLATES_DIR`; a
    /// `missions/templates` folder beside the executable or in one of its parent folders; the
    /// same beside the current folder or its parents; the source tree this build was made
    /// from. `None` when none of these exists: the library then holds the user's templates
    /// only.
    pub fn builtin_templates_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.builtin_templates {
            return Some(dir.clone());
        }
        if let Some(dir) = std::env::var_os(TEMPLATES_DIR_ENV).filter(|v| !v.is_empty()) {
            return Some(absolute(Path::new(&dir)));
        }
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        let cwd = std::env::current_dir().ok();
        let found = [exe_dir, cwd]
            .into_iter()
            .flatten()
            .find_map(|start| find_upwards(&start, Path::new("missions/templates")));
        found.or_else(|| {
            let built_from =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/templates");
            built_from
                .is_dir()
                .then(|| std::path::absolute(&built_from).unwrap_or(built_from))
        })
    }

    /// Creates the data, log and runs folders if they are missing.
    pub fn ensure(&self) -> Result<(), ApiError> {
        for dir in [self.data_dir.clone(), self.log_dir(), self.runs_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| ApiError::io("create the folder", &dir, e))?;
        }
        Ok(())
    }
}

/// `start/rel`, `start/../rel`, … : the first that is a folder.
fn find_upwards(start: &Path, rel: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(rel))
        .find(|candidate| candidate.is_dir())
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_folder_wins_and_is_made_absolute() {
        let p = AppPaths::resolve(Some(Path::new("some/rel"))).unwrap();
        assert!(p.data_dir().is_absolute());
        assert!(p.data_dir().ends_with("some/rel"));
        assert!(!p.from_env());
    }

    #[test]
    fn the_paths_inside_sit_under_the_data_dir() {
        let p = AppPaths::at("/d");
        assert_eq!(p.database_path(), Path::new("/d/mission-studio.db"));
        assert_eq!(p.knowledge_store_path(), Path::new("/d/knowledge.db"));
        assert_eq!(p.log_dir(), Path::new("/d/logs"));
        assert_eq!(p.runs_dir(), Path::new("/d/runs"));
    }

    #[test]
    fn the_builtin_templates_are_found_explicitly_or_from_the_source_tree() {
        let p = AppPaths::at("/d").with_builtin_templates("/lib/templates");
        assert_eq!(
            p.builtin_templates_dir().as_deref(),
            Some(Path::new("/lib/templates"))
        );
        // Tests run inside the repository: the library is found above the test binary.
        let found = AppPaths::at("/d")
            .builtin_templates_dir()
            .expect("missions/templates is found");
        assert!(found.ends_with("missions/templates"), "{}", found.display());
        assert!(found.join("hr").is_dir(), "{}", found.display());
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(dir.path().join("missions/templates")).unwrap();
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(
            find_upwards(&nested, Path::new("missions/templates")),
            Some(dir.path().join("missions/templates"))
        );
    }

    #[test]
    fn ensure_creates_the_folders() {
        let dir = tempfile::tempdir().unwrap();
        let p = AppPaths::at(dir.path().join("nested/data"));
        p.ensure().unwrap();
        assert!(p.runs_dir().is_dir() && p.log_dir().is_dir());
    }
}
