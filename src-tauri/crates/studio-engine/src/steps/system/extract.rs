//! `compress` with `action: extract`: unpacks a zip, tar.gz or tar archive into a workspace
//! folder, refusing any archive that would write outside it.
//!
//! Every entry is checked before anything is written (an archive is read twice: once to
//! check, once to unpack). The whole archive is refused, naming the first bad entry, when:
//! - a name is absolute, has a drive prefix (`C:`), holds `..`, a NUL, or is not UTF-8 (a `\`
//!   counts as a separator, so `..\evil` is caught too);
//! - a symlink's target is absolute or leads above the destination; a hard link's target is not
//!   an earlier file of the archive;
//! - an entry would be written through a link of the archive (`link/evil` after `link`);
//! - an entry is a device, a FIFO, a socket or an encrypted zip entry;
//! - there are more than `max_entries` entries, or their declared sizes add up to more than
//!   `max_bytes` (and no entry may hold more than it declares: a zip bomb stops there);
//! - with `overwrite: false`, an entry's path already exists.
//!
//! Unpacking then goes through a capability on the destination folder (cap-std): even a link
//! planted there beforehand cannot lead a write outside it. Links are made last. File modes keep
//! their permission bits (never setuid, setgid or sticky; always readable and writable by the
//! owner).

use super::compress::{Format, Limits, LISTED};
use crate::steps::workspace::{display, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use cap_std::fs::{Dir, OpenOptions, Permissions, PermissionsExt};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::path::{Component, Path, PathBuf};

/// Most extracted files listed as artifacts (each one is an event).
const MAX_ARTIFACTS: usize = 1000;
/// Longest symlink target read from a zip entry.
const MAX_LINK: u64 = 4096;

/// What an entry is, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    File { size: u64, mode: Option<u32> },
    Dir,
    Symlink(String),
    Hardlink(PathBuf),
}

/// A checked entry: its clean path under the destination.
#[derive(Debug, Clone)]
struct Planned {
    path: PathBuf,
    kind: Kind,
}

pub(crate) async fn run(
    archive: PathBuf,
    destination: PathBuf,
    format: Format,
    limits: Limits,
    overwrite: bool,
    ctx: &StepCtx,
) -> Result<StepOutput, Failure> {
    let (archive_shown, dest_shown) = (display(&archive), display(&destination));
    let dest_rel = destination.clone();
    let (plan, bytes, archive_bytes) = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &destination)?;
        refuse_escaping_link(dir, &archive)?;
        let file = dir
            .open(&archive)
            .map_err(|e| io_failure("read", &archive, e))?
            .into_std();
        let archive_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let shown = archive.display().to_string();
        let plan = match format {
            Format::Zip => plan_zip(&file, limits, &shown)?,
            Format::TarGz | Format::Tar => plan_tar(tar_reader(&file, format)?, limits, &shown)?,
        };
        dir.create_dir_all(&destination)
            .map_err(|e| io_failure("create the folder", &destination, e))?;
        let dest = dir
            .open_dir(&destination)
            .map_err(|e| io_failure("open", &destination, e))?;
        refuse_links_on_disk(&dest, &plan, &destination)?;
        if !overwrite {
            if let Some(p) = plan
                .iter()
                .find(|p| p.kind != Kind::Dir && dest.symlink_metadata(&p.path).is_ok())
            {
                return Err(Failure::new(format!(
                    "`{}` exists in `{}` and `overwrite` is false; nothing was extracted",
                    p.path.display(),
                    destination.display()
                )));
            }
        }
        let mut rewound = file;
        rewound
            .rewind()
            .map_err(|e| io_failure("read", &archive, e))?;
        let bytes = match format {
            Format::Zip => unpack_zip(&rewound, &plan, &dest, &shown)?,
            Format::TarGz | Format::Tar => {
                unpack_tar(tar_reader(&rewound, format)?, &plan, &dest, &shown)?
            }
        };
        make_links(&plan, &dest)?;
        Ok((plan, bytes, archive_bytes))
    })
    .await?;
    let names: Vec<String> = plan
        .iter()
        .map(|p| match p.kind {
            Kind::Dir => format!("{}/", display(&p.path)),
            _ => display(&p.path),
        })
        .collect();
    let mut out = StepOutput::new(json!({
        "action": "extract",
        "format": format.name(),
        "archive": archive_shown,
        "destination": dest_shown,
        "entries": plan.len(),
        "bytes": bytes,
        "archive_bytes": archive_bytes,
        "files": names.iter().take(LISTED).collect::<Vec<_>>(),
        "truncated": names.len() > LISTED,
    }));
    for p in plan.iter().filter(|p| matches!(p.kind, Kind::File { .. })) {
        if out.artifacts.len() >= MAX_ARTIFACTS {
            break;
        }
        out.artifacts.push(display(&dest_rel.join(&p.path)));
    }
    Ok(out)
}

fn refuse(archive: &str, entry: &str, why: &str) -> Failure {
    Failure::new(format!(
        "`{archive}` is refused: entry `{entry}` {why}; nothing was extracted"
    ))
}

/// A name as a clean relative path (`None`: the archive's root itself, e.g. `./`).
fn clean_name(raw: &[u8], archive: &str) -> Result<Option<PathBuf>, Failure> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let name = std::str::from_utf8(raw)
        .map_err(|_| refuse(archive, &shown, "has a name that is not UTF-8"))?;
    if name.contains('\0') {
        return Err(refuse(archive, &shown, "has a NUL in its name"));
    }
    let unified = name.replace('\\', "/");
    if unified.starts_with('/') {
        return Err(refuse(archive, &shown, "has an absolute name"));
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(refuse(archive, &shown, "has a drive prefix"));
    }
    let mut clean = PathBuf::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(refuse(archive, &shown, "holds `..`")),
            other => clean.push(other),
        }
    }
    Ok((!clean.as_os_str().is_empty()).then_some(clean))
}

/// Whether a symlink at `link` pointing at `target` stays inside the destination.
fn link_stays_inside(link: &Path, target: &str) -> bool {
    let target = target.replace('\\', "/");
    if target.is_empty() || target.starts_with('/') || target.contains('\0') {
        return false;
    }
    let tb = target.as_bytes();
    if tb.len() >= 2 && tb[0].is_ascii_alphabetic() && tb[1] == b':' {
        return false;
    }
    let mut depth: Vec<Component> = link
        .parent()
        .unwrap_or(Path::new(""))
        .components()
        .collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            other => depth.push(Component::Normal(std::ffi::OsStr::new(other))),
        }
    }
    true
}

/// Checks the entries in archive order and returns the plan; `entries` gives each entry's raw
/// name, its kind as read, and how to describe it.
struct Checker<'a> {
    archive: &'a str,
    limits: Limits,
    total: u64,
    plan: Vec<Planned>,
    links: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
}

impl<'a> Checker<'a> {
    fn new(archive: &'a str, limits: Limits) -> Self {
        Self {
            archive,
            limits,
            total: 0,
            plan: Vec::new(),
            links: HashSet::new(),
            files: HashSet::new(),
        }
    }

    fn add(&mut self, raw: &[u8], kind: Kind) -> Result<(), Failure> {
        let shown = String::from_utf8_lossy(raw).into_owned();
        let refuse = |why: &str| refuse(self.archive, &shown, why);
        if self.plan.len() as u64 >= self.limits.max_entries {
            return Err(Failure::new(format!(
                "`{}` is refused: it has more than `max_entries` ({}) entries; nothing was extracted",
                self.archive, self.limits.max_entries
            )));
        }
        let Some(path) = clean_name(raw, self.archive)? else {
            return match kind {
                Kind::Dir => Ok(()),
                _ => Err(refuse("has an empty name")),
            };
        };
        // Written through a link of this archive?
        let mut prefix = PathBuf::new();
        let parts: Vec<_> = path.components().collect();
        for c in &parts[..parts.len() - 1] {
            prefix.push(c);
            if self.links.contains(&prefix) {
                return Err(refuse(&format!(
                    "would be written through the link `{}`",
                    prefix.display()
                )));
            }
        }
        match &kind {
            Kind::Symlink(target) => {
                if !link_stays_inside(&path, target) {
                    return Err(refuse(&format!(
                        "is a link to `{target}`, which leads outside the destination"
                    )));
                }
                if self
                    .plan
                    .iter()
                    .any(|p| p.path.starts_with(&path) && p.path != path)
                {
                    return Err(refuse(
                        "is a link over a folder that earlier entries were written into",
                    ));
                }
                self.links.insert(path.clone());
            }
            Kind::Hardlink(target) => {
                if !self.files.contains(target) {
                    return Err(refuse(&format!(
                        "is a hard link to `{}`, which is not an earlier file of the archive",
                        target.display()
                    )));
                }
            }
            Kind::File { size, .. } => {
                self.total = self.total.saturating_add(*size);
                if self.total > self.limits.max_bytes {
                    return Err(Failure::new(format!(
                        "`{}` is refused: its entries hold more than `max_bytes` ({} bytes) once unpacked; nothing was extracted (raise `max_bytes` if the archive is trusted)",
                        self.archive, self.limits.max_bytes
                    )));
                }
                self.files.insert(path.clone());
            }
            Kind::Dir => {}
        }
        if self.links.contains(&path) && !matches!(kind, Kind::Symlink(_)) {
            return Err(refuse("would be written over a link of the archive"));
        }
        self.plan.push(Planned { path, kind });
        Ok(())
    }
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

fn plan_zip(file: &std::fs::File, limits: Limits, archive: &str) -> Result<Vec<Planned>, Failure> {
    let bad = |e: zip::result::ZipError| {
        Failure::new(format!("`{archive}` is not a readable zip archive: {e}"))
    };
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    let mut checker = Checker::new(archive, limits);
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(bad)?;
        let raw = entry.name_raw().to_vec();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        if entry.encrypted() {
            return Err(refuse(archive, &shown, "is encrypted"));
        }
        let mode = entry.unix_mode();
        let kind = match mode.map(|m| m & S_IFMT) {
            Some(S_IFLNK) => {
                if entry.size() > MAX_LINK {
                    return Err(refuse(
                        archive,
                        &shown,
                        "is a link with an oversized target",
                    ));
                }
                drop(entry);
                let mut target = String::new();
                zip.by_index(i)
                    .map_err(bad)?
                    .take(MAX_LINK)
                    .read_to_string(&mut target)
                    .map_err(|e| refuse(archive, &shown, &format!("cannot be read: {e}")))?;
                Kind::Symlink(target)
            }
            Some(S_IFDIR) => Kind::Dir,
            Some(0 | S_IFREG) | None if entry.is_dir() => Kind::Dir,
            Some(0 | S_IFREG) | None => Kind::File {
                size: entry.size(),
                mode: mode.map(|m| m & 0o777),
            },
            Some(_) => return Err(refuse(archive, &shown, "is a device, FIFO or socket")),
        };
        checker.add(&raw, kind)?;
    }
    Ok(checker.plan)
}

fn tar_reader<'f>(file: &'f std::fs::File, format: Format) -> Result<Box<dyn Read + 'f>, Failure> {
    Ok(match format {
        Format::TarGz => Box::new(flate2::read::GzDecoder::new(file)),
        _ => Box::new(file),
    })
}

fn plan_tar(
    reader: Box<dyn Read + '_>,
    limits: Limits,
    archive: &str,
) -> Result<Vec<Planned>, Failure> {
    let bad =
        |e: std::io::Error| Failure::new(format!("`{archive}` is not a readable tar archive: {e}"));
    let mut tar = tar::Archive::new(reader);
    let mut checker = Checker::new(archive, limits);
    for entry in tar.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let header = entry.header();
        let link = || {
            entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        use tar::EntryType as T;
        let kind = match header.entry_type() {
            T::Regular | T::Continuous | T::GNUSparse => Kind::File {
                size: entry.size(),
                mode: header.mode().ok().map(|m| m & 0o777),
            },
            T::Directory => Kind::Dir,
            T::Symlink => Kind::Symlink(link()),
            T::Link => {
                let target = link();
                match clean_name(target.as_bytes(), archive) {
                    Ok(Some(t)) => Kind::Hardlink(t),
                    _ => {
                        return Err(refuse(
                            archive,
                            &shown,
                            &format!(
                                "is a hard link to `{target}`, which leads outside the destination"
                            ),
                        ))
                    }
                }
            }
            // Metadata records (PAX, GNU long names) are folded into the entries by the reader.
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
            T::Char | T::Block | T::Fifo => {
                return Err(refuse(archive, &shown, "is a device or FIFO"))
            }
            other => {
                return Err(refuse(
                    archive,
                    &shown,
                    &format!("has an entry type that is not unpacked ({other:?})"),
                ))
            }
        };
        checker.add(&raw, kind)?;
    }
    Ok(checker.plan)
}

/// Refuses an archive whose entries would go through a link already in the destination folder
/// (cap-std would stop an escape anyway; this says why before anything is written).
fn refuse_links_on_disk(dest: &Dir, plan: &[Planned], destination: &Path) -> Result<(), Failure> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for p in plan {
        let mut prefix = PathBuf::new();
        let parts: Vec<_> = p.path.components().collect();
        for c in &parts[..parts.len().saturating_sub(1)] {
            prefix.push(c);
            if !seen.insert(prefix.clone()) {
                continue;
            }
            if dest.symlink_metadata(&prefix).is_ok_and(|m| m.is_symlink()) {
                return Err(Failure::new(format!(
                    "extraction is refused: `{}` is a link already in `{}` and entry `{}` would be written through it; nothing was extracted (remove the link or extract into an empty folder)",
                    prefix.display(),
                    destination.display(),
                    p.path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Creates a planned file's parent folders and opens it for writing (a link of the same name is
/// replaced, never followed).
fn create_file(dest: &Dir, path: &Path) -> Result<std::fs::File, Failure> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dest.create_dir_all(parent)
            .map_err(|e| io_failure("create the folder", parent, e))?;
    }
    if dest.symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        dest.remove_file(path)
            .map_err(|e| io_failure("replace", path, e))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    dest.open_with(path, &options)
        .map(|f| f.into_std())
        .map_err(|e| io_failure("write", path, e))
}

/// Copies at most `size` bytes; an entry holding more than it declares is refused.
fn copy_entry(
    reader: &mut dyn Read,
    out: &mut std::fs::File,
    size: u64,
    path: &Path,
    archive: &str,
) -> Result<u64, Failure> {
    let written = std::io::copy(&mut Read::take(&mut *reader, size), out).map_err(|e| {
        Failure::new(format!(
            "cannot unpack `{}` from `{archive}`: {e}",
            path.display()
        ))
    })?;
    let mut probe = [0u8; 1];
    if reader.read(&mut probe).unwrap_or(0) > 0 {
        return Err(Failure::new(format!(
            "`{archive}`: entry `{}` holds more than the {size} bytes it declares; extraction stopped",
            path.display()
        )));
    }
    Ok(written)
}

/// Keeps an entry's permission bits (never setuid, setgid or sticky); the owner can always read
/// and write what was extracted.
fn finish_file(dest: &Dir, path: &Path, mode: Option<u32>) -> Result<(), Failure> {
    if let Some(mode) = mode.filter(|m| *m != 0) {
        dest.set_permissions(path, Permissions::from_mode((mode & 0o777) | 0o600))
            .map_err(|e| io_failure("set the permissions of", path, e))?;
    }
    Ok(())
}

fn unpack_zip(
    file: &std::fs::File,
    plan: &[Planned],
    dest: &Dir,
    archive: &str,
) -> Result<u64, Failure> {
    let bad = |e: zip::result::ZipError| Failure::new(format!("`{archive}`: {e}"));
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    let by_path: HashMap<&Path, &Planned> = plan.iter().map(|p| (p.path.as_path(), p)).collect();
    let mut bytes = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(bad)?;
        let Ok(Some(path)) = clean_name(entry.name_raw(), archive) else {
            continue;
        };
        match by_path.get(path.as_path()).map(|p| &p.kind) {
            Some(Kind::Dir) => dest
                .create_dir_all(&path)
                .map_err(|e| io_failure("create the folder", &path, e))?,
            Some(Kind::File { size, mode }) => {
                let mut out = create_file(dest, &path)?;
                bytes += copy_entry(&mut entry, &mut out, *size, &path, archive)?;
                finish_file(dest, &path, *mode)?;
            }
            _ => {}
        }
    }
    Ok(bytes)
}

fn unpack_tar(
    reader: Box<dyn Read + '_>,
    plan: &[Planned],
    dest: &Dir,
    archive: &str,
) -> Result<u64, Failure> {
    let bad = |e: std::io::Error| Failure::new(format!("`{archive}`: {e}"));
    let mut tar = tar::Archive::new(reader);
    let mut next = plan.iter();
    let mut bytes = 0u64;
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let Ok(Some(path)) = clean_name(&entry.path_bytes(), archive) else {
            continue;
        };
        // The plan lists the entries in archive order (metadata records left out).
        let Some(planned) = next.find(|p| p.path == path) else {
            continue;
        };
        match &planned.kind {
            Kind::Dir => dest
                .create_dir_all(&path)
                .map_err(|e| io_failure("create the folder", &path, e))?,
            Kind::File { size, mode } => {
                let mut out = create_file(dest, &path)?;
                bytes += copy_entry(&mut entry, &mut out, *size, &path, archive)?;
                finish_file(dest, &path, *mode)?;
            }
            _ => {}
        }
    }
    Ok(bytes)
}

/// Links last, so no entry is ever written through one.
fn make_links(plan: &[Planned], dest: &Dir) -> Result<(), Failure> {
    for p in plan {
        let parent = p.path.parent().filter(|x| !x.as_os_str().is_empty());
        match &p.kind {
            Kind::Symlink(target) => {
                if let Some(parent) = parent {
                    dest.create_dir_all(parent)
                        .map_err(|e| io_failure("create the folder", parent, e))?;
                }
                if dest.symlink_metadata(&p.path).is_ok() {
                    let _ = dest.remove_file(&p.path);
                }
                dest.symlink(target.replace('\\', "/"), &p.path)
                    .map_err(|e| io_failure("create the link", &p.path, e))?;
            }
            Kind::Hardlink(target) => {
                if let Some(parent) = parent {
                    dest.create_dir_all(parent)
                        .map_err(|e| io_failure("create the folder", parent, e))?;
                }
                if dest.symlink_metadata(&p.path).is_ok() {
                    let _ = dest.remove_file(&p.path);
                }
                dest.hard_link(target, dest, &p.path)
                    .map_err(|e| io_failure("create the link", &p.path, e))?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_or_refused() {
        let c = |n: &str| clean_name(n.as_bytes(), "a.zip").map_err(|f| f.message);
        assert_eq!(c("a/./b.txt").unwrap(), Some(PathBuf::from("a/b.txt")));
        assert_eq!(c("./").unwrap(), None);
        for (bad, why) in [
            ("../evil", "holds `..`"),
            ("a/../../evil", "holds `..`"),
            ("..\\evil", "holds `..`"),
            ("/abs/evil", "absolute"),
            ("C:/evil", "drive prefix"),
            ("c:evil", "drive prefix"),
        ] {
            let err = c(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.contains("nothing was extracted"), "{err}");
        }
    }

    #[test]
    fn link_targets_must_stay_inside() {
        assert!(link_stays_inside(Path::new("a/link"), "../b.txt"));
        assert!(link_stays_inside(Path::new("link"), "sub/x"));
        assert!(!link_stays_inside(Path::new("link"), "../x"));
        assert!(!link_stays_inside(Path::new("a/link"), "../../x"));
        assert!(!link_stays_inside(Path::new("link"), "/etc/passwd"));
        assert!(!link_stays_inside(Path::new("link"), ""));
    }

    #[test]
    fn the_checker_refuses_writes_through_links_and_unknown_hard_links() {
        let limits = Limits {
            max_bytes: 100,
            max_entries: 10,
        };
        let mut c = Checker::new("x.tar", limits);
        c.add(b"dir/", Kind::Dir).unwrap();
        c.add(b"link", Kind::Symlink("dir".into())).unwrap();
        let err = c
            .add(
                b"link/evil",
                Kind::File {
                    size: 1,
                    mode: None,
                },
            )
            .unwrap_err();
        assert!(
            err.message.contains("through the link `link`"),
            "{}",
            err.message
        );
        let err = c
            .add(b"hard", Kind::Hardlink(PathBuf::from("missing")))
            .unwrap_err();
        assert!(
            err.message.contains("not an earlier file"),
            "{}",
            err.message
        );
        let err = c
            .add(
                b"big",
                Kind::File {
                    size: 101,
                    mode: None,
                },
            )
            .unwrap_err();
        assert!(err.message.contains("max_bytes"), "{}", err.message);
    }
}
