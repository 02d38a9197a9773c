//! Model inference: an ONNX model run in-process, or a model served by an inference server.

use super::*;

pub(super) const STEPS: &[StepParams] = &[StepParams {
    step_type: "model_inference",
    summary: "Runs a model on `inputs` and returns its output tensors. Without `endpoint`: an ONNX file of the workspace, run in-process by tract (pure Rust, CPU); the optimized model is kept for the rest of the run, so later steps on the same file (unchanged) and the same input shapes do not load it again. With `endpoint`: a model served over the Open Inference Protocol (KServe v2, as spoken by KServe, Triton, MLServer, OpenVINO Model Server): the model's metadata is read from `GET <endpoint>/v2/models/<model>`, then `POST …/infer` sends `{inputs: [{name, shape, datatype, data}]}`; the host must be one the perimeter allows (`network.allowed_hosts`). Inputs are checked against the model's declared names, element types and shapes before it runs; a mismatch fails with what the model expects. Side effects: none; a workspace model reaches nothing outside the run, so strict approval does not ask for it.",
    params: &[
        req("model", ParamType::String, "the ONNX model file in the workspace (`models/classifier.onnx`; no `..`, not absolute); with `endpoint`, the model's name on the server"),
        opt("inputs", ParamType::Any, "the input values. For a model with one input: a number, a list, or nested lists (the shape follows the nesting), or `{data, shape}` with `data` flat. For several inputs: a mapping of each input's name to such a value (or a list of them in the model's order). A flat list fits an input whose declared shape is fully known when the counts match (`[0.5, 1.0, 2.0]` for `[1, 3]`). Numbers are converted to the input's element type (float, integer or boolean); a fraction for an integer input fails. Default: none, for a model without inputs"),
        opt("shape", ParamType::Any, "the shape (a list of whole numbers) of a one-input model's `inputs` given flat, e.g. `[1, 3]` for `[0.5, 1.0, 2.0]`"),
        opt("endpoint", ParamType::String, "the base URL of an Open Inference Protocol (KServe v2) server, e.g. `http://127.0.0.1:8000`; the step then calls `<endpoint>/v2/models/<model>/infer` instead of running a workspace file"),
        opt("model_version", ParamType::String, "with `endpoint`: the model version to call (`…/v2/models/<model>/versions/<version>/infer`)"),
        opt("headers", ParamType::StringMap, "with `endpoint`: headers sent with both requests (e.g. `Authorization: Bearer {{env.INFER_TOKEN}}`)"),
        opt("timeout_seconds", ParamType::PositiveInteger, "how long loading and running the model, or the server's answers, may take before the step fails (default 120)"),
    ],
    any_parameters: false,
    rules: &[
        ParamRule::Requires("model_version", "endpoint"),
        ParamRule::Requires("headers", "endpoint"),
    ],
    aliases: &[
        ("model_path", "model"),
        ("model_file", "model"),
        ("model_name", "model"),
        ("path", "model"),
        ("input", "inputs"),
        ("data", "inputs"),
        ("input_shape", "shape"),
        ("url", "endpoint"),
        ("base_url", "endpoint"),
        ("version", "model_version"),
        ("timeout", "timeout_seconds"),
    ],
    output: &[
        out("outputs", "[{name, shape, datatype, data}]: each output tensor in the model's order, `data` flat in row-major order (as the Open Inference Protocol gives it), `datatype` as it names element types (`FP32`, `INT64`, `BOOL`…)"),
        out("model", "the model file, or the model's name on the server"),
        out("runtime", "`tract` (in-process) or `open_inference_protocol` (an endpoint)"),
        out("elapsed_ms", "how long the inference took, in milliseconds (loading a model not yet in the run's cache included)"),
        out("cached", "whether the optimized model came from the run's cache (false for an endpoint)"),
    ],
    output_is_parameters: false,
}];
