//! Where Mission Studio keeps its data. The app and the CLI resolve the same folder, so they share
//! one history.

use crate::ApiError;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the data folder (tests use it).
pub const DATA_DIR_ENV: &str = "MISSION_STUDIO_DATA_DIR";

/// The data folder and the paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    data_dir: PathBuf,
    from_env: bool,
}

impl AppPaths {
    /// Uses exactly this folder.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: dir.into(),
            from_env: false,
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

    /// Creates the data, log and runs folders if they are missing.
    pub fn ensure(&self) -> Result<(), ApiError> {
        for dir in [self.data_dir.clone(), self.log_dir(), self.runs_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| ApiError::io("create the folder", &dir, e))?;
        }
        Ok(())
    }
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
        assert_eq!(p.log_dir(), Path::new("/d/logs"));
        assert_eq!(p.runs_dir(), Path::new("/d/runs"));
    }

    #[test]
    fn ensure_creates_the_folders() {
        let dir = tempfile::tempdir().unwrap();
        let p = AppPaths::at(dir.path().join("nested/data"));
        p.ensure().unwrap();
        assert!(p.runs_dir().is_dir() && p.log_dir().is_dir());
    }
}
