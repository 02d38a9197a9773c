//! Registry benchmark (`cargo bench -p studio-registry`): time to index the real library from
//! cold, and query latency (text search + filters + sort) over the real library and over
//! 10,000 synthetic templates, with a plain `iter().filter()` over the same rows as a
//! baseline. Prints median and p95.

use std::path::Path;
use std::time::{Duration, Instant};
use studio_registry::{
    Registry, Snapshot, SortKey, TemplateQuery, TemplateRoot, TemplateSource, TemplateStats,
    TemplateSummary,
};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn measure(iterations: usize, mut f: impl FnMut() -> usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(iterations);
    let mut hits = 0;
    for _ in 0..iterations {
        let t = Instant::now();
        hits = std::hint::black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95), hits)
}

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

/// The queries measured: (label, query).
fn queries() -> Vec<(&'static str, TemplateQuery)> {
    vec![
        (
            "search `report`, sort roi",
            TemplateQuery {
                search: Some("report".into()),
                sort: SortKey::Roi,
                ..TemplateQuery::default()
            },
        ),
        (
            "search `risk` + sector + risk, sort success",
            TemplateQuery {
                search: Some("risk".into()),
                sector: Some("finance".into()),
                risk: Some("medium".into()),
                sort: SortKey::Success,
                ..TemplateQuery::default()
            },
        ),
        (
            "search `audit weekly` + tag, sort cost, limit 20",
            TemplateQuery {
                search: Some("audit weekly".into()),
                tags: vec!["compliance".into()],
                sort: SortKey::Cost,
                limit: Some(20),
                ..TemplateQuery::default()
            },
        ),
        ("everything, sort name", TemplateQuery::default()),
    ]
}

/// The baseline: a plain filter over the rows, lower-casing as it goes, then a sort and the
/// same copies of the hits.
fn baseline(rows: &[TemplateSummary], q: &TemplateQuery) -> usize {
    let words: Vec<String> = q
        .search
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut hits: Vec<&TemplateSummary> = rows
        .iter()
        .filter(|t| {
            let text = format!(
                "{} {} {} {} {} {}",
                t.name,
                t.goal.as_deref().unwrap_or(""),
                t.sector.as_deref().unwrap_or(""),
                t.id,
                t.tags.join(" "),
                t.required_depts.join(" ")
            )
            .to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
                && q.sector.as_ref().is_none_or(|s| {
                    t.sector
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(s))
                })
                && q.risk.as_ref().is_none_or(|r| {
                    t.risk_level
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(r))
                })
                && q.tags
                    .iter()
                    .all(|tag| t.tags.iter().any(|x| x.eq_ignore_ascii_case(tag)))
        })
        .collect();
    hits.sort_by(|a, b| match q.sort {
        SortKey::Roi => b
            .roi
            .unwrap_or(f64::MIN)
            .total_cmp(&a.roi.unwrap_or(f64::MIN)),
        SortKey::Success => {
            let r = |t: &TemplateSummary| t.stats.as_ref().map_or(-1.0, |s| s.success_rate);
            r(b).total_cmp(&r(a))
        }
        SortKey::Cost => {
            let c = |t: &TemplateSummary| t.stats.as_ref().map_or(f64::MAX, |s| s.avg_cost_usd);
            c(a).total_cmp(&c(b))
        }
        _ => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
    });
    if let Some(l) = q.limit {
        hits.truncate(l);
    }
    let out: Vec<TemplateSummary> = hits.into_iter().cloned().collect();
    out.len()
}

const WORDS: &[&str] = &[
    "audit",
    "report",
    "weekly",
    "risk",
    "cash",
    "forecast",
    "vendor",
    "churn",
    "pipeline",
    "compliance",
    "incident",
    "backlog",
    "pricing",
    "contract",
    "hiring",
    "burnout",
    "latency",
    "security",
    "market",
    "signal",
    "review",
    "digest",
    "anomaly",
    "ledger",
    "portfolio",
];
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

/// `n` templates with varied names, goals and tags; half of them with measured stats.
fn synthetic(n: usize) -> Vec<TemplateSummary> {
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    (0..n)
        .map(|i| {
            let w = |k: usize| WORDS[k % WORDS.len()];
            let sector = SECTORS[next() % SECTORS.len()];
            let name = format!("{} {} {} #{i}", w(next()), w(next()), w(next()));
            let goal = format!(
                "Produce the {} {} for the {} team and flag every {} above the threshold",
                w(next()),
                w(next()),
                sector.to_lowercase(),
                w(next())
            );
            let stats = (next() % 2 == 0).then(|| TemplateStats {
                runs: (next() % 50) as u64 + 1,
                success_rate: (next() % 101) as f64 / 100.0,
                avg_cost_usd: (next() % 1000) as f64 / 1000.0,
                avg_profit_usd: 10.0,
                measured_roi: Some((next() % 200) as f64 / 10.0),
                p50_duration_ms: 100,
                p95_duration_ms: 300,
                derived_risk: ["low", "medium", "high"][next() % 3].into(),
                last_run_at: Some(format!("2026-01-{:02}T00:00:00.000Z", next() % 28 + 1)),
                computed_at: "2026-02-01T00:00:00.000Z".into(),
            });
            let est = (next() % 100) as f64 / 10.0;
            TemplateSummary {
                id: format!("bench.{}.t{i}", sector.to_lowercase()),
                name,
                sector: Some(sector.into()),
                goal: Some(goal),
                required_depts: vec![w(next()).into(), "ops".into()],
                risk: Some(["low", "medium", "high"][next() % 3].into()),
                est_roi: Some(est),
                value_usd: Some(100.0),
                tags: vec![w(next()).into(), w(next()).into(), w(next()).into()],
                logic_hash: format!("sha256:{i:064x}"),
                path: format!("/bench/{i}.yaml").into(),
                source: TemplateSource::Builtin,
                roi: stats.as_ref().and_then(|s| s.measured_roi).or(Some(est)),
                roi_is_estimate: stats.is_none(),
                risk_level: stats
                    .as_ref()
                    .map(|s| s.derived_risk.clone())
                    .or(Some("medium".into())),
                badges: if i % 97 == 0 {
                    vec!["top_performance".into()]
                } else {
                    vec![]
                },
                stats,
                needs: Vec::new(),
            }
        })
        .collect()
}

fn query_table(label: &str, snapshot: &Snapshot, rows: &[TemplateSummary], iterations: usize) {
    println!(
        "\n## queries over {label} ({} templates, {iterations} runs each)",
        rows.len()
    );
    println!("search = filter + sort (references); copies = search + a copy of every hit (what `list` returns); baseline = plain iter().filter() + sort + copies");
    println!(
        "{:<50} {:>6} {:>19} {:>19} {:>19}",
        "query", "hits", "search med / p95", "copies med / p95", "baseline med / p95"
    );
    for (name, q) in queries() {
        let (smed, sp95, hits) = measure(iterations, || snapshot.search(&q).len());
        let (cmed, cp95, _) = measure(iterations, || snapshot.query(&q).len());
        let (bmed, bp95, bhits) = measure(iterations.min(300), || baseline(rows, &q));
        assert_eq!(
            hits, bhits,
            "the baseline finds as many templates for `{name}`"
        );
        println!(
            "{name:<50} {hits:>6} {:>19} {:>19} {:>19}",
            format!("{} / {}", fmt(smed), fmt(sp95)),
            format!("{} / {}", fmt(cmed), fmt(cp95)),
            format!("{} / {}", fmt(bmed), fmt(bp95)),
        );
    }
}

fn main() {
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/templates");
    let roots = vec![TemplateRoot::builtin(&library)];

    println!("# studio-registry benchmark");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let r = Registry::open(&dir.path().join("h.db"), roots.clone()).unwrap();
        let t = Instant::now();
        let report = r.reindex().unwrap();
        cold.push(t.elapsed());
        assert!(report.problems.is_empty());
        let t = Instant::now();
        let again = r.reindex().unwrap();
        warm.push(t.elapsed());
        assert!(!again.changed);
        last = Some((r, dir, report.scanned));
    }
    cold.sort();
    warm.sort();
    let (registry, _dir, scanned) = last.unwrap();
    println!(
        "index the library from cold ({scanned} files: read, hash, load, validate, write): median {} (min {}, max {})",
        fmt(percentile(&cold, 0.5)),
        fmt(cold[0]),
        fmt(cold[cold.len() - 1])
    );
    println!(
        "re-index with nothing changed (read and hash every file): median {}",
        fmt(percentile(&warm, 0.5))
    );

    let real = registry.snapshot();
    let real_rows: Vec<TemplateSummary> = real.summaries().cloned().collect();
    query_table("the real library", &real, &real_rows, 2000);

    let rows = synthetic(10_000);
    let t = Instant::now();
    let snapshot = Snapshot::from_summaries(rows.clone());
    println!(
        "\nsnapshot of 10,000 synthetic templates built in {}",
        fmt(t.elapsed())
    );
    query_table("10,000 synthetic templates", &snapshot, &rows, 300);
}
