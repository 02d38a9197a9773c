//! System step types: archives, processes, resources, health checks.

use super::*;

pub(super) const STEPS: &[StepParams] = &[
    StepParams {
        step_type: "compress",
        summary: "Packs workspace files into a zip, tar.gz or tar archive, or unpacks one into a workspace folder. Before anything is extracted every entry is checked: a name with `..`, an absolute name or a drive prefix, a link whose target leaves the destination (or an entry written through a link), a device or FIFO, an encrypted entry, too many entries or too many bytes refuse the whole archive, naming the entry, and nothing is written.",
        params: &[
            opt("action", ParamType::Choice(&["compress", "extract", "create", "pack", "archive", "decompress", "unpack", "unarchive"]), "`compress` (default; also `create`, `pack`, `archive`) or `extract` (also `decompress`, `unpack`, `unarchive`)"),
            opt("source", ParamType::String, "compress: the workspace file or folder to pack (a folder's contents go at the archive's root); extract: the archive to read (or use `archive`)"),
            opt("files", ParamType::StringList, "compress: several workspace files or folders to pack, each under its own path (instead of `source`)"),
            opt("destination", ParamType::String, "compress: the archive to write (or use `archive`); extract: the workspace folder to unpack into (default: beside the archive, named after it without its extension, e.g. `out/logs` for `out/logs.tar.gz`)"),
            opt("archive", ParamType::String, "the archive file in the workspace: the one compress writes, or the one extract reads"),
            opt("format", ParamType::Choice(&["zip", "tar.gz", "tgz", "tar"]), "default: from the archive's extension (`.zip`, `.tar.gz`/`.tgz`, `.tar`); needed when the name has none"),
            opt("max_bytes", ParamType::Integer, "most bytes packed or unpacked, all entries together (default 1 GiB); a bigger archive is refused before anything is written"),
            opt("max_entries", ParamType::Integer, "most entries (default 100000)"),
            opt("overwrite", ParamType::Bool, "replace an existing archive, or existing files when extracting (default true; with false an existing one fails the step before anything is written)"),
        ],
        any_parameters: false,
        rules: &[
            ParamRule::AtMostOne(&["source", "files"]),
        ],
        aliases: &[
            ("operation", "action"),
            ("mode", "action"),
            ("path", "source"),
            ("input", "source"),
            ("output", "destination"),
            ("dest", "destination"),
            ("target", "destination"),
        ],
        output: &[
            out("action", "`compress` or `extract`"),
            out("format", "`zip`, `tar.gz` or `tar`"),
            out("archive", "the archive, relative to the workspace"),
            out("destination", "extract: the folder unpacked into; compress: the archive"),
            out("entries", "how many entries were packed or unpacked: files, folders and links"),
            out("bytes", "their uncompressed size, all together"),
            out("archive_bytes", "the archive file's size"),
            out("files", "the first 100 entry names, in archive order; folders end with `/`"),
            out("truncated", "whether `files` lists fewer names than `entries`"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "process_start",
        summary: "Starts a program in the background, owned by the run: program and argument list (never a shell line), its own process group, stdout and stderr appended to `.processes/<name>.log` in the workspace, confined by Landlock under a read-only sandbox like `command`. It can wait until the program is ready (a TCP port accepts, an HTTP URL answers, or a line appears in its log). When the run ends — completed, failed, cancelled or timed out — every group it started is stopped (SIGTERM, a grace period, then SIGKILL) and reaped. `detach: true` is refused: no perimeter setting lets a program outlive its run.",
        params: &[
            req("command", ParamType::String, "the program: a name looked up in PATH, or a path (no shell is used: give each argument in `args`)"),
            opt("args", ParamType::StringList, "its arguments, one string each; `{{…}}` inside one stays inside that argument"),
            opt("name", ParamType::String, "the handle `process_kill` and `monitor_resources` use (letters, digits, `.`, `_`, `-`; default: the program's file name, with `-2`, `-3`… when taken); also names the log file"),
            opt("working_dir", ParamType::String, "folder inside the workspace to run in (default: the workspace)"),
            opt("env", ParamType::StringMap, "variables added to the inherited environment"),
            opt("wait_for", ParamType::Any, "readiness, checked every 100 ms until `timeout_seconds` (default 30): `{port: 8080, host: 127.0.0.1}` (a TCP connect succeeds), `{http: \"http://127.0.0.1:8080/\"}` (any answer below 500), `{log_line: \"Listening\"}` (a log line holds this text) or `{log_regex: \"port (\\\\d+)\"}` (a log line matches; its groups go to `log_match`). A program that exits or is not ready in time fails the step and is stopped"),
            opt("detach", ParamType::Bool, "must be false (default): a program that outlives its run is refused, no perimeter field allows it"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[("program", "command"), ("cwd", "working_dir"), ("ready", "wait_for")],
        output: &[
            out("name", "the process's handle in this run"),
            out("pid", "its process id"),
            out("pgid", "its process group id, the same number: it leads its own group"),
            out("command", "the program started"),
            out("log_file", "its log, relative to the workspace; stdout and stderr together"),
            out("ready", "true when the `wait_for` check passed; null without `wait_for`"),
            out("log_match", "with `log_regex`: the matching line's match, then each group, e.g. `{{id.output.log_match[1]}}`; else null"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "process_kill",
        summary: "Stops a process that a `process_start` step of this run started (by its `name` or `pid`), with its whole process group; any other process is refused. TERM (or INT) first, then KILL when it is still running after `grace_seconds`; the process is reaped and how it ended is reported. A process that already ended is not an error.",
        params: &[
            opt("name", ParamType::String, "the handle given by `process_start`"),
            opt("pid", ParamType::PositiveInteger, "its process id (`{{start.output.pid}}`)"),
            opt("signal", ParamType::Choice(&["TERM", "KILL", "INT", "SIGTERM", "SIGKILL", "SIGINT"]), "the first signal (default TERM); KILL does not wait"),
            opt("grace_seconds", ParamType::Integer, "how long TERM or INT is given before KILL (default 5)"),
        ],
        any_parameters: false,
        rules: &[ParamRule::ExactlyOne(&["name", "pid"])],
        aliases: &[("process", "name")],
        output: &[
            out("name", "the process's handle"),
            out("pid", "its process id"),
            out("killed", "whether this step stopped it (false when it had already ended)"),
            out("signals_sent", "the signals sent, in order (e.g. [\"TERM\", \"KILL\"])"),
            out("exit_code", "its exit status when it exited on its own, else null"),
            out("signal", "the signal that ended it (`TERM`, `KILL`, …), else null"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "monitor_resources",
        summary: "Measures the machine (sysinfo): CPU use overall and per core (sampled `samples` times, `interval_ms` apart), memory and swap, every disk, the load average and uptime, and per-process figures for the processes this run started, `pids` and `names`. Thresholds add `alerts`; with `fail_on_alert` an alert fails the step (the output is kept).",
        params: &[
            opt("samples", ParamType::PositiveInteger, "CPU measurements averaged (default 1)"),
            opt("interval_ms", ParamType::Integer, "time between CPU measurements (default and least 200)"),
            opt("pids", ParamType::StringList, "process ids to report (read only: any process may be looked at)"),
            opt("names", ParamType::StringList, "process names to report (exact name, e.g. `python3`; at most 20 processes each)"),
            opt("include_run_processes", ParamType::Bool, "report the processes `process_start` steps of this run started (default true)"),
            opt("max_cpu_percent", ParamType::Number, "alert when overall CPU use is above this"),
            opt("max_memory_percent", ParamType::Number, "alert when memory use is above this"),
            opt("min_free_memory_mb", ParamType::Number, "alert when available memory is below this (MiB)"),
            opt("min_free_disk_mb", ParamType::Number, "alert when the disk holding the workspace has less available space (MiB)"),
            opt("fail_on_alert", ParamType::Bool, "an alert fails the step, keeping the output (default false)"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[("interval", "interval_ms"), ("processes", "names")],
        output: &[
            out("cpu", "{usage_percent, cores: [{name, usage_percent, frequency_mhz}], count, samples, interval_ms}"),
            out("cpu_usage_percent", "overall CPU use (the same as `cpu.usage_percent`; RustChain's name)"),
            out("memory", "{total_bytes, used_bytes, available_bytes, free_bytes, usage_percent}"),
            out("swap", "{total_bytes, used_bytes, free_bytes}"),
            out("disks", "[{name, mount_point, file_system, total_bytes, available_bytes, usage_percent}]"),
            out("workspace_disk", "the disk holding the workspace, as in `disks`, or null"),
            out("load_average", "{one, five, fifteen}"),
            out("uptime_seconds", "time since the machine started"),
            out("processes", "[{pid, name, source: run|pid|name, run_name, running, status, cpu_percent, memory_bytes, virtual_memory_bytes}]"),
            out("alerts", "[{metric, value, threshold, message}]; empty when every threshold holds"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "service_health",
        summary: "Checks that a service answers: an HTTP(S) `url` (status, body, latency), or a TCP connect to `host`:`port`. Each attempt is recorded; `retries` more attempts are made, `retry_delay_ms` apart, until one is healthy. An unhealthy service fails the step (the output is kept) unless `fail_on_unhealthy` is false.",
        params: &[
            opt("url", ParamType::String, "an http:// or https:// URL to GET"),
            opt("host", ParamType::String, "with `port`: the host to connect to (default `localhost`)"),
            opt("port", ParamType::PositiveInteger, "a TCP port: the check is a connect (instead of `url`)"),
            opt("service", ParamType::String, "a name for the service in the output and messages"),
            opt("method", ParamType::Choice(&["GET", "HEAD"]), "with `url` (default GET)"),
            opt("headers", ParamType::StringMap, "with `url`: request headers"),
            opt("expected_status", ParamType::Any, "with `url`: the status, or list of statuses, that is healthy (default: any 2xx)"),
            opt("expect_body_contains", ParamType::String, "with `url`: text the body must hold"),
            opt("max_latency_ms", ParamType::Integer, "a slower answer is unhealthy"),
            opt("timeout_ms", ParamType::PositiveInteger, "per attempt (default 5000)"),
            opt("retries", ParamType::Integer, "more attempts after an unhealthy one (default 0)"),
            opt("retry_delay_ms", ParamType::Integer, "between attempts (default 500)"),
            opt("fail_on_unhealthy", ParamType::Bool, "an unhealthy service fails the step, keeping the output (default true)"),
        ],
        any_parameters: false,
        rules: &[
            ParamRule::ExactlyOne(&["url", "port"]),
            ParamRule::Requires("host", "port"),
            ParamRule::Requires("method", "url"),
            ParamRule::Requires("headers", "url"),
            ParamRule::Requires("expected_status", "url"),
            ParamRule::Requires("expect_body_contains", "url"),
        ],
        aliases: &[
            ("endpoint", "url"),
            ("expected_body", "expect_body_contains"),
            ("body_contains", "expect_body_contains"),
            ("timeout", "timeout_ms"),
            ("name", "service"),
        ],
        output: &[
            out("healthy", "whether the last attempt met every expectation"),
            out("service", "the `service` name, else the URL or host:port"),
            out("kind", "`http` or `tcp`"),
            out("target", "the URL, or host:port"),
            out("status", "the last HTTP status, or null"),
            out("latency_ms", "the last attempt's time to answer (or to connect), or null when it got none"),
            out("attempts", "how many attempts were made"),
            out("checks", "[{attempt, healthy, status, latency_ms, error}], one per attempt"),
            out("error", "why the last attempt was unhealthy, or null"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "ping_host",
        summary: "Measures whether a host answers and how fast: `count` TCP connects (to `port`, default 80, or each of `ports` in turn) with their round-trip times and the loss. `method: icmp` sends ICMP echo requests instead, only where the system lets unprivileged programs do so (`net.ipv4.ping_group_range`); elsewhere it fails saying so. When nothing answers the step fails (the output is kept) unless `fail_on_unreachable` is false. A refused connection counts as lost; a name with several addresses is probed at the first that accepts a connection.",
        params: &[
            req("host", ParamType::String, "a host name or IP address"),
            opt("port", ParamType::PositiveInteger, "the TCP port to connect to (default 80)"),
            opt("ports", ParamType::StringList, "several TCP ports, probed in turn (instead of `port`)"),
            opt("count", ParamType::PositiveInteger, "probes to send (default 4)"),
            opt("interval_ms", ParamType::Integer, "time between probes (default 200)"),
            opt("timeout_ms", ParamType::PositiveInteger, "per probe (default 2000)"),
            opt("method", ParamType::Choice(&["tcp", "icmp"]), "default tcp"),
            opt("fail_on_unreachable", ParamType::Bool, "fail the step when no probe was answered (default true)"),
        ],
        any_parameters: false,
        rules: &[ParamRule::AtMostOne(&["port", "ports"])],
        aliases: &[("address", "host"), ("target", "host"), ("timeout", "timeout_ms"), ("interval", "interval_ms")],
        output: &[
            out("host", "the host given"),
            out("address", "the IP address probed"),
            out("method", "`tcp` or `icmp`"),
            out("ports", "the TCP ports probed (empty for icmp)"),
            out("sent", "probes sent"),
            out("received", "probes answered"),
            out("loss_percent", "the share of probes lost, 0 to 100"),
            out("rtt_ms", "{min, avg, max} over the answered probes (nulls when none was)"),
            out("samples", "[{seq, port, ok, rtt_ms, error}], one per probe"),
        ],
        output_is_parameters: false,
    },
];

#[cfg(test)]
mod tests {
    use super::super::{check_parameters, params_of, ProblemKind};
    use serde_json::{json, Value};

    fn problems(step_type: &str, params: Value) -> Vec<(ProblemKind, String)> {
        check_parameters(params_of(step_type).unwrap(), &params)
            .into_iter()
            .map(|p| (p.kind, p.param))
            .collect()
    }

    #[test]
    fn rustchain_and_seed_spellings_are_accepted() {
        for (ty, params) in [
            (
                "compress",
                json!({"source": "reports", "destination": "r.tar", "format": "tar"}),
            ),
            (
                "compress",
                json!({"operation": "decompress", "path": "r.zip", "output": "out"}),
            ),
            (
                "compress",
                json!({"action": "extract", "archive": "r.tgz", "max_bytes": 1024}),
            ),
            (
                "compress",
                json!({"files": ["a", "b"], "archive": "ab.zip"}),
            ),
            (
                "process_start",
                json!({"command": "sleep", "args": ["1"], "working_dir": "."}),
            ),
            (
                "process_start",
                json!({"program": "python3", "cwd": "site", "wait_for": {"port": 8080}}),
            ),
            ("process_kill", json!({"pid": 123})),
            (
                "process_kill",
                json!({"name": "web", "signal": "KILL", "grace_seconds": 1}),
            ),
            ("monitor_resources", json!({})),
            (
                "monitor_resources",
                json!({"samples": 3, "pids": [1], "min_free_disk_mb": 100}),
            ),
            ("service_health", json!({"service": "api", "port": 80})),
            (
                "service_health",
                json!({"url": "http://x/h", "expected_status": [200, 204], "retries": 2}),
            ),
            ("ping_host", json!({"host": "127.0.0.1", "count": 1})),
            (
                "ping_host",
                json!({"host": "h", "ports": [80, 443], "method": "tcp"}),
            ),
        ] {
            assert_eq!(problems(ty, params.clone()), vec![], "{ty} {params}");
        }
    }

    #[test]
    fn conflicting_or_meaningless_parameters_are_reported() {
        assert_eq!(
            problems(
                "compress",
                json!({"source": "a", "files": ["b"], "destination": "x.zip"})
            ),
            vec![(ProblemKind::Conflict, "files".into())]
        );
        assert_eq!(
            problems("process_start", json!({})),
            vec![(ProblemKind::Missing, "command".into())]
        );
        assert_eq!(
            problems("process_kill", json!({"name": "a", "pid": 1})),
            vec![(ProblemKind::Conflict, "pid".into())]
        );
        assert_eq!(
            problems(
                "service_health",
                json!({"port": 80, "expected_status": 200})
            ),
            vec![(ProblemKind::Missing, "url".into())]
        );
        assert_eq!(
            problems("ping_host", json!({"host": "h", "port": 1, "ports": [2]})),
            vec![(ProblemKind::Conflict, "ports".into())]
        );
        assert_eq!(
            problems("ping_host", json!({"host": "h", "method": "udp"})),
            vec![(ProblemKind::WrongType, "method".into())]
        );
    }
}
