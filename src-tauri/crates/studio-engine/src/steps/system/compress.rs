//! `compress`: packs workspace files into a zip, tar.gz or tar archive, or unpacks one.
//!
//! Parameters: `action` (`compress`, default, also spelled `create`/`pack`/`archive`; or
//! `extract`, also `decompress`/`unpack`/`unarchive`; RustChain's `operation`); compress:
//! `source` (a file or folder; a folder's contents go at the archive's root) or `files` (a list,
//! each under its own path), and the archive in `archive` or `destination`; extract: the
//! archive in `archive` or `source`, and the folder in `destination` (default: beside the
//! archive, named after it). Optional `format` (`zip`, `tar.gz`/`tgz`, `tar`; default from the
//! archive's extension), `max_bytes` (default 1 GiB), `max_entries` (default 100000),
//! `overwrite` (default true).
//! Output: `{action, format, archive, destination, entries, bytes, archive_bytes, files,
//! truncated}`; the archive (compress) or each extracted file (extract) is an artifact.
//!
//! Everything stays inside the workspace: paths are checked as for the file steps, the archive
//! is written to a temporary name and renamed when complete, and a symlink is packed as a link
//! only when its target stays inside what is packed. Extraction is in `extract.rs`.

use super::extract;
use crate::steps::params::{opt_bool, opt_str, opt_str_list, opt_u64};
use crate::steps::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use cap_std::fs::{Dir, PermissionsExt};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

pub(crate) const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;
pub(crate) const DEFAULT_MAX_ENTRIES: u64 = 100_000;
/// Entry names listed in the output.
pub(crate) const LISTED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Zip,
    TarGz,
    Tar,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::TarGz => "tar.gz",
            Self::Tar => "tar",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "zip" => Some(Self::Zip),
            "tar.gz" | "tgz" | "gz" | "gzip" => Some(Self::TarGz),
            "tar" => Some(Self::Tar),
            _ => None,
        }
    }

    /// The format an archive's name implies, and the name without that extension.
    pub fn from_extension(path: &Path) -> Option<(Self, String)> {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let lower = name.to_ascii_lowercase();
        for (ext, format) in [
            (".tar.gz", Self::TarGz),
            (".tgz", Self::TarGz),
            (".zip", Self::Zip),
            (".tar", Self::Tar),
        ] {
            if lower.ends_with(ext) && lower.len() > ext.len() {
                return Some((format, name[..name.len() - ext.len()].to_string()));
            }
        }
        None
    }
}

/// Size and count caps, checked before anything is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let extract = match opt_str(&p, "action")?
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("compress" | "create" | "pack" | "archive") => false,
        Some("extract" | "decompress" | "unpack" | "unarchive") => true,
        Some(other) => {
            return Err(Failure::new(format!(
                "`action: {other}` is not known; use `compress` or `extract`"
            )))
        }
    };
    let limits = Limits {
        max_bytes: opt_u64(&p, "max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES),
        max_entries: opt_u64(&p, "max_entries")?.unwrap_or(DEFAULT_MAX_ENTRIES),
    };
    let overwrite = opt_bool(&p, "overwrite")?.unwrap_or(true);
    let format = match opt_str(&p, "format")? {
        Some(f) => Some(Format::from_name(f).ok_or_else(|| {
            Failure::new(format!(
                "`format: {f}` is not known; use zip, tar.gz (tgz) or tar"
            ))
        })?),
        None => None,
    };
    let archive_param = opt_str(&p, "archive")?;
    let source = opt_str(&p, "source")?;
    let destination = opt_str(&p, "destination")?;
    if extract {
        let archive = match (archive_param, source) {
            (Some(a), None) | (None, Some(a)) => check(a)?,
            (Some(_), Some(_)) => {
                return Err(Failure::new(
                    "to extract, name the archive once: in `archive` or in `source`",
                ))
            }
            (None, None) => {
                return Err(Failure::new(
                    "to extract, name the archive in `archive` (or `source`)",
                ))
            }
        };
        if !opt_str_list(&p, "files")?.is_empty() {
            return Err(Failure::new(
                "`files` is for compress; extract unpacks the whole archive",
            ));
        }
        let implied = Format::from_extension(&archive);
        let format = format
            .or(implied.as_ref().map(|(f, _)| *f))
            .ok_or_else(|| no_format(&archive))?;
        let destination = match destination {
            Some(d) => check(d)?,
            None => {
                let stem = implied.map(|(_, s)| s).unwrap_or_else(|| {
                    archive
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "extracted".into())
                });
                archive.with_file_name(stem)
            }
        };
        return extract::run(archive, destination, format, limits, overwrite, ctx).await;
    }

    let archive = match (archive_param, destination) {
        (Some(a), None) | (None, Some(a)) => check(a)?,
        (Some(_), Some(_)) => {
            return Err(Failure::new(
                "name the archive to write once: in `archive` or in `destination`",
            ))
        }
        (None, None) => {
            return Err(Failure::new(
                "name the archive to write in `destination` (or `archive`), e.g. `reports.zip`",
            ))
        }
    };
    let format = format
        .or(Format::from_extension(&archive).map(|(f, _)| f))
        .ok_or_else(|| no_format(&archive))?;
    let files = opt_str_list(&p, "files")?;
    let inputs: Vec<PathBuf> = match (source, files.is_empty()) {
        (Some(s), true) => vec![check(s)?],
        (None, false) => files.iter().map(|f| check(f)).collect::<Result<_, _>>()?,
        (Some(_), false) => return Err(Failure::new("give `source` or `files`, not both")),
        (None, true) => {
            return Err(Failure::new(
                "give what to pack: `source` (a file or folder) or `files` (a list)",
            ))
        }
    };
    let single_root = source.is_some();
    let shown = display(&archive);
    let (entries, bytes, names, archive_bytes) = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &archive)?;
        if !overwrite && dir.symlink_metadata(&archive).is_ok() {
            return Err(Failure::new(format!(
                "`{}` exists and `overwrite` is false",
                archive.display()
            )));
        }
        let items = collect(dir, &inputs, single_root, &archive, limits)?;
        let bytes: u64 = items.iter().map(|i| i.size).sum();
        let names: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
        let written = write_archive(dir, &archive, format, &items)?;
        Ok((items.len(), bytes, names, written))
    })
    .await?;
    let output = json!({
        "action": "compress",
        "format": format.name(),
        "archive": shown,
        "destination": shown,
        "entries": entries,
        "bytes": bytes,
        "archive_bytes": archive_bytes,
        "files": names.iter().take(LISTED).collect::<Vec<_>>(),
        "truncated": names.len() > LISTED,
    });
    Ok(StepOutput::new(output).with_artifact(shown))
}

fn no_format(archive: &Path) -> Failure {
    Failure::new(format!(
        "cannot tell the format of `{}` from its name; add `format: zip`, `tar.gz` or `tar` (or name it `.zip`, `.tar.gz`, `.tgz`, `.tar`)",
        archive.display()
    ))
}

/// One thing to pack.
struct Item {
    /// The name in the archive (`/`-separated; folders end with `/`).
    name: String,
    /// Where it is, relative to the workspace.
    path: PathBuf,
    kind: ItemKind,
    size: u64,
    mode: u32,
}

enum ItemKind {
    File,
    Dir,
    Symlink(String),
}

/// Walks the inputs (never following a symlink) in name order, checking the caps.
fn collect(
    dir: &Dir,
    inputs: &[PathBuf],
    single_root: bool,
    archive: &Path,
    limits: Limits,
) -> Result<Vec<Item>, Failure> {
    let partial = partial_name(archive);
    let mut items = Vec::new();
    let mut total = 0u64;
    for input in inputs {
        refuse_escaping_link(dir, input)?;
        let meta = dir
            .symlink_metadata(input)
            .map_err(|e| io_failure("read", input, e))?;
        // Names are relative to a `source` folder; otherwise each input keeps its own path.
        let (root, prefix) = if single_root && meta.is_dir() {
            (input.clone(), String::new())
        } else if single_root {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (input.parent().unwrap_or(Path::new("")).to_path_buf(), name)
        } else if input == Path::new(".") {
            (PathBuf::new(), String::new())
        } else {
            (PathBuf::new(), display(input))
        };
        let mut pending = vec![if prefix.is_empty() {
            (input.clone(), String::new())
        } else {
            (input.clone(), prefix)
        }];
        while let Some((path, name)) = pending.pop() {
            if path == archive || path == partial {
                continue;
            }
            let meta = dir
                .symlink_metadata(&path)
                .map_err(|e| io_failure("read", &path, e))?;
            let mode = meta.permissions().mode() & 0o777;
            let kind = if meta.is_symlink() {
                ItemKind::Symlink(link_target(dir, &path, &root)?)
            } else if meta.is_dir() {
                let mut children: Vec<String> = dir
                    .read_dir(&path)
                    .map_err(|e| io_failure("list", &path, e))?
                    .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| io_failure("list", &path, e))?;
                children.sort();
                for child in children.into_iter().rev() {
                    let child_name = if name.is_empty() {
                        child.clone()
                    } else {
                        format!("{name}/{child}")
                    };
                    let child_path = if path == Path::new(".") {
                        PathBuf::from(&child)
                    } else {
                        path.join(&child)
                    };
                    pending.push((child_path, child_name));
                }
                if name.is_empty() {
                    continue;
                }
                ItemKind::Dir
            } else if meta.is_file() {
                ItemKind::File
            } else {
                return Err(Failure::new(format!(
                    "`{}` is not a file, folder or link (a device, FIFO or socket); it cannot be packed",
                    path.display()
                )));
            };
            let size = if matches!(kind, ItemKind::File) {
                meta.len()
            } else {
                0
            };
            total = total.saturating_add(size);
            if total > limits.max_bytes {
                return Err(Failure::new(format!(
                    "what is packed is larger than `max_bytes` ({} bytes); raise `max_bytes` or pack less",
                    limits.max_bytes
                )));
            }
            let name = if matches!(kind, ItemKind::Dir) {
                format!("{name}/")
            } else {
                name
            };
            items.push(Item {
                name,
                path,
                kind,
                size,
                mode,
            });
            if items.len() as u64 > limits.max_entries {
                return Err(Failure::new(format!(
                    "more than `max_entries` ({}) entries to pack; raise `max_entries` or pack less",
                    limits.max_entries
                )));
            }
        }
    }
    Ok(items)
}

/// A symlink's target, when it stays inside what is packed (`root`, relative to the workspace).
fn link_target(dir: &Dir, link: &Path, root: &Path) -> Result<String, Failure> {
    let refused = || {
        Failure::new(format!(
            "`{}` is a symlink that leads outside what is packed; packing refuses it (remove the link, or pack the folder it points into)",
            link.display()
        ))
    };
    let target = dir.read_link(link).map_err(|_| refused())?;
    let mut resolved: Vec<Component> = link
        .parent()
        .unwrap_or(Path::new(""))
        .components()
        .collect();
    for c in target.components() {
        match c {
            Component::Normal(_) => resolved.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop().ok_or_else(refused)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(refused()),
        }
    }
    let resolved: PathBuf = resolved.iter().collect();
    if !resolved.starts_with(root) {
        return Err(refused());
    }
    Ok(target.to_string_lossy().into_owned())
}

/// Where the archive is written before it is complete.
fn partial_name(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    archive.with_file_name(format!(".{name}.partial"))
}

/// Writes the archive under a temporary name, then renames it; returns its size.
fn write_archive(
    dir: &Dir,
    archive: &Path,
    format: Format,
    items: &[Item],
) -> Result<u64, Failure> {
    if let Some(parent) = archive.parent().filter(|p| !p.as_os_str().is_empty()) {
        dir.create_dir_all(parent)
            .map_err(|e| io_failure("create the folder", parent, e))?;
    }
    let partial = partial_name(archive);
    let file = dir
        .create(&partial)
        .map_err(|e| io_failure("write", archive, e))?
        .into_std();
    let written = match format {
        Format::Zip => write_zip(dir, file, items),
        Format::TarGz => {
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            write_tar(dir, gz, items)
                .and_then(|gz| gz.finish().map(drop).map_err(|e| e.to_string()))
        }
        Format::Tar => write_tar(dir, file, items).map(drop),
    };
    if let Err(e) = written {
        let _ = dir.remove_file(&partial);
        return Err(Failure::new(format!(
            "cannot write `{}`: {e}",
            archive.display()
        )));
    }
    dir.rename(&partial, dir, archive)
        .map_err(|e| io_failure("write", archive, e))?;
    dir.metadata(archive)
        .map(|m| m.len())
        .map_err(|e| io_failure("read", archive, e))
}

fn open_item(dir: &Dir, item: &Item) -> Result<impl Read, String> {
    dir.open(&item.path)
        .map(|f| f.into_std().take(item.size))
        .map_err(|e| format!("cannot read `{}`: {e}", item.path.display()))
}

fn write_zip(dir: &Dir, file: std::fs::File, items: &[Item]) -> Result<(), String> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(file);
    let err = |e: zip::result::ZipError| e.to_string();
    for item in items {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(item.mode)
            .large_file(item.size >= u64::from(u32::MAX));
        match &item.kind {
            ItemKind::Dir => zip
                .add_directory(item.name.as_str(), options)
                .map_err(err)?,
            ItemKind::Symlink(target) => zip
                .add_symlink(item.name.as_str(), target.as_str(), options)
                .map_err(err)?,
            ItemKind::File => {
                zip.start_file(item.name.as_str(), options).map_err(err)?;
                let mut reader = open_item(dir, item)?;
                std::io::copy(&mut reader, &mut zip).map_err(|e| e.to_string())?;
            }
        }
    }
    zip.finish()
        .map_err(err)?
        .flush()
        .map_err(|e| e.to_string())
}

fn write_tar<W: Write>(dir: &Dir, out: W, items: &[Item]) -> Result<W, String> {
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    let err = |e: std::io::Error| e.to_string();
    for item in items {
        let mut header = tar::Header::new_gnu();
        header.set_mode(item.mode);
        header.set_mtime(0);
        match &item.kind {
            ItemKind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                tar.append_data(&mut header, &item.name, std::io::empty())
                    .map_err(err)?;
            }
            ItemKind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                tar.append_link(&mut header, &item.name, target)
                    .map_err(err)?;
            }
            ItemKind::File => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(item.size);
                let reader = open_item(dir, item)?;
                tar.append_data(&mut header, &item.name, reader)
                    .map_err(err)?;
            }
        }
    }
    tar.into_inner().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_the_extension() {
        let f = |n: &str| Format::from_extension(Path::new(n));
        assert_eq!(f("out/logs.tar.gz"), Some((Format::TarGz, "logs".into())));
        assert_eq!(f("a.TGZ"), Some((Format::TarGz, "a".into())));
        assert_eq!(f("r.zip"), Some((Format::Zip, "r".into())));
        assert_eq!(f("r.tar"), Some((Format::Tar, "r".into())));
        assert_eq!(f("notes.txt"), None);
        assert_eq!(f(".zip"), None);
        assert_eq!(Format::from_name("tgz"), Some(Format::TarGz));
    }
}
