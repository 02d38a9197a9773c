//! The Mission Studio DAG executor.
//!
//! [`run_mission`] walks a mission's steps as a dependency graph with the exact semantics of
//! DESIGN §4: ready steps start in declaration order, at most `max_concurrent_steps` at a time;
//! fail-fast or continue-on-error; retries; per-attempt and global timeouts that kill whole
//! process trees; cancellation. Every state change is an [`Event`] handed to an [`EventSink`].
//!
//! The engine knows nothing of hosts: the app, the CLI and the tests inject the sink, the
//! cancellation token and the workspace folder through [`RunOptions`].

pub mod approval;
pub mod audit;
pub mod budget;
mod error;
mod events;
mod executor;
pub mod forecast;
pub mod gate;
pub mod governance;
mod graph;
pub mod hosts;
pub mod os_keyring;
mod plan;
pub mod pricing;
pub mod providers;
mod redact;
pub mod remote;
mod result;
pub mod sandbox;
mod state;
pub mod state_desk;
mod steps;
mod timefmt;
pub mod tools;
mod vars;
mod wait_clock;

pub use error::EngineError;
pub use events::{
    ChannelSink, CollectingSink, Event, EventSink, EventType, FanOutSink, JsonlFileSink, NullSink,
    SinkError, StepRecord, Usage,
};
pub use executor::{
    run_mission, Executable, ReusedOutput, RunOptions, DEFAULT_MAX_CONCURRENT_STEPS,
    DEFAULT_RETRY_DELAY_MS,
};
pub use governance::Governance;
pub use graph::Dag;
pub use plan::{Plan, PlanItem, PlanStatus};
pub use redact::is_secret_name;
pub use result::{Link, RunResult, StepResult, StepResults};
pub use steps::{implemented_step_types, is_implemented};
pub use tokio_util::sync::CancellationToken;

/// The knowledge store of the `rag_*` steps and its parts (DESIGN §5.3), for hosts that manage
/// the store and for the benchmark: open a [`knowledge::KnowledgeStore`], add documents cut by
/// [`knowledge::chunk_text`] and embedded by [`knowledge::LocalEmbedder`], and rank with
/// [`knowledge::KnowledgeStore::search`], exactly as the steps do.
pub mod knowledge {
    pub use crate::steps::knowledge::{
        chunk_text, match_expression, Chunk, EmbedderId, Hit, KnowledgeStore, LocalEmbedder,
        NewDocument, Query, StoreError, DEFAULT_KEYWORD_WEIGHT, FILE_NAME, LOCAL_MODEL,
        RUN_LOCAL_STORE,
    };
}

/// A fresh run id (a UUID v4 without dashes' ambiguity: the canonical hyphenated form).
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh trace id (32 lowercase hex digits, W3C trace-context style).
pub fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
