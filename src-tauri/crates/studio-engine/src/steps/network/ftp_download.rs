//! `ftp_download`: fetches one file from an FTP server into the workspace (plain FTP or
//! explicit FTPS).
//!
//! Parameters: the server (`host` or `url`, `port`, `username`, `password`, `secure`,
//! `ca_cert`, `passive`, `binary`, timeouts: see `ftp.rs`), `remote_path` (default: the URL's
//! path), `local_path` (default: the remote file's name; a folder ending in `/` receives it
//! under that name), `overwrite` (default true), `create_dirs` (default true), `max_bytes`.
//! Output: `{host, port, secure, remote_path, local_path, bytes}`; the file is an artifact.
//!
//! **Atomic.** The bytes go to a hidden `.<name>.partial-<id>` file beside the destination,
//! created through the workspace capability, which is renamed onto the destination once the
//! server confirmed the transfer. A failure, a timeout or a cancel removes it (a guard does, on
//! drop, so also when the attempt's future is dropped mid-transfer): the destination is either
//! untouched or complete.

use super::ftp::{self, quit, within, FtpFailure, Phase, Server};
use crate::steps::params::{opt_bool, opt_str, opt_u64};
use crate::steps::workspace::{self, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use cap_std::fs::Dir;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHUNK: usize = 64 * 1024;

pub(super) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let server = Server::from_params(&p)?;
    let remote = opt_str(&p, "remote_path")?
        .map(str::to_string)
        .or_else(|| server.url_path.clone())
        .ok_or_else(|| {
            Failure::new("parameter `remote_path` is required (or a `url` with the file's path)")
        })?;
    ftp::check_remote_path(&remote)?;
    let Some(remote_name) = ftp::file_name(&remote).map(str::to_string) else {
        return Err(Failure::new(format!(
            "`remote_path` `{remote}` names a folder; name the file to fetch"
        )));
    };
    let local = opt_str(&p, "local_path")?
        .map(str::to_string)
        .unwrap_or_else(|| remote_name.clone());
    let local = if local.ends_with('/') {
        format!("{local}{remote_name}")
    } else {
        local
    };
    let local = workspace::check(&local)?;
    let local_shown = workspace::display(&local);
    let Some(local_name) = local.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(Failure::new(format!(
            "`local_path` `{local_shown}` is a folder; name the file to write"
        )));
    };
    let overwrite = opt_bool(&p, "overwrite")?.unwrap_or(true);
    let create_dirs = opt_bool(&p, "create_dirs")?.unwrap_or(true);
    let max_bytes = opt_u64(&p, "max_bytes")?;

    let partial = local.with_file_name(format!(
        ".{local_name}.partial-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let (target, temp) = (local.clone(), partial.clone());
    let file = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &target)?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            if create_dirs {
                dir.create_dir_all(parent)
                    .map_err(|e| io_failure("create the folder", parent, e))?;
            }
        }
        match dir.metadata(&target) {
            Ok(meta) if meta.is_dir() => {
                return Err(Failure::new(format!(
                    "`local_path` `{}` is a folder; name the file to write",
                    workspace::display(&target)
                )))
            }
            Ok(_) if !overwrite => {
                return Err(Failure::new(format!(
                    "`{}` exists; set `overwrite: true` or choose another `local_path`",
                    workspace::display(&target)
                )))
            }
            _ => {}
        }
        dir.create(&temp)
            .map(cap_std::fs::File::into_std)
            .map_err(|e| io_failure("write", &target, e))
    })
    .await?;
    let guard = Partial {
        dir: ctx.shared.workspace.dir(),
        path: partial.clone(),
        kept: false,
    };

    let bytes = within(&server, ctx, async {
        let at = server.at();
        let mut client = server.open(ctx).await?;
        let phase = || Phase::Download {
            path: remote.clone(),
        };
        let mut stream = client
            .retr_as_stream(remote.as_str())
            .await
            .map_err(|e| FtpFailure::from_ftp(phase(), &at, e))?;
        let mut file = tokio::fs::File::from_std(file);
        let mut buf = vec![0u8; CHUNK];
        let mut total: u64 = 0;
        loop {
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| FtpFailure::from_ftp(phase(), &at, suppaftp::FtpError::ConnectionError(e)))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if let Some(max) = max_bytes.filter(|max| total > *max) {
                return Err(Failure::new(format!(
                    "`{remote}` on {at} is larger than `max_bytes` ({max} bytes); nothing was written"
                )));
            }
            file.write_all(&buf[..n])
                .await
                .map_err(|e| io_failure("write", &local, e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| io_failure("write", &local, e))?;
        stream
            .finish()
            .await
            .map_err(|e| FtpFailure::from_ftp(phase(), &at, e))?;
        quit(client).await;
        Ok(total)
    })
    .await?;

    let (from, to) = (partial, local.clone());
    with_dir(ctx, move |dir| {
        dir.rename(&from, dir, &to)
            .map_err(|e| io_failure("write", &to, e))
    })
    .await?;
    guard.keep();

    let mut out = StepOutput::new(json!({
        "host": server.host,
        "port": server.port,
        "secure": server.secure,
        "remote_path": remote,
        "local_path": local_shown,
        "bytes": bytes,
    }))
    .with_artifact(local_shown.clone());
    out.links.push(server.link(&remote));
    Ok(out)
}

/// The partial file, removed when dropped unless it was renamed into place.
struct Partial {
    dir: Arc<Dir>,
    path: PathBuf,
    kept: bool,
}

impl Partial {
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = self.dir.remove_file(Path::new(&self.path));
        }
    }
}
