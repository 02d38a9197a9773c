//! Network step types: remote programs over SSH.

use super::*;

pub(super) const STEPS: &[StepParams] = &[StepParams {
    step_type: "ssh_execute",
    summary: "Runs one program on a remote host through the system OpenSSH client (`ssh`), with key authentication only (no password, no prompt). The program and each argument are sent as separate POSIX single-quoted words, so nothing in them is interpreted by the remote shell (no `;`, `$(…)`, quotes, globs or pipes): there is no raw shell line. The host key must be known: the perimeter's `network.trusted_host_keys` plus the step's `known_hosts` file are the only trusted keys (strict checking, nothing is ever added), so an unknown or changed host key fails the step, showing the key's fingerprint. A non-zero remote exit fails the step (the output is kept).",
    params: &[
        req("host", ParamType::String, "the host name or address to connect to"),
        opt("port", ParamType::PositiveInteger, "the SSH port (default 22)"),
        opt("username", ParamType::String, "the remote user (default: the user running Mission Studio)"),
        req("command", ParamType::String, "the remote program (a name looked up in the remote PATH, or a path). Without `args`, a `command` holding spaces is split at whitespace into words, each still passed literally (RustChain's `command: \"systemctl restart web\"`)"),
        opt("args", ParamType::StringList, "its arguments, one string each; each reaches the remote program as one literal argument"),
        opt("private_key_path", ParamType::String, "the private key to log in with: a file in the workspace (relative path), or an absolute path such as `{{env.DEPLOY_KEY}}` for a key the operator keeps outside it. Its content is never read into the output or the logs. Without it, OpenSSH's default keys of the user running Mission Studio are tried"),
        opt("known_hosts", ParamType::String, "a workspace file of OpenSSH known_hosts lines trusted for this step, added to the perimeter's `network.trusted_host_keys` (for a port other than 22 a line starts `[host]:port`)"),
        opt("env", ParamType::StringMap, "variables set for the remote program (sent as `env NAME=value program …`, each word quoted; names are letters, digits and `_`)"),
        opt("timeout_seconds", ParamType::PositiveInteger, "how long the whole call may take before ssh is stopped and the step fails (default: the step's own timeout)"),
        opt("connect_timeout_seconds", ParamType::PositiveInteger, "how long connecting may take (default 10)"),
    ],
    any_parameters: false,
    rules: NO_RULES,
    aliases: &[
        ("user", "username"),
        ("key_path", "private_key_path"),
        ("identity_file", "private_key_path"),
        ("key_file", "private_key_path"),
        ("program", "command"),
        ("timeout", "timeout_seconds"),
        ("known_hosts_file", "known_hosts"),
    ],
    output: &[
        out("host", "the host connected to"),
        out("port", "the port"),
        out("user", "the remote user (null: the local user's name was used)"),
        out("command", "the line sent to the remote shell: the program and its arguments, each single-quoted"),
        out("exit_code", "the remote program's exit status"),
        out("stdout", "its standard output"),
        out("stderr", "its standard error"),
    ],
    output_is_parameters: false,
}];
