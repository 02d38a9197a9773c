//! Hostile run packages at scale: `.tar.gz` archives generated from a model of the package
//! format with hostile entries (`..` and absolute paths, `.` segments, symlinks and hardlinks
//! pointing out, special files, huge declared sizes, bad checksums, duplicate names, wrong or
//! missing manifests, truncated tar and gzip streams).
//!
//! For every archive: `read_package` and `unpack` answer within a second, a refusal is an
//! error (never a panic), nothing is written outside the runs folder, and what is unpacked is
//! exactly what the manifest lists. `MISSION_FUZZ_CASES=N` sets the number of archives. Past
//! failures live in `tests/fuzz_corpus/ingest/` and replay below.

mod ingest_model;

use ingest_model::{archive, Archive};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use studio_pack::{read_package, sha256_hex, unpack, PackageError};

const LIMIT: Duration = Duration::from_secs(1);

fn cases(default: u32) -> u32 {
    std::env::var("MISSION_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn timed<T>(
    what: &str,
    input: &dyn std::fmt::Debug,
    f: impl FnOnce() -> T,
) -> Result<(T, Duration), TestCaseError> {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    if took > LIMIT {
        return Err(TestCaseError::fail(format!(
            "{what} took {took:?} on {input:?}"
        )));
    }
    Ok((out, took))
}

/// Every path under `dir` (files, folders and links), relative.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Reads and unpacks one archive's bytes inside a fresh folder and checks the properties;
/// returns the slowest call.
fn check_archive(
    bytes: &[u8],
    input: &dyn std::fmt::Debug,
) -> Result<(Duration, bool), TestCaseError> {
    let home = tempfile::tempdir().unwrap();
    let archive_path = home.path().join("run.tar.gz");
    std::fs::write(&archive_path, bytes).unwrap();
    std::fs::write(home.path().join("sentinel.txt"), b"untouched").unwrap();
    let runs = home.path().join("runs");
    let before = tree(home.path());
    let (read, mut slowest) = timed("read_package", input, || read_package(&archive_path))?;
    let mut unpacked_one = false;
    let fail = |m: String| TestCaseError::fail(format!("{m}\non {input:?}"));
    if let Ok(package) = read {
        let (unpacked, took) = timed("unpack", input, || unpack(&package, &runs))?;
        slowest = slowest.max(took);
        match unpacked {
            Ok(folder) => {
                unpacked_one = true;
                if folder.parent() != Some(runs.as_path()) {
                    return Err(fail(format!("unpacked to {}", folder.display())));
                }
                for f in &package.manifest.files {
                    let on_disk = std::fs::read(folder.join(&f.path))
                        .map_err(|e| fail(format!("`{}` was not written: {e}", f.path)))?;
                    if sha256_hex(&on_disk) != f.sha256 {
                        return Err(fail(format!(
                            "`{}` on disk differs from the manifest",
                            f.path
                        )));
                    }
                }
                for path in tree(&runs) {
                    let meta = std::fs::symlink_metadata(runs.join(&path)).unwrap();
                    if meta.file_type().is_symlink() {
                        return Err(fail(format!("a link was unpacked: {}", path.display())));
                    }
                }
                match unpack(&package, &runs) {
                    Err(PackageError::AlreadyThere { .. }) => {}
                    other => return Err(fail(format!("a second unpack gave {other:?}"))),
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    } else if let Err(e) = read {
        if e.to_string().is_empty() {
            return Err(fail("an error without a message".into()));
        }
    }
    let after: Vec<PathBuf> = tree(home.path())
        .into_iter()
        .filter(|p| !p.starts_with("runs"))
        .collect();
    let before: Vec<PathBuf> = before
        .into_iter()
        .filter(|p| !p.starts_with("runs"))
        .collect();
    if after != before || std::fs::read(home.path().join("sentinel.txt")).unwrap() != b"untouched" {
        return Err(fail(format!(
            "something was written outside the runs folder: {after:?}"
        )));
    }
    Ok((slowest, unpacked_one))
}

#[test]
fn hostile_run_packages_are_refused_with_an_error_and_never_write_outside_the_runs_folder() {
    let cases = cases(3_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let unpacked = std::cell::Cell::new(0u32);
    let started = Instant::now();
    let result = runner.run(&archive(), |a: Archive| {
        let (took, unpacked_one) = check_archive(&a.bytes(), &a)?;
        slowest.set(slowest.get().max(took));
        unpacked.set(unpacked.get() + u32::from(unpacked_one));
        Ok(())
    });
    eprintln!(
        "fuzz run packages: {cases} inputs ({} unpacked) in {:.1} s, slowest input {:.1} ms",
        unpacked.get(),
        started.elapsed().as_secs_f64(),
        slowest.get().as_secs_f64() * 1000.0
    );
    if let Err(failure) = result {
        panic!("fuzz target `run packages` failed: {failure}");
    }
}

#[test]
fn every_package_in_the_corpus_of_past_failures_keeps_the_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/ingest");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "the corpus in {} is empty",
        dir.display()
    );
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if let Err(e) = check_archive(&bytes, &path.display()) {
            panic!("{}: {e}", path.display());
        }
    }
}
