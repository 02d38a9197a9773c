//! Evidence folders (DESIGN §8, mission pack layout): every run leaves
//! `<runs dir>/<YYYYMMDD-HHMM>__<project>__<slug>/` with
//!
//! ```text
//! mission.yaml        the mission as run (resolved: id, effective config, perimeter)
//! context.md          objective, project, background
//! constraints.md      the mission's constraints plus the rendered perimeter
//! workspace/          the run's workspace (file steps and commands work here)
//! outputs/answer.md   a readable summary of the run (unless a step produced one)
//! outputs/...         the declared `outputs`, copied from the workspace
//! evidence/steps.md   the action log
//! evidence/links.txt  URLs the run contacted
//! evidence/raw/<step>.json   each step's full result (a step that produced something)
//! evidence/raw/steps.jsonl    one line per step that produced nothing (see `raw`)
//! evidence/screenshots/
//! events.jsonl        every event of the run, one JSON object a line
//! meta.json           run id, times, status, outputs, evidence, environment, usage, hashes, state
//! ```
//!
//! Every file is written atomically (a temporary file, then a rename); `meta.json` is written
//! when the run starts and again when it ends. Only the final `meta.json` is synced to the disk:
//! the history's commits carry a run's durability (see `atomic`).

mod atomic;
mod error;
mod folder;
mod meta;
mod package;
mod raw;
mod recovery;
mod render;
mod run;
mod seed;

pub use error::PackError;
pub use folder::{folder_name, EvidenceFolder, RunIdentity};
pub use meta::{Environment, Meta, MissionFileRef};
pub use package::{
    list_files, manifest_of, package_run, read_meta, read_package, sha256_hex, unpack, Manifest,
    ManifestFile, Package, PackageError, MANIFEST, PACKAGE_FORMAT, PACKAGE_FORMAT_VERSION,
};
pub use raw::{read_records, RawRecord, TRIVIAL_RECORDS};
pub use recovery::{clean_temp_files, mark_interrupted};
pub use run::run_with_evidence;
