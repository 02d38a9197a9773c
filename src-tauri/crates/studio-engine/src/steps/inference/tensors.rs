//! Tensors as JSON, both ways, for both back ends (tract in-process and the Open Inference
//! Protocol): reading the step's `inputs` against what the model declares, and the element
//! types under their protocol names.
//!
//! A model declares each input's name, element type and shape (some dimensions may be free,
//! e.g. a batch size). The step's values are checked against that before anything runs, so a
//! wrong shape or a fraction for an integer input fails with what the model expects, not with
//! a runtime's internal message.

use crate::steps::Failure;
use serde_json::Value;

/// An element type, named as the Open Inference Protocol names it (`FP32`, `INT64`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ElemType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F16,
    F32,
    F64,
}

impl ElemType {
    const NAMES: &'static [(&'static str, ElemType)] = &[
        ("BOOL", Self::Bool),
        ("UINT8", Self::U8),
        ("UINT16", Self::U16),
        ("UINT32", Self::U32),
        ("UINT64", Self::U64),
        ("INT8", Self::I8),
        ("INT16", Self::I16),
        ("INT32", Self::I32),
        ("INT64", Self::I64),
        ("FP16", Self::F16),
        ("FP32", Self::F32),
        ("FP64", Self::F64),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(n, _)| n)
    }

    pub fn parse(name: &str) -> Option<Self> {
        let upper = name.trim().to_ascii_uppercase();
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == upper)
            .map(|(_, t)| *t)
    }

    fn is_float(self) -> bool {
        matches!(self, Self::F16 | Self::F32 | Self::F64)
    }

    /// The whole numbers this type holds (`None` for floats and booleans).
    fn integer_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Self::U8 => (0, u8::MAX.into()),
            Self::U16 => (0, u16::MAX.into()),
            Self::U32 => (0, u32::MAX.into()),
            Self::U64 => (0, u64::MAX.into()),
            Self::I8 => (i8::MIN.into(), i8::MAX.into()),
            Self::I16 => (i16::MIN.into(), i16::MAX.into()),
            Self::I32 => (i32::MIN.into(), i32::MAX.into()),
            Self::I64 => (i64::MIN.into(), i64::MAX.into()),
            _ => return None,
        })
    }
}

/// One input as the model declares it. `None` dimensions are free (any size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputSpec {
    pub name: String,
    pub elem: ElemType,
    /// `None`: the rank itself is unknown.
    pub shape: Option<Vec<Option<usize>>>,
}

impl InputSpec {
    /// `FP32 [batch, 3]` for messages.
    pub fn describe(&self) -> String {
        let shape = match &self.shape {
            None => "of any shape".to_string(),
            Some(dims) => format!(
                "[{}]",
                dims.iter()
                    .map(|d| d.map_or_else(|| "any".to_string(), |n| n.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!("{} {shape}", self.elem.name())
    }

    /// The product of the dimensions when every one is known.
    fn known_len(&self) -> Option<(Vec<usize>, usize)> {
        let dims: Option<Vec<usize>> = self.shape.as_ref()?.iter().copied().collect();
        let dims = dims?;
        let len = dims.iter().product();
        Some((dims, len))
    }
}

/// An input's values, flat in row-major order, in the element type's family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Bool(Vec<bool>),
}

impl Values {
    /// The values as a flat JSON list (the protocol's `data`).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Float(v) => v.iter().map(|x| float_json(*x)).collect(),
            Self::Int(v) => v.iter().map(|x| Value::from(*x)).collect(),
            Self::UInt(v) => v.iter().map(|x| Value::from(*x)).collect(),
            Self::Bool(v) => v.iter().map(|x| Value::Bool(*x)).collect(),
        }
    }
}

/// A float as JSON (NaN and infinities, which JSON lacks, as null).
pub(crate) fn float_json(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// An input ready to run: the model's name for it, its type, shape and values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Input {
    pub name: String,
    pub elem: ElemType,
    pub shape: Vec<usize>,
    pub values: Values,
}

/// Reads the step's `inputs` (and `shape`) against the model's declared inputs.
pub(crate) fn read_inputs(
    specs: &[InputSpec],
    inputs: Option<&Value>,
    shape: Option<&Value>,
) -> Result<Vec<Input>, Failure> {
    let expected = || {
        specs
            .iter()
            .map(|s| format!("`{}` ({})", s.name, s.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let given: Vec<(&InputSpec, &Value)> = match inputs.filter(|v| !v.is_null()) {
        None if specs.is_empty() => Vec::new(),
        None => {
            return Err(Failure::new(format!(
                "the model needs `inputs`: it expects {}",
                expected()
            )))
        }
        Some(_) if specs.is_empty() => {
            return Err(Failure::new("the model takes no inputs; leave `inputs` out"))
        }
        Some(Value::Object(map)) if !is_tensor_object(map) => {
            if let Some(unknown) = map.keys().find(|k| !specs.iter().any(|s| &s.name == *k)) {
                return Err(Failure::new(format!(
                    "the model has no input `{unknown}`; it expects {}",
                    expected()
                )));
            }
            let mut given = Vec::new();
            for spec in specs {
                let value = map.get(&spec.name).ok_or_else(|| {
                    Failure::new(format!(
                        "`inputs` lacks `{}`; the model expects {}",
                        spec.name,
                        expected()
                    ))
                })?;
                given.push((spec, value));
            }
            given
        }
        Some(Value::Array(items)) if specs.len() > 1 => {
            if items.len() != specs.len() {
                return Err(Failure::new(format!(
                    "the model has {} inputs and `inputs` lists {}: give one value per input, or a mapping of name to value; it expects {}",
                    specs.len(),
                    items.len(),
                    expected()
                )));
            }
            specs.iter().zip(items).collect()
        }
        Some(value) if specs.len() > 1 => {
            return Err(Failure::new(format!(
                "the model has {} inputs, and `inputs` is {}: give a mapping of name to value; it expects {}",
                specs.len(),
                studio_core::step_params::describe_value(value),
                expected()
            )))
        }
        Some(value) => vec![(&specs[0], value)],
    };
    if shape.is_some_and(|s| !s.is_null()) && given.len() != 1 {
        return Err(Failure::new(
            "`shape` applies to a model with one input; for several, give each as `{data, shape}`",
        ));
    }
    given
        .into_iter()
        .map(|(spec, value)| read_one(spec, value, shape.filter(|s| !s.is_null())))
        .collect()
}

/// `{data, shape}` (with `datatype` or `name` optionally) rather than a mapping of inputs.
fn is_tensor_object(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("data")
        && map
            .keys()
            .all(|k| matches!(k.as_str(), "data" | "shape" | "datatype" | "name"))
}

fn read_one(
    spec: &InputSpec,
    value: &Value,
    shape_param: Option<&Value>,
) -> Result<Input, Failure> {
    let name = &spec.name;
    let (data, shape_given) = match value {
        Value::Object(map) if is_tensor_object(map) => {
            if let Some(dt) = map.get("datatype").and_then(Value::as_str) {
                if ElemType::parse(dt) != Some(spec.elem) {
                    return Err(Failure::new(format!(
                        "input `{name}` is {} for the model, not `{dt}`",
                        spec.elem.name()
                    )));
                }
            }
            if shape_param.is_some() && map.contains_key("shape") {
                return Err(Failure::new(format!(
                    "input `{name}`: give its shape once, in `shape` or in the input's own `shape`"
                )));
            }
            (&map["data"], map.get("shape").or(shape_param))
        }
        other => (other, shape_param),
    };
    let (mut shape, flat) = flatten(name, data)?;
    if let Some(written) = shape_given {
        let wanted = read_shape(name, written)?;
        let count: usize = wanted.iter().product();
        if count != flat.len() {
            return Err(Failure::new(format!(
                "input `{name}`: shape {wanted:?} holds {count} values, but {} were given",
                flat.len()
            )));
        }
        shape = wanted;
    } else if let Some((dims, len)) = spec.known_len() {
        // A flat list for a model whose input shape is fully known: read it in that shape.
        if shape.len() == 1 && dims.len() != 1 && flat.len() == len {
            shape = dims;
        }
    }
    check_shape(spec, &shape)?;
    let values = convert(spec, &flat)?;
    Ok(Input {
        name: name.clone(),
        elem: spec.elem,
        shape,
        values,
    })
}

/// Nested lists → (shape, scalars in row-major order); refuses ragged lists.
fn flatten<'v>(name: &str, value: &'v Value) -> Result<(Vec<usize>, Vec<&'v Value>), Failure> {
    let mut shape = Vec::new();
    let mut probe = value;
    while let Value::Array(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let mut flat = Vec::new();
    fn walk<'v>(
        v: &'v Value,
        depth: usize,
        shape: &[usize],
        flat: &mut Vec<&'v Value>,
    ) -> Result<(), String> {
        match (v, shape.get(depth)) {
            (Value::Array(items), Some(n)) if items.len() == *n => items
                .iter()
                .try_for_each(|i| walk(i, depth + 1, shape, flat)),
            (Value::Array(_), _) => Err("its nested lists are not all of the same length".into()),
            (_, Some(_)) => Err("it mixes lists and single values at the same depth".into()),
            (scalar, None) => {
                flat.push(scalar);
                Ok(())
            }
        }
    }
    walk(value, 0, &shape, &mut flat)
        .map_err(|why| Failure::new(format!("input `{name}` is not a regular array: {why}")))?;
    Ok((shape, flat))
}

fn read_shape(name: &str, written: &Value) -> Result<Vec<usize>, Failure> {
    let bad = || {
        Failure::new(format!(
            "input `{name}`: the shape must be a list of whole numbers, e.g. [1, 3]"
        ))
    };
    written
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|d| {
            studio_core::step_params::whole_number(d)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(bad)
        })
        .collect()
}

fn check_shape(spec: &InputSpec, shape: &[usize]) -> Result<(), Failure> {
    let Some(declared) = &spec.shape else {
        return Ok(());
    };
    let fits = declared.len() == shape.len()
        && declared
            .iter()
            .zip(shape)
            .all(|(d, n)| d.is_none_or(|d| d == *n));
    if fits {
        return Ok(());
    }
    let hint = match spec.known_len() {
        Some((dims, len)) if shape.iter().product::<usize>() == len => {
            format!(": write the values as nested lists, or add `shape: {dims:?}`")
        }
        _ => String::new(),
    };
    Err(Failure::new(format!(
        "input `{}` expects shape {} ({}), not {shape:?}{hint}",
        spec.name,
        spec.describe().split_once(' ').map_or("", |(_, s)| s),
        spec.elem.name(),
    )))
}

/// The scalars in the input's element type, or why one does not fit.
fn convert(spec: &InputSpec, flat: &[&Value]) -> Result<Values, Failure> {
    let name = &spec.name;
    let ty = spec.elem.name();
    let wrong = |v: &Value, why: &str| {
        let shown = match v {
            Value::String(s) => format!("\"{}\"", s.chars().take(40).collect::<String>()),
            other => other.to_string(),
        };
        Failure::new(format!("input `{name}` is {ty}: {shown} {why}"))
    };
    if spec.elem == ElemType::Bool {
        return flat
            .iter()
            .map(|v| match v {
                Value::Bool(b) => Ok(*b),
                Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
                Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
                other => Err(wrong(other, "is not true, false, 0 or 1")),
            })
            .collect::<Result<_, _>>()
            .map(Values::Bool);
    }
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| wrong(v, "is not a number")),
        Value::Bool(_) => Err(wrong(v, "is a boolean, not a number")),
        Value::String(_) => Err(wrong(v, "is text, not a number")),
        _ => Err(wrong(v, "is not a number")),
    };
    if spec.elem.is_float() {
        return flat
            .iter()
            .map(|v| number(v))
            .collect::<Result<_, _>>()
            .map(Values::Float);
    }
    let (min, max) = spec.elem.integer_range().unwrap_or((0, 0));
    let whole = |v: &Value| -> Result<i128, Failure> {
        if let Some(i) = v.as_i64() {
            return Ok(i.into());
        }
        if let Some(u) = v.as_u64() {
            return Ok(u.into());
        }
        let x = number(v)?;
        if x.fract() != 0.0 || !x.is_finite() {
            return Err(wrong(v, "is not a whole number"));
        }
        Ok(x as i128)
    };
    let ints: Vec<i128> = flat
        .iter()
        .map(|v| {
            let n = whole(v)?;
            if n < min || n > max {
                return Err(wrong(v, &format!("is outside {min}..={max}")));
            }
            Ok(n)
        })
        .collect::<Result<_, _>>()?;
    Ok(if min < 0 {
        Values::Int(ints.into_iter().map(|n| n as i64).collect())
    } else {
        Values::UInt(ints.into_iter().map(|n| n as u64).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, elem: ElemType, shape: &[Option<usize>]) -> InputSpec {
        InputSpec {
            name: name.into(),
            elem,
            shape: Some(shape.to_vec()),
        }
    }

    #[test]
    fn nested_lists_give_their_shape() {
        let s = [spec("x", ElemType::F32, &[None, Some(3)])];
        let got = read_inputs(&s, Some(&json!([[1, 2, 3], [4, 5, 6.5]])), None).unwrap();
        assert_eq!(got[0].shape, vec![2, 3]);
        assert_eq!(
            got[0].values,
            Values::Float(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5])
        );
        assert!(read_inputs(&s, Some(&json!([[1, 2, 3], [4, 5]])), None)
            .unwrap_err()
            .message
            .contains("not all of the same length"));
    }

    #[test]
    fn flat_values_take_the_declared_or_given_shape() {
        let s = [spec("x", ElemType::F32, &[Some(1), Some(3)])];
        let got = read_inputs(&s, Some(&json!([1, 2, 3])), None).unwrap();
        assert_eq!(got[0].shape, vec![1, 3]);
        let free = [spec("x", ElemType::F32, &[None, Some(2)])];
        let got = read_inputs(&free, Some(&json!([1, 2, 3, 4])), Some(&json!([2, 2]))).unwrap();
        assert_eq!(got[0].shape, vec![2, 2]);
        let got =
            read_inputs(&free, Some(&json!({"data": [1, 2], "shape": [1, 2]})), None).unwrap();
        assert_eq!(got[0].shape, vec![1, 2]);
    }

    #[test]
    fn a_wrong_shape_names_what_the_model_expects() {
        let s = [spec("x", ElemType::F32, &[Some(1), Some(3)])];
        let e = read_inputs(&s, Some(&json!([[1, 2]])), None).unwrap_err();
        assert!(
            e.message
                .contains("expects shape [1, 3] (FP32), not [1, 2]"),
            "{}",
            e.message
        );
        let e = read_inputs(&s, Some(&json!([[1], [2], [3]])), None).unwrap_err();
        assert!(e.message.contains("add `shape: [1, 3]`"), "{}", e.message);
        let e = read_inputs(&s, Some(&json!([1, 2])), Some(&json!([1, 3]))).unwrap_err();
        assert!(
            e.message.contains("holds 3 values, but 2 were given"),
            "{}",
            e.message
        );
    }

    #[test]
    fn values_must_fit_the_element_type() {
        let ints = [spec("ids", ElemType::I64, &[None])];
        assert_eq!(
            read_inputs(&ints, Some(&json!([1, -2, 3.0])), None).unwrap()[0].values,
            Values::Int(vec![1, -2, 3])
        );
        let e = read_inputs(&ints, Some(&json!([1.5])), None).unwrap_err();
        assert!(
            e.message.contains("INT64: 1.5 is not a whole number"),
            "{}",
            e.message
        );
        let bytes = [spec("b", ElemType::U8, &[None])];
        assert!(read_inputs(&bytes, Some(&json!([256])), None).is_err());
        let floats = [spec("x", ElemType::F32, &[None])];
        let e = read_inputs(&floats, Some(&json!(["a"])), None).unwrap_err();
        assert!(e.message.contains("is text"), "{}", e.message);
        let bools = [spec("m", ElemType::Bool, &[None])];
        assert_eq!(
            read_inputs(&bools, Some(&json!([true, 0, 1])), None).unwrap()[0].values,
            Values::Bool(vec![true, false, true])
        );
    }

    #[test]
    fn several_inputs_by_name_or_in_order() {
        let s = [
            spec("a", ElemType::F32, &[Some(2)]),
            spec("b", ElemType::I64, &[]),
        ];
        let by_name = read_inputs(&s, Some(&json!({"b": 7, "a": [1, 2]})), None).unwrap();
        assert_eq!(by_name[1].shape, Vec::<usize>::new());
        assert_eq!(by_name[1].values, Values::Int(vec![7]));
        let in_order = read_inputs(&s, Some(&json!([[1, 2], 7])), None).unwrap();
        assert_eq!(by_name, in_order);
        let e = read_inputs(&s, Some(&json!({"a": [1, 2], "c": 1})), None).unwrap_err();
        assert!(e.message.contains("no input `c`"), "{}", e.message);
        let e = read_inputs(&s, None, None).unwrap_err();
        assert!(
            e.message.contains("`a` (FP32 [2]), `b` (INT64 [])"),
            "{}",
            e.message
        );
    }
}
