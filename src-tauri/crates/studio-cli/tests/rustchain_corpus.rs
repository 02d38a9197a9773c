//! The RustChain corpus of `missions/examples/rustchain/`: every file validates without errors,
//! covers the compatibility variants of the format (each in YAML and JSON), and runs to
//! completion through the real `mission` binary, its network steps and model calls answered by
//! one local server on 127.0.0.1 that speaks plain HTTP, Ollama's `/api/chat`, Anthropic's
//! Messages API and OpenAI's chat completions.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use studio_core::{load_file, validate, ImportNote, LoadedMission, Severity};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/examples/rustchain")
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    files
}

/// What the local server was asked, by path.
type Hits = Arc<Mutex<BTreeMap<String, usize>>>;

/// One server for everything the corpus reaches; returns its base URL and what it was asked.
fn start_server() -> (String, Hits) {
    let hits: Hits = Arc::default();
    let state = Arc::clone(&hits);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().fallback(answer).with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}"), hits)
}

async fn answer(
    State(hits): State<Hits>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = request["model"].as_str().unwrap_or("unknown").to_string();
    match (method.as_str(), path.as_str()) {
        ("GET", "/health") => Json(json!({"status": "ok", "version": "1.4.2"})).into_response(),
        ("GET", "/items") => Json(json!({
            "items": [{"id": 1, "name": "alpha", "price": 12.5}, {"id": 2, "name": "beta", "price": 7.25}],
            "count": 2
        }))
        .into_response(),
        ("GET", "/release") => {
            Json(json!({"tag": "v1.4.2", "notes": ["fix the retry loop", "add Ollama"]}))
                .into_response()
        }
        ("GET", "/text") => "hello from the local server".into_response(),
        ("POST", "/echo") => Json(json!({"received": request})).into_response(),
        // Ollama's native chat API.
        ("POST", "/api/chat") => {
            assert_eq!(request["stream"], false, "Ollama is asked for one answer");
            Json(json!({
                "model": model,
                "created_at": "2026-12-07T00:00:00Z",
                "message": {"role": "assistant", "content": "A local answer from Ollama."},
                "done": true,
                "done_reason": "stop",
                "prompt_eval_count": 31,
                "eval_count": 7
            }))
            .into_response()
        }
        // Anthropic's Messages API.
        ("POST", "/v1/messages") => {
            let keyed = headers.get("x-api-key").and_then(|v| v.to_str().ok())
                == Some("sk-ant-corpus")
                && headers.get("anthropic-version").is_some();
            if !keyed {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})),
                )
                    .into_response();
            }
            Json(json!({
                "id": "msg_corpus",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "A hosted answer from Claude."}],
                "model": model,
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 40, "output_tokens": 9}
            }))
            .into_response()
        }
        // OpenAI-compatible chat completions (the operator's `shimmy`).
        ("POST", "/v1/chat/completions") => Json(json!({
            "id": "chatcmpl-corpus",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "A shim answer."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 25, "completion_tokens": 5}
        }))
        .into_response(),
        _ => (StatusCode::NOT_FOUND, "not here").into_response(),
    }
}

/// The data folder of the runs: the operator's provider table names `shimmy`.
fn data_dir(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let providers = json!({"providers": [{
        "id": "shimmy", "kind": "openai", "base_url": format!("{base}/v1"),
        "model": "phi3-mini", "key_storage": "none"
    }]});
    std::fs::write(
        dir.path().join("providers.json"),
        serde_json::to_string_pretty(&providers).unwrap(),
    )
    .unwrap();
    dir
}

fn mission(data: &Path, base: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mission"))
        .env_remove("MISSION_STUDIO_DATA_DIR")
        .env("OLLAMA_HOST", base.trim_start_matches("http://"))
        .env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_API_KEY", "sk-ant-corpus")
        .env_remove("OPENAI_API_KEY")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("the mission binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_corpus_file_validates_without_errors() {
    let files = corpus();
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    // In process: load + validate every file, the figure the README gives.
    let started = Instant::now();
    let checked: Vec<(PathBuf, LoadedMission, Vec<studio_core::Diagnostic>)> = files
        .iter()
        .map(|f| {
            let loaded = load_file(f).unwrap_or_else(|e| panic!("{} must load: {e}", f.display()));
            let diags = validate(&loaded);
            (f.clone(), loaded, diags)
        })
        .collect();
    let took = started.elapsed();
    eprintln!(
        "loaded and validated {} corpus files in {:.1} ms",
        files.len(),
        took.as_secs_f64() * 1000.0
    );
    for (file, _, diags) in &checked {
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
    // The same through the command line: one call, exit 0.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mission"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("validate")
        .arg("--json")
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.as_array().unwrap().iter().all(|f| f["valid"] == true));
}

/// One compatibility variant of DESIGN §3.1 and how to see it in a loaded file.
struct Variant {
    name: &'static str,
    found: fn(&LoadedMission, &[ImportNote], &str) -> bool,
}

fn noted(notes: &[ImportNote], test: impl Fn(&ImportNote) -> bool) -> bool {
    notes.iter().any(test)
}

fn llm_provider(l: &LoadedMission, name: &str) -> bool {
    l.mission.steps.iter().any(|s| {
        s.step_type == "llm" && s.parameters.get("provider").and_then(Value::as_str) == Some(name)
    })
}

fn variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "config.max_parallel_steps",
            found: |_, n, _| noted(n, |x| x.field == "config.max_parallel_steps"),
        },
        Variant {
            name: "other upstream config keys (timeout, retry_count, max_parallel)",
            found: |_, n, _| {
                noted(n, |x| {
                    ["config.timeout", "config.retry_count", "config.max_parallel"]
                        .contains(&x.field.as_str())
                })
            },
        },
        Variant {
            name: "top-level dependencies: [{from, to}]",
            found: |_, n, _| noted(n, |x| x.field == "dependencies"),
        },
        Variant {
            name: "steps without name",
            found: |l, _, _| l.mission.steps.iter().any(|s| s.name.is_none()),
        },
        Variant {
            name: "CamelCase step types",
            found: |_, n, _| {
                noted(n, |x| {
                    x.field.ends_with(".step_type")
                        && x.message.starts_with('`')
                        && x.message[1..].starts_with(|c: char| c.is_ascii_uppercase())
                })
            },
        },
        Variant {
            name: "depends_on: null / parameters: null",
            found: |_, _, t| {
                ["depends_on: null", "parameters: null", "\"depends_on\": null", "\"parameters\": null"]
                    .iter()
                    .any(|s| t.contains(s))
            },
        },
        Variant {
            name: "extra step keys (description, parallel, outputs)",
            found: |_, n, _| {
                noted(n, |x| {
                    x.field.starts_with("steps[")
                        && (x.field.ends_with(".parallel") || x.field.ends_with(".outputs"))
                })
            },
        },
        Variant {
            name: "JSON shape (id/metadata, step config, dependencies, timeout, retry_count, on_failure)",
            found: |_, n, _| {
                noted(n, |x| x.field.starts_with("steps[") && x.field.ends_with("].config"))
                    && noted(n, |x| x.field.ends_with(".on_failure") || x.field.ends_with(".timeout"))
            },
        },
        Variant {
            name: "metadata keys (author, category, tags, estimated_duration, success_criteria)",
            found: |_, n, _| {
                noted(n, |x| {
                    ["author", "category", "estimated_duration", "success_criteria"]
                        .iter()
                        .any(|k| x.field == *k || x.field == format!("metadata.{k}"))
                })
            },
        },
        Variant {
            name: "variables:",
            found: |l, _, _| !l.mission.variables.is_empty(),
        },
        Variant {
            name: "llm_config",
            found: |_, n, _| noted(n, |x| x.field.starts_with("llm_config.")),
        },
        Variant {
            name: "declared parameters: [{name, type, default}]",
            found: |l, _, _| !l.mission.parameters.is_empty(),
        },
        Variant {
            name: "a required input given with --var",
            found: |l, _, _| l.mission.required_inputs().next().is_some(),
        },
        Variant {
            name: "upstream parameter names (operation, working_directory, timeout_seconds, tool)",
            found: |_, n, _| {
                noted(n, |x| {
                    x.field.contains(".parameters.")
                        || (x.field.ends_with(".step_type") && x.message.contains("`tool`"))
                })
            },
        },
        Variant {
            name: "bare {{name}}",
            found: |l, _, t| {
                l.mission
                    .input_defaults()
                    .keys()
                    .any(|k| t.contains(&format!("{{{{{k}}}}}")) || t.contains(&format!("{{{{ {k} }}}}")))
            },
        },
        Variant {
            name: "{{step_id.output}}",
            found: |_, _, t| t.contains(".output}}"),
        },
        Variant {
            name: "{{steps.<id>.output.<path>}}",
            found: |_, _, t| t.contains("{{steps.") || t.contains("{{ steps."),
        },
        Variant {
            name: "{{timestamp}}",
            found: |_, _, t| t.contains("{{ timestamp }}") || t.contains("{{timestamp}}"),
        },
        Variant {
            name: "shell: true with a literal line",
            found: |l, _, _| {
                l.mission
                    .steps
                    .iter()
                    .any(|s| s.step_type == "command" && s.parameters["shell"] == true)
            },
        },
        Variant {
            name: "single-brace {step_result}",
            found: |_, n, _| noted(n, |x| x.message.contains("answer reference")),
        },
        Variant {
            name: "provider: ollama",
            found: |l, _, _| llm_provider(l, "ollama"),
        },
        Variant {
            name: "provider: anthropic (or claude)",
            found: |l, _, _| llm_provider(l, "anthropic"),
        },
        Variant {
            name: "a provider named in the operator's table (shimmy)",
            found: |l, _, _| llm_provider(l, "shimmy"),
        },
    ]
}

#[test]
fn the_corpus_covers_every_variant_in_yaml_and_json() {
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for file in corpus() {
        let raw = std::fs::read_to_string(&file).unwrap();
        let loaded = load_file(&file).unwrap();
        let notes = loaded
            .import
            .as_ref()
            .map(|r| r.notes.clone())
            .unwrap_or_default();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for v in variants() {
            if (v.found)(&loaded, &notes, &raw) {
                seen.entry(v.name).or_default().push(name.clone());
            }
        }
    }
    let mut table = String::new();
    for v in variants() {
        let files = seen.get(v.name).cloned().unwrap_or_default();
        table.push_str(&format!("{:<90} {}\n", v.name, files.len()));
        assert!(files.len() >= 2, "{}: only {files:?}", v.name);
        assert!(
            files.iter().any(|f| f.ends_with(".yaml"))
                && files.iter().any(|f| f.ends_with(".json")),
            "{} needs a YAML and a JSON file: {files:?}",
            v.name
        );
    }
    eprintln!("{table}");
}

#[test]
fn every_corpus_file_runs_to_completion() {
    let (base, hits) = start_server();
    let data = data_dir(&base);
    let api = format!("api_base={base}");
    let started = Instant::now();
    let mut completed = 0;
    for file in corpus() {
        let path = file.to_string_lossy().into_owned();
        let out = mission(
            data.path(),
            &base,
            &[
                "run",
                &path,
                "--json",
                "--approve",
                "all",
                "--var",
                &api,
                "--var",
                "release_tag=v1.4.2",
                "--var",
                "manager=Alex",
            ],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{path}:\n{stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{path}: {e}\n{}", text(&out.stdout)));
        assert_eq!(doc["status"], "completed", "{path}: {doc:#}");
        completed += 1;
    }
    eprintln!(
        "{completed} corpus files ran to completion in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let hits = hits.lock().unwrap().clone();
    for endpoint in [
        "/api/chat",
        "/v1/messages",
        "/v1/chat/completions",
        "/health",
        "/items",
        "/echo",
    ] {
        assert!(
            hits.get(endpoint).copied().unwrap_or(0) > 0,
            "the corpus reached {endpoint}: {hits:?}"
        );
    }
}

#[test]
fn simulate_llm_answers_every_provider_offline_and_says_so() {
    let (base, hits) = start_server();
    let data = data_dir(&base);
    let file = corpus_dir().join("providers-mix.json");
    let out = mission(
        data.path(),
        &base,
        &["run", &file.to_string_lossy(), "--json", "--simulate-llm"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = &doc["step_results"]["local"]["output"];
    assert_eq!(local["provider"], "simulated");
    assert_eq!(local["requested_provider"], "ollama");
    assert_eq!(
        doc["step_results"]["named"]["output"]["requested_provider"],
        "shimmy"
    );
    assert!(
        doc["usage"]["cost_usd"].as_f64().unwrap() > 0.0,
        "the budget is exercised: {}",
        doc["usage"]
    );
    let hits = hits.lock().unwrap();
    assert!(
        !hits.contains_key("/api/chat") && !hits.contains_key("/v1/messages"),
        "no model was called: {hits:?}"
    );
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["simulate_llm"], true);
    assert_eq!(meta["broker"], "simulated");
    assert_eq!(
        meta["simulated_llm_steps"],
        json!(["hosted", "local", "named"])
    );
    let answer = std::fs::read_to_string(evidence.join("outputs/answer.md")).unwrap();
    assert!(answer.contains("Simulated answers"), "{answer}");
    assert!(answer.contains("--simulate-llm"), "{answer}");
}

#[test]
fn an_unconfigured_provider_warns_at_validation_and_fails_the_run_saying_what_to_add() {
    let (base, _hits) = start_server();
    let empty = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("shimmy-named-provider.yaml");
    let out = mission(empty.path(), &base, &["validate", &file.to_string_lossy()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("unknown_provider"), "{stderr}");
    assert!(stderr.contains("Settings → Providers"), "{stderr}");
    let out = mission(
        empty.path(),
        &base,
        &["run", &file.to_string_lossy(), "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = doc["step_results"]["ask"]["error"].as_str().unwrap();
    assert!(
        error.contains("unknown LLM provider `shimmy`") && error.contains("providers.json"),
        "{error}"
    );
    // With the provider in the table, the validation is clean.
    let data = data_dir(&base);
    let out = mission(
        data.path(),
        &base,
        &["validate", "--strict", &file.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
