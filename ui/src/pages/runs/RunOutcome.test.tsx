import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { endLabel, endReason, RunDecisions, RunOutcome } from "./RunOutcome";

describe("the end of a run", () => {
  it("names how it ended, a denial as such", () => {
    expect(endLabel("completed", "run completed: 3 of 3 steps succeeded")).toBe("Completed");
    expect(endLabel("failed", "run failed: step `x` failed: exit code 1")).toBe("Failed");
    expect(endLabel("failed", "run failed: step `deploy` skipped: approval_denied: …; denied by ui")).toBe("Denied");
    expect(endLabel("cancelled", null)).toBe("Cancelled");
    expect(endLabel("timed_out", null)).toBe("Timed out");
    expect(endReason("run failed: step `x` failed")).toBe("step `x` failed");
  });

  it("links to the answer, the run's details and its evidence", () => {
    render(
      <MemoryRouter>
        <RunOutcome runId="r 1" status="failed" outcome="run failed: step `check` failed: exit code 1" hasEvidence />
      </MemoryRouter>,
    );
    expect(screen.getByTestId("run-outcome-label")).toHaveTextContent("Failed");
    expect(screen.getByTestId("run-outcome-reason")).toHaveTextContent("step `check` failed: exit code 1");
    expect(screen.getByTestId("run-result-link")).toHaveAttribute("href", "/history/r%201/evidence");
    expect(screen.getByTestId("run-evidence-link")).toHaveAttribute("href", "/history/r%201");
    expect(screen.getByTestId("run-open-evidence")).toBeInTheDocument();
  });

  it("shows who answered each approval and the note they typed", () => {
    render(
      <RunDecisions
        approvals={[
          { stepId: "deploy", status: "denied", decidedBy: "ui", note: "not before the freeze", decidedAt: "2026-01-01T00:00:00Z", why: "strict" },
          { stepId: "plan", status: "approved", decidedBy: "ui", note: null, decidedAt: null, why: "strict" },
        ]}
      />,
    );
    expect(screen.getByTestId("run-decision-deploy")).toHaveTextContent("deploy denied by ui — “not before the freeze”".replace(/[“”]/g, ""));
    expect(screen.getByTestId("run-decision-plan")).toHaveTextContent("plan approved by ui");
  });
});
