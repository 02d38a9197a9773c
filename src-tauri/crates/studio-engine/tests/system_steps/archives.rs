//! `compress`: round trips in the three formats, and crafted archives that must extract nothing.

use super::*;
use std::io::Write;

#[tokio::test]
async fn zip_tar_gz_and_tar_round_trips_keep_files_modes_and_inner_links() {
    let ran = run_with(
        &[
            ("reports/summary.md", b"# Summary\nall good\n"),
            ("reports/data/q1.csv", b"month,total\njan,10\n"),
            ("reports/bin/run.sh", b"#!/bin/sh\necho run\n"),
            ("notes.txt", b"notes"),
        ],
        json!({"config": {"max_concurrent_steps": 1}, "steps": [
            {"id": "prep", "step_type": "command", "parameters": {"command": "sh", "args": ["-c",
                "chmod 755 reports/bin/run.sh && ln -s summary.md reports/latest && mkdir reports/empty"]}},
            {"id": "zip", "step_type": "compress", "depends_on": ["prep"],
             "parameters": {"source": "reports", "destination": "out/reports.zip"}},
            {"id": "tgz", "step_type": "compress", "depends_on": ["prep"],
             "parameters": {"operation": "create", "path": "reports", "output": "out/reports.tar.gz"}},
            {"id": "tar", "step_type": "compress", "depends_on": ["prep"],
             "parameters": {"source": "reports", "archive": "out/plain", "format": "tar"}},
            {"id": "bundle", "step_type": "compress", "depends_on": ["prep"],
             "parameters": {"files": ["reports/summary.md", "notes.txt"], "destination": "bundle.tgz"}},
            {"id": "unzip", "step_type": "compress", "depends_on": ["zip"],
             "parameters": {"action": "extract", "archive": "out/reports.zip", "destination": "from_zip"}},
            {"id": "untgz", "step_type": "compress", "depends_on": ["tgz"],
             "parameters": {"operation": "decompress", "source": "out/reports.tar.gz"}},
            {"id": "untar", "step_type": "compress", "depends_on": ["tar"],
             "parameters": {"action": "unpack", "source": "out/plain", "format": "tar", "destination": "from_tar"}},
            {"id": "unbundle", "step_type": "compress", "depends_on": ["bundle"],
             "parameters": {"action": "extract", "archive": "bundle.tgz"}},
        ]}),
        |o, _| o,
    )
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let zip = ran.output("zip");
    assert_eq!(zip["action"], "compress");
    assert_eq!(zip["format"], "zip");
    assert_eq!(zip["archive"], "out/reports.zip");
    assert_eq!(
        zip["files"],
        json!([
            "bin/",
            "bin/run.sh",
            "data/",
            "data/q1.csv",
            "empty/",
            "latest",
            "summary.md"
        ])
    );
    assert_eq!(zip["entries"], 7);
    assert_eq!(zip["bytes"], 19 * 3);
    assert_eq!(zip["truncated"], false);
    assert!(zip["archive_bytes"].as_u64().unwrap() > 0);
    assert_eq!(ran.output("tgz")["format"], "tar.gz");
    assert_eq!(ran.output("tar")["format"], "tar");
    assert_eq!(
        ran.output("bundle")["files"],
        json!(["reports/summary.md", "notes.txt"])
    );

    let ws = &ran.workspace;
    for (step, folder) in [
        ("unzip", "from_zip"),
        ("untgz", "out/reports"),
        ("untar", "from_tar"),
    ] {
        let out = ran.output(step);
        assert_eq!(out["action"], "extract");
        assert_eq!(out["destination"], folder, "{step}");
        assert_eq!(out["entries"], 7, "{step}");
        assert_eq!(out["bytes"], 19 * 3, "{step}");
        let root = ws.join(folder);
        assert_eq!(
            files_under(&root),
            [
                "bin",
                "bin/run.sh",
                "data",
                "data/q1.csv",
                "empty",
                "latest",
                "summary.md"
            ],
            "{step}"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("data/q1.csv")).unwrap(),
            "month,total\njan,10\n"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("bin/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755, "{step}: the executable bit is kept");
        assert_eq!(
            std::fs::read_link(root.join("latest")).unwrap(),
            PathBuf::from("summary.md"),
            "{step}: the inner link is a link again"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("latest")).unwrap(),
            "# Summary\nall good\n"
        );
    }
    assert_eq!(
        std::fs::read_to_string(ws.join("bundle/notes.txt")).unwrap(),
        "notes",
        "the default destination is named after the archive"
    );
    assert!(ws.join("bundle/reports/summary.md").is_file());
    let artifacts = ran.output("unzip");
    assert_eq!(artifacts["truncated"], false);
}

/// What a crafted archive holds.
enum Craft {
    File(&'static str, &'static [u8]),
    Dir(&'static str),
    Link(String, String),
    HardLink(String, String),
    Device(&'static str),
}

fn craft_zip(entries: &[Craft]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    for e in entries {
        match e {
            Craft::File(name, data) => {
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
            Craft::Dir(name) => w.add_directory(*name, options).unwrap(),
            Craft::Link(name, target) => w
                .add_symlink(name.as_str(), target.as_str(), options)
                .unwrap(),
            Craft::HardLink(..) | Craft::Device(_) => unreachable!("not in zip"),
        }
    }
    w.finish().unwrap().into_inner()
}

/// A tar.gz written header by header, so names no honest writer would produce can be planted.
fn craft_tgz(entries: &[Craft]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for e in entries {
        let (name, kind, link, data): (&str, tar::EntryType, Option<&str>, &[u8]) = match e {
            Craft::File(n, d) => (n, tar::EntryType::Regular, None, d),
            Craft::Dir(n) => (n, tar::EntryType::Directory, None, b""),
            Craft::Link(n, t) => (n, tar::EntryType::Symlink, Some(t), b""),
            Craft::HardLink(n, t) => (n, tar::EntryType::Link, Some(t), b""),
            Craft::Device(n) => (n, tar::EntryType::Char, None, b""),
        };
        let mut h = tar::Header::new_gnu();
        {
            let old = h.as_old_mut();
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(l) = link {
                old.linkname[..l.len()].copy_from_slice(l.as_bytes());
            }
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn crafted_zips_and_tar_gzs_extract_nothing_outside_the_workspace() {
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().display().to_string();
    let abs: &'static str = Box::leak(format!("{out}/evil").into_boxed_str());
    // (label, entries, what the error names)
    let cases: Vec<(&str, Vec<Craft>, &str)> = vec![
        (
            "dotdot",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::File("../../../evil", b"x"),
            ],
            "holds `..`",
        ),
        (
            "nested dotdot",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::File("a/../../evil", b"x"),
            ],
            "holds `..`",
        ),
        (
            "backslash",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::File("..\\..\\evil", b"x"),
            ],
            "holds `..`",
        ),
        (
            "absolute",
            vec![Craft::File("good.txt", b"ok"), Craft::File(abs, b"x")],
            "absolute name",
        ),
        (
            "drive",
            vec![Craft::File("good.txt", b"ok"), Craft::File("C:/evil", b"x")],
            "drive prefix",
        ),
        (
            "link out, then a file through it",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::Link("link".into(), out.clone()),
                Craft::File("link/evil", b"x"),
            ],
            "leads outside the destination",
        ),
        (
            "relative link out",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::Link("up".into(), "../../..".into()),
                Craft::File("up/evil", b"x"),
            ],
            "leads outside the destination",
        ),
        (
            "a file through an inner link",
            vec![
                Craft::Dir("sub/"),
                Craft::Link("inner".into(), "sub".into()),
                Craft::File("inner/evil", b"x"),
            ],
            "through the link `inner`",
        ),
    ];
    let tar_only: Vec<(&str, Vec<Craft>, &str)> = vec![
        (
            "hard link out",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::HardLink("h".into(), "../../../etc/passwd".into()),
            ],
            "hard link",
        ),
        (
            "hard link absolute",
            vec![
                Craft::File("good.txt", b"ok"),
                Craft::HardLink("h".into(), "/etc/passwd".into()),
            ],
            "hard link",
        ),
        (
            "device",
            vec![Craft::File("good.txt", b"ok"), Craft::Device("dev/tty0")],
            "device",
        ),
    ];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut steps = Vec::new();
    let mut expect = Vec::new();
    for (i, (label, entries, why)) in cases.iter().enumerate() {
        for (ext, bytes) in [("zip", craft_zip(entries)), ("tar.gz", craft_tgz(entries))] {
            let id = format!("c{i}_{}", ext.replace('.', "_"));
            files.push((format!("in/{id}.{ext}"), bytes));
            steps.push(json!({"id": id, "step_type": "compress",
                "parameters": {"action": "extract", "archive": format!("in/{id}.{ext}"), "destination": format!("x/{id}")}}));
            expect.push((id, label.to_string(), why.to_string()));
        }
    }
    for (i, (label, entries, why)) in tar_only.iter().enumerate() {
        let id = format!("t{i}");
        files.push((format!("in/{id}.tgz"), craft_tgz(entries)));
        steps.push(json!({"id": id, "step_type": "compress",
            "parameters": {"action": "extract", "archive": format!("in/{id}.tgz"), "destination": format!("x/{id}")}}));
        expect.push((id, label.to_string(), why.to_string()));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let ran = run_steps(&refs, Value::Array(steps)).await;
    for (id, label, why) in &expect {
        let (error, _) = ran.failure(id);
        assert!(error.contains("is refused"), "{label} ({id}): {error}");
        assert!(
            error.contains(why.as_str()),
            "{label} ({id}) names why: {error}"
        );
        assert!(error.contains("nothing was extracted"), "{label}: {error}");
        assert_eq!(
            files_under(&ran.workspace.join("x").join(id)),
            Vec::<String>::new(),
            "{label} ({id}): nothing at all was extracted, not even good.txt"
        );
    }
    assert_eq!(
        files_under(outside.path()),
        Vec::<String>::new(),
        "nothing was written outside"
    );
    let parent = ran.dir.path();
    assert_eq!(
        files_under(parent)
            .iter()
            .filter(|f| f.ends_with("evil"))
            .count(),
        0
    );
    assert!(!Path::new("/evil").exists() && !Path::new("/tmp/evil").exists());
}

#[tokio::test]
async fn a_link_planted_in_the_destination_cannot_lead_a_write_outside() {
    let outside = tempfile::tempdir().unwrap();
    let archive = craft_tgz(&[Craft::Dir("planted/"), Craft::File("planted/evil", b"x")]);
    let ran = run_with(
        &[("drop.tgz", &archive)],
        json!({"steps": [{"id": "x", "step_type": "compress",
            "parameters": {"action": "extract", "archive": "drop.tgz", "destination": "dest"}}]}),
        |o, ws| {
            std::fs::create_dir_all(ws.join("dest")).unwrap();
            std::os::unix::fs::symlink(outside.path(), ws.join("dest/planted")).unwrap();
            o
        },
    )
    .await;
    let (error, _) = ran.failure("x");
    assert!(
        error.contains("`planted` is a link already in `dest`")
            && error.contains("nothing was extracted"),
        "{error}"
    );
    assert_eq!(files_under(outside.path()), Vec::<String>::new());
}

#[tokio::test]
async fn size_and_count_caps_refuse_bombs_and_bad_archives_fail_clearly() {
    let zeros: &'static [u8] = Box::leak(vec![0u8; 4 * 1024 * 1024].into_boxed_slice());
    let bomb = craft_zip(&[Craft::File("zeros.bin", zeros)]);
    assert!(bomb.len() < 64 * 1024, "the bomb is small: {}", bomb.len());
    let many = craft_tgz(&[
        Craft::File("a", b"1"),
        Craft::File("b", b"2"),
        Craft::File("c", b"3"),
    ]);
    let ran = run_steps(
        &[("bomb.zip", &bomb), ("many.tar.gz", &many), ("fake.zip", b"not a zip at all"), ("keep/a", b"old")],
        json!([
            {"id": "bomb", "step_type": "compress", "parameters": {"action": "extract", "archive": "bomb.zip", "max_bytes": 1048576}},
            {"id": "many", "step_type": "compress", "parameters": {"action": "extract", "archive": "many.tar.gz", "max_entries": 2}},
            {"id": "fake", "step_type": "compress", "parameters": {"action": "extract", "archive": "fake.zip"}},
            {"id": "noext", "step_type": "compress", "parameters": {"source": "keep", "destination": "backup"}},
            {"id": "keep_old", "step_type": "compress", "parameters": {"action": "extract", "archive": "many.tar.gz", "destination": "keep", "overwrite": false}},
            {"id": "pack_cap", "step_type": "compress", "parameters": {"source": "bomb.zip", "destination": "b.zip", "max_bytes": 10}},
            {"id": "missing", "step_type": "compress", "parameters": {"action": "extract", "archive": "nope.zip"}},
        ]),
    )
    .await;
    let (error, _) = ran.failure("bomb");
    assert!(error.contains("max_bytes"), "{error}");
    assert!(
        !ran.workspace.join("bomb").exists(),
        "nothing was extracted"
    );
    let (error, _) = ran.failure("many");
    assert!(error.contains("max_entries"), "{error}");
    let (error, _) = ran.failure("fake");
    assert!(error.contains("not a readable zip archive"), "{error}");
    let (error, _) = ran.failure("noext");
    assert!(error.contains("add `format: zip`"), "{error}");
    let (error, _) = ran.failure("keep_old");
    assert!(
        error.contains("`a` exists") && error.contains("nothing was extracted"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(ran.workspace.join("keep/a")).unwrap(),
        "old"
    );
    assert!(!ran.workspace.join("keep/b").exists());
    let (error, _) = ran.failure("pack_cap");
    assert!(error.contains("max_bytes"), "{error}");
    assert!(!ran.workspace.join("b.zip").exists());
    let (error, _) = ran.failure("missing");
    assert!(error.contains("nope.zip"), "{error}");
}

#[tokio::test]
async fn packing_refuses_links_out_and_leaves_the_archive_out_of_itself() {
    let outside = tempfile::tempdir().unwrap();
    let out_dir = outside.path().display().to_string();
    let ran = run_with(
        &[
            ("data/a.txt", b"a"),
            ("data/sub/b.txt", b"b"),
            ("leaky/ok.txt", b"ok"),
        ],
        json!({"config": {"max_concurrent_steps": 1, "fail_fast": false}, "steps": [
            {"id": "links", "step_type": "command", "parameters": {"command": "sh", "args": ["-c",
                format!("ln -s {out_dir} leaky/out && ln -s ../data leaky/up")]}},
            {"id": "leaky", "step_type": "compress", "depends_on": ["links"], "continue_on_error": true,
             "parameters": {"source": "leaky", "destination": "leaky.tgz"}},
            {"id": "unlink", "step_type": "command", "depends_on": ["leaky"],
             "parameters": {"command": "rm", "args": ["leaky/out"]}},
            {"id": "all", "step_type": "compress", "depends_on": ["unlink"],
             "parameters": {"files": ["."], "destination": "data/all.zip"}},
            {"id": "again", "step_type": "compress", "depends_on": ["all"],
             "parameters": {"source": "data", "destination": "data/all.zip", "overwrite": false}},
            {"id": "twice", "step_type": "compress", "depends_on": ["all"],
             "parameters": {"action": "extract", "archive": "data/all.zip", "destination": "copy"}},
            {"id": "thrice", "step_type": "compress", "depends_on": ["twice"],
             "parameters": {"action": "extract", "archive": "data/all.zip", "destination": "copy"}},
        ]}),
        |o, _| o,
    )
    .await;
    let (error, _) = ran.failure("leaky");
    assert!(
        error.contains("`leaky/out` is a symlink that leads outside what is packed"),
        "{error}"
    );
    assert!(
        !ran.workspace.join("leaky.tgz").exists(),
        "no partial archive is left"
    );
    let all = ran.output("all");
    let names = all["files"].as_array().unwrap();
    assert!(
        names.contains(&json!("data/a.txt")) && names.contains(&json!("data/sub/b.txt")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.as_str().unwrap().contains("all.zip")),
        "the archive is not packed into itself: {names:?}"
    );
    let (error, _) = ran.failure("again");
    assert!(error.contains("exists and `overwrite` is false"), "{error}");
    assert_eq!(
        ran.output("thrice")["entries"],
        ran.output("twice")["entries"],
        "extracting again overwrites"
    );
    assert_eq!(
        std::fs::read_to_string(ran.workspace.join("copy/data/sub/b.txt")).unwrap(),
        "b"
    );
    assert_eq!(files_under(outside.path()), Vec::<String>::new());
}
