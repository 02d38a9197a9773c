//! A model served over the Open Inference Protocol (KServe v2 REST): the wire format KServe,
//! NVIDIA Triton, Seldon MLServer and OpenVINO Model Server all speak.
//!
//! Two requests, both required by the protocol:
//! - `GET <endpoint>/v2/models/<model>[/versions/<v>]` → `{name, inputs: [{name, datatype,
//!   shape}], outputs: […]}` (`-1` for a free dimension). The step reads the step's values
//!   against it, as it does for an ONNX file, so a wrong shape or type fails before inference.
//! - `POST …/infer` with `{"inputs": [{"name", "shape", "datatype", "data"}]}` (`data` flat,
//!   row-major) → `{"model_name", "outputs": [{"name", "shape", "datatype", "data"}]}`. An error
//!   answer is `{"error": "…"}`, whose text the step's message carries.

use super::tensors::{ElemType, Input, InputSpec};
use crate::steps::{Failure, StepCtx};
use reqwest::Url;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where the model lives on the server.
pub(crate) struct Endpoint {
    /// `…/v2/models/<model>[/versions/<v>]`
    model_url: Url,
    headers: BTreeMap<String, String>,
}

impl Endpoint {
    pub fn new(
        base: &str,
        model: &str,
        version: Option<&str>,
        headers: BTreeMap<String, String>,
    ) -> Result<Self, Failure> {
        let base = base.trim();
        let mut url = Url::parse(base)
            .map_err(|e| Failure::new(format!("`endpoint` `{base}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Failure::new(format!(
                "`endpoint` `{base}` is not an http:// or https:// URL"
            )));
        }
        if url.path().contains("/v2/") || url.path().ends_with("/v2") {
            return Err(Failure::new(format!(
                "`endpoint` is the server's base URL (e.g. `http://127.0.0.1:8000`), not `{base}`: the step adds `/v2/models/<model>/infer` itself"
            )));
        }
        if model.trim().is_empty() {
            return Err(Failure::new(
                "parameter `model` (the model's name on the server) is empty",
            ));
        }
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| Failure::new(format!("`endpoint` `{base}` cannot take a path")))?;
            path.pop_if_empty().extend(["v2", "models", model.trim()]);
            if let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) {
                path.extend(["versions", v]);
            }
        }
        Ok(Self {
            model_url: url,
            headers,
        })
    }

    pub fn infer_url(&self) -> String {
        format!("{}/infer", self.model_url)
    }

    /// The model's declared inputs (`GET …/v2/models/<model>`).
    pub async fn metadata(&self, ctx: &StepCtx) -> Result<Vec<InputSpec>, Failure> {
        let request = ctx.shared.http_client()?.get(self.model_url.clone());
        let body = self.send(request, "the model's metadata").await?;
        let inputs = body
            .get("inputs")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Failure::new(format!(
                    "{}: the model's metadata lists no `inputs` (is this an Open Inference Protocol server?)",
                    self.model_url
                ))
            })?;
        inputs
            .iter()
            .map(|i| {
                let name = i.get("name").and_then(Value::as_str).unwrap_or_default();
                let datatype = i.get("datatype").and_then(Value::as_str).unwrap_or_default();
                let elem = ElemType::parse(datatype).ok_or_else(|| {
                    Failure::new(format!(
                        "the model's input `{name}` is `{datatype}`; this step sends numbers and booleans only"
                    ))
                })?;
                let shape = i.get("shape").and_then(Value::as_array).map(|dims| {
                    dims.iter()
                        .map(|d| d.as_u64().and_then(|n| usize::try_from(n).ok()))
                        .collect()
                });
                Ok(InputSpec {
                    name: name.to_string(),
                    elem,
                    shape,
                })
            })
            .collect()
    }

    /// Runs the model (`POST …/infer`); returns its outputs as the server gave them.
    pub async fn infer(&self, inputs: &[Input], ctx: &StepCtx) -> Result<Vec<Value>, Failure> {
        let body = json!({
            "inputs": inputs.iter().map(|i| json!({
                "name": i.name,
                "shape": i.shape,
                "datatype": i.elem.name(),
                "data": i.values.to_json(),
            })).collect::<Vec<_>>(),
        });
        let request = ctx.shared.http_client()?.post(self.infer_url()).json(&body);
        let answer = self.send(request, "the inference").await?;
        let outputs = answer
            .get("outputs")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Failure::new(format!(
                    "{}: the answer has no `outputs` list",
                    self.infer_url()
                ))
            })?;
        outputs
            .iter()
            .map(|o| {
                let name = o.get("name").and_then(Value::as_str);
                match (name, o.get("shape"), o.get("datatype"), o.get("data")) {
                    (Some(name), Some(shape), Some(dt), Some(data)) => Ok(json!({
                        "name": name, "shape": shape, "datatype": dt, "data": data,
                    })),
                    _ => Err(Failure::new(format!(
                        "{}: an output lacks `name`, `shape`, `datatype` or `data`",
                        self.infer_url()
                    ))),
                }
            })
            .collect()
    }

    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Value, Failure> {
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| {
            let at = self.model_url.origin().ascii_serialization();
            if e.is_connect() {
                Failure::new(format!("cannot connect to the inference server {at}: {e}"))
            } else {
                Failure::new(format!("{what} at {at} failed: {e}"))
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::new(format!("{what}: the answer could not be read: {e}")))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let said = body.get("error").and_then(Value::as_str).map_or_else(
                || text.chars().take(300).collect::<String>(),
                str::to_string,
            );
            return Err(Failure::new(format!(
                "{what} was refused by {} (HTTP {}): {said}",
                self.model_url,
                status.as_u16()
            )));
        }
        if body.is_null() {
            return Err(Failure::new(format!(
                "{what}: {} answered with something that is not JSON",
                self.model_url
            )));
        }
        Ok(body)
    }
}

#[cfg(test)]
#[test]
fn the_model_url_follows_the_protocol() {
    let e = Endpoint::new("http://h:8000/", "my model", Some("2"), BTreeMap::new()).unwrap();
    assert_eq!(
        e.infer_url(),
        "http://h:8000/v2/models/my%20model/versions/2/infer"
    );
    let e = Endpoint::new("http://h/serving", "m", None, BTreeMap::new()).unwrap();
    assert_eq!(e.infer_url(), "http://h/serving/v2/models/m/infer");
    assert!(Endpoint::new("http://h/v2/models/m/infer", "m", None, BTreeMap::new()).is_err());
    assert!(Endpoint::new("ftp://h", "m", None, BTreeMap::new()).is_err());
}
