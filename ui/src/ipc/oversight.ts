// The Audit and Review pages' commands. Types are generated from the Rust DTOs (ui/src/gen/).
import type { AuditPage } from "../gen/AuditPage";
import type { AuditQuery } from "../gen/AuditQuery";
import type { AuditRowDto } from "../gen/AuditRowDto";
import type { ReviewFlagDto } from "../gen/ReviewFlagDto";
import { call } from "./index";

export type { AuditPage, AuditQuery, ReviewFlagDto };
export type AuditRow = AuditRowDto;
export type AuditDecisionFilter = NonNullable<AuditQuery["decision"]>;
export type ReviewStatus = ReviewFlagDto["status"];
export type ReviewStatusFilter = ReviewStatus | "all";

export const oversight = {
  auditRows: (query: AuditQuery) => call<AuditPage>("audit_rows", { query }),
  reviewFlags: (status: ReviewStatusFilter) => call<ReviewFlagDto[]>("review_flags", { status }),
  resolveFlag: (flagId: number, note: string | null) => call<ReviewFlagDto>("resolve_review_flag", { flagId, note }),
};
