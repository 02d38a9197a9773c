//! Problems found in a mission file, with where they are and what to do about them.

use crate::source::Location;
use serde::{Deserialize, Serialize};

/// How serious a diagnostic is. Errors make a mission invalid; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// What kind of problem a diagnostic reports. Stable: callers branch on it, never on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The file could not be read.
    Io,
    /// The file is bigger than the loader accepts.
    TooLarge,
    /// The file has more steps than the loader accepts.
    TooManySteps,
    /// The text is not valid YAML/JSON, or does not have the shape of a mission
    /// (unknown field, wrong type, missing field, nesting or alias limits).
    Syntax,
    EmptyMission,
    /// A mission-level field with a value that cannot be right (blank name, negative value…).
    InvalidField,
    InvalidStepId,
    DuplicateStepId,
    UnknownDependency,
    DuplicateDependency,
    DependencyCycle,
    UnknownStepType,
    StepTypeNotAvailable,
    MissingParameter,
    InvalidParameter,
    UnknownParameter,
    ConflictingParameters,
    /// A `{{…}}` reference that names no step, no known namespace, or is malformed.
    UnknownReference,
    /// A `{{step.output…}}` reference to a step that does not run before this one.
    ReferenceNotAncestor,
    InvalidConfig,
    InvalidPerimeter,
    InvalidStateSchema,
    UnknownStateField,
    InvalidStateValue,
    InvalidPlan,
    /// A key the format does not know (it is left out; an error under `--strict`).
    UnknownField,
    /// An `llm` step's provider that is neither built in nor configured in Settings.
    UnknownProvider,
    /// A whole shell line in a `command` step's `command`.
    ShellCommandLine,
    /// A required run input that has no value.
    MissingInput,
}

impl Code {
    /// Every code, in declaration order.
    pub const ALL: &'static [Code] = &[
        Self::Io,
        Self::TooLarge,
        Self::TooManySteps,
        Self::Syntax,
        Self::EmptyMission,
        Self::InvalidField,
        Self::InvalidStepId,
        Self::DuplicateStepId,
        Self::UnknownDependency,
        Self::DuplicateDependency,
        Self::DependencyCycle,
        Self::UnknownStepType,
        Self::StepTypeNotAvailable,
        Self::MissingParameter,
        Self::InvalidParameter,
        Self::UnknownParameter,
        Self::ConflictingParameters,
        Self::UnknownReference,
        Self::ReferenceNotAncestor,
        Self::InvalidConfig,
        Self::InvalidPerimeter,
        Self::InvalidStateSchema,
        Self::UnknownStateField,
        Self::InvalidStateValue,
        Self::InvalidPlan,
        Self::UnknownField,
        Self::UnknownProvider,
        Self::ShellCommandLine,
        Self::MissingInput,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Io => "io",
            Self::TooLarge => "too_large",
            Self::TooManySteps => "too_many_steps",
            Self::Syntax => "syntax",
            Self::EmptyMission => "empty_mission",
            Self::InvalidField => "invalid_field",
            Self::InvalidStepId => "invalid_step_id",
            Self::DuplicateStepId => "duplicate_step_id",
            Self::UnknownDependency => "unknown_dependency",
            Self::DuplicateDependency => "duplicate_dependency",
            Self::DependencyCycle => "dependency_cycle",
            Self::UnknownStepType => "unknown_step_type",
            Self::StepTypeNotAvailable => "step_type_not_available",
            Self::MissingParameter => "missing_parameter",
            Self::InvalidParameter => "invalid_parameter",
            Self::UnknownParameter => "unknown_parameter",
            Self::ConflictingParameters => "conflicting_parameters",
            Self::UnknownReference => "unknown_reference",
            Self::ReferenceNotAncestor => "reference_not_ancestor",
            Self::InvalidConfig => "invalid_config",
            Self::InvalidPerimeter => "invalid_perimeter",
            Self::InvalidStateSchema => "invalid_state_schema",
            Self::UnknownStateField => "unknown_state_field",
            Self::InvalidStateValue => "invalid_state_value",
            Self::InvalidPlan => "invalid_plan",
            Self::UnknownField => "unknown_field",
            Self::UnknownProvider => "unknown_provider",
            Self::ShellCommandLine => "shell_command_line",
            Self::MissingInput => "missing_input",
        }
    }
}

/// One problem in a mission file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// The file's name as it was given to the loader.
    pub file: String,
    /// Where in the file; `None` when the mission did not come from text.
    pub location: Option<Location>,
    /// The field the problem is about, as a path: `steps[2].parameters.url`.
    pub field: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, field, message)
    }

    pub fn warning(code: Code, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, field, message)
    }

    fn new(
        severity: Severity,
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            file: String::new(),
            location: None,
            field: field.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    /// One line, compiler style: `file:line:column: error: message (field)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(loc) = &self.location {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        write!(f, ": {}: {}", self.severity.as_str(), self.message)?;
        if !self.field.is_empty() {
            write!(f, " (at `{}`)", self.field)?;
        }
        Ok(())
    }
}

/// Whether any of the diagnostics is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_prints_like_a_compiler_line() {
        let mut d = Diagnostic::error(
            Code::UnknownDependency,
            "steps[1].depends_on[0]",
            "no step `x`",
        )
        .with_help("declare it");
        d.file = "m.yaml".into();
        d.location = Some(Location {
            line: 7,
            column: 18,
            offset: 90,
            len: 1,
        });
        assert_eq!(
            d.to_string(),
            "m.yaml:7:18: error: no step `x` (at `steps[1].depends_on[0]`)"
        );
        assert!(has_errors(&[d.clone()]));
        d.severity = Severity::Warning;
        assert!(
            !has_errors(&[d]),
            "warnings alone do not make a mission invalid"
        );
    }

    #[test]
    fn every_code_is_listed_once_with_its_own_name() {
        let names: std::collections::HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        // Adding a variant without listing it fails here: the match must name them all.
        for code in Code::ALL {
            match code {
                Code::Io
                | Code::TooLarge
                | Code::TooManySteps
                | Code::Syntax
                | Code::EmptyMission
                | Code::InvalidField
                | Code::InvalidStepId
                | Code::DuplicateStepId
                | Code::UnknownDependency
                | Code::DuplicateDependency
                | Code::DependencyCycle
                | Code::UnknownStepType
                | Code::StepTypeNotAvailable
                | Code::MissingParameter
                | Code::InvalidParameter
                | Code::UnknownParameter
                | Code::ConflictingParameters
                | Code::UnknownReference
                | Code::ReferenceNotAncestor
                | Code::InvalidConfig
                | Code::InvalidPerimeter
                | Code::InvalidStateSchema
                | Code::UnknownStateField
                | Code::InvalidStateValue
                | Code::InvalidPlan
                | Code::UnknownField
                | Code::UnknownProvider
                | Code::ShellCommandLine
                | Code::MissingInput => {}
            }
        }
        assert_eq!(Code::ALL.len(), 29, "update Code::ALL when adding a code");
    }

    #[test]
    fn codes_serialise_as_their_stable_names() {
        for code in [
            Code::DependencyCycle,
            Code::StepTypeNotAvailable,
            Code::ReferenceNotAncestor,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
