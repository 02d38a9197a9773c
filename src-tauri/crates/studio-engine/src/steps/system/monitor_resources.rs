//! `monitor_resources`: the machine's figures, read with sysinfo.
//!
//! Parameters (all optional): `samples` (CPU measurements averaged, default 1), `interval_ms`
//! (between them, default and least 200: CPU use is a difference between two readings),
//! `pids`, `names` (exact process names), `include_run_processes` (default true), thresholds
//! `max_cpu_percent`, `max_memory_percent`, `min_free_memory_mb`, `min_free_disk_mb` (the disk
//! holding the workspace), `fail_on_alert` (default false).
//!
//! Output: `{cpu: {usage_percent, cores: [{name, usage_percent, frequency_mhz}], count, samples,
//! interval_ms}, cpu_usage_percent, memory: {total_bytes, used_bytes, available_bytes,
//! free_bytes, usage_percent}, swap: {total_bytes, used_bytes, free_bytes}, disks: [{name,
//! mount_point, file_system, total_bytes, available_bytes, usage_percent}], workspace_disk,
//! load_average: {one, five, fifteen}, uptime_seconds, processes: [{pid, name, source,
//! run_name, running, status, cpu_percent, memory_bytes, virtual_memory_bytes}], alerts:
//! [{metric, value, threshold, message}]}`. Percentages are rounded to 0.1.
//!
//! It only reads. A breached threshold is an alert; with `fail_on_alert` it fails the step and
//! the output is kept.

use crate::steps::params::{opt_bool, opt_str_list, opt_u64};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use sysinfo::{Disks, Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

const MIN_INTERVAL_MS: u64 = 200;
const MAX_SAMPLES: u64 = 60;
const PER_NAME: usize = 20;
const MIB: f64 = 1024.0 * 1024.0;

/// A process to report, and why.
struct Wanted {
    pid: u32,
    source: &'static str,
    run_name: Option<String>,
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let samples = opt_u64(&p, "samples")?.unwrap_or(1).clamp(1, MAX_SAMPLES);
    let interval_ms = opt_u64(&p, "interval_ms")?
        .unwrap_or(MIN_INTERVAL_MS)
        .max(MIN_INTERVAL_MS);
    let mut pids = Vec::new();
    for text in opt_str_list(&p, "pids")? {
        let pid = text.trim().parse::<u32>().map_err(|_| {
            Failure::new(format!(
                "`pids` must hold process ids (whole numbers), not `{text}`"
            ))
        })?;
        pids.push(pid);
    }
    let names = opt_str_list(&p, "names")?;
    let include_run = opt_bool(&p, "include_run_processes")?.unwrap_or(true);
    let thresholds = Thresholds::read(&p)?;
    let fail_on_alert = opt_bool(&p, "fail_on_alert")?.unwrap_or(false);

    let mut wanted: Vec<Wanted> = Vec::new();
    if include_run {
        for o in ctx.shared.processes.all() {
            wanted.push(Wanted {
                pid: o.pid,
                source: "run",
                run_name: Some(o.name.clone()),
            });
        }
    }
    for pid in pids {
        wanted.push(Wanted {
            pid,
            source: "pid",
            run_name: None,
        });
    }

    let mut sys =
        System::new().map_err(|e| Failure::new(format!("cannot read the system figures: {e}")))?;
    let process_kind = ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .with_exe(UpdateKind::OnlyIfNotSet);
    // Per-process CPU use is a difference between two readings too.
    let need_processes = !wanted.is_empty() || !names.is_empty();
    sys.refresh_cpu_all();
    if need_processes {
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, process_kind);
    }
    let mut cpu_total = 0.0f64;
    let mut per_core: Vec<f64> = Vec::new();
    for _ in 0..samples {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(interval_ms)) => {}
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
        }
        sys.refresh_cpu_all();
        cpu_total += f64::from(sys.global_cpu_usage());
        if per_core.len() != sys.cpus().len() {
            per_core = vec![0.0; sys.cpus().len()];
        }
        for (sum, cpu) in per_core.iter_mut().zip(sys.cpus()) {
            *sum += f64::from(cpu.usage());
        }
    }
    if need_processes {
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, process_kind);
    }
    sys.refresh_memory();
    let n = samples as f64;
    let cpu_usage = round1(cpu_total / n);
    let cores: Vec<Value> = sys
        .cpus()
        .iter()
        .zip(&per_core)
        .map(|(cpu, sum)| {
            json!({"name": cpu.name(), "usage_percent": round1(sum / n), "frequency_mhz": cpu.frequency()})
        })
        .collect();

    for name in &names {
        let mut found: Vec<u32> = sys
            .processes()
            .values()
            .filter(|proc_| matches_name(proc_, name))
            .map(|proc_| proc_.pid().as_u32())
            .collect();
        found.sort_unstable();
        for pid in found.into_iter().take(PER_NAME) {
            wanted.push(Wanted {
                pid,
                source: "name",
                run_name: None,
            });
        }
    }
    let processes: Vec<Value> = wanted
        .iter()
        .map(|w| match sys.process(Pid::from_u32(w.pid)) {
            Some(proc_) => json!({
                "pid": w.pid,
                "name": proc_.name().to_string_lossy(),
                "source": w.source,
                "run_name": w.run_name,
                "running": !matches!(proc_.status(), sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead),
                "status": proc_.status().to_string(),
                "cpu_percent": round1(f64::from(proc_.cpu_usage())),
                "memory_bytes": proc_.memory(),
                "virtual_memory_bytes": proc_.virtual_memory(),
            }),
            None => json!({
                "pid": w.pid, "name": Value::Null, "source": w.source, "run_name": w.run_name,
                "running": false, "status": "gone", "cpu_percent": Value::Null,
                "memory_bytes": Value::Null, "virtual_memory_bytes": Value::Null,
            }),
        })
        .collect();

    let (total, available) = (sys.total_memory(), sys.available_memory());
    let used = total.saturating_sub(available);
    let memory_percent = percent(used, total);
    let workspace = ctx.shared.workspace_path().clone();
    let disks = tokio::task::spawn_blocking(move || disk_figures(&workspace))
        .await
        .map_err(|e| Failure::new(format!("cannot read the disks: {e}")))?;
    let (disks, workspace_disk) = disks;
    let load = System::load_average().ok();

    let mut alerts = Vec::new();
    thresholds.check(
        cpu_usage,
        memory_percent,
        available as f64 / MIB,
        workspace_disk
            .as_ref()
            .and_then(|d| d["available_bytes"].as_u64())
            .map(|b| b as f64 / MIB),
        &mut alerts,
    );
    let output = json!({
        "cpu": {
            "usage_percent": cpu_usage,
            "cores": cores,
            "count": sys.cpus().len(),
            "samples": samples,
            "interval_ms": interval_ms,
        },
        "cpu_usage_percent": cpu_usage,
        "memory": {
            "total_bytes": total,
            "used_bytes": used,
            "available_bytes": available,
            "free_bytes": sys.free_memory(),
            "usage_percent": memory_percent,
        },
        "swap": {
            "total_bytes": sys.total_swap(),
            "used_bytes": sys.used_swap(),
            "free_bytes": sys.free_swap(),
        },
        "disks": disks,
        "workspace_disk": workspace_disk,
        "load_average": load.map(|l| json!({"one": l.one, "five": l.five, "fifteen": l.fifteen})),
        "uptime_seconds": System::uptime().ok(),
        "processes": processes,
        "alerts": alerts,
    });
    if fail_on_alert && !alerts.is_empty() {
        let messages: Vec<&str> = alerts
            .iter()
            .filter_map(|a| a["message"].as_str())
            .collect();
        return Err(Failure::new(format!(
            "{} alert(s): {}",
            alerts.len(),
            messages.join("; ")
        ))
        .with_output(output));
    }
    Ok(StepOutput::new(output))
}

/// A process matches a name by its own name, its executable's file name or its first argument's.
fn matches_name(proc_: &sysinfo::Process, name: &str) -> bool {
    let file_name = |p: &Path| p.file_name().is_some_and(|f| f == name);
    proc_.name() == name
        || proc_.exe().is_some_and(file_name)
        || proc_.cmd().first().is_some_and(|a| file_name(Path::new(a)))
}

/// Every disk, and the one holding `workspace` (the longest mount point above it).
fn disk_figures(workspace: &Path) -> (Vec<Value>, Option<Value>) {
    let Ok(disks) = Disks::new_with_refreshed_list() else {
        return (Vec::new(), None);
    };
    let mut list = Vec::new();
    let mut best: Option<(usize, Value)> = None;
    for d in disks.iter() {
        let (total, available) = (d.total_space(), d.available_space());
        let entry = json!({
            "name": d.name().to_string_lossy(),
            "mount_point": d.mount_point().to_string_lossy(),
            "file_system": d.file_system().to_string_lossy(),
            "total_bytes": total,
            "available_bytes": available,
            "usage_percent": percent(total.saturating_sub(available), total),
        });
        let depth = d.mount_point().components().count();
        if workspace.starts_with(d.mount_point()) && best.as_ref().is_none_or(|(b, _)| depth > *b) {
            best = Some((depth, entry.clone()));
        }
        list.push(entry);
    }
    list.sort_by(|a, b| a["mount_point"].as_str().cmp(&b["mount_point"].as_str()));
    (list, best.map(|(_, d)| d))
}

#[derive(Debug, Default)]
struct Thresholds {
    max_cpu_percent: Option<f64>,
    max_memory_percent: Option<f64>,
    min_free_memory_mb: Option<f64>,
    min_free_disk_mb: Option<f64>,
}

impl Thresholds {
    fn read(p: &Value) -> Result<Self, Failure> {
        let num = |name: &str| -> Result<Option<f64>, Failure> {
            match p.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .map(Some)
                    .ok_or_else(|| Failure::new(format!("parameter `{name}` must be a number"))),
            }
        };
        Ok(Self {
            max_cpu_percent: num("max_cpu_percent")?,
            max_memory_percent: num("max_memory_percent")?,
            min_free_memory_mb: num("min_free_memory_mb")?,
            min_free_disk_mb: num("min_free_disk_mb")?,
        })
    }

    fn check(
        &self,
        cpu: f64,
        memory_percent: f64,
        free_memory_mb: f64,
        free_disk_mb: Option<f64>,
        alerts: &mut Vec<Value>,
    ) {
        let mut alert = |metric: &str, value: f64, threshold: f64, message: String| {
            alerts.push(json!({"metric": metric, "value": value, "threshold": threshold, "message": message}));
        };
        if let Some(max) = self.max_cpu_percent.filter(|max| cpu > *max) {
            alert(
                "cpu_percent",
                cpu,
                max,
                format!("CPU use {cpu}% is above {max}%"),
            );
        }
        if let Some(max) = self.max_memory_percent.filter(|max| memory_percent > *max) {
            alert(
                "memory_percent",
                memory_percent,
                max,
                format!("memory use {memory_percent}% is above {max}%"),
            );
        }
        if let Some(min) = self.min_free_memory_mb.filter(|min| free_memory_mb < *min) {
            let free = round1(free_memory_mb);
            alert(
                "free_memory_mb",
                free,
                min,
                format!("available memory {free} MiB is below {min} MiB"),
            );
        }
        if let Some(min) = self.min_free_disk_mb {
            match free_disk_mb {
                Some(free) if free < min => {
                    let free = round1(free);
                    alert(
                        "free_disk_mb",
                        free,
                        min,
                        format!("the workspace's disk has {free} MiB available, below {min} MiB"),
                    );
                }
                Some(_) => {}
                None => alerts.push(json!({
                    "metric": "free_disk_mb", "value": Value::Null, "threshold": min,
                    "message": "the disk holding the workspace was not found; its free space is unknown",
                })),
            }
        }
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round1(part as f64 * 100.0 / whole as f64)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_raise_alerts_only_when_breached() {
        let t = Thresholds {
            max_cpu_percent: Some(50.0),
            max_memory_percent: Some(90.0),
            min_free_memory_mb: Some(100.0),
            min_free_disk_mb: Some(10.0),
        };
        let mut alerts = Vec::new();
        t.check(10.0, 20.0, 500.0, Some(1000.0), &mut alerts);
        assert!(alerts.is_empty(), "{alerts:?}");
        t.check(75.5, 95.0, 50.0, Some(1.0), &mut alerts);
        let metrics: Vec<&str> = alerts
            .iter()
            .map(|a| a["metric"].as_str().unwrap())
            .collect();
        assert_eq!(
            metrics,
            [
                "cpu_percent",
                "memory_percent",
                "free_memory_mb",
                "free_disk_mb"
            ]
        );
        assert_eq!(alerts[0]["message"], "CPU use 75.5% is above 50%");
    }

    #[test]
    fn percentages_are_rounded() {
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(5, 0), 0.0);
    }
}
