//! `model_inference`: ONNX models built here from tract-onnx's protobuf types (a linear layer
//! with known weights, an integer model), run in-process and checked number by number; the
//! run's model cache; wrong shapes and types, unreadable models, paths outside the workspace;
//! and a model served over the Open Inference Protocol by a local axum server, with the gate's
//! network check.

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use prost::Message;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, NetworkRules, Perimeter, StepStatus};
use studio_engine::audit::{Check, CollectingAudit, Decision};
use studio_engine::{run_mission, Governance, RunOptions, RunResult};
use tract_onnx::pb;

// --- ONNX models -------------------------------------------------------------------------

fn value_info(
    name: &str,
    elem: pb::tensor_proto::DataType,
    dims: &[Option<i64>],
) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension, Dimension};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            denotation: String::new(),
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n),
                None => dimension::Value::DimParam("batch".into()),
            }),
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            denotation: String::new(),
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: elem as i32,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
        }),
        doc_string: String::new(),
    }
}

fn node(op: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
    pb::NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: format!("{op}_{output}"),
        op_type: op.into(),
        ..Default::default()
    }
}

fn model(graph: pb::GraphProto) -> Vec<u8> {
    pb::ModelProto {
        ir_version: 7,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "mission-studio-tests".into(),
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

/// `scores = Relu(x · W + B)`: x FP32 [batch, 3], W [3, 2], B [2].
fn linear(w: [[f32; 2]; 3], b: [f32; 2]) -> Vec<u8> {
    use pb::tensor_proto::DataType::Float;
    let init = |name: &str, dims: Vec<i64>, data: Vec<f32>| pb::TensorProto {
        dims,
        data_type: Float as i32,
        float_data: data,
        name: name.into(),
        ..Default::default()
    };
    model(pb::GraphProto {
        name: "linear".into(),
        node: vec![
            node("MatMul", &["x", "W"], "xw"),
            node("Add", &["xw", "B"], "logits"),
            node("Relu", &["logits"], "scores"),
        ],
        initializer: vec![
            init("W", vec![3, 2], w.iter().flatten().copied().collect()),
            init("B", vec![2], b.to_vec()),
        ],
        input: vec![value_info("x", Float, &[None, Some(3)])],
        output: vec![value_info("scores", Float, &[None, Some(2)])],
        ..Default::default()
    })
}

/// `twice = ids + ids`: ids INT64 [3].
fn doubler() -> Vec<u8> {
    use pb::tensor_proto::DataType::Int64;
    model(pb::GraphProto {
        name: "doubler".into(),
        node: vec![node("Add", &["ids", "ids"], "twice")],
        input: vec![value_info("ids", Int64, &[Some(3)])],
        output: vec![value_info("twice", Int64, &[Some(3)])],
        ..Default::default()
    })
}

const W: [[f32; 2]; 3] = [[1.0, -1.0], [0.5, 2.0], [-2.0, 0.25]];
const B: [f32; 2] = [0.1, -0.5];

/// What the linear model computes, in f32 as tract does.
fn expected(x: &[[f32; 3]]) -> Vec<f32> {
    x.iter()
        .flat_map(|row| {
            (0..2).map(move |j| {
                let s: f32 = (0..3).map(|i| row[i] * W[i][j]).sum::<f32>() + B[j];
                s.max(0.0)
            })
        })
        .collect()
}

fn data_f32(output: &Value) -> Vec<f32> {
    output["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

// --- running ---------------------------------------------------------------------------

struct Ran {
    result: RunResult,
    audit: Vec<studio_engine::audit::AuditRecord>,
    workspace: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Ran {
    fn output(&self, id: &str) -> &Value {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
        &r.output
    }

    fn error(&self, id: &str) -> String {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
        r.error.clone().unwrap_or_default()
    }
}

async fn run(files: &[(&str, Vec<u8>)], steps: Value, operator: Perimeter) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    for (path, bytes) in files {
        let path = workspace.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let mission: Mission = serde_json::from_value(json!({
        "name": "Inference steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    }))
    .expect("the test mission parses");
    let audit = CollectingAudit::new();
    let mut governance = Governance {
        operator,
        ..Default::default()
    };
    governance.audit.push(Arc::new(audit.clone()));
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(BTreeMap::from([(
        "INFER_TOKEN".to_string(),
        "tok-infer-123".to_string(),
    )]));
    let result = run_mission(&mission, options, &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    Ran {
        result,
        audit: audit.rows(),
        workspace,
        _dir: dir,
    }
}

// --- ONNX in-process ---------------------------------------------------------------------

#[tokio::test]
async fn an_onnx_model_gives_the_numbers_of_its_weights() {
    let x = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]];
    let steps = json!([
        {"id": "batch", "step_type": "model_inference",
         "parameters": {"model_path": "models/linear.onnx", "inputs": x}},
        {"id": "again", "step_type": "model_inference", "depends_on": ["batch"],
         "parameters": {"model": "models/linear.onnx", "inputs": {"x": {"data": [-1.0, 0.5, 0.25, 1.0, 2.0, 3.0], "shape": [2, 3]}}}},
        {"id": "one", "step_type": "model_inference", "depends_on": ["again"],
         "parameters": {"model": "models/linear.onnx", "input": [0.0, 1.0, 0.0], "shape": [1, 3]}},
        {"id": "ints", "step_type": "model_inference",
         "parameters": {"model": "double.onnx", "inputs": {"ids": [1, -2, 40]}}},
    ]);
    let ran = run(
        &[
            ("models/linear.onnx", linear(W, B)),
            ("double.onnx", doubler()),
        ],
        steps,
        Perimeter::default(),
    )
    .await;
    let out = ran.output("batch");
    assert_eq!(out["runtime"], "tract");
    assert_eq!(out["model"], "models/linear.onnx");
    assert_eq!(out["cached"], false);
    assert!(out["elapsed_ms"].as_f64().unwrap() >= 0.0);
    let scores = &out["outputs"][0];
    assert_eq!(scores["name"], "scores");
    assert_eq!(scores["datatype"], "FP32");
    assert_eq!(scores["shape"], json!([2, 2]));
    let want = expected(&x);
    assert_eq!(data_f32(scores), want);
    // Row 1: 1·1 + 2·0.5 + 3·(−2) + 0.1 < 0 → 0, and 1·(−1) + 2·2 + 3·0.25 − 0.5 = 3.25;
    // row 2: −1.15 → 0, and 1 + 1 + 0.0625 − 0.5 = 1.5625.
    assert_eq!(scores["data"], json!([0.0, 3.25, 0.0, 1.5625]));

    // The same file and shapes: the optimized model comes from the run's cache.
    let again = ran.output("again");
    assert_eq!(again["cached"], true);
    let mut swapped = want[2..].to_vec();
    swapped.extend_from_slice(&want[..2]);
    assert_eq!(data_f32(&again["outputs"][0]), swapped);
    // Another batch size: the parsed file is reused, a plan is made for the new shape.
    let one = ran.output("one");
    assert_eq!(one["cached"], false);
    assert_eq!(one["outputs"][0]["shape"], json!([1, 2]));
    assert_eq!(data_f32(&one["outputs"][0]), expected(&[[0.0, 1.0, 0.0]]));

    let ints = ran.output("ints");
    assert_eq!(
        ints["outputs"][0],
        json!({"name": "twice", "shape": [3], "datatype": "INT64", "data": [2, -4, 80]})
    );
}

#[tokio::test]
async fn an_edited_model_file_is_read_again() {
    let steps = json!([
        {"id": "before", "step_type": "model_inference",
         "parameters": {"model": "m.onnx", "inputs": [[1.0, 1.0, 1.0]]}},
        // Rewrites the model with other weights (same size on disk, another modification time).
        {"id": "edit", "step_type": "copy_file", "depends_on": ["before"],
         "parameters": {"source": "m2.onnx", "destination": "m.onnx"}},
        {"id": "after", "step_type": "model_inference", "depends_on": ["edit"],
         "parameters": {"model": "m.onnx", "inputs": [[1.0, 1.0, 1.0]]}},
    ]);
    let doubled = W.map(|row| row.map(|w| w * 2.0));
    let ran = run(
        &[("m.onnx", linear(W, B)), ("m2.onnx", linear(doubled, B))],
        steps,
        Perimeter::default(),
    )
    .await;
    let before = data_f32(&ran.output("before")["outputs"][0]);
    let after = ran.output("after");
    assert_eq!(after["cached"], false);
    assert_ne!(data_f32(&after["outputs"][0]), before);
    // Row sums of W are −0.5 and 1.25: doubled, 2.5 − 0.5 = 2.0.
    assert_eq!(data_f32(&after["outputs"][0]), vec![0.0, 2.0]);
}

#[tokio::test]
async fn wrong_inputs_and_unreadable_models_fail_clearly() {
    let steps = json!([
        {"id": "shape", "step_type": "model_inference",
         "parameters": {"model": "m.onnx", "inputs": [[1.0, 2.0]]}},
        {"id": "text", "step_type": "model_inference",
         "parameters": {"model": "m.onnx", "inputs": [["a", "b", "c"]]}},
        {"id": "fraction", "step_type": "model_inference",
         "parameters": {"model": "double.onnx", "inputs": [1, 2.5, 3]}},
        {"id": "name", "step_type": "model_inference",
         "parameters": {"model": "m.onnx", "inputs": {"pixels": [[1, 2, 3]]}}},
        {"id": "none", "step_type": "model_inference", "parameters": {"model": "m.onnx"}},
        {"id": "garbage", "step_type": "model_inference",
         "parameters": {"model": "bad.onnx", "inputs": [1]}},
        {"id": "missing", "step_type": "model_inference",
         "parameters": {"model": "nope.onnx", "inputs": [1]}},
        {"id": "outside", "step_type": "model_inference",
         "parameters": {"model": "../m.onnx", "inputs": [1]}},
    ]);
    let ran = run(
        &[
            ("m.onnx", linear(W, B)),
            ("double.onnx", doubler()),
            ("bad.onnx", b"this is not protobuf at all".to_vec()),
        ],
        steps,
        Perimeter::default(),
    )
    .await;
    let e = ran.error("shape");
    assert!(
        e.contains("input `x` expects shape [any, 3] (FP32), not [1, 2]"),
        "{e}"
    );
    let e = ran.error("text");
    assert!(
        e.contains("input `x` is FP32: \"a\" is text, not a number"),
        "{e}"
    );
    let e = ran.error("fraction");
    assert!(
        e.contains("input `ids` is INT64: 2.5 is not a whole number"),
        "{e}"
    );
    let e = ran.error("name");
    assert!(
        e.contains("no input `pixels`") && e.contains("`x` (FP32 [any, 3])"),
        "{e}"
    );
    let e = ran.error("none");
    assert!(e.contains("needs `inputs`"), "{e}");
    let e = ran.error("garbage");
    assert!(e.contains("cannot load the model `bad.onnx`"), "{e}");
    let e = ran.error("missing");
    assert!(e.contains("nope.onnx"), "{e}");
    let e = ran.error("outside");
    assert!(e.contains("`..`"), "{e}");
    assert!(ran.workspace.join("m.onnx").exists());
}

// --- an Open Inference Protocol server ----------------------------------------------------

#[derive(Default, Clone)]
struct Seen {
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    auth: Arc<Mutex<Vec<String>>>,
}

/// One model, `doubler`: `x` FP32 [-1, 2] → `y` = 2·x; any other name is a 404 `{error}`.
async fn oip_server() -> (u16, Seen) {
    let seen = Seen::default();
    async fn metadata(
        UrlPath(name): UrlPath<String>,
        State(seen): State<Seen>,
        headers: HeaderMap,
    ) -> (StatusCode, Json<Value>) {
        if let Some(a) = headers.get("authorization") {
            seen.auth
                .lock()
                .unwrap()
                .push(a.to_str().unwrap().to_string());
        }
        if name != "doubler" {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"error": format!("model '{name}' is not found")})),
            );
        }
        (
            StatusCode::OK,
            Json(json!({
                "name": "doubler", "versions": ["1"], "platform": "test",
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
                "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}],
            })),
        )
    }
    async fn infer(
        UrlPath(name): UrlPath<String>,
        State(seen): State<Seen>,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        seen.requests
            .lock()
            .unwrap()
            .push((name.clone(), body.clone()));
        let input = &body["inputs"][0];
        if input["datatype"] != "FP32" {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "x must be FP32"})),
            );
        }
        let data: Vec<Value> = input["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| json!(v.as_f64().unwrap() * 2.0))
            .collect();
        (
            StatusCode::OK,
            Json(json!({
                "model_name": name, "model_version": "1", "id": "r1",
                "outputs": [{"name": "y", "datatype": "FP32", "shape": input["shape"], "data": data}],
            })),
        )
    }
    let app = axum::Router::new()
        .route("/v2/models/{name}", axum::routing::get(metadata))
        .route("/v2/models/{name}/infer", axum::routing::post(infer))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, seen)
}

fn hosts(list: &[&str]) -> Perimeter {
    Perimeter {
        network: Some(NetworkRules {
            allowed_hosts: list.iter().map(|h| h.to_string()).collect(),
            trusted_host_keys: Vec::new(),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_served_model_is_called_over_the_open_inference_protocol() {
    let (port, seen) = oip_server().await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let steps = json!([
        {"id": "infer", "step_type": "model_inference", "parameters": {
            "endpoint": endpoint, "model_name": "doubler", "inputs": [[1.5, -2.0], [0.25, 4.0]],
            "headers": {"Authorization": "Bearer {{env.INFER_TOKEN}}"}}},
        {"id": "shape", "step_type": "model_inference", "parameters": {
            "url": endpoint, "model": "doubler", "inputs": [1.0, 2.0, 3.0]}},
        {"id": "unknown", "step_type": "model_inference", "parameters": {
            "endpoint": endpoint, "model": "tripler", "inputs": [1.0]}},
    ]);
    let ran = run(&[], steps, hosts(&["127.0.0.1"])).await;
    let out = ran.output("infer");
    assert_eq!(out["runtime"], "open_inference_protocol");
    assert_eq!(out["model"], "doubler");
    assert_eq!(
        out["outputs"],
        json!([{"name": "y", "shape": [2, 2], "datatype": "FP32", "data": [3.0, -4.0, 0.5, 8.0]}])
    );
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(
        requests.len(),
        1,
        "only valid inputs reach the server: {requests:?}"
    );
    assert_eq!(
        requests[0].1,
        json!({"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1.5, -2.0, 0.25, 4.0]}]})
    );
    assert!(seen
        .auth
        .lock()
        .unwrap()
        .iter()
        .all(|a| a == "Bearer tok-infer-123"));
    let e = ran.error("shape");
    assert!(
        e.contains("input `x` expects shape [any, 2] (FP32), not [3]"),
        "{e}"
    );
    let e = ran.error("unknown");
    assert!(
        e.contains("HTTP 404") && e.contains("model 'tripler' is not found"),
        "{e}"
    );
    let infer_url = format!("http://127.0.0.1:{port}/v2/models/doubler/infer");
    assert!(
        ran.result.links.iter().any(|l| l.url == infer_url),
        "{:?}",
        ran.result.links
    );
    assert!(ran.audit.iter().all(|r| r.decision == Decision::Allowed));
}

#[tokio::test]
async fn an_endpoint_the_perimeter_does_not_allow_is_refused_at_the_gate() {
    let (port, seen) = oip_server().await;
    let steps = json!([
        {"id": "infer", "step_type": "model_inference", "parameters": {
            "endpoint": format!("http://127.0.0.1:{port}"), "model": "doubler", "inputs": [[1.0, 2.0]]}},
        // A workspace model reaches no host: the list does not concern it.
        {"id": "local", "step_type": "model_inference", "parameters": {
            "model": "m.onnx", "inputs": [[1.0, 2.0, 3.0]]}},
    ]);
    let ran = run(&[("m.onnx", linear(W, B))], steps, hosts(&["*.internal"])).await;
    let e = ran.error("infer");
    assert!(
        e.contains(&format!("127.0.0.1:{port}")) && e.contains("*.internal"),
        "{e}"
    );
    let refused: Vec<_> = ran
        .audit
        .iter()
        .filter(|r| r.decision == Decision::Refused)
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", ran.audit);
    assert_eq!(refused[0].check, Check::Network);
    assert!(seen.requests.lock().unwrap().is_empty());
    assert_eq!(ran.output("local")["runtime"], "tract");
}
