//! The whole library, indexed from the repository's `missions/templates` and run offline:
//! every template loads and validates, the sectors are spread, no two templates share a goal
//! or a logic hash, and every one runs to completion — all of them at once, at most 8 at a
//! time, with the total wall time printed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use studio_engine::approval::ApproveAll;
use studio_engine::{run_mission, Governance, NullSink, RunOptions};
use studio_registry::{Registry, TemplateQuery, TemplateRoot};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const SECTORS: &[&str] = &[
    "Finance",
    "Wealth",
    "Security",
    "Shadow",
    "Intelligence",
    "Operations",
    "Research",
    "Marketing",
    "Sales",
    "HR",
    "Legal",
    "Engineering",
    "Health",
];
const MIN_PER_SECTOR: usize = 8;
const MIN_TEMPLATES: usize = 200;
/// Templates running at once.
const PARALLEL: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_template_of_the_library_runs_to_completion_offline_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/templates");
    let registry = Registry::open(
        &dir.path().join("h.db"),
        vec![TemplateRoot::builtin(&library)],
    )
    .unwrap();
    let started = Instant::now();
    let report = registry.reindex().unwrap();
    println!(
        "indexed {} template files in {} ms",
        report.scanned,
        started.elapsed().as_millis()
    );
    assert!(
        report.problems.is_empty(),
        "every template loads and validates:\n{}",
        report
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let templates = registry.list(&TemplateQuery::default());
    assert_eq!(
        templates.len(),
        report.scanned,
        "every file is in the library"
    );
    assert!(
        templates.len() >= MIN_TEMPLATES,
        "{} templates",
        templates.len()
    );

    let mut per_sector: BTreeMap<&str, usize> = BTreeMap::new();
    let mut goals: HashMap<String, &str> = HashMap::new();
    let mut hashes: HashMap<&str, &str> = HashMap::new();
    let mut problems = Vec::new();
    for t in &templates {
        *per_sector
            .entry(t.sector.as_deref().unwrap_or(""))
            .or_default() += 1;
        let goal = t.goal.as_deref().unwrap_or("").trim().to_lowercase();
        if let Some(first) = goals.insert(goal, &t.id) {
            problems.push(format!("{first} and {} share a goal", t.id));
        }
        if let Some(first) = hashes.insert(&t.logic_hash, &t.id) {
            problems.push(format!("{first} and {} share a logic_hash", t.id));
        }
    }
    for sector in SECTORS {
        let n = per_sector.get(sector).copied().unwrap_or(0);
        if n < MIN_PER_SECTOR {
            problems.push(format!(
                "sector {sector}: {n} template(s), fewer than {MIN_PER_SECTOR}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "per sector {per_sector:?}\n{}",
        problems.join("\n")
    );

    // Run them all: every http step is answered by the template's simulation block and every
    // llm step by the built-in simulated provider; approvals are granted (an operator who
    // approves everything), so every step runs.
    let governance = Governance {
        approver: Arc::new(ApproveAll),
        ..Governance::default()
    };
    let limit = Arc::new(Semaphore::new(PARALLEL));
    let mut set = JoinSet::new();
    let started = Instant::now();
    for t in &templates {
        let (summary, loaded) = registry.load(&t.id).unwrap();
        let workspace = dir.path().join("runs").join(&summary.id);
        let options = RunOptions::new(workspace).with_governance(governance.clone());
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let began = Instant::now();
            let result = run_mission(&loaded.mission, options, &mut NullSink).await;
            (summary.id, result, began.elapsed())
        });
    }
    let mut failures = Vec::new();
    let mut busy = Duration::ZERO;
    let mut slowest = (String::new(), Duration::ZERO);
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        let (id, result, took) = joined.expect("no run panics");
        busy += took;
        if took > slowest.1 {
            slowest = (id.clone(), took);
        }
        match result {
            Ok(r) if r.status == studio_core::RunStatus::Completed => done += 1,
            Ok(r) => failures.push(format!(
                "{id}: {} ({}) steps {:?}",
                r.status.as_str(),
                r.reason.clone().unwrap_or_default(),
                r.counts()
            )),
            Err(e) => failures.push(format!("{id}: refused: {e}")),
        }
    }
    let wall = started.elapsed();
    println!(
        "ran {} templates offline, {PARALLEL} at a time: {} completed in {} ms wall \
         ({} ms of runs added up, {:.1}x parallel speed-up); slowest {} in {} ms",
        templates.len(),
        done,
        wall.as_millis(),
        busy.as_millis(),
        busy.as_secs_f64() / wall.as_secs_f64().max(1e-9),
        slowest.0,
        slowest.1.as_millis()
    );
    assert!(
        failures.is_empty(),
        "{} did not complete:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(done, templates.len());
}
