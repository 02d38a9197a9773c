//! The catalogue of step types: the 51 RustChain names, and which of them this build implements.

/// Whether a step type can run in this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepTypeStatus {
    /// Implemented: missions using it validate and run.
    Available,
    /// A known RustChain step type that this build cannot run yet; validation refuses it with a
    /// "not available yet" diagnostic.
    NotAvailableYet,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepTypeInfo {
    pub name: &'static str,
    pub category: &'static str,
}

impl StepTypeInfo {
    /// Available exactly when the type's parameters are described (`step_params`): the engine
    /// and validation read the same table, so a type cannot be half there.
    pub fn status(&self) -> StepTypeStatus {
        if crate::step_params::params_of(self.name).is_some() {
            StepTypeStatus::Available
        } else {
            StepTypeStatus::NotAvailableYet
        }
    }
}

const fn st(name: &'static str, category: &'static str) -> StepTypeInfo {
    StepTypeInfo { name, category }
}

/// Every step type name the mission format knows, in the RustChain catalogue's order.
pub const STEP_TYPES: &[StepTypeInfo] = &[
    st("create_file", "file"),
    st("edit_file", "file"),
    st("delete_file", "file"),
    st("copy_file", "file"),
    st("move_file", "file"),
    st("read_file", "file"),
    st("list_directory", "file"),
    st("file_search", "file"),
    st("parse_json", "data"),
    st("parse_yaml", "data"),
    st("parse_xml", "data"),
    st("validate_schema", "data"),
    st("csv_process", "data"),
    st("compile_code", "code"),
    st("run_tests", "code"),
    st("format_code", "code"),
    st("lint_code", "code"),
    st("extract_functions", "code"),
    st("generate_docs", "code"),
    st("git_commit", "git"),
    st("git_branch", "git"),
    st("git_merge", "git"),
    st("git_status", "git"),
    st("git_diff", "git"),
    st("process_start", "system"),
    st("process_kill", "system"),
    st("monitor_resources", "system"),
    st("service_health", "system"),
    st("compress", "system"),
    st("sql_query", "database"),
    st("redis_set", "database"),
    st("redis_get", "database"),
    st("db_backup", "database"),
    st("db_migrate", "database"),
    st("websocket_connect", "network"),
    st("ftp_upload", "network"),
    st("ftp_download", "network"),
    st("ssh_execute", "network"),
    st("ping_host", "network"),
    st("generate_embedding", "ai"),
    st("similarity_search", "ai"),
    st("model_inference", "ai"),
    st("noop", "control"),
    st("command", "control"),
    st("http", "control"),
    st("llm", "ai"),
    st("tool", "advanced"),
    st("agent", "ai"),
    st("chain", "ai"),
    st("rag_query", "ai"),
    st("rag_add", "ai"),
];

/// Looks a step type up by its snake_case name.
pub fn step_type(name: &str) -> Option<&'static StepTypeInfo> {
    STEP_TYPES.iter().find(|info| info.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_catalogue_has_the_51_rustchain_names_once_each() {
        assert_eq!(STEP_TYPES.len(), 51);
        let names: HashSet<_> = STEP_TYPES.iter().map(|info| info.name).collect();
        assert_eq!(names.len(), 51, "a step type name appears twice");
    }

    #[test]
    fn lookup_finds_known_and_refuses_unknown_names() {
        assert_eq!(
            step_type("command").unwrap().status(),
            StepTypeStatus::Available
        );
        assert_eq!(
            step_type("ssh_execute").unwrap().status(),
            StepTypeStatus::Available
        );
        // A type of the catalogue still to come, while one is left.
        if let Some(later) = STEP_TYPES
            .iter()
            .find(|t| t.status() == StepTypeStatus::NotAvailableYet)
        {
            assert!(step_type(later.name).is_some());
        }
        assert!(step_type("teleport").is_none());
    }
}
