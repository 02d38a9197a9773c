//! The history of Mission Studio in one SQLite file (DESIGN §9): runs, step results, events,
//! audit decisions, approvals, review flags, batch jobs, templates and active missions.
//!
//! This is the only crate that opens SQLite. [`Store::open`] refuses a database written by a
//! newer build, migrates an older one, and checks the connection settings (WAL, foreign keys,
//! busy timeout, synchronous=NORMAL). [`StoreSink`] records a run as the engine emits it, in
//! batched transactions, passing events on only once committed. [`Store::recover_interrupted`]
//! ends the runs of processes that are gone. [`Store::search_history`] searches the mission
//! pack's INDEX: what finished runs produced, indexed in the transaction that ends them.

mod active;
mod audit;
mod batch;
mod connection;
mod crash_point;
mod error;
mod event_row;
mod feed;
mod history_query;
mod ingest;
mod match_line;
mod migrations;
mod model;
mod owner;
mod read;
mod recovery;
mod run_index;
mod run_search;
mod sink;
mod templates;
mod write;

pub use active::{ActiveRow, Saved};
pub use audit::ApprovalRow;
pub use batch::{
    BatchClaim, BatchJob, FinishedRun, FlagChange, ReviewFlag, TemplateFigures, BATCH_OWNER_GONE,
};
pub use connection::{Store, BUSY_TIMEOUT};
pub use crash_point::CRASH_AFTER_EVENT_ENV;
pub use error::StoreError;
pub use feed::EventStamp;
pub use history_query::{HistoryFacets, HistoryQuery, HistoryRow, HistorySortKey};
pub use ingest::{IngestError, IngestRun, Ingested};
pub use migrations::SCHEMA_VERSION;
pub use model::{NewRun, RecoveredRun, ResumeSource, RunFilter, RunSummary, StepRow, INTERRUPTED};
pub use owner::ProcessIdentity;
pub use recovery::{STEP_INTERRUPTED, STEP_NOT_STARTED};
pub use run_search::{MatchField, SearchHit, SearchMatch, MATCHES_PER_RUN};
pub use sink::StoreSink;
pub use templates::{TemplateRecord, TemplateRow};
pub use write::{Applied, Write};
