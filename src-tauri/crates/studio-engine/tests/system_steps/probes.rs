//! `monitor_resources`, `service_health` and `ping_host` against the machine and local servers.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_resources_reports_the_machine_and_raises_alerts() {
    let ran = run_steps(
        &[],
        json!([
            {"id": "nap", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["300"], "name": "napper"}},
            {"id": "look", "step_type": "monitor_resources", "depends_on": ["nap"], "parameters": {
                "samples": 2, "interval_ms": 200, "names": ["sleep"], "pids": [std::process::id()],
                "min_free_memory_mb": 1.0e12, "min_free_disk_mb": 1.0e12, "max_cpu_percent": 100}},
            {"id": "strict", "step_type": "monitor_resources", "parameters": {
                "max_memory_percent": -1, "fail_on_alert": true, "include_run_processes": false}},
        ]),
    )
    .await;
    let look = ran.output("look");
    let cpu = &look["cpu"];
    let count = cpu["count"].as_u64().unwrap();
    assert!(count >= 1);
    assert_eq!(cpu["cores"].as_array().unwrap().len() as u64, count);
    assert_eq!(cpu["samples"], 2);
    assert_eq!(look["cpu_usage_percent"], cpu["usage_percent"]);
    let usage = cpu["usage_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&usage), "{usage}");
    let mem = &look["memory"];
    assert!(mem["total_bytes"].as_u64().unwrap() > 0);
    assert!(mem["available_bytes"].as_u64().unwrap() <= mem["total_bytes"].as_u64().unwrap());
    assert!(look["swap"]["total_bytes"].is_u64());
    assert!(look["disks"].is_array());
    assert!(look["load_average"]["one"].is_number());
    assert!(look["uptime_seconds"].as_u64().unwrap() > 0);
    let procs = look["processes"].as_array().unwrap();
    let nap = ran.pid("nap");
    let run_entry = procs.iter().find(|p| p["source"] == "run").unwrap();
    assert_eq!(run_entry["run_name"], "napper");
    assert_eq!(run_entry["pid"], nap);
    assert_eq!(run_entry["running"], true);
    assert!(run_entry["memory_bytes"].is_u64());
    assert!(
        procs
            .iter()
            .any(|p| p["source"] == "name" && p["pid"] == nap),
        "found by name too: {procs:?}"
    );
    let me = procs.iter().find(|p| p["source"] == "pid").unwrap();
    assert_eq!(me["pid"], std::process::id());
    assert_eq!(me["running"], true);
    let metrics: Vec<&str> = look["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        metrics,
        ["free_memory_mb", "free_disk_mb"],
        "CPU cannot exceed 100%"
    );
    let (error, out) = ran.failure("strict");
    assert!(error.contains("1 alert(s): memory use"), "{error}");
    assert_eq!(out["alerts"][0]["metric"], "memory_percent");
    assert_eq!(out["processes"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// service_health, ping_host

async fn http_server() -> String {
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/health", get(|| async { "status: ok" }))
        .route(
            "/down",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_health_checks_http_and_tcp_with_retries_counted() {
    let base = http_server().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = free_port();
    let ran = run_steps(
        &[],
        json!([
            {"id": "ok", "step_type": "service_health", "parameters": {"url": format!("{base}/health"), "expect_body_contains": "ok"}},
            {"id": "down", "step_type": "service_health", "parameters": {
                "url": format!("{base}/down"), "retries": 2, "retry_delay_ms": 10, "service": "api"}},
            {"id": "down_expected", "step_type": "service_health", "parameters": {"url": format!("{base}/down"), "expected_status": [503]}},
            {"id": "body", "step_type": "service_health", "parameters": {"url": format!("{base}/health"), "expected_body": "green"}},
            {"id": "closed", "step_type": "service_health", "parameters": {
                "url": format!("http://127.0.0.1:{closed}/"), "retries": 2, "retry_delay_ms": 10, "timeout_ms": 2000}},
            {"id": "closed_soft", "step_type": "service_health", "parameters": {
                "port": closed, "host": "127.0.0.1", "retries": 1, "retry_delay_ms": 10, "fail_on_unhealthy": false}},
            {"id": "tcp", "step_type": "service_health", "parameters": {"port": open, "host": "127.0.0.1"}},
        ]),
    )
    .await;
    let ok = ran.output("ok");
    assert_eq!(
        (
            ok["healthy"].clone(),
            ok["status"].clone(),
            ok["attempts"].clone()
        ),
        (json!(true), json!(200), json!(1))
    );
    assert!(ok["latency_ms"].is_u64());
    assert_eq!(ok["error"], Value::Null);
    let (e, out) = ran.failure("down");
    assert!(
        e.contains("`api` is unhealthy after 3 attempts: answered HTTP 503; expected 2xx"),
        "{e}"
    );
    assert_eq!(out["attempts"], 3);
    assert_eq!(out["checks"].as_array().unwrap().len(), 3);
    assert_eq!(out["checks"][2]["status"], 503);
    assert_eq!(ran.output("down_expected")["healthy"], true);
    let (e, _) = ran.failure("body");
    assert!(e.contains("the body does not hold `green`"), "{e}");
    let (e, out) = ran.failure("closed");
    assert!(
        e.contains("unhealthy after 3 attempts") && e.contains("cannot connect"),
        "{e}"
    );
    assert_eq!(out["attempts"], 3);
    assert!(out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["healthy"] == false && c["latency_ms"].is_null()));
    let soft = ran.output("closed_soft");
    assert_eq!(
        (
            soft["healthy"].clone(),
            soft["attempts"].clone(),
            soft["kind"].clone()
        ),
        (json!(false), json!(2), json!("tcp"))
    );
    assert!(
        soft["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect to 127.0.0.1"),
        "{soft}"
    );
    let tcp = ran.output("tcp");
    assert_eq!(
        (tcp["healthy"].clone(), tcp["target"].clone()),
        (json!(true), json!(format!("127.0.0.1:{open}")))
    );
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_host_measures_tcp_round_trips_and_counts_loss() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = free_port();
    let ran = run_steps(
        &[],
        json!([
            {"id": "up", "step_type": "ping_host", "parameters": {"host": "localhost", "port": open, "count": 4, "interval_ms": 5}},
            {"id": "down", "step_type": "ping_host", "parameters": {"host": "127.0.0.1", "port": closed, "count": 3, "interval_ms": 5}},
            {"id": "mixed", "step_type": "ping_host", "parameters": {
                "address": "127.0.0.1", "ports": [open, closed], "count": 4, "interval_ms": 5, "fail_on_unreachable": false}},
            {"id": "icmp", "step_type": "ping_host", "parameters": {"host": "127.0.0.1", "method": "icmp", "count": 2, "interval_ms": 5}},
        ]),
    )
    .await;
    let up = ran.output("up");
    assert_eq!(
        (
            up["sent"].clone(),
            up["received"].clone(),
            up["loss_percent"].clone()
        ),
        (json!(4), json!(4), json!(0.0))
    );
    assert_eq!(up["method"], "tcp");
    assert_eq!(up["ports"], json!([open]));
    let ip = up["address"].as_str().unwrap();
    assert!(ip == "127.0.0.1" || ip == "::1", "{ip}");
    let rtt = &up["rtt_ms"];
    let (min, avg, max) = (
        rtt["min"].as_f64().unwrap(),
        rtt["avg"].as_f64().unwrap(),
        rtt["max"].as_f64().unwrap(),
    );
    assert!(min <= avg && avg <= max, "{rtt}");
    assert_eq!(up["samples"].as_array().unwrap().len(), 4);
    let (e, out) = ran.failure("down");
    assert!(
        e.contains("did not answer any of 3 probes (100% loss)")
            && e.contains("connection refused"),
        "{e}"
    );
    assert_eq!(
        (out["received"].clone(), out["loss_percent"].clone()),
        (json!(0), json!(100.0))
    );
    assert_eq!(
        out["rtt_ms"],
        json!({"min": null, "avg": null, "max": null})
    );
    let mixed = ran.output("mixed");
    assert_eq!(
        (mixed["received"].clone(), mixed["loss_percent"].clone()),
        (json!(2), json!(50.0))
    );
    let ports: Vec<u64> = mixed["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [open, closed, open, closed].map(u64::from));

    // ICMP only where unprivileged echo sockets are allowed to this process's group.
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let bounds: Vec<i64> = range
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let gid: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("Gid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|g| g.parse().ok())
        .unwrap();
    if bounds.len() == 2 && bounds[0] <= gid && gid <= bounds[1] {
        assert_eq!(ran.output("icmp")["received"], 2);
    } else {
        let (e, _) = ran.failure("icmp");
        assert!(
            e.contains("ICMP is not allowed here") && e.contains("method: tcp"),
            "{e}"
        );
    }
    drop(listener);
}
