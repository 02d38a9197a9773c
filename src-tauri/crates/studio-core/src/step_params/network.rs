//! Network step types: WebSocket exchanges (FTP and SSH come with their own entries).

use super::*;

pub(super) const STEPS: &[StepParams] = &[StepParams {
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
}];
