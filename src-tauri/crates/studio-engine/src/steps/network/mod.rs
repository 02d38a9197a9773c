//! The network family: exchanges with remote services (`websocket_connect`), file transfers
//! with FTP servers (`ftp_upload`, `ftp_download`) and remote programs over SSH (`ssh_execute`).
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. The hosts
//! they reach are checked by the gate against `perimeter.network.allowed_hosts` before they run
//! ([`crate::hosts`]).

pub(crate) mod ftp;
mod ftp_download;
mod ftp_upload;
mod ssh_execute;
mod websocket_connect;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    WebsocketConnect,
    FtpUpload,
    FtpDownload,
    SshExecute,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("websocket_connect", Kind::WebsocketConnect),
    ("ftp_upload", Kind::FtpUpload),
    ("ftp_download", Kind::FtpDownload),
    ("ssh_execute", Kind::SshExecute),
];

/// What a step of this type changes, given its parameters: a WebSocket exchange that sends
/// messages acts on the remote service; one that only listens changes nothing; an upload writes
/// on the server; a download writes only a workspace file; a remote program can change anything
/// on its host.
pub(crate) fn side_effects(kind: Kind, params: &Value) -> SideEffects {
    match kind {
        Kind::SshExecute | Kind::FtpUpload => SideEffects::External,
        Kind::FtpDownload => SideEffects::Workspace,
        Kind::WebsocketConnect => {
            if websocket_connect::messages(&canonical(kind, params.clone()))
                .is_ok_and(|m| !m.is_empty())
            {
                SideEffects::External
            } else {
                SideEffects::None
            }
        }
    }
}

fn canonical(kind: Kind, params: Value) -> Value {
    let name = KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(n, _)| *n);
    super::system::canonical(name, params)
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let params = canonical(kind, params);
    match kind {
        Kind::WebsocketConnect => websocket_connect::run(params, ctx).await,
        Kind::FtpUpload => ftp_upload::run(params, ctx).await,
        Kind::FtpDownload => ftp_download::run(params, ctx).await,
        Kind::SshExecute => ssh_execute::run(params, ctx).await,
    }
}

#[cfg(test)]
#[test]
fn sending_is_an_external_effect_listening_is_none() {
    use serde_json::json;
    let k = Kind::WebsocketConnect;
    assert_eq!(
        side_effects(k, &json!({"url": "ws://h", "message": "hi"})),
        SideEffects::External
    );
    assert_eq!(
        side_effects(k, &json!({"url": "ws://h", "messages": []})),
        SideEffects::None
    );
    assert_eq!(
        side_effects(k, &json!({"url": "ws://h"})),
        SideEffects::None
    );
}
