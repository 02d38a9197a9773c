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
    pub status: StepTypeStatus,
}

const fn avail(name: &'static str, category: &'static str) -> StepTypeInfo {
    StepTypeInfo {
        name,
        category,
        status: StepTypeStatus::Available,
    }
}

const fn later(name: &'static str, category: &'static str) -> StepTypeInfo {
    StepTypeInfo {
        name,
        category,
        status: StepTypeStatus::NotAvailableYet,
    }
}

/// Every step type name the mission format knows, in the RustChain catalogue's order.
pub const STEP_TYPES: &[StepTypeInfo] = &[
    avail("create_file", "file"),
    avail("edit_file", "file"),
    avail("delete_file", "file"),
    avail("copy_file", "file"),
    avail("move_file", "file"),
    avail("read_file", "file"),
    avail("list_directory", "file"),
    avail("file_search", "file"),
    avail("parse_json", "data"),
    avail("parse_yaml", "data"),
    avail("parse_xml", "data"),
    avail("validate_schema", "data"),
    later("csv_process", "data"),
    later("compile_code", "code"),
    later("run_tests", "code"),
    later("format_code", "code"),
    later("lint_code", "code"),
    later("extract_functions", "code"),
    later("generate_docs", "code"),
    later("git_commit", "git"),
    later("git_branch", "git"),
    later("git_merge", "git"),
    later("git_status", "git"),
    later("git_diff", "git"),
    later("process_start", "system"),
    later("process_kill", "system"),
    later("monitor_resources", "system"),
    later("service_health", "system"),
    later("compress", "system"),
    later("sql_query", "database"),
    later("redis_set", "database"),
    later("redis_get", "database"),
    later("db_backup", "database"),
    later("db_migrate", "database"),
    later("websocket_connect", "network"),
    later("ftp_upload", "network"),
    later("ftp_download", "network"),
    later("ssh_execute", "network"),
    later("ping_host", "network"),
    later("generate_embedding", "ai"),
    later("similarity_search", "ai"),
    later("model_inference", "ai"),
    avail("noop", "control"),
    avail("command", "control"),
    avail("http", "control"),
    avail("llm", "ai"),
    avail("tool", "advanced"),
    later("agent", "ai"),
    later("chain", "ai"),
    later("rag_query", "ai"),
    later("rag_add", "ai"),
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
            step_type("command").unwrap().status,
            StepTypeStatus::Available
        );
        assert_eq!(
            step_type("ssh_execute").unwrap().status,
            StepTypeStatus::NotAvailableYet
        );
        assert!(step_type("teleport").is_none());
    }
}
