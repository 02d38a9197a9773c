//! `noop`: does nothing. Its output is its (resolved) parameters, so a mission can name values
//! once and read them as `{{id.output.<key>}}`.

use super::{Failure, StepOutput};
use serde_json::Value;

pub(crate) fn run(params: Value) -> Result<StepOutput, Failure> {
    Ok(StepOutput::new(params))
}
