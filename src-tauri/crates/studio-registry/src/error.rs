//! What can go wrong in the registry. Callers match on the variants; the API edge turns them
//! into `{code, message}`.

use std::path::PathBuf;
use studio_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No valid template has this id.
    #[error(
        "no template with id `{id}` in the library; find one with `mission templates list --search <words>`"
    )]
    UnknownTemplate { id: String },
    /// The template is indexed but its file no longer loads or validates (it changed on disk
    /// since the last index).
    #[error("template `{id}` ({}) cannot be used: {message}", path.display())]
    Unusable {
        id: String,
        path: PathBuf,
        message: String,
    },
    /// The watcher could not be started on a folder.
    #[error("cannot watch the template folder {}: {message}", path.display())]
    Watch { path: PathBuf, message: String },
    #[error("cannot create the template folder {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
