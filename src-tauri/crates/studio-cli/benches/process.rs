//! `cargo bench -p studio-cli --bench process`: the whole `mission run` process on no-op
//! missions of 100, 1,000, 10,000 and 100,000 steps (the engine bench's layered DAG: 100 steps
//! a layer, each depending on two steps of the layer before), against `mission validate` of
//! the same file as the raw baseline, measured in the same bench run.
//!
//! For each size: the median wall time of `mission validate` and of `mission run` (in a data
//! folder whose history exists, as for every run but the first), the run's peak RSS, and what
//! one run added per step to the history database (with its WAL) and to the evidence folders
//! (content and disk), with the number of evidence files it added.
//! Target: run ≤ 10× validate; a 100-step run ≤ 10 ms; evidence content < 1.5 KB a step.
//!
//! `MISSION_BENCH_SIZES=100,1000` picks other sizes. Each process is started by a copy of this
//! bench (`--measure PROGRAM ARGS…`) that waits for it and reports its wall time and peak RSS
//! (its only child's, so the RSS is that process's alone).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const MISSION: &str = env!("CARGO_BIN_EXE_mission");
const DEFAULT_SIZES: &[usize] = &[100, 1_000, 10_000, 100_000];
const WIDTH: usize = 100;
/// The history database of a data folder.
const DATABASE: &str = "mission-studio.db";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        return measure_child(&args[1..]);
    }
    let sizes: Vec<usize> = std::env::var("MISSION_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| DEFAULT_SIZES.to_vec());
    println!("mission run vs mission validate, whole processes (medians)");
    println!(
        "| steps | validate | run | run/validate | peak RSS | DB B/step | evidence B/step \
         (content / disk) | evidence files |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        match bench_size(n) {
            Ok(row) => println!("{row}"),
            Err(e) => {
                eprintln!("{n} steps: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// One measured process: wall time and peak RSS in KiB.
struct Measured {
    wall: Duration,
    rss_kib: u64,
}

fn bench_size(n: usize) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("mission.yaml");
    std::fs::write(&file, mission_yaml(n)).map_err(|e| e.to_string())?;
    let reps = match n {
        0..=1_000 => 11,
        1_001..=10_000 => 5,
        _ => 1,
    };
    let mut validate = Vec::new();
    for _ in 0..reps {
        let m = measure(&[OsStr::new("validate"), file.as_os_str()])?;
        validate.push(m.wall);
    }
    // One data folder, its history created by a one-step run first: each measured run then
    // finds the database there, as every run but the first does.
    let data = dir.path().join("data");
    let warm_up = dir.path().join("warm-up.yaml");
    std::fs::write(&warm_up, mission_yaml(1)).map_err(|e| e.to_string())?;
    measure(&run_args(&data, &warm_up))?;
    let mut runs = Vec::new();
    let mut rss = 0;
    let mut sizes = None;
    for _ in 0..reps {
        let before = folder_sizes(&data);
        let m = measure(&run_args(&data, &file))?;
        runs.push(m.wall);
        rss = rss.max(m.rss_kib);
        if sizes.is_none() {
            sizes = Some(folder_sizes(&data).minus(&before));
        }
    }
    let (validate, run) = (median(validate), median(runs));
    let sizes = sizes.unwrap_or_default();
    let per_step = |bytes: u64| bytes as f64 / n as f64;
    Ok(format!(
        "| {n} | {} | {} | {:.1}× | {:.1} MiB | {:.0} | {:.0} / {:.0} | {} |",
        ms(validate),
        ms(run),
        run.as_secs_f64() / validate.as_secs_f64().max(1e-9),
        rss as f64 / 1024.0,
        per_step(sizes.database),
        per_step(sizes.evidence_content),
        per_step(sizes.evidence_disk),
        sizes.evidence_files,
    ))
}

fn run_args<'a>(data: &'a Path, file: &'a Path) -> [&'a OsStr; 4] {
    [
        OsStr::new("--data-dir"),
        data.as_os_str(),
        OsStr::new("run"),
        file.as_os_str(),
    ]
}

/// `layers` × 100 no-op steps (fewer in one layer for a smaller mission); each step after the
/// first layer depends on two steps of the layer before.
fn mission_yaml(n: usize) -> String {
    let width = n.clamp(1, WIDTH);
    let mut out = format!("name: bench {n} no-ops\nconfig: {{max_concurrent_steps: 64}}\nsteps:\n");
    for i in 0..n {
        let (layer, lane) = (i / width, i % width);
        if layer == 0 {
            out.push_str(&format!("  - {{id: s{i}, step_type: noop}}\n"));
        } else {
            let a = (layer - 1) * width + lane;
            let b = (layer - 1) * width + (lane + 1) % width;
            out.push_str(&format!(
                "  - {{id: s{i}, step_type: noop, depends_on: [s{a}, s{b}]}}\n"
            ));
        }
    }
    out
}

/// Starts a copy of this bench that runs `mission ARGS` and reports on it.
fn measure(args: &[&OsStr]) -> Result<Measured, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(me)
        .arg("--measure")
        .arg(MISSION)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let mut next = || fields.next().and_then(|f| f.parse::<u64>().ok());
    match (next(), next(), next()) {
        (Some(wall_us), Some(rss_kib), Some(0)) => Ok(Measured {
            wall: Duration::from_micros(wall_us),
            rss_kib,
        }),
        _ => Err(format!("`mission` did not complete: {text}")),
    }
}

/// The `--measure` side: runs the program (output discarded), then prints its wall time in
/// µs, its peak RSS in KiB and its exit status.
fn measure_child(args: &[String]) -> ExitCode {
    let Some((program, rest)) = args.split_first() else {
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let wall = start.elapsed();
    let code = match status {
        Ok(s) => s.code().unwrap_or(-1),
        Err(_) => -1,
    };
    println!("{} {} {code}", wall.as_micros(), peak_rss_of_children_kib());
    ExitCode::SUCCESS
}

#[cfg(unix)]
fn peak_rss_of_children_kib() -> u64 {
    use nix::sys::resource::{getrusage, UsageWho};
    // Linux reports `ru_maxrss` in KiB.
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss().max(0) as u64)
        .unwrap_or(0)
}

#[cfg(not(unix))]
fn peak_rss_of_children_kib() -> u64 {
    0
}

#[derive(Default)]
struct FolderSizes {
    database: u64,
    evidence_content: u64,
    evidence_disk: u64,
    evidence_files: usize,
}

impl FolderSizes {
    /// What a run added.
    fn minus(&self, before: &Self) -> Self {
        Self {
            database: self.database.saturating_sub(before.database),
            evidence_content: self
                .evidence_content
                .saturating_sub(before.evidence_content),
            evidence_disk: self.evidence_disk.saturating_sub(before.evidence_disk),
            evidence_files: self.evidence_files.saturating_sub(before.evidence_files),
        }
    }
}

/// The history database (with its WAL) and the evidence folders under the data folder.
fn folder_sizes(data: &Path) -> FolderSizes {
    let mut sizes = FolderSizes::default();
    for name in [DATABASE.to_string(), format!("{DATABASE}-wal")] {
        sizes.database += std::fs::metadata(data.join(name)).map_or(0, |m| m.len());
    }
    let mut pending: Vec<PathBuf> = vec![data.join("runs")];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                sizes.evidence_content += meta.len();
                sizes.evidence_disk += disk_bytes(&meta);
                sizes.evidence_files += 1;
            }
        }
    }
    sizes
}

#[cfg(unix)]
fn disk_bytes(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn disk_bytes(meta: &std::fs::Metadata) -> u64 {
    meta.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
