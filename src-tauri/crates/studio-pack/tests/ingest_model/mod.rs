//! A model of run packages (a manifest and the evidence folder's files in a gzip'd ustar
//! archive) that writes valid archives and every way of getting them wrong.

use proptest::prelude::*;
use serde_json::json;
use std::io::Write;
use studio_pack::sha256_hex;

const BLOCK: usize = 512;

/// The evidence folder's name in the manifest: plain, or one that climbs, hides or nests.
const FOLDERS: &[&str] = &[
    "20251231-1200__demo__report",
    "20251231-1200__demo__report",
    "20251231-1200__demo__report",
    "..",
    ".",
    "../up",
    "",
    "a/b",
    ".hidden",
    "a\\b",
    "💥__é",
    "/abs",
];

/// Plain paths inside the folder (`a/./b` names the same file as `a/b`).
const PLAIN: &[&str] = &[
    "meta.json",
    "mission.yaml",
    "events.jsonl",
    "outputs/answer.md",
    "evidence/raw/a.json",
    "a/b",
    "a/./b",
    "a/b/./c",
    "a/b/c",
    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5/6/7/8/9/deep-name-of-a-file-that-is-long.txt",
    "💥/é.txt",
];

/// Hostile paths inside the folder.
const HOSTILE: &[&str] = &[
    "./a/b",
    "a/.",
    "a//b",
    "a/",
    "",
    "..",
    "../escape.txt",
    "a/../../escape.txt",
    "/etc/escape.txt",
    "a\\..\\..\\escape.txt",
    ".hidden",
    "a\u{0}b",
];

/// Names outside the folder.
const STRAYS: &[&str] = &[
    "manifest.json",
    "../escape.txt",
    "/tmp/escape.txt",
    "other-folder/x",
    "20251231-1200__demo__report",
    "20251231-1200__demo__reportx/a",
    "",
];

/// One entry of the archive.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// The ustar type flag: `0` file, `5` folder, `1` hardlink, `2` symlink, ...
    pub kind: u8,
    pub link: String,
    pub data: Vec<u8>,
    /// A size field that lies about the data.
    pub declared: Option<u64>,
    pub bad_checksum: bool,
    /// How the manifest lists it.
    pub listed: Listed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Right,
    WrongHash,
    WrongSize,
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manifest {
    Good,
    Missing,
    Twice,
    NotJson,
    WrongFormat,
    NewerVersion,
    UnknownField,
    ListsAGhost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    Gzip,
    PlainTar,
    TruncatedGzip(usize),
}

/// A whole package as written.
#[derive(Debug, Clone)]
pub struct Archive {
    pub folder: String,
    pub entries: Vec<Entry>,
    pub manifest: Manifest,
    pub end_blocks: usize,
    pub truncate_tar: Option<usize>,
    pub wrapping: Wrapping,
}

fn entry(folder: String, clean: bool) -> impl Strategy<Value = Entry> {
    let (plain, hostile, stray) = if clean { (16, 1, 0) } else { (6, 3, 1) };
    let inside = folder.clone();
    let name = prop_oneof![
        plain => prop::sample::select(PLAIN).prop_map(move |p| format!("{folder}/{p}")),
        hostile => prop::sample::select(HOSTILE).prop_map(move |p| format!("{inside}/{p}")),
        stray => prop::sample::select(STRAYS).prop_map(String::from),
    ];
    let kind = prop_oneof![
        12 => Just(b'0'),
        1 => Just(0u8),
        1 => Just(b'5'),
        1 => Just(b'1'),
        1 => Just(b'2'),
        1 => prop::sample::select(&b"34679xgLK"[..]),
    ];
    let declared = prop_oneof![
        12 => Just(None),
        1 => prop::sample::select(&[0u64, 1, 511, 513, (1 << 31) - 1, 1 << 31, (1 << 33) - 1, 0o77777777777][..]).prop_map(Some),
    ];
    let listed = prop_oneof![
        12 => Just(Listed::Right),
        1 => Just(Listed::WrongHash),
        1 => Just(Listed::WrongSize),
        1 => Just(Listed::No),
    ];
    (
        name,
        kind,
        prop::sample::select(&["../../etc/passwd", "/etc/passwd", "meta.json", ""][..]),
        prop::collection::vec(any::<u8>(), 0..700),
        declared,
        prop::bool::weighted(0.03),
        listed,
    )
        .prop_map(
            move |(name, kind, link, data, declared, bad_checksum, listed)| {
                if clean {
                    Entry {
                        name,
                        kind: b'0',
                        link: String::new(),
                        data,
                        declared: None,
                        bad_checksum: false,
                        listed: Listed::Right,
                    }
                } else {
                    Entry {
                        name,
                        kind,
                        link: link.into(),
                        data,
                        declared,
                        bad_checksum,
                        listed,
                    }
                }
            },
        )
}

/// An archive: a third clean (only the names may be hostile), the rest with every fault.
pub fn archive() -> impl Strategy<Value = Archive> {
    (prop::sample::select(FOLDERS), prop::bool::weighted(0.35)).prop_flat_map(|(folder, clean)| {
        let folder = folder.to_string();
        let manifest = if clean {
            Just(Manifest::Good).boxed()
        } else {
            prop_oneof![
                8 => Just(Manifest::Good),
                1 => Just(Manifest::Missing),
                1 => Just(Manifest::Twice),
                1 => Just(Manifest::NotJson),
                1 => Just(Manifest::WrongFormat),
                1 => Just(Manifest::NewerVersion),
                1 => Just(Manifest::UnknownField),
                1 => Just(Manifest::ListsAGhost),
            ]
            .boxed()
        };
        let tail = if clean {
            (Just(2usize), Just(None), Just(Wrapping::Gzip)).boxed()
        } else {
            (
                prop_oneof![4 => Just(2usize), 1 => Just(0usize), 1 => Just(1usize)],
                prop::option::weighted(0.15, any::<usize>()),
                prop_oneof![
                    8 => Just(Wrapping::Gzip),
                    1 => Just(Wrapping::PlainTar),
                    1 => any::<usize>().prop_map(Wrapping::TruncatedGzip),
                ],
            )
                .boxed()
        };
        (
            Just(folder.clone()),
            prop::collection::vec(entry(folder, clean), 0..6),
            manifest,
            tail,
        )
            .prop_map(
                |(folder, entries, manifest, (end_blocks, truncate_tar, wrapping))| Archive {
                    folder,
                    entries,
                    manifest,
                    end_blocks,
                    truncate_tar,
                    wrapping,
                },
            )
    })
}

impl Archive {
    fn manifest_json(&self) -> Vec<u8> {
        let prefix = format!("{}/", self.folder);
        let mut files: Vec<serde_json::Value> = self
            .entries
            .iter()
            .filter(|e| e.listed != Listed::No && (e.kind == b'0' || e.kind == 0))
            .filter_map(|e| e.name.strip_prefix(&prefix).map(|rel| (rel, e)))
            .map(|(rel, e)| {
                let size = e.data.len() as u64 + u64::from(e.listed == Listed::WrongSize);
                let sha = if e.listed == Listed::WrongHash {
                    sha256_hex(b"other")
                } else {
                    sha256_hex(&e.data)
                };
                json!({"path": rel, "size": size, "sha256": sha})
            })
            .collect();
        if self.manifest == Manifest::ListsAGhost {
            files.push(json!({"path": "ghost.txt", "size": 0, "sha256": sha256_hex(b"")}));
        }
        let mut m = json!({
            "format": if self.manifest == Manifest::WrongFormat { "zip" } else { "mission-studio-run" },
            "format_version": if self.manifest == Manifest::NewerVersion { 99 } else { 1 },
            "run_id": "r-1",
            "mission_id": "m",
            "mission_name": "M",
            "status": "completed",
            "logic_hash": "sha256:0",
            "trace_id": "t",
            "folder": self.folder,
            "packaged_at": "2025-12-31T12:00:00.000Z",
            "app_version": "0.1.0",
            "files": files,
        });
        if self.manifest == Manifest::UnknownField {
            m["extra"] = json!(true);
        }
        if self.manifest == Manifest::NotJson {
            return b"{\"format\": \"mission-studio-run\", ".to_vec();
        }
        serde_json::to_vec_pretty(&m).unwrap()
    }

    /// The archive's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut tar = Vec::new();
        let manifest = Entry {
            name: "manifest.json".into(),
            kind: b'0',
            link: String::new(),
            data: self.manifest_json(),
            declared: None,
            bad_checksum: false,
            listed: Listed::No,
        };
        let copies = match self.manifest {
            Manifest::Missing => 0,
            Manifest::Twice => 2,
            _ => 1,
        };
        for _ in 0..copies {
            append(&mut tar, &manifest);
        }
        for e in &self.entries {
            append(&mut tar, e);
        }
        tar.extend(std::iter::repeat_n(0u8, BLOCK * self.end_blocks));
        if let Some(cut) = self.truncate_tar {
            tar.truncate(cut % (tar.len() + 1));
        }
        match self.wrapping {
            Wrapping::PlainTar => tar,
            Wrapping::Gzip | Wrapping::TruncatedGzip(_) => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(&tar).unwrap();
                let mut out = gz.finish().unwrap();
                if let Wrapping::TruncatedGzip(cut) = self.wrapping {
                    out.truncate(cut % (out.len() + 1));
                }
                out
            }
        }
    }
}

/// Writes one ustar entry, names split into prefix and name where they fit, cut where not.
fn append(tar: &mut Vec<u8>, e: &Entry) {
    let mut h = [0u8; BLOCK];
    let name = e.name.as_bytes();
    let (prefix, base) = match e.name.rfind('/') {
        Some(i) if name.len() > 100 && i <= 155 && name.len() - i - 1 <= 100 => {
            (&name[..i], &name[i + 1..])
        }
        _ => (&name[..0], &name[..name.len().min(100)]),
    };
    h[..base.len()].copy_from_slice(base);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], e.declared.unwrap_or(e.data.len() as u64));
    octal(&mut h[136..148], 0);
    h[156] = e.kind;
    let link = e.link.as_bytes();
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix);
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    octal(&mut h[148..155], sum + u64::from(e.bad_checksum));
    h[155] = b' ';
    tar.extend_from_slice(&h);
    let data = if e.kind == b'0' || e.kind == 0 {
        &e.data[..]
    } else {
        &[][..]
    };
    tar.extend_from_slice(data);
    tar.extend(std::iter::repeat_n(
        0u8,
        (BLOCK - data.len() % BLOCK) % BLOCK,
    ));
}

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let text = &text.as_bytes()[text.len().saturating_sub(digits)..];
    field[..text.len()].copy_from_slice(text);
    field[digits] = 0;
}
