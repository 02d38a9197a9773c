//! ONNX models run in-process by tract (pure Rust, on the CPU), with a per-run cache.
//!
//! **Why a cache.** Parsing an ONNX file and optimizing its graph for given input shapes
//! costs far more than running it once. The run keeps, per model file (its real path, size and
//! modification time, so an edited file is read again), the parsed model and one optimized
//! plan per set of input types and shapes; a later step on the same file and shapes only runs.
//! The cache lives in the run's shared state and goes with it.
//!
//! **Files.** The model is opened by its real path inside the workspace (checked by the
//! workspace capability first). Tensors an ONNX file keeps in external data files are read by
//! tract only from inside the model's own folder (it refuses `..`, absolute locations and
//! symlinks out of it), so a model cannot pull in files from outside the workspace.
//!
//! **Blocking work.** Loading, optimizing and running are CPU-bound and happen on the blocking
//! pool. A cancel or a timeout ends the step at once; tract cannot be interrupted mid-run, so
//! that run finishes on its thread and its result is dropped.

use super::tensors::{float_json, ElemType, Input, InputSpec, Values};
use crate::steps::Failure;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

type Plan = TypedRunnableModel;

/// The element type and shape of each input, in order: what a plan is optimized for.
type Signature = Vec<(ElemType, Vec<usize>)>;

/// The models loaded by the run's steps.
#[derive(Default)]
pub(crate) struct ModelCache {
    files: Mutex<HashMap<FileKey, Arc<Loaded>>>,
}

/// A model file as it was when read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileKey {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

/// A parsed model, its declared inputs, and the plans optimized so far, by input types and
/// shapes.
struct Loaded {
    model: InferenceModel,
    inputs: Vec<InputSpec>,
    plans: Mutex<HashMap<Signature, Arc<Runnable>>>,
}

struct Runnable {
    plan: Arc<Plan>,
    output_names: Vec<String>,
}

/// A model file opened for one step: what it declares, and whether it came from the cache.
pub(crate) struct Opened {
    loaded: Arc<Loaded>,
    pub cached: bool,
}

impl Opened {
    pub fn inputs(&self) -> &[InputSpec] {
        &self.loaded.inputs
    }
}

impl ModelCache {
    /// The parsed model at `path` (a real path inside the workspace), read once per version of
    /// the file. `shown` is how messages name it.
    pub fn open(&self, path: &Path, shown: &str) -> Result<Opened, Failure> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Failure::new(format!("cannot read the model `{shown}`: {e}")))?;
        if meta.is_dir() {
            return Err(Failure::new(format!(
                "the model `{shown}` is a folder; name an `.onnx` file"
            )));
        }
        let key = FileKey {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
        };
        if let Some(loaded) = self.lock().get(&key) {
            return Ok(Opened {
                loaded: Arc::clone(loaded),
                cached: true,
            });
        }
        let model = tract_onnx::onnx().model_for_path(path).map_err(|e| {
            Failure::new(format!(
                "cannot load the model `{shown}`: it is not an ONNX model tract can read ({e:#})"
            ))
        })?;
        let inputs = declared_inputs(&model)
            .map_err(|e| Failure::new(format!("the model `{shown}`: {e:#}")))?;
        let loaded = Arc::new(Loaded {
            model,
            inputs,
            plans: Mutex::default(),
        });
        let mut files = self.lock();
        // Older versions of the same file are of no further use.
        files.retain(|k, _| k.path != key.path);
        files.insert(key, Arc::clone(&loaded));
        Ok(Opened {
            loaded,
            cached: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FileKey, Arc<Loaded>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the model on checked inputs; returns the outputs as `{name, shape, datatype, data}` and
/// whether the optimized plan came from the cache.
pub(crate) fn run(
    opened: &Opened,
    inputs: &[Input],
    shown: &str,
) -> Result<(Vec<Value>, bool), Failure> {
    let key: Vec<(ElemType, Vec<usize>)> =
        inputs.iter().map(|i| (i.elem, i.shape.clone())).collect();
    let cached = opened
        .loaded
        .plans
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let (runnable, from_cache) = match cached {
        Some(r) => (r, true),
        None => {
            let r = Arc::new(optimize(&opened.loaded.model, inputs).map_err(|e| {
                Failure::new(format!(
                    "the model `{shown}` cannot run on these inputs ({}): {e:#}",
                    describe_inputs(inputs)
                ))
            })?);
            opened
                .loaded
                .plans
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, Arc::clone(&r));
            (r, false)
        }
    };
    let tensors: TVec<TValue> = inputs
        .iter()
        .map(|i| to_tensor(i).map(|t| t.into_tvalue()))
        .collect::<TractResult<_>>()
        .map_err(|e| Failure::new(format!("cannot build the input tensors: {e:#}")))?;
    let outputs = runnable
        .plan
        .run(tensors)
        .map_err(|e| Failure::new(format!("the model `{shown}` failed while running: {e:#}")))?;
    let shown_outputs = outputs
        .iter()
        .zip(&runnable.output_names)
        .map(|(t, name)| output_json(name, t))
        .collect::<Result<_, _>>()?;
    Ok((shown_outputs, opened.cached && from_cache))
}

fn describe_inputs(inputs: &[Input]) -> String {
    inputs
        .iter()
        .map(|i| format!("`{}` {} {:?}", i.name, i.elem.name(), i.shape))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fixes each input's type and shape, then optimizes the graph for them.
fn optimize(model: &InferenceModel, inputs: &[Input]) -> TractResult<Runnable> {
    let mut model = model.clone();
    for (ix, input) in inputs.iter().enumerate() {
        let fact = InferenceFact::dt_shape(datum_type(input.elem), input.shape.clone());
        model.set_input_fact(ix, fact)?;
    }
    let typed = model.into_optimized()?;
    let output_names = typed
        .output_outlets()?
        .iter()
        .map(|o| {
            typed
                .outlet_label(*o)
                .map_or_else(|| typed.node(o.node).name.clone(), str::to_string)
        })
        .collect();
    Ok(Runnable {
        plan: typed.into_runnable()?,
        output_names,
    })
}

/// What the model's graph declares for its inputs.
fn declared_inputs(model: &InferenceModel) -> TractResult<Vec<InputSpec>> {
    model
        .input_outlets()?
        .iter()
        .map(|outlet| {
            let fact = model.outlet_fact(*outlet)?;
            let elem = fact
                .datum_type
                .concretize()
                .map(|dt| {
                    elem_type(dt).ok_or_else(|| {
                        tract_onnx::tract_hir::internal::format_err!(
                            "input `{}` has the element type {dt:?}, which this step cannot give",
                            model.node(outlet.node).name
                        )
                    })
                })
                .transpose()?
                .unwrap_or(ElemType::F32);
            let shape = (!fact.shape.is_open()).then(|| {
                fact.shape
                    .dims()
                    .map(|d| {
                        d.concretize()
                            .and_then(|d| d.to_i64().ok())
                            .and_then(|n| usize::try_from(n).ok())
                    })
                    .collect()
            });
            Ok(InputSpec {
                name: model.node(outlet.node).name.clone(),
                elem,
                shape,
            })
        })
        .collect()
}

fn datum_type(elem: ElemType) -> DatumType {
    match elem {
        ElemType::Bool => DatumType::Bool,
        ElemType::U8 => DatumType::U8,
        ElemType::U16 => DatumType::U16,
        ElemType::U32 => DatumType::U32,
        ElemType::U64 => DatumType::U64,
        ElemType::I8 => DatumType::I8,
        ElemType::I16 => DatumType::I16,
        ElemType::I32 => DatumType::I32,
        ElemType::I64 => DatumType::I64,
        ElemType::F16 => DatumType::F16,
        ElemType::F32 => DatumType::F32,
        ElemType::F64 => DatumType::F64,
    }
}

fn elem_type(dt: DatumType) -> Option<ElemType> {
    Some(match dt {
        DatumType::Bool => ElemType::Bool,
        DatumType::U8 => ElemType::U8,
        DatumType::U16 => ElemType::U16,
        DatumType::U32 => ElemType::U32,
        DatumType::U64 => ElemType::U64,
        DatumType::I8 => ElemType::I8,
        DatumType::I16 => ElemType::I16,
        DatumType::I32 => ElemType::I32,
        DatumType::I64 => ElemType::I64,
        DatumType::F16 => ElemType::F16,
        DatumType::F32 => ElemType::F32,
        DatumType::F64 => ElemType::F64,
        _ => return None,
    })
}

/// The input as a tract tensor: built in the widest type of its family, then cast (the values
/// were checked to fit).
fn to_tensor(input: &Input) -> TractResult<Tensor> {
    let shape = &input.shape;
    let wide = match &input.values {
        Values::Float(v) => Tensor::from_shape(shape, v)?,
        Values::Int(v) => Tensor::from_shape(shape, v)?,
        Values::UInt(v) => Tensor::from_shape(shape, v)?,
        Values::Bool(v) => Tensor::from_shape(shape, v)?,
    };
    Ok(wide.cast_to_dt(datum_type(input.elem))?.into_owned())
}

/// An output tensor as `{name, shape, datatype, data}` (data flat, row-major). FP32 values are
/// written as their shortest decimal (0.1, not 0.10000000149011612).
fn output_json(name: &str, t: &TValue) -> Result<Value, Failure> {
    let dt = t.datum_type();
    let elem = elem_type(dt).ok_or_else(|| {
        Failure::new(format!(
            "output `{name}` has the element type {dt:?}, which cannot be shown as JSON"
        ))
    })?;
    let failed = |e: TractError| Failure::new(format!("cannot read output `{name}`: {e:#}"));
    let data: Vec<Value> = match elem {
        ElemType::F16 | ElemType::F32 => {
            let t = t.cast_to_dt(DatumType::F32).map_err(failed)?;
            let view = t.to_plain_array_view::<f32>().map_err(failed)?;
            view.iter()
                .map(|x| float_json(x.to_string().parse::<f64>().unwrap_or(f64::NAN)))
                .collect()
        }
        ElemType::F64 => t
            .to_plain_array_view::<f64>()
            .map_err(failed)?
            .iter()
            .map(|x| float_json(*x))
            .collect(),
        ElemType::Bool => t
            .to_plain_array_view::<bool>()
            .map_err(failed)?
            .iter()
            .map(|b| Value::Bool(*b))
            .collect(),
        ElemType::U8 | ElemType::U16 | ElemType::U32 | ElemType::U64 => {
            let t = t.cast_to_dt(DatumType::U64).map_err(failed)?;
            let view = t.to_plain_array_view::<u64>().map_err(failed)?;
            view.iter().map(|x| Value::from(*x)).collect()
        }
        _ => {
            let t = t.cast_to_dt(DatumType::I64).map_err(failed)?;
            let view = t.to_plain_array_view::<i64>().map_err(failed)?;
            view.iter().map(|x| Value::from(*x)).collect()
        }
    };
    Ok(json!({
        "name": name,
        "shape": t.shape(),
        "datatype": elem.name(),
        "data": data,
    }))
}
