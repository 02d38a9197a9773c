//! Generators of whole documents from a model of the formats: native (and RustChain-shaped)
//! missions, Spark MissionSpecs and GraphSpecs, Mission Envelope payloads, mission packs, and
//! perimeter files in their three forms. Fields get right and wrong types, ids repeat and
//! dangle, dependencies form cycles, and unknown keys appear everywhere.

use super::values::{any_value, name, number, reference, scalar, text, value};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use studio_core::step_params::{params_of, ParamType};

/// Step ids: a small pool so that ids repeat and `depends_on` finds (or misses) them.
pub fn step_id() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(&["a", "b", "c", "fetch", "write", "d-1", "step_2"][..])
            .prop_map(String::from),
        1 => name(),
    ]
    .boxed()
}

/// Step type names: the catalogue, RustChain's CamelCase spellings, and names nobody knows.
pub fn step_type() -> BoxedStrategy<String> {
    let catalogue: Vec<String> = studio_core::STEP_TYPES
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    prop_oneof![
        8 => prop::sample::select(catalogue),
        1 => prop::sample::select(&[
            "CreateFile", "Command", "Tool", "ParseJson", "Http", "Llm", "Noop", "NOOP",
            "TransformNode", "bogus", "", "create file", "agent",
        ][..])
        .prop_map(String::from),
    ]
    .boxed()
}

/// A value of a parameter type: usually right, sometimes wrong, sometimes a reference.
pub fn param_value(ty: ParamType) -> BoxedStrategy<Value> {
    let right: BoxedStrategy<Value> = match ty {
        ParamType::String => text().prop_map(Value::String).boxed(),
        ParamType::Bool => prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            Just(json!("true")),
            Just(json!("yes"))
        ]
        .boxed(),
        ParamType::Integer | ParamType::PositiveInteger => prop_oneof![
            (0u64..10_000).prop_map(Value::from),
            Just(json!("12")),
            Just(json!(-1)),
            Just(json!(0)),
            number(),
        ]
        .boxed(),
        ParamType::Number => number().boxed(),
        ParamType::StringList => prop::collection::vec(scalar(), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        ParamType::StringMap => prop::collection::btree_map(name(), scalar(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed(),
        ParamType::Any => value().boxed(),
        ParamType::Choice(options) => prop_oneof![
            4 => prop::sample::select(options.to_vec()).prop_map(Value::from),
            1 => text().prop_map(Value::String),
        ]
        .boxed(),
        ParamType::HttpMethod => {
            prop::sample::select(&["GET", "post", "Delete", "BREW", "", "GET POST"][..])
                .prop_map(Value::from)
                .boxed()
        }
    };
    prop_oneof![
        6 => right,
        1 => any_value(),
        1 => reference().prop_map(Value::String),
    ]
    .boxed()
}

/// `parameters` for a step type: its own parameters (each present or not, of any type), plus
/// unknown ones; now and then not a mapping at all.
pub fn parameters(step_type: &str) -> BoxedStrategy<Value> {
    let known: Vec<BoxedStrategy<Option<(String, Value)>>> = params_of(step_type)
        .map(|spec| spec.params)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let key = p.name.to_string();
            prop::option::weighted(0.6, param_value(p.ty))
                .prop_map(move |v| v.map(|v| (key.clone(), v)))
                .boxed()
        })
        .collect();
    let extra = prop::collection::btree_map(name(), any_value(), 0..3);
    let map = (known, extra, prop::bool::weighted(0.3)).prop_map(|(known, extra, with_extra)| {
        let mut m: Map<String, Value> = known.into_iter().flatten().collect();
        if with_extra {
            m.extend(extra);
        }
        Value::Object(m)
    });
    prop_oneof![
        12 => map,
        1 => Just(Value::Null),
        1 => any_value(),
    ]
    .boxed()
}

/// `depends_on`: ids (known, unknown, repeated, the step itself), or `null`, or one string.
fn depends_on() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => prop::collection::vec(step_id(), 0..4).prop_map(|v| json!(v)),
        1 => Just(Value::Null),
        1 => step_id().prop_map(Value::String),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ]
    .boxed()
}

fn optional<S: Strategy<Value = Value>>(s: S) -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(0.35, s)
}

/// One step, in the native spelling or RustChain's (`config`, `dependencies`, `timeout`, ...).
pub fn step() -> BoxedStrategy<Value> {
    step_type()
        .prop_flat_map(|ty| {
            let params = parameters(&ty);
            (
                (
                    Just(ty),
                    prop::option::weighted(0.95, step_id()),
                    params,
                    optional(depends_on()),
                    any::<bool>(),
                ),
                (
                    optional(text().prop_map(Value::String)),
                    optional(prop_oneof![number(), scalar()]),
                    optional(prop_oneof![any::<bool>().prop_map(Value::Bool), scalar()]),
                    optional(prop_oneof![
                        (0u64..5).prop_map(Value::from),
                        number(),
                        scalar()
                    ]),
                    optional(
                        prop::sample::select(&["required", "never", "sometimes", ""][..])
                            .prop_map(Value::from),
                    ),
                    optional(
                        prop::collection::btree_map(
                            name(),
                            reference().prop_map(Value::String),
                            0..3,
                        )
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                    ),
                    prop::collection::btree_map(
                        prop::sample::select(
                            &[
                                "description",
                                "parallel",
                                "outputs",
                                "on_failure",
                                "shell",
                                "dept",
                                "idempotent",
                                "bogus_key",
                                "step_type",
                            ][..],
                        ),
                        any_value(),
                        0..2,
                    ),
                ),
            )
                .prop_map(
                    |(
                        (ty, id, params, deps, rustchain),
                        (nm, timeout, coe, retries, approval, state, extra),
                    )| {
                        let mut s = Map::new();
                        if let Some(id) = id {
                            s.insert("id".into(), Value::String(id));
                        }
                        s.insert("step_type".into(), Value::String(ty));
                        let (params_key, deps_key, timeout_key, retries_key) = if rustchain {
                            ("config", "dependencies", "timeout", "retry_count")
                        } else {
                            (
                                "parameters",
                                "depends_on",
                                "timeout_seconds",
                                "retry_attempts",
                            )
                        };
                        s.insert(params_key.into(), params);
                        let fields = [
                            (deps_key, deps),
                            ("name", nm),
                            (timeout_key, timeout),
                            ("continue_on_error", coe),
                            (retries_key, retries),
                            ("approval", approval),
                            ("state", state),
                        ];
                        for (k, v) in fields {
                            if let Some(v) = v {
                                s.insert(k.into(), v);
                            }
                        }
                        for (k, v) in extra {
                            s.entry(k.to_string()).or_insert(v);
                        }
                        Value::Object(s)
                    },
                )
        })
        .boxed()
}

fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

/// A host pattern for `network.allowed_hosts`, good or bad.
fn host() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => prop::sample::select(&[
            "api.example.com", "*.internal", "127.0.0.1", "127.0.0.1:8080", "*", "[::1]:80",
            "::1", "*.", "**.x", "a.*.b", "http://x", "x/y", "", " ", "host:", "host:99999",
            "host:0", "h:p", "*:*", "ünï.côde", "a b",
        ][..])
        .prop_map(Value::from),
        1 => text().prop_map(Value::String),
        1 => scalar(),
    ]
    .boxed()
}

/// A native perimeter block (budget, approval, sandbox, tools, sectors, network).
pub fn perimeter() -> BoxedStrategy<Value> {
    let amount = || optional(prop_oneof![number(), scalar()]);
    let budget = (amount(), amount(), amount(), amount(), amount()).prop_map(|(c, t, l, s, r)| {
        object(vec![
            ("max_cost_usd", c),
            ("max_tokens", t),
            ("max_llm_calls", l),
            ("max_steps", s),
            ("max_runtime_minutes", r),
        ])
    });
    let approval = (
        optional(
            prop::sample::select(&["strict", "threshold", "auto", "never", ""][..])
                .prop_map(Value::from),
        ),
        amount(),
        optional(prop::collection::vec(step_type(), 0..3).prop_map(|v| json!(v))),
    )
        .prop_map(|(m, t, r)| object(vec![("mode", m), ("threshold_usd", t), ("required_for", r)]));
    let tools = (
        optional(prop::collection::vec(step_type(), 0..3).prop_map(|v| json!(v))),
        optional(prop::collection::vec(step_type(), 0..3).prop_map(|v| json!(v))),
    )
        .prop_map(|(a, f)| object(vec![("allowed", a), ("forbidden", f)]));
    let network = prop::collection::vec(host(), 0..4).prop_map(|h| json!({"allowed_hosts": h}));
    (
        optional(budget),
        optional(approval),
        optional(
            prop::sample::select(&["read-only", "full-access", "none", ""][..])
                .prop_map(Value::from),
        ),
        optional(tools),
        optional(prop::collection::vec(name(), 0..3).prop_map(|v| json!(v))),
        optional(network),
        optional(any_value()),
    )
        .prop_map(|(b, a, s, t, c, n, odd)| {
            object(vec![
                ("budget", b),
                ("approval", a),
                ("sandbox", s),
                ("tools", t),
                ("connected_sectors", c),
                ("network", n),
                ("roots", odd),
            ])
        })
        .boxed()
}

/// A perimeter file: the native form (bare or under `perimeter:`), the mission-pack form or
/// the envelope form.
pub fn perimeter_file() -> BoxedStrategy<Value> {
    let amount = || optional(prop_oneof![number(), scalar()]);
    let pack = (
        amount(),
        amount(),
        amount(),
        optional(scalar()),
        optional(scalar()),
    )
        .prop_map(|(s, t, m, approval, sandbox)| {
            let approval = approval.map(|a| {
                if a.is_string() {
                    a
                } else {
                    json!("on-request")
                }
            });
            object(vec![
                (
                    "budget",
                    Some(object(vec![
                        ("maxSteps", s),
                        ("maxTokens", t),
                        ("maxTimeMinutes", m),
                    ])),
                ),
                ("approval", approval),
                ("sandbox", sandbox),
            ])
        });
    let list = || optional(prop::collection::vec(step_type(), 0..3).prop_map(|v| json!(v)));
    let envelope = (list(), list(), list(), amount(), amount(), amount()).prop_map(
        |(allowed, forbidden, approval, calls, cost, minutes)| {
            object(vec![
                (
                    "constraints",
                    Some(object(vec![
                        ("allowed_tools", allowed),
                        ("forbidden_tools", forbidden),
                        ("approval_required", approval),
                    ])),
                ),
                (
                    "budget",
                    Some(object(vec![
                        ("max_llm_calls", calls),
                        ("max_cost_usd", cost),
                        ("max_runtime_minutes", minutes),
                    ])),
                ),
            ])
        },
    );
    prop_oneof![
        4 => perimeter(),
        2 => perimeter().prop_map(|p| json!({"perimeter": p})),
        2 => pack,
        2 => envelope,
        1 => any_value(),
    ]
    .boxed()
}

/// A native (or RustChain-shaped) mission document.
pub fn mission() -> BoxedStrategy<Value> {
    let steps = prop_oneof![
        12 => prop::collection::vec(step(), 0..7).prop_map(Value::Array),
        1 => any_value(),
    ];
    let config = (
        optional(prop_oneof![number(), scalar()]),
        optional(prop_oneof![any::<bool>().prop_map(Value::Bool), scalar()]),
        optional(prop_oneof![(0u64..9).prop_map(Value::from), number()]),
        optional(number()),
        any::<bool>(),
        optional(any_value()),
    )
        .prop_map(|(timeout, fail_fast, parallel, delay, upstream, odd)| {
            let parallel_key = if upstream {
                "max_parallel_steps"
            } else {
                "max_concurrent_steps"
            };
            object(vec![
                ("timeout_seconds", timeout),
                ("fail_fast", fail_fast),
                (parallel_key, parallel),
                ("retry_delay_ms", delay),
                ("retry_attempts", odd),
            ])
        });
    let edges = prop::collection::vec((step_id(), step_id()), 0..4).prop_map(|e| {
        json!(e
            .into_iter()
            .map(|(f, t)| json!({"from": f, "to": t}))
            .collect::<Vec<_>>())
    });
    let declared = prop::collection::vec((name(), scalar()), 0..3).prop_map(|p| {
        json!(p
            .into_iter()
            .map(|(n, d)| json!({"name": n, "type": "string", "default": d}))
            .collect::<Vec<_>>())
    });
    let state_schema = prop::collection::btree_map(
        name(),
        (
            prop::sample::select(
                &[
                    "int", "float", "string", "bool", "list", "dict", "datetime", "blob",
                ][..],
            ),
            any::<bool>(),
            optional(scalar()),
        ),
        0..3,
    )
    .prop_map(|fields| {
        let fields: Map<String, Value> = fields
            .into_iter()
            .map(|(n, (t, r, d))| {
                (
                    n,
                    object(vec![
                        ("type", Some(json!(t))),
                        ("required", Some(json!(r))),
                        ("default", d),
                    ]),
                )
            })
            .collect();
        json!({ "fields": fields })
    });
    let simulation = prop::collection::vec((step_type(), any_value()), 0..3).prop_map(|tools| {
        json!({"enabled": true, "tools": tools.into_iter().map(|(n, r)| json!({"name": n, "static_response": r})).collect::<Vec<_>>()})
    });
    let plan = prop::collection::vec((step_id(), prop::collection::vec(step_id(), 0..3)), 0..4)
        .prop_map(|p| json!({"steps": p.into_iter().map(|(id, d)| json!({"id": id, "depends_on": d})).collect::<Vec<_>>()}));
    (
        (
            steps,
            prop::option::weighted(0.9, text().prop_map(Value::String)),
            optional(prop_oneof![Just(json!("1.0")), scalar()]),
            optional(text().prop_map(Value::String)),
            optional(config),
            optional(perimeter()),
        ),
        (
            optional(
                prop::collection::btree_map(name(), scalar(), 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ),
            optional(declared),
            optional(edges),
            optional(state_schema),
            optional(simulation),
            optional(plan),
        ),
        (
            optional(prop::collection::vec(text(), 0..3).prop_map(|v| json!(v))),
            optional(
                prop::sample::select(&["low", "medium", "high", "extreme"][..])
                    .prop_map(Value::from),
            ),
            prop::collection::btree_map(
                prop::sample::select(
                    &[
                        "description",
                        "goal",
                        "sector",
                        "est_roi",
                        "value_usd",
                        "tags",
                        "metadata",
                        "context",
                        "constraints",
                        "inputs",
                        "telemetry",
                        "bogus",
                    ][..],
                ),
                any_value(),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (steps, nm, version, id, config, perimeter),
                (variables, declared, edges, state_schema, simulation, plan),
                (outputs, risk, extra),
            )| {
                let mut m = object(vec![
                    ("version", version),
                    ("id", id),
                    ("name", nm),
                    ("config", config),
                    ("perimeter", perimeter),
                    ("variables", variables),
                    ("parameters", declared),
                    ("dependencies", edges),
                    ("state_schema", state_schema),
                    ("simulation", simulation),
                    ("plan", plan),
                    ("outputs", outputs),
                    ("risk", risk),
                    ("steps", Some(steps)),
                ]);
                if let Value::Object(map) = &mut m {
                    for (k, v) in extra {
                        map.entry(k.to_string()).or_insert(v);
                    }
                }
                m
            },
        )
        .boxed()
}

/// The steps of a document as `(id, type, parameters, depends_on)`, for the import forms.
fn parts_of(steps: &Value) -> Vec<(Value, Value, Value, Value)> {
    steps
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let get = |k: &str, alt: &str| {
                s.get(k)
                    .or_else(|| s.get(alt))
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            (
                get("id", "id"),
                get("step_type", "type"),
                get("parameters", "config"),
                get("depends_on", "dependencies"),
            )
        })
        .collect()
}

/// A Spark MissionSpec (or, flat, a bare GraphSpec) with the mission's steps as nodes.
pub fn spark() -> BoxedStrategy<Value> {
    (prop::collection::vec(step(), 0..6), any::<bool>(), optional(any_value()), optional(text().prop_map(Value::String)), prop::collection::btree_map(
        prop::sample::select(&["state_schema", "strategies", "telemetry", "deployment", "simulation", "plan", "agents", "bogus"][..]),
        any_value(),
        0..3,
    ))
        .prop_map(|(steps, flat, start, mission_id, extra)| {
            let parts = parts_of(&Value::Array(steps));
            let nodes: Vec<Value> = parts
                .iter()
                .map(|(id, ty, params, _)| json!({"id": id, "type": ty, "config": params, "description": "node"}))
                .collect();
            let edges: Vec<Value> = parts
                .iter()
                .flat_map(|(id, _, _, deps)| {
                    deps.as_array().cloned().unwrap_or_default().into_iter().map(move |d| json!({"from_node": d, "to_node": id}))
                })
                .collect();
            let graph = object(vec![("id", Some(json!("g"))), ("start", start), ("nodes", Some(json!(nodes))), ("edges", Some(json!(edges)))]);
            if flat {
                return graph;
            }
            let mut spec = object(vec![("spark_version", Some(json!("2.0"))), ("mission_id", mission_id), ("graph", Some(graph))]);
            if let Value::Object(map) = &mut spec {
                for (k, v) in extra {
                    map.entry(k.to_string()).or_insert(v);
                }
            }
            spec
        })
    .boxed()
}

/// A Mission Envelope v1 dispatch payload.
pub fn envelope() -> BoxedStrategy<Value> {
    (
        (
            text().prop_map(Value::String),
            optional(text().prop_map(Value::String)),
            optional(scalar()),
            prop::option::weighted(0.9, text().prop_map(Value::String)),
            optional(perimeter_file()),
        ),
        (
            optional(prop::collection::vec(text(), 0..3).prop_map(|v| json!(v))),
            optional(
                prop::collection::vec(text(), 0..3).prop_map(|v| json!({"required_outputs": v})),
            ),
            prop::collection::btree_map(
                prop::sample::select(
                    &[
                        "autonomy_window",
                        "callback",
                        "trace_id",
                        "created_at",
                        "heartbeat_interval_seconds",
                        "report_cadence",
                        "idempotency_key",
                        "bogus",
                    ][..],
                ),
                any_value(),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (mission_id, vp_id, mission_type, objective, governance),
                (criteria, artifacts, extra),
            )| {
                let (constraints, budget) = match governance {
                    Some(Value::Object(mut g)) => (g.remove("constraints"), g.remove("budget")),
                    _ => (None, None),
                };
                let mut e = object(vec![
                    ("mission_id", Some(mission_id)),
                    ("vp_id", vp_id),
                    ("mission_type", mission_type),
                    ("objective", objective),
                    ("constraints", constraints),
                    ("budget", budget),
                    ("success_criteria", criteria),
                    ("artifact_policy", artifacts),
                ]);
                if let Value::Object(map) = &mut e {
                    for (k, v) in extra {
                        map.entry(k.to_string()).or_insert(v);
                    }
                }
                e
            },
        )
        .boxed()
}

/// A mission pack's `mission.yaml`.
pub fn pack() -> BoxedStrategy<Value> {
    (
        text().prop_map(Value::String),
        text().prop_map(Value::String),
        optional(text().prop_map(Value::String)),
        optional(perimeter_file()),
        optional(prop::collection::vec(text(), 0..3).prop_map(|v| json!(v))),
        prop::collection::btree_map(
            prop::sample::select(
                &[
                    "broker",
                    "model",
                    "created_at",
                    "context",
                    "constraints",
                    "bogus",
                ][..],
            ),
            any_value(),
            0..3,
        ),
    )
        .prop_map(|(objective, done, id, governance, tags, extra)| {
            let mut p = object(vec![
                ("id", id),
                ("objective", Some(objective)),
                ("done_definition", Some(done)),
                ("tags", tags),
            ]);
            if let (Value::Object(map), Some(Value::Object(g))) = (&mut p, governance) {
                for k in ["budget", "approval", "sandbox"] {
                    if let Some(v) = g.get(k) {
                        map.insert(k.into(), v.clone());
                    }
                }
            }
            if let Value::Object(map) = &mut p {
                for (k, v) in extra {
                    map.entry(k.to_string()).or_insert(v);
                }
            }
            p
        })
        .boxed()
}

/// Any document the loader reads: native, RustChain-shaped or one of the imported formats.
pub fn any_document() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => mission(),
        2 => spark(),
        2 => envelope(),
        2 => pack(),
        1 => any_value(),
    ]
    .boxed()
}
