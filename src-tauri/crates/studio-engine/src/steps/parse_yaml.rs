//! `parse_yaml`: parses YAML text (serde-saphyr, with its default limits on aliases, depth and
//! size; YAML 1.2 booleans). Parameters: `content` or `path`, as for `parse_json`. Output: `{value}`.

use super::parse_json::{source_text, Source};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let (text, origin) = source_text(&p, ctx, "YAML").await?;
    let text = match text {
        Source::Text(t) => t,
        Source::Value(v) => return Ok(StepOutput::new(json!({ "value": v }))),
    };
    // YAML 1.2 booleans only: `y`, `no` and `on` stay strings.
    let options = serde_saphyr::options! { strict_booleans: true };
    let value: Value = serde_saphyr::from_str_with_options(&text, options)
        .map_err(|e| Failure::new(format!("{origin} is not valid YAML: {e}")))?;
    Ok(StepOutput::new(json!({ "value": value })))
}
