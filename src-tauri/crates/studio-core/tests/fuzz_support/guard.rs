//! The per-input guard: each call is timed (over 1 s fails the input, naming it), a watchdog
//! aborts the process with the input when one call hangs, and every rejection must be a
//! located error.

use proptest::test_runner::TestCaseError;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use studio_core::{Diagnostic, LoadError, LoadedMission};

/// The most one input may take. The machines running the tests are noisy: never tighter.
pub const LIMIT: Duration = Duration::from_secs(1);
/// A call running this long is a hang: the watchdog prints its input and aborts.
const HANG: Duration = Duration::from_secs(60);

thread_local! {
    static SLOWEST: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

type Running = Mutex<HashMap<ThreadId, (Instant, Arc<str>)>>;

fn running() -> &'static Running {
    static RUNNING: OnceLock<Running> = OnceLock::new();
    RUNNING.get_or_init(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_secs(1));
            let calls = running().lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, input)) = calls.values().find(|(since, _)| since.elapsed() > HANG) {
                eprintln!("a fuzz input hangs (over {HANG:?}):\n{}", preview(input));
                std::process::abort();
            }
        });
        Mutex::new(HashMap::new())
    })
}

/// Forgets the slowest time of this thread (each target starts afresh).
pub fn reset_slowest() {
    SLOWEST.with(|s| s.set(Duration::ZERO));
}

/// The longest call measured on this thread since [`reset_slowest`].
pub fn slowest() -> Duration {
    SLOWEST.with(Cell::get)
}

/// At most 2,000 characters of an input, for messages.
pub fn preview(input: &str) -> String {
    let mut cut: String = input.chars().take(2_000).collect();
    if cut.len() < input.len() {
        cut.push_str("\n[… cut]");
    }
    format!("{cut:?}")
}

/// Runs `f` on the input described by `input`, failing the case when it takes over [`LIMIT`].
pub fn timed<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let me = std::thread::current().id();
    let described: Arc<str> = Arc::from(input);
    running()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(me, (Instant::now(), described));
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    running()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&me);
    SLOWEST.with(|s| s.set(s.get().max(took)));
    if took > LIMIT {
        return Err(TestCaseError::fail(format!(
            "{what} took {took:?} (the limit is {LIMIT:?}) on:\n{}",
            preview(input)
        )));
    }
    Ok(out)
}

/// Fails unless the diagnostic names a field or a position, and a position lies in the text.
pub fn located(d: &Diagnostic, text_len: usize, input: &str) -> Result<(), TestCaseError> {
    if d.field.is_empty() && d.location.is_none() {
        return Err(TestCaseError::fail(format!(
            "a diagnostic with neither a field nor a location: {d:?}\non:\n{}",
            preview(input)
        )));
    }
    if let Some(l) = d.location {
        if l.line == 0 || l.column == 0 || l.offset > text_len || l.offset + l.len > text_len {
            return Err(TestCaseError::fail(format!(
                "a location outside the text ({text_len} bytes): {d:?}\non:\n{}",
                preview(input)
            )));
        }
    }
    Ok(())
}

/// Fails unless a refused mission says where and why (a located error diagnostic).
pub fn located_refusal(err: &LoadError, input: &str) -> Result<(), TestCaseError> {
    let d = err.diagnostic();
    let _ = err.to_string();
    if !d.is_error() {
        return Err(TestCaseError::fail(format!(
            "a refusal that is not an error: {d:?}"
        )));
    }
    // A file that cannot be read, or is too large, is located by its path.
    if matches!(err, LoadError::Io { .. } | LoadError::TooLarge { .. }) && !d.file.is_empty() {
        return Ok(());
    }
    let len = err.source_file().map_or(input.len(), |s| s.text.len());
    located(&d, len, input)
}

/// The properties of every input to the loader: it answers within the limit, a refusal is a
/// located error, and an accepted mission validates (every diagnostic located), hashes, orders
/// its steps and round-trips through its JSON form.
pub fn check_load(text: &str, origin: &str) -> Result<Option<LoadedMission>, TestCaseError> {
    match timed("load_str", text, || studio_core::load_str(text, origin))? {
        Err(err) => {
            located_refusal(&err, text)?;
            Ok(None)
        }
        Ok(loaded) => {
            check_accepted(&loaded, text)?;
            Ok(Some(loaded))
        }
    }
}

/// The properties of an accepted mission (see [`check_load`]).
pub fn check_accepted(loaded: &LoadedMission, input: &str) -> Result<(), TestCaseError> {
    let len = loaded
        .source
        .text
        .len()
        .max(loaded.original.as_ref().map_or(0, |o| o.text.len()));
    for d in &loaded.load_diagnostics {
        located(d, len, input)?;
    }
    let diagnostics = timed("validate", input, || studio_core::validate(loaded))?;
    for d in &diagnostics {
        located(d, len, input)?;
        let _ = d.to_string();
    }
    timed("logic_hash and levels", input, || {
        let _ = studio_core::logic_hash(&loaded.mission);
        let _ = studio_core::levels(&loaded.mission);
    })?;
    round_trip(loaded, input)
}

/// Whether two missions are equal, but for the last bits of a float: `serde_json` reads some
/// decimals one unit in the last place off unless built with `float_roundtrip`.
fn same_but_last_bits(a: &studio_core::Mission, b: &studio_core::Mission) -> bool {
    a == b || {
        let (a, b) = (serde_json::to_value(a), serde_json::to_value(b));
        matches!((a, b), (Ok(a), Ok(b)) if close(&a, &b))
    }
}

fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON
            }
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

/// An accepted mission written out as JSON loads back as the same mission.
fn round_trip(loaded: &LoadedMission, input: &str) -> Result<(), TestCaseError> {
    let json = serde_json::to_string_pretty(&loaded.mission)
        .map_err(|e| TestCaseError::fail(format!("cannot write the mission as JSON: {e}")))?;
    let again = timed("load_str (round trip)", &json, || {
        studio_core::load_str(&json, "round-trip.json")
    })?;
    match again {
        Ok(again) if same_but_last_bits(&again.mission, &loaded.mission) => Ok(()),
        Ok(again) => Err(TestCaseError::fail(format!(
            "the mission changed through its JSON form:\nfirst:  {:?}\nsecond: {:?}\non:\n{}",
            loaded.mission,
            again.mission,
            preview(input)
        ))),
        Err(err) => Err(TestCaseError::fail(format!(
            "the mission's own JSON form is refused: {err}\njson: {}\non:\n{}",
            preview(&json),
            preview(input)
        ))),
    }
}
