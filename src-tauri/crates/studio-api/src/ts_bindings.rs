//! TypeScript types for the UI, generated from the DTOs. The files live in `ui/src/gen/`, are
//! committed, and the `generated_ts_types_are_up_to_date` test fails when they drift; run it with
//! `UPDATE_GENERATED=1` to rewrite them.

use std::path::PathBuf;
use ts_rs::{Config, TS};

/// Every exported type's file name and contents.
pub fn bindings() -> Vec<(PathBuf, String)> {
    let cfg = Config::new().with_large_int("number");
    let mut out = Vec::new();
    add::<crate::ApiError>(&cfg, &mut out);
    add::<crate::ErrorCode>(&cfg, &mut out);
    add::<crate::Diagnostics>(&cfg, &mut out);
    add::<crate::StepTypeDto>(&cfg, &mut out);
    add::<crate::MissionReport>(&cfg, &mut out);
    add::<crate::DiagnosticItem>(&cfg, &mut out);
    // The Editor page.
    add::<crate::EditorPreview>(&cfg, &mut out);
    add::<crate::SavedMission>(&cfg, &mut out);
    add::<crate::MissionDiff>(&cfg, &mut out);
    add::<crate::StepChange>(&cfg, &mut out);
    add::<crate::FieldChange>(&cfg, &mut out);
    add::<crate::Settings>(&cfg, &mut out);
    add::<crate::Theme>(&cfg, &mut out);
    // Squads: the NATS check and the Workers page.
    add::<crate::squad_status::NatsCheck>(&cfg, &mut out);
    add::<crate::squad_status::SquadStatus>(&cfg, &mut out);
    add::<crate::squad_status::DeptWorkersDto>(&cfg, &mut out);
    add::<crate::squad_status::WorkerStatusDto>(&cfg, &mut out);
    add::<crate::squad_status::WorkerJobDto>(&cfg, &mut out);
    // History and the evidence inspector.
    add::<crate::RunListQuery>(&cfg, &mut out);
    add::<crate::RunSortKey>(&cfg, &mut out);
    add::<crate::RunListItem>(&cfg, &mut out);
    add::<crate::MissionFacet>(&cfg, &mut out);
    add::<crate::RunList>(&cfg, &mut out);
    add::<crate::RunMatchItem>(&cfg, &mut out);
    add::<crate::MatchPart>(&cfg, &mut out);
    add::<crate::RunStepItem>(&cfg, &mut out);
    add::<crate::RunDetail>(&cfg, &mut out);
    add::<crate::StepSideItem>(&cfg, &mut out);
    add::<crate::StepCompare>(&cfg, &mut out);
    add::<crate::RunCompare>(&cfg, &mut out);
    add::<crate::ResumeStarted>(&cfg, &mut out);
    add::<crate::resume::ResumeOptions>(&cfg, &mut out);
    add::<crate::resume::ResumePreview>(&cfg, &mut out);
    // The launch forecast (Quick Deploy, Resume, dry runs).
    add::<crate::forecast::LaunchForecast>(&cfg, &mut out);
    add::<crate::forecast::CapForecastDto>(&cfg, &mut out);
    add::<crate::forecast::ForecastFindingDto>(&cfg, &mut out);
    add::<crate::forecast::StepForecastDto>(&cfg, &mut out);
    add::<crate::EvidenceEntryKind>(&cfg, &mut out);
    add::<crate::EvidenceEntry>(&cfg, &mut out);
    add::<crate::EvidenceTree>(&cfg, &mut out);
    add::<crate::EvidenceFileKind>(&cfg, &mut out);
    add::<crate::EvidenceFile>(&cfg, &mut out);
    // The run view and approvals.
    add::<crate::live::RunEventDto>(&cfg, &mut out);
    add::<crate::live::UsageDto>(&cfg, &mut out);
    add::<crate::live::ApprovalDto>(&cfg, &mut out);
    add::<crate::live::LiveRunDto>(&cfg, &mut out);
    add::<crate::live::BudgetCapsDto>(&cfg, &mut out);
    add::<crate::live::RunStepDto>(&cfg, &mut out);
    add::<crate::live::RunViewDto>(&cfg, &mut out);
    add::<crate::live::StateFieldDto>(&cfg, &mut out);
    add::<crate::live::StepDetailDto>(&cfg, &mut out);
    add::<crate::decisions::ApprovalDecisionDto>(&cfg, &mut out);
    // The library, the perimeter configurator and the settings.
    add::<crate::library_dto::LibraryTemplateStats>(&cfg, &mut out);
    add::<crate::library_dto::LibraryTemplate>(&cfg, &mut out);
    add::<crate::library_dto::LibraryStep>(&cfg, &mut out);
    add::<crate::library_dto::LibraryTemplateDetail>(&cfg, &mut out);
    add::<crate::library_dto::ApprovalModeDto>(&cfg, &mut out);
    add::<crate::library_dto::SandboxDto>(&cfg, &mut out);
    add::<crate::library_dto::BudgetDto>(&cfg, &mut out);
    add::<crate::library_dto::PerimeterDto>(&cfg, &mut out);
    add::<crate::library_dto::ActiveMissionDto>(&cfg, &mut out);
    add::<crate::library_dto::TemplateRun>(&cfg, &mut out);
    add::<crate::library_dto::StepApprovalPreview>(&cfg, &mut out);
    add::<crate::providers::KeyStorage>(&cfg, &mut out);
    add::<crate::providers::ProviderKind>(&cfg, &mut out);
    add::<crate::providers::LlmProvider>(&cfg, &mut out);
    add::<crate::providers::LlmProviderInput>(&cfg, &mut out);
    add::<crate::provider_check::ProviderCheck>(&cfg, &mut out);
    // The Audit and Review pages.
    add::<crate::oversight::AuditQuery>(&cfg, &mut out);
    add::<crate::oversight::AuditRowDto>(&cfg, &mut out);
    add::<crate::oversight::AuditPage>(&cfg, &mut out);
    add::<crate::oversight::ReviewFlagDto>(&cfg, &mut out);
    out
}

fn add<T: TS + 'static>(cfg: &Config, out: &mut Vec<(PathBuf, String)>) {
    let path = T::output_path().expect("every exported type names its file with export_to");
    let text = T::export_to_string(cfg).expect("ts-rs renders the type");
    out.push((path, text));
}
