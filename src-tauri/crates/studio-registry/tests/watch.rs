//! The watcher on a real folder: adding, editing, renaming and deleting a template file
//! shows in the library within a second, and each change reaches the callback.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use studio_registry::{IndexReport, Registry, TemplateRoot};

fn template(id: &str, goal: &str) -> String {
    format!(
        "id: {id}\nname: Watched {id}\nsector: Operations\nrequired_depts: [ops]\ngoal: \"{goal}\"\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: noop\n    depends_on: [a]\n"
    )
}

/// How long a change may take to show; the target is well under a second, the bound is
/// loose for a loaded machine.
const WITHIN: Duration = Duration::from_secs(5);

/// Polls until `check` holds, returning how long it took.
fn until(what: &str, registry: &Registry, check: impl Fn(&Registry) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if check(registry) {
            let took = started.elapsed();
            println!("{what}: the index followed in {} ms", took.as_millis());
            return took;
        }
        assert!(
            started.elapsed() < WITHIN,
            "{what}: the index did not follow within {WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn the_index_follows_add_edit_rename_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("templates");
    let registry =
        Registry::open(&dir.path().join("h.db"), vec![TemplateRoot::user(&user)]).unwrap();
    registry.reindex().unwrap();
    let (tx, rx) = mpsc::channel::<IndexReport>();
    let watcher = registry
        .watch(Duration::from_millis(100), move |report| {
            let _ = tx.send(report.clone());
        })
        .unwrap();
    assert_eq!(
        watcher.dirs(),
        std::slice::from_ref(&user),
        "the user folder is created and watched"
    );
    let mut latencies = Vec::new();

    // Add.
    let first = user.join("first.yaml");
    std::fs::write(&first, template("w.first", "Watch the first file")).unwrap();
    latencies.push(until("add", &registry, |r| r.summary("w.first").is_ok()));
    let report = rx
        .recv_timeout(WITHIN)
        .expect("the callback hears of the addition");
    assert_eq!(report.added, ["w.first"]);

    // Edit (in place).
    std::fs::write(&first, template("w.first", "An edited goal")).unwrap();
    latencies.push(until("edit", &registry, |r| {
        r.summary("w.first")
            .is_ok_and(|s| s.goal.as_deref() == Some("An edited goal"))
    }));

    // Edit the way editors save: a temporary file renamed over the original.
    write_atomically(&first, &template("w.first", "Saved by an editor"));
    latencies.push(until("atomic save", &registry, |r| {
        r.summary("w.first")
            .is_ok_and(|s| s.goal.as_deref() == Some("Saved by an editor"))
    }));

    // Rename into a sub-folder.
    std::fs::create_dir_all(user.join("ops")).unwrap();
    let renamed = user.join("ops/renamed.yaml");
    std::fs::rename(&first, &renamed).unwrap();
    latencies.push(until("rename", &registry, |r| {
        r.summary("w.first").is_ok_and(|s| s.path == renamed)
    }));

    // Delete.
    std::fs::remove_file(&renamed).unwrap();
    latencies.push(until("delete", &registry, |r| {
        r.summary("w.first").is_err()
    }));
    let mut removed = false;
    while let Ok(report) = rx.recv_timeout(Duration::from_millis(500)) {
        removed |= report.removed == ["w.first"];
    }
    assert!(removed, "the callback hears of the deletion");

    // A broken file shows as a problem, not in the library.
    std::fs::write(user.join("broken.yaml"), "name: [\n").unwrap();
    let report = rx
        .recv_timeout(WITHIN)
        .expect("a broken file is a change too");
    assert_eq!(report.problems.len(), 1);
    assert!(registry.snapshot().is_empty());

    let worst = latencies.iter().max().unwrap();
    println!("worst latency {} ms (debounce 100 ms)", worst.as_millis());
    drop(watcher);
}
