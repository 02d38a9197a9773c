//! `model_inference`: runs a model on the step's `inputs` and returns its output tensors.
//!
//! Parameters: `model` (a workspace `.onnx` file, or with `endpoint` the model's name on the
//! server), `inputs`, `shape`, `endpoint`, `model_version`, `headers`, `timeout_seconds`.
//! Output: `{outputs: [{name, shape, datatype, data}], model, runtime, elapsed_ms, cached}`.
//!
//! Both back ends share one reading of the inputs (`tensors.rs`) against what the model
//! declares: tract's view of the ONNX graph (`onnx.rs`), or the server's metadata (`oip.rs`).

use super::oip::Endpoint;
use super::onnx;
use super::tensors::read_inputs;
use crate::steps::params::{opt_str, opt_str_map, opt_u64, str_param};
use crate::steps::{workspace, Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT: u64 = 120;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let model = str_param(&p, "model")?.trim().to_string();
    let timeout = Duration::from_secs(
        opt_u64(&p, "timeout_seconds")?
            .unwrap_or(DEFAULT_TIMEOUT)
            .max(1),
    );
    let started = Instant::now();
    match opt_str(&p, "endpoint")? {
        Some(base) => {
            let endpoint = Endpoint::new(
                base,
                &model,
                opt_str(&p, "model_version")?,
                opt_str_map(&p, "headers")?,
            )?;
            let outputs = limited(ctx, timeout, async {
                let specs = endpoint.metadata(ctx).await?;
                let inputs = read_inputs(&specs, p.get("inputs"), p.get("shape"))?;
                endpoint.infer(&inputs, ctx).await
            })
            .await?;
            let mut out = StepOutput::new(json!({
                "outputs": outputs,
                "model": model,
                "runtime": "open_inference_protocol",
                "elapsed_ms": elapsed_ms(started),
                "cached": false,
            }));
            out.links.push(endpoint.infer_url());
            Ok(out)
        }
        None => {
            let rel = workspace::check(&model)?;
            let shown = workspace::display(&rel);
            let path = ctx.shared.workspace.host_path(&shown)?;
            let shared = Arc::clone(&ctx.shared);
            let (inputs, shape) = (p.get("inputs").cloned(), p.get("shape").cloned());
            let work = tokio::task::spawn_blocking(move || {
                let opened = shared.models.open(&path, &shown)?;
                let inputs = read_inputs(opened.inputs(), inputs.as_ref(), shape.as_ref())?;
                onnx::run(&opened, &inputs, &shown)
            });
            let (outputs, cached) = limited(ctx, timeout, async {
                work.await
                    .map_err(|e| Failure::new(format!("the model run stopped: {e}")))?
            })
            .await?;
            Ok(StepOutput::new(json!({
                "outputs": outputs,
                "model": workspace::display(&rel),
                "runtime": "tract",
                "elapsed_ms": elapsed_ms(started),
                "cached": cached,
            })))
        }
    }
}

/// Runs `work` within `timeout`, ending at once on a cancel.
async fn limited<T>(
    ctx: &StepCtx,
    timeout: Duration,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
        r = tokio::time::timeout(timeout, work) => r.unwrap_or_else(|_| Err(Failure::new(format!(
            "the inference took longer than {}s (`timeout_seconds`)",
            timeout.as_secs()
        )))),
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
