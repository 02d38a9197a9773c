//! `cargo bench -p studio-engine --bench engine`: our engine against raw baselines, in one
//! process, printing ratios (lower is better for "×"; efficiency is higher-better).

use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use studio_core::{Mission, Step};
use studio_engine::{run_mission, Dag, Executable, NullSink, RunOptions};
use tokio::sync::mpsc;

fn step(id: String, step_type: &str, deps: Vec<String>, parameters: Value) -> Step {
    serde_json::from_value(
        json!({"id": id, "step_type": step_type, "depends_on": deps, "parameters": parameters}),
    )
    .unwrap()
}

/// `layers` × `width` no-op steps; each depends on two steps of the layer before.
fn layered(layers: usize, width: usize) -> Vec<Step> {
    let mut steps = Vec::with_capacity(layers * width);
    for l in 0..layers {
        for w in 0..width {
            let deps = if l == 0 {
                vec![]
            } else {
                vec![
                    format!("s{}_{}", l - 1, w),
                    format!("s{}_{}", l - 1, (w + 1) % width),
                ]
            };
            steps.push(step(format!("s{l}_{w}"), "noop", deps, json!({})));
        }
    }
    steps
}

fn mission(steps: Vec<Step>, max_concurrent: usize) -> Mission {
    serde_json::from_value(
        json!({"name": "bench", "config": {"max_concurrent_steps": max_concurrent}, "steps": []}),
    )
    .map(|mut m: Mission| {
        m.steps = steps;
        m
    })
    .unwrap()
}

/// The hand-written baseline: indegree counting, one tokio task per step, completions over a
/// channel, at most `max` running.
async fn baseline_scheduler(deps: &[Vec<usize>], max: usize) {
    let n = deps.len();
    let mut dependents = vec![Vec::new(); n];
    let mut remaining = vec![0usize; n];
    for (i, ds) in deps.iter().enumerate() {
        remaining[i] = ds.len();
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..n).filter(|&i| remaining[i] == 0).collect();
    let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
    let (mut running, mut done) = (0, 0);
    while done < n {
        while running < max {
            let Some(i) = ready.pop_front() else { break };
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(i);
            });
            running += 1;
        }
        let i = rx.recv().await.unwrap();
        running -= 1;
        done += 1;
        for &d in &dependents[i] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                ready.push_back(d);
            }
        }
    }
}

fn deps_of(steps: &[Step]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    steps
        .iter()
        .map(|s| s.depends_on.iter().map(|d| index[d.as_str()]).collect())
        .collect()
}

fn best<F: FnMut() -> Duration>(runs: usize, mut f: F) -> Duration {
    (0..runs).map(|_| f()).min().unwrap()
}

/// The run with the shortest wall time, with what it measured besides.
fn best_pair<F: FnMut() -> (Duration, Duration)>(runs: usize, mut f: F) -> (Duration, Duration) {
    (0..runs).map(|_| f()).min_by_key(|p| p.0).unwrap()
}

/// A no-op dagrs action.
struct DagrsNoop;

#[async_trait::async_trait]
impl dagrs::Action for DagrsNoop {
    async fn run(
        &self,
        _: &mut dagrs::InChannels,
        _: &mut dagrs::OutChannels,
        _: std::sync::Arc<dagrs::EnvVar>,
    ) -> dagrs::Output {
        dagrs::Output::empty()
    }
}

/// The same DAG as a dagrs graph: one `DefaultNode` per step, an edge per dependency.
fn dagrs_graph(deps: &[Vec<usize>]) -> dagrs::Graph {
    let mut table = dagrs::NodeTable::new();
    let mut graph = dagrs::Graph::new();
    let mut ids = Vec::with_capacity(deps.len());
    for i in 0..deps.len() {
        let node = dagrs::DefaultNode::with_action(format!("s{i}"), DagrsNoop, &mut table);
        ids.push(dagrs::Node::id(&node));
        graph.add_node(node);
    }
    let mut dependents = vec![Vec::new(); deps.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(ids[i]);
        }
    }
    for (i, to) in dependents.into_iter().enumerate() {
        if !to.is_empty() {
            graph.add_edge(ids[i], to);
        }
    }
    graph
}

/// A mission file of `layers` × `width` no-op steps (each with a parameter), as YAML and JSON.
fn mission_texts(layers: usize, width: usize) -> (String, String) {
    let steps = layered(layers, width);
    let mut yaml = String::from("name: load bench\nversion: \"1.0\"\nsteps:\n");
    for s in &steps {
        yaml.push_str(&format!("  - id: {}\n    step_type: noop\n", s.id));
        if !s.depends_on.is_empty() {
            yaml.push_str(&format!("    depends_on: [{}]\n", s.depends_on.join(", ")));
        }
        yaml.push_str(&format!(
            "    parameters:\n      label: \"step {}\"\n",
            s.id
        ));
    }
    let json = serde_json::to_string(&json!({
        "name": "load bench",
        "version": "1.0",
        "steps": steps.iter().map(|s| json!({
            "id": s.id, "step_type": "noop", "depends_on": s.depends_on,
            "parameters": {"label": format!("step {}", s.id)}
        })).collect::<Vec<_>>()
    }))
    .unwrap();
    (yaml, json)
}

fn petgraph_toposort(steps: &[Step]) -> usize {
    let mut g = petgraph::graph::DiGraph::<(), ()>::with_capacity(steps.len(), steps.len() * 2);
    let nodes: Vec<_> = steps.iter().map(|_| g.add_node(())).collect();
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    for (i, s) in steps.iter().enumerate() {
        for d in &s.depends_on {
            g.add_edge(nodes[index[d.as_str()]], nodes[i], ());
        }
    }
    petgraph::algo::toposort(&g, None).unwrap().len()
}

/// Sections named on the command line run alone (`-- dag`); none named runs all.
fn wanted(section: &str) -> bool {
    let names: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    names.is_empty() || names.iter().any(|n| section.contains(n.as_str()))
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ws = tempfile::tempdir().unwrap();
    println!("| benchmark | baseline | studio-engine | ratio | target |");
    println!("|---|---|---|---|---|");

    // 0. Only our engine on the 10k DAG, many times (`-- profile`, for a profiler).
    if std::env::args().any(|a| a == "profile") {
        let m = mission(layered(100, 100), 64);
        let exe = Executable::compile(&m).unwrap();
        let t = Instant::now();
        for _ in 0..50 {
            let r = rt
                .block_on(exe.run(RunOptions::new(ws.path()), &mut NullSink))
                .unwrap();
            assert_eq!(r.status, studio_core::RunStatus::Completed);
        }
        println!("profile: {:.2?} per step", t.elapsed() / 500_000);
        return;
    }

    // 1. 10,000-step layered DAG of no-op steps.
    if wanted("dag") {
        let steps = layered(100, 100);
        let deps = deps_of(&steps);
        let m = mission(steps, 64);
        // Both sides get the graph already resolved: the baseline its dependency indexes, our
        // engine the compiled mission (sealed graph and step settings). Each run still does all
        // of a run's own work: gate, events, step records, results, plan.
        let exe = Executable::compile(&m).unwrap();
        // Interleaved, so all see the same load; best of 9 each.
        let (mut base, mut ours, mut named, mut ours_full) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..9 {
            let t = Instant::now();
            rt.block_on(baseline_scheduler(&deps, 64));
            base.push(t.elapsed());
            let t = Instant::now();
            let r = rt
                .block_on(exe.run(RunOptions::new(ws.path()), &mut NullSink))
                .unwrap();
            ours.push(t.elapsed());
            assert_eq!(r.status, studio_core::RunStatus::Completed);
            drop(r);
            // Both again, this time starting from the steps' names: the baseline resolves the
            // named dependencies to indexes, our engine compiles the mission.
            let t = Instant::now();
            let resolved = deps_of(&m.steps);
            rt.block_on(baseline_scheduler(&resolved, 64));
            named.push(t.elapsed());
            let t = Instant::now();
            let r = rt
                .block_on(run_mission(&m, RunOptions::new(ws.path()), &mut NullSink))
                .unwrap();
            ours_full.push(t.elapsed());
            assert_eq!(r.status, studio_core::RunStatus::Completed);
        }
        row(
            "10k no-op layered DAG (per step; both given the resolved graph)",
            *base.iter().min().unwrap() / 10_000,
            *ours.iter().min().unwrap() / 10_000,
            "≤ 3×",
        );
        row(
            "… both starting from step names (baseline resolves them, ours compiles the mission)",
            *named.iter().min().unwrap() / 10_000,
            *ours_full.iter().min().unwrap() / 10_000,
            "—",
        );
    }
    // 1b. The same DAG on dagrs, side by side (its graph build timed apart from its run).
    if wanted("dagrs") {
        let steps = layered(100, 100);
        let deps = deps_of(&steps);
        let m = mission(steps, 64);
        let (dagrs_run, dagrs_build) = best_pair(2, || {
            let t = Instant::now();
            let mut graph = dagrs_graph(&deps);
            let build = t.elapsed();
            let t = Instant::now();
            rt.block_on(graph.async_start()).unwrap();
            (t.elapsed(), build)
        });
        let ours = best(5, || {
            let t = Instant::now();
            let r = rt
                .block_on(run_mission(&m, RunOptions::new(ws.path()), &mut NullSink))
                .unwrap();
            assert_eq!(r.status, studio_core::RunStatus::Completed);
            t.elapsed()
        });
        row(
            &format!("10k no-op layered DAG vs dagrs 0.5 run (per step; its graph build {dagrs_build:.1?} more)"),
            dagrs_run / 10_000,
            ours / 10_000,
            "< 1×",
        );
    }

    // 1c. Loading a mission file: studio_core::load_file + validate, against serde_json
    // parsing the same content written as JSON.
    if wanted("load") {
        for (layers, width) in [(10, 10), (100, 100)] {
            let (yaml, json_text) = mission_texts(layers, width);
            let n = layers * width;
            let path = ws.path().join(format!("load-{n}.yaml"));
            std::fs::write(&path, &yaml).unwrap();
            let base = best(3, || {
                let t = Instant::now();
                let v: Value = serde_json::from_str(&json_text).unwrap();
                assert_eq!(v["steps"].as_array().map(Vec::len), Some(n));
                t.elapsed()
            });
            let ours = best(3, || {
                let t = Instant::now();
                let loaded = studio_core::load_file(&path).unwrap();
                let diagnostics = studio_core::validate(&loaded);
                assert!(!studio_core::has_errors(&diagnostics), "{diagnostics:?}");
                assert_eq!(loaded.mission.steps.len(), n);
                t.elapsed()
            });
            row(
                &format!("load + validate a {n}-step YAML file ({} KB) vs serde_json of the same as JSON", yaml.len() / 1024),
                base,
                ours,
                "—",
            );
        }
    }

    if !wanted("deps commands sleeps timeout") {
        return;
    }

    // 2. Dependency resolution.
    for (layers, width) in [(10, 10), (100, 100), (1000, 100)] {
        let steps = layered(layers, width);
        let n = steps.len();
        let base = best(5, || {
            let t = Instant::now();
            assert_eq!(petgraph_toposort(&steps), n);
            t.elapsed()
        });
        let ours = best(5, || {
            let t = Instant::now();
            let dag = Dag::build(&steps).unwrap();
            assert_eq!(dag.topo_order().len(), n);
            t.elapsed()
        });
        row(
            &format!("dependency resolution, {n} steps"),
            base,
            ours,
            "≤ 2×",
        );
    }

    // 3. 1,000 command steps (/bin/true) at concurrency 8.
    let mrt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let commands: Vec<Step> = (0..1000)
        .map(|i| {
            step(
                format!("c{i}"),
                "command",
                vec![],
                json!({"command": "/bin/true"}),
            )
        })
        .collect();
    let m = mission(commands, 8);
    let base = best(2, || {
        let t = Instant::now();
        mrt.block_on(async {
            let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..1000 {
                let permit = sem.clone().acquire_owned().await.unwrap();
                set.spawn(async move {
                    let out = tokio::process::Command::new("/bin/true")
                        .output()
                        .await
                        .unwrap();
                    drop(permit);
                    out.status.success()
                });
            }
            while let Some(ok) = set.join_next().await {
                assert!(ok.unwrap());
            }
        });
        t.elapsed()
    });
    let ours = best(2, || {
        let t = Instant::now();
        let r = mrt
            .block_on(run_mission(&m, RunOptions::new(ws.path()), &mut NullSink))
            .unwrap();
        assert_eq!(r.status, studio_core::RunStatus::Completed);
        t.elapsed()
    });
    row(
        "1,000 × /bin/true at concurrency 8 (per step)",
        base / 1000,
        ours / 1000,
        "≤ 1.15×",
    );

    // 4. 16 × 200 ms sleeps at concurrency 16.
    let sleeps: Vec<Step> = (0..16)
        .map(|i| {
            step(
                format!("z{i}"),
                "command",
                vec![],
                json!({"command": "sleep", "args": ["0.2"]}),
            )
        })
        .collect();
    let m = mission(sleeps, 16);
    // Raw: 16 `sleep 0.2` children spawned at once with tokio::process; busy = spawn to exit.
    let (raw_wall, raw_busy) = best_pair(3, || {
        mrt.block_on(async {
            let t = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..16 {
                set.spawn(async {
                    let s = Instant::now();
                    let out = tokio::process::Command::new("sleep")
                        .arg("0.2")
                        .output()
                        .await
                        .unwrap();
                    assert!(out.status.success());
                    s.elapsed()
                });
            }
            let mut busy = Duration::ZERO;
            while let Some(d) = set.join_next().await {
                busy += d.unwrap();
            }
            (t.elapsed(), busy)
        })
    });
    // Ours: busy = Σ of the steps' own durations (start to end, as the result records them).
    let (ours_wall, ours_busy) = best_pair(3, || {
        let t = Instant::now();
        let r = mrt
            .block_on(run_mission(&m, RunOptions::new(ws.path()), &mut NullSink))
            .unwrap();
        let wall = t.elapsed();
        assert_eq!(r.status, studio_core::RunStatus::Completed);
        let busy: u64 = r.step_results.values().map(|s| s.duration_ms).sum();
        (wall, Duration::from_millis(busy))
    });
    let busy_eff =
        |busy: Duration, wall: Duration| busy.as_secs_f64() / (16.0 * wall.as_secs_f64());
    let ideal_eff = |wall: Duration| 0.2 / wall.as_secs_f64();
    println!(
        "| 16 × 200 ms sleeps at concurrency 16, wall | {raw_wall:.2?} (raw tokio::process) | {ours_wall:.2?} | {:.2}× | — |",
        ours_wall.as_secs_f64() / raw_wall.as_secs_f64()
    );
    println!(
        "| … parallel efficiency Σbusy/(16×wall) | {:.3} | {:.3} | — | ≥ 0.95 |",
        busy_eff(raw_busy, raw_wall),
        busy_eff(ours_busy, ours_wall)
    );
    println!(
        "| … ideal/wall (200 ms / wall) | {:.3} | {:.3} | — | ≥ 0.95 |",
        ideal_eff(raw_wall),
        ideal_eff(ours_wall)
    );
    // What the machine allows: the raw children's wall over ours, measured side by side.
    println!(
        "| … relative to the raw baseline (raw wall / our wall) | 1.000 | {:.3} | — | ≥ 0.95 |",
        raw_wall.as_secs_f64() / ours_wall.as_secs_f64()
    );

    // 5. From a step's timeout to its child being dead.
    let m = mission(
        vec![step(
            "t".into(),
            "command",
            vec![],
            json!({"command": "sh", "args": ["-c", "echo $$ > pid; exec sleep 30"]}),
        )],
        1,
    );
    let mut m = m;
    m.steps[0].timeout_seconds = Some(1);
    let kill = best(3, || {
        let t = Instant::now();
        let r = mrt
            .block_on(run_mission(&m, RunOptions::new(ws.path()), &mut NullSink))
            .unwrap();
        let done = t.elapsed();
        assert_eq!(
            r.step_results["t"].error.as_deref(),
            Some("timed out after 1s")
        );
        let pid = std::fs::read_to_string(ws.path().join("pid")).unwrap();
        let alive = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).is_ok_and(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        });
        assert!(!alive, "the child outlived its timeout");
        done.saturating_sub(Duration::from_secs(1))
    });
    println!("| step timeout → child dead and reaped | — | {kill:.2?} | — | ≤ 100 ms |");
}

fn row(name: &str, base: Duration, ours: Duration, target: &str) {
    let ratio = ours.as_secs_f64() / base.as_secs_f64().max(1e-12);
    println!("| {name} | {base:.2?} | {ours:.2?} | {ratio:.2}× | {target} |");
}
