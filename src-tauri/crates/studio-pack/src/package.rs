//! Portable run packages: a finished run's evidence folder in one `.tar.gz`, with a manifest
//! that lists every file with its size and SHA-256 (`mission package`), and the verified
//! reverse (`mission ingest`).
//!
//! Layout of the archive (POSIX ustar, gzip-compressed):
//!
//! ```text
//! manifest.json                 {format, format_version, run_id, mission_id, mission_name,
//!                                status, logic_hash, trace_id, folder, packaged_at,
//!                                app_version, files: [{path, size, sha256}]}
//! <folder>/meta.json            the evidence folder, under its own name
//! <folder>/...
//! ```
//!
//! Unpacking trusts nothing: only regular files and directories under `<folder>/` with plain
//! relative names are accepted (no `..`, no absolute paths, no links), sizes are capped, every
//! file must be in the manifest with the same size and hash, and every manifest entry must be
//! there. The folder is extracted next to its destination under a temporary name and renamed
//! into place only once everything checked out.

use crate::meta::Meta;
use chrono::Utc;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

/// The `format` of a package manifest.
pub const PACKAGE_FORMAT: &str = "mission-studio-run";
/// The manifest version this build writes and reads.
pub const PACKAGE_FORMAT_VERSION: u32 = 1;
/// The manifest's name inside the archive.
pub const MANIFEST: &str = "manifest.json";
/// Largest package content accepted when unpacking (sum of file sizes).
pub const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Most files a package may hold.
pub const MAX_FILES: usize = 200_000;

/// What `manifest.json` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    pub status: studio_core::RunStatus,
    pub logic_hash: String,
    pub trace_id: String,
    /// The evidence folder's name (`<YYYYMMDD-HHMM>__<project>__<slug>`).
    pub folder: String,
    pub packaged_at: String,
    pub app_version: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Relative to the folder, `/`-separated.
    pub path: String,
    pub size: u64,
    /// `sha256:<hex>`.
    pub sha256: String,
}

/// Why a run could not be packaged or unpacked.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an evidence folder: {reason}", path.display())]
    NotEvidence { path: PathBuf, reason: String },
    #[error("run {run_id} is still {status}; only a finished run can be packaged")]
    Unfinished { run_id: String, status: String },
    #[error("{} holds {what}, which a package may not contain", path.display())]
    Unsupported { path: PathBuf, what: String },
    #[error("the package is not valid: {0}")]
    Invalid(String),
    #[error("the package is damaged: {0}")]
    HashMismatch(String),
    #[error("{} already exists; the run was ingested before", path.display())]
    AlreadyThere { path: PathBuf },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Reads an evidence folder's `meta.json`.
pub fn read_meta(folder: &Path) -> Result<Meta, PackageError> {
    let path = folder.join("meta.json");
    let text = std::fs::read_to_string(&path).map_err(|e| PackageError::NotEvidence {
        path: folder.to_path_buf(),
        reason: format!("cannot read meta.json: {e}"),
    })?;
    serde_json::from_str(&text).map_err(|e| PackageError::NotEvidence {
        path: folder.to_path_buf(),
        reason: format!("meta.json is not valid: {e}"),
    })
}

/// The files of a folder, relative and `/`-separated, sorted; links and other special files
/// are refused, temporary files of interrupted writes skipped.
pub fn list_files(folder: &Path) -> Result<Vec<String>, PackageError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = folder.join(&rel);
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io(&path))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(PackageError::Unsupported {
                    path,
                    what: "a name that is not UTF-8".into(),
                });
            };
            let child = rel.join(name);
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                if name.starts_with('.') && name.contains(".tmp-") {
                    continue;
                }
                let parts: Vec<&str> = child
                    .components()
                    .filter_map(|c| c.as_os_str().to_str())
                    .collect();
                out.push(parts.join("/"));
            } else {
                return Err(PackageError::Unsupported {
                    path,
                    what: "a link or special file".into(),
                });
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The manifest of a finished run's evidence folder (hashes every file).
pub fn manifest_of(folder: &Path) -> Result<Manifest, PackageError> {
    let meta = read_meta(folder)?;
    if !meta.status.is_final() {
        return Err(PackageError::Unfinished {
            run_id: meta.run_id,
            status: meta.status.as_str().to_string(),
        });
    }
    let name = folder
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| safe_name(n))
        .ok_or_else(|| PackageError::NotEvidence {
            path: folder.to_path_buf(),
            reason: "its name is not a plain folder name".into(),
        })?
        .to_string();
    let mut files = Vec::new();
    for rel in list_files(folder)? {
        let path = folder.join(&rel);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        files.push(ManifestFile {
            sha256: sha256_hex(&bytes),
            size: bytes.len() as u64,
            path: rel,
        });
    }
    Ok(Manifest {
        format: PACKAGE_FORMAT.into(),
        format_version: PACKAGE_FORMAT_VERSION,
        run_id: meta.run_id,
        mission_id: meta.mission_id,
        mission_name: meta.mission_name,
        status: meta.status,
        logic_hash: meta.logic_hash,
        trace_id: meta.trace_id,
        folder: name,
        packaged_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        app_version: studio_core::VERSION.into(),
        files,
    })
}

/// Packs a finished run's evidence folder into `out` (a `.tar.gz`, written atomically) and
/// returns its manifest. Refuses a run that has not ended.
pub fn package_run(folder: &Path, out: &Path) -> Result<Manifest, PackageError> {
    let manifest = manifest_of(folder)?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let written = (|| -> Result<(), PackageError> {
        let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        let mut gz = GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::default(),
        );
        let mtime = chrono::DateTime::parse_from_rfc3339(&manifest.packaged_at)
            .map(|t| t.timestamp().max(0) as u64)
            .unwrap_or(0);
        let text = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| PackageError::Invalid(e.to_string()))?;
        ustar::append(&mut gz, MANIFEST, &text, mtime).map_err(io(out))?;
        for f in &manifest.files {
            let path = folder.join(&f.path);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            if sha256_hex(&bytes) != f.sha256 {
                return Err(PackageError::Invalid(format!(
                    "{} changed while it was packaged",
                    path.display()
                )));
            }
            let name = format!("{}/{}", manifest.folder, f.path);
            ustar::append(&mut gz, &name, &bytes, mtime).map_err(io(out))?;
        }
        ustar::finish(&mut gz).map_err(io(out))?;
        let file = gz
            .finish()
            .map_err(io(out))?
            .into_inner()
            .map_err(|e| PackageError::Io {
                path: out.to_path_buf(),
                source: e.into_error(),
            })?;
        file.sync_all().map_err(io(out))?;
        std::fs::rename(&tmp, out).map_err(io(out))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| manifest)
}

/// A package read and checked in memory: its manifest and the folder's files.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub manifest: Manifest,
    /// `(path relative to the folder, content)`, in the manifest's order.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads a package and checks it against its manifest: every file present, nothing extra,
/// sizes and SHA-256 equal.
pub fn read_package(archive: &Path) -> Result<Package, PackageError> {
    let file = std::fs::File::open(archive).map_err(io(archive))?;
    let mut reader = GzDecoder::new(std::io::BufReader::new(file));
    let entries =
        ustar::read_all(&mut reader, MAX_UNPACKED_BYTES, MAX_FILES + 1).map_err(|e| match e {
            ustar::ReadError::Io(source) => PackageError::Io {
                path: archive.to_path_buf(),
                source,
            },
            ustar::ReadError::Invalid(m) => PackageError::Invalid(m),
        })?;
    let mut manifest: Option<Manifest> = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in entries {
        if name == MANIFEST {
            if manifest.is_some() {
                return Err(PackageError::Invalid("two manifest.json entries".into()));
            }
            manifest = Some(serde_json::from_slice(&bytes).map_err(|e| {
                PackageError::Invalid(format!("manifest.json is not a package manifest: {e}"))
            })?);
        } else {
            files.push((name, bytes));
        }
    }
    let manifest = manifest.ok_or_else(|| {
        PackageError::Invalid("no manifest.json: this is not a run package".into())
    })?;
    if manifest.format != PACKAGE_FORMAT || manifest.format_version > PACKAGE_FORMAT_VERSION {
        return Err(PackageError::Invalid(format!(
            "format {} version {} (this build reads {PACKAGE_FORMAT} up to version \
             {PACKAGE_FORMAT_VERSION})",
            manifest.format, manifest.format_version
        )));
    }
    if !safe_name(&manifest.folder) {
        return Err(PackageError::Invalid(format!(
            "folder `{}` is not a plain folder name",
            manifest.folder
        )));
    }
    let prefix = format!("{}/", manifest.folder);
    let mut by_path = std::collections::BTreeMap::new();
    for (name, bytes) in files {
        let Some(rel) = name.strip_prefix(&prefix) else {
            return Err(PackageError::Invalid(format!(
                "`{name}` is outside the folder `{}`",
                manifest.folder
            )));
        };
        if !safe_relative(rel) {
            return Err(PackageError::Invalid(format!(
                "`{name}` is not a plain relative path"
            )));
        }
        if by_path.insert(rel.to_string(), bytes).is_some() {
            return Err(PackageError::Invalid(format!("`{name}` appears twice")));
        }
    }
    let mut ordered = Vec::with_capacity(manifest.files.len());
    for f in &manifest.files {
        let Some(bytes) = by_path.remove(&f.path) else {
            return Err(PackageError::HashMismatch(format!(
                "`{}` is in the manifest but not in the archive",
                f.path
            )));
        };
        if bytes.len() as u64 != f.size || sha256_hex(&bytes) != f.sha256 {
            return Err(PackageError::HashMismatch(format!(
                "`{}` does not match its size or SHA-256 in the manifest",
                f.path
            )));
        }
        ordered.push((f.path.clone(), bytes));
    }
    if let Some(extra) = by_path.keys().next() {
        return Err(PackageError::HashMismatch(format!(
            "`{extra}` is in the archive but not in the manifest"
        )));
    }
    Ok(Package {
        manifest,
        files: ordered,
    })
}

/// Writes a checked package's folder into `runs_dir` (under a temporary name, then renamed)
/// and returns where it is. Refuses when a folder of that name exists.
pub fn unpack(package: &Package, runs_dir: &Path) -> Result<PathBuf, PackageError> {
    let target = runs_dir.join(&package.manifest.folder);
    if target.exists() {
        return Err(PackageError::AlreadyThere { path: target });
    }
    std::fs::create_dir_all(runs_dir).map_err(io(runs_dir))?;
    let tmp = runs_dir.join(format!(
        ".{}.ingest-{}",
        package.manifest.folder,
        std::process::id()
    ));
    let written = (|| -> Result<(), PackageError> {
        for (rel, bytes) in &package.files {
            let path = tmp.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        // The standard subfolders exist even when empty (an archive holds files only).
        for sub in ["workspace", "outputs", "evidence", "evidence/raw"] {
            let dir = tmp.join(sub);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        if target.exists() {
            return Err(PackageError::AlreadyThere {
                path: target.clone(),
            });
        }
        std::fs::rename(&tmp, &target).map_err(io(&target))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    written.map(|()| target)
}

/// A folder or file name with no separator, not `.`/`..`, not hidden.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255
}

/// A relative `/`-separated path of plain names. `.` segments are refused too: `a/./b` would
/// name the same file as `a/b` and slip past the check for files that appear twice.
fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != ".." && part != ".")
}

/// The part of POSIX ustar this needs: regular files (and skipped directory entries), names up
/// to 255 bytes (prefix + name), sizes up to 8 GiB.
mod ustar {
    use std::io::{Read, Write};

    const BLOCK: usize = 512;

    pub(super) fn append(
        out: &mut impl Write,
        name: &str,
        data: &[u8],
        mtime: u64,
    ) -> std::io::Result<()> {
        let mut h = [0u8; BLOCK];
        let (prefix, base) = split_name(name).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the path `{name}` is too long for the archive"),
            )
        })?;
        h[..base.len()].copy_from_slice(base.as_bytes());
        octal(&mut h[100..108], 0o644);
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], data.len() as u64);
        octal(&mut h[136..148], mtime);
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        octal(&mut h[148..155], u64::from(sum));
        h[155] = b' ';
        out.write_all(&h)?;
        out.write_all(data)?;
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        out.write_all(&[0u8; BLOCK][..pad])
    }

    pub(super) fn finish(out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&[0u8; BLOCK * 2])
    }

    /// `(prefix, name)` with `name` ≤ 100 bytes and `prefix` ≤ 155, split at a `/`.
    fn split_name(path: &str) -> Option<(&str, &str)> {
        if path.len() <= 100 {
            return Some(("", path));
        }
        path.char_indices()
            .filter(|&(_, c)| c == '/')
            .map(|(i, _)| (&path[..i], &path[i + 1..]))
            .find(|(p, n)| p.len() <= 155 && n.len() <= 100 && !n.is_empty())
    }

    /// Writes `value` as zero-padded octal filling the field but its last byte (a NUL).
    fn octal(field: &mut [u8], value: u64) {
        let digits = field.len() - 1;
        let text = format!("{value:0digits$o}");
        field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
        field[digits] = 0;
    }

    pub(super) enum ReadError {
        Io(std::io::Error),
        Invalid(String),
    }

    impl From<std::io::Error> for ReadError {
        fn from(e: std::io::Error) -> Self {
            Self::Io(e)
        }
    }

    fn parse_octal(field: &[u8]) -> Result<u64, ReadError> {
        let text: String = field
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect();
        let text = text.trim();
        if text.is_empty() {
            return Ok(0);
        }
        u64::from_str_radix(text, 8)
            .map_err(|_| ReadError::Invalid(format!("bad number `{text}` in a header")))
    }

    fn text(field: &[u8]) -> Result<String, ReadError> {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        String::from_utf8(field[..end].to_vec())
            .map_err(|_| ReadError::Invalid("an entry name is not UTF-8".into()))
    }

    /// Every regular file `(name, content)`, in archive order. Directories are skipped; links
    /// and other entry types refused; sizes and counts capped.
    pub(super) fn read_all(
        input: &mut impl Read,
        max_bytes: u64,
        max_entries: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        let mut out = Vec::new();
        let mut total = 0u64;
        let mut h = [0u8; BLOCK];
        loop {
            if let Err(e) = input.read_exact(&mut h) {
                return Err(if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    ReadError::Invalid("the archive ends early (truncated?)".into())
                } else {
                    ReadError::Io(e)
                });
            }
            if h.iter().all(|&b| b == 0) {
                return Ok(out);
            }
            let stored = parse_octal(&h[148..156])?;
            let sum: u64 = h
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u64::from(b)
                    }
                })
                .sum();
            if stored != sum {
                return Err(ReadError::Invalid("a header's checksum is wrong".into()));
            }
            let name = text(&h[..100])?;
            let prefix = if &h[257..262] == b"ustar" {
                text(&h[345..500])?
            } else {
                String::new()
            };
            let name = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let size = parse_octal(&h[124..136])?;
            total = total.saturating_add(size);
            if total > max_bytes {
                return Err(ReadError::Invalid(format!(
                    "the content exceeds {max_bytes} bytes"
                )));
            }
            match h[156] {
                b'0' | 0 => {
                    if out.len() >= max_entries {
                        return Err(ReadError::Invalid(format!("more than {max_entries} files")));
                    }
                    // Grows with what is really there: a header may declare gigabytes.
                    let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
                    let read = (&mut *input).take(size).read_to_end(&mut data);
                    if read.is_err() || (data.len() as u64) < size {
                        return Err(ReadError::Invalid(
                            "the archive ends inside a file (truncated?)".into(),
                        ));
                    }
                    skip_padding(input, size)?;
                    out.push((name, data));
                }
                b'5' if size == 0 => {}
                other => {
                    return Err(ReadError::Invalid(format!(
                        "`{name}` is an entry of type `{}` (links and special files are refused)",
                        other as char
                    )))
                }
            }
        }
    }

    fn skip_padding(input: &mut impl Read, size: u64) -> Result<(), ReadError> {
        let pad = (BLOCK - (size as usize) % BLOCK) % BLOCK;
        let mut buf = [0u8; BLOCK];
        input
            .read_exact(&mut buf[..pad])
            .map_err(|_| ReadError::Invalid("the archive ends early (truncated?)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_checked() {
        assert!(safe_name("20251231-1200__default__x"));
        assert!(!safe_name(".."));
        assert!(!safe_name("a/b"));
        assert!(safe_relative("evidence/raw/a.json"));
        assert!(!safe_relative("../x"));
        assert!(!safe_relative("/etc/passwd"));
        assert!(!safe_relative("a//b"));
        assert!(!safe_relative("a/./b"), "the same file as a/b");
        assert!(!safe_relative("a/."));
    }

    #[test]
    fn ustar_round_trips_long_names() {
        let mut buf = Vec::new();
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        ustar::append(&mut buf, "a.txt", b"hello", 0).unwrap();
        ustar::append(&mut buf, &long, &[7u8; 1000], 0).unwrap();
        ustar::finish(&mut buf).unwrap();
        let entries = match ustar::read_all(&mut buf.as_slice(), 1 << 20, 10) {
            Ok(e) => e,
            Err(_) => panic!("read failed"),
        };
        assert_eq!(entries[0], ("a.txt".to_string(), b"hello".to_vec()));
        assert_eq!(entries[1].0, long);
        assert_eq!(entries[1].1.len(), 1000);
    }

    #[test]
    fn a_truncated_archive_is_refused() {
        let mut buf = Vec::new();
        ustar::append(&mut buf, "a.txt", &[1u8; 700], 0).unwrap();
        buf.truncate(800);
        assert!(ustar::read_all(&mut buf.as_slice(), 1 << 20, 10).is_err());
    }
}
