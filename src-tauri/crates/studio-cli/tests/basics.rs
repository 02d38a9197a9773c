//! The `mission` binary's basics: version, help, usage errors, and the shared data folder.

use std::process::Command;

fn mission() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mission"))
}

#[test]
fn version_prints_the_package_version() {
    let out = mission().arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!("mission {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_the_subcommands_and_the_data_dir_option() {
    let out = mission().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Usage: mission"), "{text}");
    assert!(text.contains("--data-dir"), "{text}");
    assert!(text.contains("info"), "{text}");
}

#[test]
fn an_unknown_subcommand_is_a_usage_error_with_exit_code_2() {
    let out = mission().arg("teleport").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("teleport"));
}

#[test]
fn info_json_reports_the_data_dir_from_the_flag_and_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = mission()
        .args(["info", "--json", "--data-dir"])
        .arg(dir.path())
        .env_remove("MISSION_STUDIO_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["dataDir"], dir.path().display().to_string());
    assert_eq!(json["dataDirFromEnv"], false);
    assert!(
        dir.path().join("logs").is_dir(),
        "the data folder is prepared"
    );

    let out = mission()
        .args(["info", "--json"])
        .env("MISSION_STUDIO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["dataDir"], dir.path().display().to_string());
    assert_eq!(json["dataDirFromEnv"], true);
}
