import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ApprovalDto } from "../../ipc";
import { ApprovalCard } from "./ApprovalCard";

function approval(over: Partial<ApprovalDto>): ApprovalDto {
  return {
    runId: "r1",
    missionId: "m",
    missionName: "Nightly",
    stepId: "deploy",
    stepType: "command",
    tool: "command",
    toolSector: "common",
    sideEffects: "external",
    estimatedCostUsd: 0,
    why: "threshold: tool `command` is in required_for",
    preview: { command: "rm", args: ["-rf", "<b>build</b>; echo hi"] },
    stepHash: "sha256:0123456789abcdef",
    requestedAt: "2026-01-01T00:00:00.000Z",
    ...over,
  };
}

describe("ApprovalCard", () => {
  it("shows the program and each argument exactly, as text", () => {
    render(<ApprovalCard approval={approval({})} onAnswer={async () => {}} />);
    expect(screen.getByTestId("approval-program")).toHaveTextContent("rm");
    const args = screen.getByTestId("approval-args").querySelectorAll("li");
    expect([...args].map((a) => a.textContent)).toEqual(["-rf", "<b>build</b>; echo hi"]);
    expect(screen.getByTestId("approval-args").querySelector("b")).toBeNull();
    expect(screen.getByText(/required_for/)).toBeInTheDocument();
  });

  it("shows an HTTP request with masked headers and its body", () => {
    render(
      <ApprovalCard
        approval={approval({
          stepType: "http",
          tool: "http",
          preview: { method: "post", url: "https://api.example/orders", headers: { Authorization: "***" }, body: "{\"qty\":1}" },
        })}
        onAnswer={async () => {}}
      />,
    );
    expect(screen.getByTestId("approval-http")).toHaveTextContent("POST https://api.example/orders");
    expect(screen.getByText("Authorization")).toBeInTheDocument();
    expect(screen.getByText("***")).toBeInTheDocument();
    // A JSON body written as text reads as fields, not as escaped JSON.
    const body = screen.getByTestId("approval-body");
    expect(body).toHaveTextContent("qty:1");
    expect(body.textContent).not.toContain('"');
  });

  it("shows the parameters of other step types as key: value fields, nested ones indented", () => {
    render(
      <ApprovalCard
        approval={approval({
          stepType: "create_file",
          tool: "create_file",
          sideEffects: "workspace",
          preview: { path: "report.md", content: "# Report\n\nLine \"two\"", meta: { owner: "ops", tags: ["a", "b"] } },
        })}
        onAnswer={async () => {}}
      />,
    );
    const fields = screen.getByTestId("approval-fields");
    const rows = [...fields.querySelectorAll(".vf-row")].map((r) => [r.textContent, r.getAttribute("style")]);
    expect(rows).toEqual([
      ["path:report.md", "padding-left: 0px;"],
      ['content:# Report\n\nLine "two"', "padding-left: 0px;"],
      ["meta", "padding-left: 0px;"],
      ["owner:ops", "padding-left: 16px;"],
      ["tags", "padding-left: 16px;"],
      ["1:a", "padding-left: 32px;"],
      ["2:b", "padding-left: 32px;"],
    ]);
    expect(fields.textContent).not.toContain("\\n");
  });

  it("keeps Approve and Deny outside the scrolling body", () => {
    const long = Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n");
    render(<ApprovalCard approval={approval({ stepType: "llm", tool: "llm", preview: { prompt: long } })} onAnswer={async () => {}} />);
    const body = screen.getByTestId("approval-body-scroll");
    const actions = screen.getByTestId("approval-actions");
    expect(body.contains(screen.getByTestId("approve-deploy"))).toBe(false);
    expect(actions.contains(screen.getByTestId("approve-deploy"))).toBe(true);
    expect(actions.contains(screen.getByTestId("deny-deploy"))).toBe(true);
  });

  it("shows an LLM prompt with its estimated cost", () => {
    render(
      <ApprovalCard
        approval={approval({ stepType: "llm", tool: "llm", estimatedCostUsd: 0.42, preview: { prompt: "Summarise the report", max_tokens: 500 } })}
        onAnswer={async () => {}}
      />,
    );
    expect(screen.getByTestId("approval-prompt")).toHaveTextContent("Summarise the report");
    expect(screen.getAllByText(/\$0\.42/).length).toBeGreaterThan(0);
  });

  it("answers approve and deny with the note", async () => {
    const answers: [boolean, string][] = [];
    const { unmount } = render(
      <ApprovalCard approval={approval({})} onAnswer={async (a, n) => void answers.push([a, n])} />,
    );
    fireEvent.change(screen.getByLabelText("Note for the audit log"), { target: { value: "ok by me" } });
    fireEvent.click(screen.getByTestId("approve-deploy"));
    await waitFor(() => expect(answers).toEqual([[true, "ok by me"]]));
    unmount();
    render(<ApprovalCard approval={approval({})} onAnswer={async (a, n) => void answers.push([a, n])} />);
    fireEvent.click(screen.getByTestId("deny-deploy"));
    await waitFor(() => expect(answers[1]).toEqual([false, ""]));
  });

  it("takes the keyboard when asked: the note has the focus and Ctrl+Enter approves", async () => {
    const answers: [boolean, string][] = [];
    render(<ApprovalCard approval={approval({})} autoFocus onAnswer={async (a, n) => void answers.push([a, n])} />);
    const note = screen.getByLabelText("Note for the audit log");
    expect(document.activeElement).toBe(note);
    fireEvent.change(note, { target: { value: "looks right" } });
    fireEvent.keyDown(note, { key: "Enter" });
    expect(answers).toEqual([]);
    fireEvent.keyDown(note, { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(answers).toEqual([[true, "looks right"]]));
  });

  it("shows a refused answer and lets the operator try again", async () => {
    render(
      <ApprovalCard
        approval={approval({})}
        onAnswer={async () => {
          throw { code: "not_found", message: "step `deploy` is not waiting for approval" };
        }}
      />,
    );
    fireEvent.click(screen.getByTestId("approve-deploy"));
    expect(await screen.findByText(/not waiting for approval/)).toBeInTheDocument();
    expect(screen.getByTestId("approve-deploy")).not.toBeDisabled();
  });
});
