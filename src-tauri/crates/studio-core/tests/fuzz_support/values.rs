//! Generators of hostile values: odd strings and unicode, huge and tiny numbers, variable
//! references (well and badly formed), deep nesting.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Strings that have broken parsers before: YAML keywords and indicators, template braces,
/// paths that climb out, control and direction characters.
pub const NASTY: &[&str] = &[
    "",
    " ",
    "~",
    "null",
    "Null",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "0x1F",
    "0o17",
    "1e999",
    "-1e999",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "12:30:00",
    "2001-12-14t21:59:43.10-05:00",
    "!!binary",
    "!tag x",
    "&a",
    "*a",
    "<<",
    "- ",
    ": ",
    "? ",
    "#",
    "|",
    ">-",
    "---",
    "...",
    "%YAML 1.2",
    "{{",
    "}}",
    "{{}}",
    "{{ }}",
    "{{.}}",
    "{{ . . }}",
    "{{steps.}}",
    "{{steps}}",
    "{{a.output[}}",
    "{{a.output[]}}",
    "{{a.output[0][}}",
    "{{{{a}}}}",
    "{{env.}}",
    "{{env}}",
    "{{ mission.id }}",
    "{{run.nope}}",
    "${x}",
    "$(rm -rf /)",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "\u{200b}",
    "\r\n",
    "\r",
    "\t",
    "\u{1b}[2J",
    "\u{85}",
    "\u{2028}",
    "💥",
    "é",
    "ﬁ",
    "İ",
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows",
    "\\\\server\\share",
    "%s%n",
    "\\",
    "\"",
    "'",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "a b",
    "a.b",
    "a[0]",
    "*",
    "*.",
    "**.x",
    "http://x",
    "host:99999",
    "[::1]:80",
    "localhost",
];

/// Short names, mostly plain, sometimes odd.
pub fn name() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[a-z][a-z0-9_-]{0,10}",
        1 => prop::sample::select(NASTY).prop_map(String::from),
        1 => "\\PC{0,12}",
    ]
    .boxed()
}

/// A `{{…}}` reference as authors write it, or almost.
pub fn reference() -> BoxedStrategy<String> {
    let head = prop_oneof![
        prop::sample::select(
            &[
                "env",
                "context",
                "config",
                "state",
                "mission",
                "run",
                "steps",
                "timestamp",
                "a",
                "b",
                "fetch",
                "write",
                "",
            ][..]
        )
        .prop_map(String::from),
        name(),
    ];
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "output",
                "id",
                "value",
                "json",
                "0",
                "[0]",
                "[",
                "]",
                "",
                " ",
                "items[1]",
                "x.y",
                "workspace",
                "started_at",
                "PATH",
                "HOME",
            ][..]
        )
        .prop_map(String::from),
        name(),
    ];
    (
        head,
        prop::collection::vec(segment, 0..5),
        prop::sample::select(&["{{", "{{ ", "{{{", "{ {"][..]),
        prop::sample::select(&["}}", " }}", "}", "}}}", ""][..]),
        prop::sample::select(&["", "x ", "prefix-", "{{", "}} "][..]),
        prop::sample::select(&["", " tail", "}}", "{{b.output}}", "{{"][..]),
    )
        .prop_map(|(head, segs, open, close, before, after)| {
            let mut inner = head;
            for s in segs {
                inner.push('.');
                inner.push_str(&s);
            }
            format!("{before}{open}{inner}{close}{after}")
        })
        .boxed()
}

/// Any string a hostile author could write.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        5 => "[a-zA-Z0-9 _.,:/-]{0,24}",
        3 => reference(),
        2 => prop::sample::select(NASTY).prop_map(String::from),
        2 => "\\PC{0,24}",
        1 => ".{0,8}",
        1 => (prop::sample::select(NASTY), 2usize..600).prop_map(|(s, n)| s.repeat(n)),
    ]
    .boxed()
}

/// A number, often at the edges of what JSON, YAML and the loader's types can hold.
pub fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..100).prop_map(Value::from),
        prop::sample::select(
            &[
                0.0,
                -0.0,
                0.5,
                -1.5,
                1e-320,
                1e308,
                f64::MAX,
                f64::MIN,
                u64::MAX as f64,
                (u64::MAX as f64) * 2.0,
                i64::MIN as f64,
                4_294_967_296.0,
            ][..]
        )
        .prop_map(float),
        any::<f64>().prop_map(float),
    ]
    .boxed()
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A scalar of any type.
pub fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        5 => text().prop_map(Value::String),
    ]
    .boxed()
}

/// Any value, nested a few levels.
pub fn value() -> BoxedStrategy<Value> {
    scalar()
        .prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(name(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A value nested `depth` levels deep, alternating lists and mappings (around the loader's
/// nesting limit of 64).
pub fn nested(depth: usize) -> Value {
    let mut v = Value::from("bottom");
    for level in 0..depth {
        v = if level % 2 == 0 {
            Value::Array(vec![v])
        } else {
            let mut m = Map::new();
            m.insert("k".into(), v);
            Value::Object(m)
        };
    }
    v
}

/// Mostly [`value`], sometimes nested near or past the nesting limit.
pub fn any_value() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => value(),
        1 => (50usize..80).prop_map(nested),
    ]
    .boxed()
}
