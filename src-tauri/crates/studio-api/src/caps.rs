//! The global hard caps: `<data dir>/perimeter.yaml`, the top level of every run's perimeter.
//! No active mission and no run can go above them (the registry refuses a deploy, the gate
//! holds a run). The app reads and writes them from Settings; the CLI reads the same file.

use crate::library_dto::PerimeterDto;
use crate::{ApiError, ErrorCode, StudioApi};

use studio_core::perimeter::check;
use studio_core::Perimeter;

/// The file name of the global hard caps in the data folder.
pub const CAPS_FILE: &str = "perimeter.yaml";

const CAPS_HEADER: &str =
    "# Global hard caps of Mission Studio: no perimeter may go above these.\n\
# Written by the app's Settings page; the `mission` CLI reads the same file.\n";

impl StudioApi {
    /// The global hard caps for the UI.
    pub fn caps(&self) -> Result<PerimeterDto, ApiError> {
        Ok((&self.global_perimeter()?).into())
    }

    /// Replaces the global hard caps (written atomically as YAML) and returns them as saved.
    pub fn set_caps(&self, caps: &PerimeterDto) -> Result<PerimeterDto, ApiError> {
        let perimeter = Perimeter::from(caps);
        check(&perimeter).map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
        if perimeter
            .budget
            .as_ref()
            .is_some_and(|b| [b.max_tokens, b.max_llm_calls, b.max_steps].contains(&Some(0)))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "a cap of 0 tokens, LLM calls or steps would stop every run; leave the field empty for no cap",
            ));
        }
        let path = self.paths().data_dir().join(CAPS_FILE);
        let body = serde_json::to_string_pretty(&serde_json::json!({ "perimeter": perimeter }))
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        // JSON is YAML: the file stays readable by every perimeter parser.
        let text = format!("{CAPS_HEADER}{body}\n");
        let tmp = path.with_extension("yaml.tmp");
        std::fs::write(&tmp, text)
            .map_err(|e| ApiError::io("write the global hard caps", &tmp, e))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| ApiError::io("replace the global hard caps", &path, e))?;
        self.caps()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library_dto::{ApprovalModeDto, BudgetDto};
    use crate::AppPaths;

    #[test]
    fn caps_are_empty_until_set_and_read_back_as_saved() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(api.caps().unwrap(), PerimeterDto::default());
        let caps = PerimeterDto {
            budget: BudgetDto {
                max_cost_usd: Some(2.5),
                max_tokens: Some(50_000),
                ..Default::default()
            },
            approval_mode: Some(ApprovalModeDto::Threshold),
            threshold_usd: Some(0.5),
            ..Default::default()
        };
        assert_eq!(api.set_caps(&caps).unwrap(), caps);
        let text = std::fs::read_to_string(dir.path().join(CAPS_FILE)).unwrap();
        assert!(text.starts_with("# Global hard caps"), "{text}");
        let again = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert_eq!(
            again
                .global_perimeter()
                .unwrap()
                .budget
                .unwrap()
                .max_cost_usd,
            Some(2.5)
        );
    }

    #[test]
    fn impossible_caps_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        let mut caps = PerimeterDto::default();
        caps.budget.max_cost_usd = Some(-1.0);
        assert_eq!(
            api.set_caps(&caps).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        let mut caps = PerimeterDto::default();
        caps.budget.max_steps = Some(0);
        assert_eq!(
            api.set_caps(&caps).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
