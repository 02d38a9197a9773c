//! `ftp_upload`: sends one workspace file to an FTP server (plain FTP or explicit FTPS).
//!
//! Parameters: the server (`host` or `url`, `port`, `username`, `password`, `secure`,
//! `ca_cert`, `passive`, `binary`, timeouts: see `ftp.rs`), `local_path` (a workspace file),
//! `remote_path` (default: the URL's path, else the local file's name; a folder ending in `/`
//! receives the file under its local name), `create_dirs` (create the missing remote folders
//! first, default false).
//! Output: `{host, port, secure, local_path, remote_path, bytes}`. The file is read through the
//! workspace capability, so a path or a symlink that leads outside the workspace is refused.

use super::ftp::{self, quit, within, Client, FtpFailure, Phase, Server};
use crate::steps::params::{opt_bool, opt_str, str_param};
use crate::steps::workspace::{self, io_failure, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(super) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let server = Server::from_params(&p)?;
    let local = workspace::check(str_param(&p, "local_path")?)?;
    let local_shown = workspace::display(&local);
    let Some(local_name) = local.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(Failure::new(format!(
            "`local_path` `{local_shown}` is a folder; name the file to send"
        )));
    };
    let remote = opt_str(&p, "remote_path")?
        .map(str::to_string)
        .or_else(|| server.url_path.clone())
        .unwrap_or_else(|| local_name.clone());
    let remote = if remote.ends_with('/') {
        format!("{remote}{local_name}")
    } else {
        remote
    };
    ftp::check_remote_path(&remote)?;
    let create_dirs = opt_bool(&p, "create_dirs")?.unwrap_or(false);

    let rel = local.clone();
    let file = with_dir(ctx, move |dir| {
        let file = dir.open(&rel).map_err(|e| io_failure("read", &rel, e))?;
        let meta = file.metadata().map_err(|e| io_failure("read", &rel, e))?;
        if meta.is_dir() {
            return Err(Failure::new(format!(
                "`local_path` `{}` is a folder; name the file to send",
                workspace::display(&rel)
            )));
        }
        Ok(file.into_std())
    })
    .await?;
    let mut file = tokio::fs::File::from_std(file);

    let bytes = within(&server, ctx, async {
        let mut client = server.open(ctx).await?;
        if create_dirs {
            make_parents(&mut client, &remote, &server).await?;
        }
        let sent = client
            .put_file(remote.as_str(), &mut file)
            .await
            .map_err(|e| {
                FtpFailure::from_ftp(
                    Phase::Upload {
                        path: remote.clone(),
                    },
                    &server.at(),
                    e,
                )
            })?;
        quit(client).await;
        Ok(sent)
    })
    .await?;

    let mut out = StepOutput::new(json!({
        "host": server.host,
        "port": server.port,
        "secure": server.secure,
        "local_path": local_shown,
        "remote_path": remote,
        "bytes": bytes,
    }));
    out.links.push(server.link(&remote));
    Ok(out)
}

/// Creates each folder above `remote` (`a`, then `a/b` for `a/b/c.csv`). A folder that already
/// exists answers `550`, which is not an error here: the upload that follows says whether the
/// folder is really there.
async fn make_parents(client: &mut Client, remote: &str, server: &Server) -> Result<(), Failure> {
    let Some((parents, _)) = remote.rsplit_once('/') else {
        return Ok(());
    };
    let absolute = parents.starts_with('/');
    let mut prefix = String::new();
    for part in parents.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if absolute || !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        match client.mkdir(prefix.as_str()).await {
            Ok(()) | Err(suppaftp::FtpError::UnexpectedResponse(_)) => {}
            Err(e) => {
                return Err(FtpFailure::from_ftp(
                    Phase::Command(format!("MKD {prefix}")),
                    &server.at(),
                    e,
                )
                .into())
            }
        }
    }
    Ok(())
}
