//! Network step types: WebSocket exchanges and remote programs over SSH.

use super::*;

pub(super) const STEPS: &[StepParams] = &[
StepParams {
    step_type: "websocket_connect",
    summary: "Connects to a WebSocket server (`ws://`, or `wss://` with the system's web roots), sends `messages` in order, then receives `receive` messages, or until one matches `until`, all within `timeout_ms`; then closes the connection. Binary messages are kept as text (bytes that are not UTF-8 replaced); ping and pong frames are answered and not counted. A timeout, or the server closing before enough messages came, fails the step with what was received kept in the output. The host must be one the perimeter allows (`network.allowed_hosts`). Side effects: external when it sends messages, else none.",
    params: &[
        req("url", ParamType::String, "a `ws://` or `wss://` URL"),
        opt("messages", ParamType::Any, "what to send after connecting, in order: a list of texts or JSON values (each value that is not a string is sent as its JSON text); a single text or value is one message"),
        opt("headers", ParamType::StringMap, "headers of the opening handshake (e.g. `Authorization`)"),
        opt("receive", ParamType::Integer, "how many messages to wait for (default 1; 0 = none: send, then close). With `until`, the most messages read while waiting for a match (default: no limit but the timeout)"),
        opt("until", ParamType::String, "ends receiving at the first message that contains this text, or matches `/regex/`; the step fails when none does"),
        opt("timeout_ms", ParamType::PositiveInteger, "the whole exchange: connecting, sending and receiving (default 10000)"),
        opt("max_message_bytes", ParamType::PositiveInteger, "the largest message accepted (default 4194304 = 4 MiB); a larger one fails the step"),
    ],
    any_parameters: false,
    rules: NO_RULES,
    aliases: &[("message", "messages"), ("send", "messages"), ("headers_map", "headers")],
    output: &[
        out("url", "the URL connected to"),
        out("sent", "how many messages were sent"),
        out("received", "[{text, json}]: each message received, in order: its text, and its value parsed as JSON (null when it is not JSON)"),
        out("matched", "whether a message matched `until` (false without `until`)"),
        out("closed", "whether the server closed the connection before the step was done"),
        out("close_code", "the server's close code (e.g. 1000), or null"),
    ],
    output_is_parameters: false,
},
StepParams {
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
},
];
