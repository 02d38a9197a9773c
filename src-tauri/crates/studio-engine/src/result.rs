//! The result of a run: what the CLI prints with `--json` and the evidence folder records.

use crate::events::Usage;
use crate::plan::Plan;
use crate::timefmt::{ts, ts_opt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};

/// The result of one step. `output` has the fixed shape of the step type (null when the step
/// produced none); `attempts` counts every attempt made, retries included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// Shared by the steps of the same type (a run of many steps holds one copy of each name).
    pub step_type: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: StepStatus,
    pub output: Value,
    pub error: Option<String>,
    pub attempts: u32,
    #[serde(with = "ts_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "ts_opt")]
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: u64,
    /// The run whose output this step reused instead of running again (`mission resume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
}

/// A URL a step contacted (it goes to the evidence folder's `links.txt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub step_id: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub run_id: String,
    pub mission_id: String,
    pub trace_id: String,
    pub status: RunStatus,
    /// Why the run ended as it did (none for a completed run).
    pub reason: Option<String>,
    #[serde(with = "ts")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "ts")]
    pub finished_at: DateTime<Utc>,
    pub total_duration_ms: u64,
    pub usage: Usage,
    pub step_results: StepResults,
    /// The final mission state.
    pub state: BTreeMap<String, Value>,
    pub plan: Plan,
    pub links: Vec<Link>,
    /// Workspace-relative paths of the files that steps wrote.
    pub artifacts: Vec<String>,
}

impl RunResult {
    /// Number of steps that ended with each status, in a fixed order.
    pub fn counts(&self) -> Vec<(StepStatus, usize)> {
        [
            StepStatus::Success,
            StepStatus::Failed,
            StepStatus::Skipped,
            StepStatus::Cancelled,
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Blocked,
        ]
        .into_iter()
        .map(|s| {
            (
                s,
                self.step_results.values().filter(|r| r.status == s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// The step results of a run keyed by step id, in id order: a map that is read like a
/// `BTreeMap<String, StepResult>` (`get`, `[id]`, `iter`, `keys`, `values`) and serialises as
/// the same JSON object. It is one sorted list, built once at the end of a run, so a run of
/// many steps does not pay for a tree.
#[derive(Clone, PartialEq, Default)]
pub struct StepResults(Vec<(Arc<str>, StepResult)>);

impl StepResults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes entries already sorted by id, without duplicates (checked in debug builds).
    pub(crate) fn from_sorted(entries: Vec<(Arc<str>, StepResult)>) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Self(entries)
    }

    fn position(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(id))
    }

    pub fn get<Q: AsRef<str> + ?Sized>(&self, id: &Q) -> Option<&StepResult> {
        self.position(id.as_ref()).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, id: &Q) -> Option<&mut StepResult> {
        self.position(id.as_ref()).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, id: &Q) -> bool {
        self.position(id.as_ref()).is_ok()
    }

    /// Adds or replaces the result of a step; returns the one it replaced.
    pub fn insert(&mut self, id: String, result: StepResult) -> Option<StepResult> {
        match self.position(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, result)),
            Err(i) => {
                self.0.insert(i, (Arc::from(id), result));
                None
            }
        }
    }

    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, id: &Q) -> Option<StepResult> {
        self.position(id.as_ref()).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(id, result)` pairs in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &StepResult)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &StepResult> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut StepResult> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<Q: AsRef<str> + ?Sized> std::ops::Index<&Q> for StepResults {
    type Output = StepResult;

    fn index(&self, id: &Q) -> &StepResult {
        let id = id.as_ref();
        self.get(id)
            .unwrap_or_else(|| panic!("no result for step `{id}`"))
    }
}

impl fmt::Debug for StepResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, StepResult)> for StepResults {
    /// Sorts by id; a later result for the same id replaces an earlier one (as a map does).
    fn from_iter<I: IntoIterator<Item = (String, StepResult)>>(iter: I) -> Self {
        let map: BTreeMap<String, StepResult> = iter.into_iter().collect();
        Self::from(map)
    }
}

impl From<BTreeMap<String, StepResult>> for StepResults {
    fn from(map: BTreeMap<String, StepResult>) -> Self {
        Self(map.into_iter().map(|(k, v)| (Arc::from(k), v)).collect())
    }
}

impl From<StepResults> for BTreeMap<String, StepResult> {
    fn from(results: StepResults) -> Self {
        results.into_iter().collect()
    }
}

impl IntoIterator for StepResults {
    type Item = (String, StepResult);
    type IntoIter = std::iter::Map<
        std::vec::IntoIter<(Arc<str>, StepResult)>,
        fn((Arc<str>, StepResult)) -> (String, StepResult),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(|(k, v)| (k.to_string(), v))
    }
}

impl<'a> IntoIterator for &'a StepResults {
    type Item = (&'a str, &'a StepResult);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Arc<str>, StepResult)>,
        fn(&'a (Arc<str>, StepResult)) -> (&'a str, &'a StepResult),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
}

impl Serialize for StepResults {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for StepResults {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BTreeMap::<String, StepResult>::deserialize(d).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: StepStatus) -> StepResult {
        StepResult {
            step_type: "noop".into(),
            name: None,
            status,
            output: Value::Null,
            error: None,
            attempts: 1,
            started_at: None,
            finished_at: None,
            duration_ms: 0,
            reused_from: None,
        }
    }

    #[test]
    fn step_results_read_and_serialise_like_a_sorted_map() {
        let mut results: StepResults = [
            ("b".to_string(), result(StepStatus::Failed)),
            ("a".to_string(), result(StepStatus::Success)),
            ("c".to_string(), result(StepStatus::Skipped)),
        ]
        .into_iter()
        .collect();
        assert_eq!(results.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(results["b"].status, StepStatus::Failed);
        assert_eq!(results[&"c".to_string()].status, StepStatus::Skipped);
        assert!(results.get("zz").is_none());
        assert!(results
            .insert("b".into(), result(StepStatus::Success))
            .is_some());
        assert!(results
            .insert("0".into(), result(StepStatus::Success))
            .is_none());
        assert_eq!(results.len(), 4);
        let as_map: BTreeMap<String, StepResult> = results.clone().into();
        assert_eq!(
            serde_json::to_string(&results).unwrap(),
            serde_json::to_string(&as_map).unwrap(),
            "the same JSON as a map"
        );
        let back: StepResults =
            serde_json::from_str(&serde_json::to_string(&results).unwrap()).unwrap();
        assert_eq!(back, results);
        assert_eq!(format!("{results:?}"), format!("{as_map:?}"));
    }
}
