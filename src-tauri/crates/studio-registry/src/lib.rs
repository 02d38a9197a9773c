//! The mission library (DESIGN §10): template files indexed into `mission_templates`, kept in
//! step by a debounced watcher, searched and sorted for the UI and the CLI; active missions
//! (a template saved with the operator's perimeter); and the daily batch that feeds measured
//! performance (runs, success rate, cost, ROI, durations, badges, failure patterns) back into
//! the library.
//!
//! The template files stay the source of truth; the table is an index rebuilt from them.
//! [`Registry`] is the handle: [`Registry::reindex`] ([`index`]), [`Registry::list`]
//! ([`query`]), [`Registry::get`], [`Registry::watch`] ([`watch`]).

pub mod active;
pub mod batch;
mod error;
pub mod index;
pub mod model;
pub mod query;
mod registry;
pub mod relevance;
pub mod review;
pub mod schedule;
pub mod schema;
pub mod watch;

pub use active::{ActiveError, ActiveMission, CapViolation, Deployed};
pub use batch::{batch_due, run_batch, BatchError, BatchSummary, RiskLevel, Trigger};
pub use error::RegistryError;
pub use index::{IndexProblem, IndexReport, TemplateRoot};
pub use model::{
    Badge, StepSummary, TemplateDetail, TemplateSource, TemplateStats, TemplateSummary,
    TOP_PERFORMANCE,
};
pub use query::{Snapshot, SortKey, TemplateQuery};
pub use registry::Registry;
pub use relevance::Relevance;
pub use review::{FlagStatus, ReviewError};
pub use schedule::{ScheduleConfig, Scheduler};
pub use watch::TemplateWatcher;
