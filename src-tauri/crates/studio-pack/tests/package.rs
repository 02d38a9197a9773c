//! A finished run's evidence folder packs into one `.tar.gz` with a manifest of SHA-256 hashes,
//! and unpacks only when every file checks out.

use serde_json::json;
use std::path::{Path, PathBuf};
use studio_core::Mission;
use studio_engine::{CollectingSink, RunOptions};
use studio_pack::{
    list_files, package_run, read_package, run_with_evidence, sha256_hex, unpack, PackageError,
};

async fn finished_run(runs: &Path) -> PathBuf {
    let m: Mission = serde_json::from_value(json!({
        "name": "Package Me",
        "outputs": ["report.md"],
        "steps": [
            {"id": "write", "step_type": "create_file",
             "parameters": {"path": "report.md", "content": "# Report\n"}},
        ]
    }))
    .unwrap();
    let (_, root) = run_with_evidence(
        &m,
        "sha256:abc",
        runs,
        RunOptions::new("/replaced"),
        CollectingSink::new(),
    )
    .await
    .unwrap();
    root
}

#[tokio::test]
async fn a_package_round_trips_every_file_with_its_hash() {
    let runs = tempfile::tempdir().unwrap();
    let folder = finished_run(runs.path()).await;
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("run.tar.gz");
    let manifest = package_run(&folder, &archive).unwrap();
    assert_eq!(manifest.status, studio_core::RunStatus::Completed);
    assert_eq!(
        manifest.folder,
        folder.file_name().unwrap().to_str().unwrap()
    );
    let files = list_files(&folder).unwrap();
    assert_eq!(
        manifest
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect::<Vec<_>>(),
        files
    );
    for name in [
        "meta.json",
        "mission.yaml",
        "events.jsonl",
        "outputs/report.md",
    ] {
        assert!(files.iter().any(|f| f == name), "{name} in {files:?}");
    }
    let report = std::fs::read(folder.join("outputs/report.md")).unwrap();
    let entry = manifest
        .files
        .iter()
        .find(|f| f.path == "outputs/report.md")
        .unwrap();
    assert_eq!(entry.sha256, sha256_hex(&report));

    let package = read_package(&archive).unwrap();
    assert_eq!(package.manifest, manifest);
    let elsewhere = tempfile::tempdir().unwrap();
    let unpacked = unpack(&package, elsewhere.path()).unwrap();
    for f in &files {
        assert_eq!(
            std::fs::read(unpacked.join(f)).unwrap(),
            std::fs::read(folder.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(unpacked.join("workspace").is_dir());
    let again = unpack(&package, elsewhere.path()).unwrap_err();
    assert!(
        matches!(again, PackageError::AlreadyThere { .. }),
        "{again}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary folder left: {leftovers:?}"
    );
}

#[tokio::test]
async fn a_changed_file_fails_the_hash_check() {
    let runs = tempfile::tempdir().unwrap();
    let folder = finished_run(runs.path()).await;
    let archive = runs.path().join("run.tar.gz");
    package_run(&folder, &archive).unwrap();
    // Rebuild the archive by hand with one byte of report.md changed: same sizes, other hash.
    let bytes = std::fs::read(&archive).unwrap();
    let mut tar = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(bytes.as_slice()),
        &mut tar,
    )
    .unwrap();
    let at = tar.windows(9).rposition(|w| w == b"# Report\n").unwrap();
    tar[at + 2] = b'r';
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    std::fs::write(&archive, gz.finish().unwrap()).unwrap();
    let err = read_package(&archive).unwrap_err();
    assert!(matches!(err, PackageError::HashMismatch(_)), "{err}");
    assert!(err.to_string().contains("report.md"), "{err}");
}

#[tokio::test]
async fn an_unfinished_run_is_not_packaged() {
    let runs = tempfile::tempdir().unwrap();
    let folder = finished_run(runs.path()).await;
    let meta_path = folder.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["status"] = json!("running");
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    let err = package_run(&folder, &runs.path().join("x.tar.gz")).unwrap_err();
    assert!(matches!(err, PackageError::Unfinished { .. }), "{err}");
    assert!(!runs.path().join("x.tar.gz").exists());
}

#[test]
fn a_file_that_is_not_a_package_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.tar.gz");
    std::fs::write(&path, b"not gzip at all").unwrap();
    assert!(read_package(&path).is_err());
}
