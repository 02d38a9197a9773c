//! `tool`: calls a sector-owned tool of the registry. The executor has already found the tool,
//! checked its `input` against the tool's schema, filled in its `run` template and passed the
//! gate; here the prepared call runs as the step type the tool is made of.
//!
//! Parameters (prepared): `{tool, sector, kind: command|http|llm, call: {...}}`.
//! Output: `{tool, sector, output}` where `output` is what the command, request or LLM call gave.

use super::params::str_param;
use super::{command, http, llm, Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: &Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let tool = str_param(p, "tool")?.to_string();
    let sector = str_param(p, "sector")?.to_string();
    let call = p.get("call").cloned().unwrap_or(Value::Null);
    let result = match str_param(p, "kind")? {
        "command" => command::run(&call, ctx).await,
        "http" => http::run(&call, ctx).await,
        "llm" => llm::run(&call, ctx).await,
        other => Err(Failure::new(format!(
            "tool `{tool}` runs as `{other}`, which a tool cannot use"
        ))),
    };
    let wrap = |inner: Value| json!({"tool": tool, "sector": sector, "output": inner});
    match result {
        Ok(mut out) => {
            out.value = wrap(std::mem::take(&mut out.value));
            Ok(out)
        }
        Err(mut f) => {
            f.message = format!("tool `{tool}`: {}", f.message);
            f.output = f.output.map(wrap);
            Err(f)
        }
    }
}
