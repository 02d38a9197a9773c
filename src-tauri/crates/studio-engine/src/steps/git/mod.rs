//! The git family, through the system `git` (program + args, never a shell): `git_status`,
//! `git_diff`, `git_commit`, `git_branch`, `git_merge`.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. What they
//! share (finding the repository inside the workspace, the fixed environment, refusing
//! repository-chosen programs, checking names before git sees them) is in [`repo`].
//!
//! Parameters are read under their canonical names: the other spellings a mission may use (the
//! aliases of `studio-core`'s table, e.g. RustChain's `path`, `operation`, `branch_name`) are
//! renamed first, so the table stays the one place that lists them.

mod git_branch;
mod git_commit;
mod git_diff;
mod git_merge;
mod git_status;
mod repo;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::{Map, Value};

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Status,
    Diff,
    Commit,
    Branch,
    Merge,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("git_status", Kind::Status),
    ("git_diff", Kind::Diff),
    ("git_commit", Kind::Commit),
    ("git_branch", Kind::Branch),
    ("git_merge", Kind::Merge),
];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it). Status, diff and listing branches only read; the others write the repository,
/// which is inside the workspace (a repository whose data lies outside is refused).
pub(crate) fn side_effects(kind: Kind, params: &Value) -> SideEffects {
    // A repository outside the workspace (a folder the perimeter grants) is changed in place:
    // an external effect, which the read-only sandbox refuses.
    let outside = ["repo_path", "path", "repository", "repo", "working_dir"]
        .iter()
        .filter_map(|k| params.get(*k).and_then(Value::as_str))
        .any(|p| std::path::Path::new(p).is_absolute());
    let writes = if outside {
        SideEffects::External
    } else {
        SideEffects::Workspace
    };
    match kind {
        Kind::Status | Kind::Diff => SideEffects::None,
        Kind::Branch => {
            let action = ["action", "operation"]
                .iter()
                .find_map(|k| params.get(*k).and_then(Value::as_str));
            if action == Some("list") {
                SideEffects::None
            } else {
                writes
            }
        }
        Kind::Commit | Kind::Merge => writes,
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let name = KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(n, _)| n);
    let params = canonical(name, params);
    match kind {
        Kind::Status => git_status::run(params, ctx).await,
        Kind::Diff => git_diff::run(params, ctx).await,
        Kind::Commit => git_commit::run(params, ctx).await,
        Kind::Branch => git_branch::run(params, ctx).await,
        Kind::Merge => git_merge::run(params, ctx).await,
    }
}

/// The parameters under their canonical names (aliases renamed; null values dropped). When a
/// parameter is given under two names (validation reports it), the canonical one wins.
fn canonical(step_type: &str, params: Value) -> Value {
    let (Some(spec), Value::Object(map)) =
        (studio_core::step_params::params_of(step_type), &params)
    else {
        return params;
    };
    let mut out = Map::new();
    for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
        let name = spec.canonical(key);
        if name != key && map.get(name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        out.insert(name.to_string(), value.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rustchain_spellings_are_read_under_the_canonical_names() {
        let p = canonical(
            "git_branch",
            json!({"path": "repo", "operation": "create", "branch_name": "x", "switch": true}),
        );
        assert_eq!(
            p,
            json!({"repo_path": "repo", "action": "create", "name": "x", "checkout": true})
        );
        let p = canonical(
            "git_merge",
            json!({"source": "a", "branch": "b", "x": null}),
        );
        assert_eq!(p, json!({"branch": "b"}), "the canonical name wins");
    }

    #[test]
    fn listing_branches_only_reads() {
        assert_eq!(
            side_effects(Kind::Branch, &json!({"operation": "list"})),
            SideEffects::None
        );
        assert_eq!(
            side_effects(Kind::Branch, &json!({"name": "x"})),
            SideEffects::Workspace
        );
        assert_eq!(side_effects(Kind::Diff, &json!({})), SideEffects::None);
        assert_eq!(
            side_effects(Kind::Merge, &json!({})),
            SideEffects::Workspace
        );
    }
}
