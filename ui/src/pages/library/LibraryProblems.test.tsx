import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { MissionReport } from "../../gen/MissionReport";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { LibraryProblems } from "./LibraryProblems";

afterEach(() => clearMocks());

const REPORT: MissionReport = {
  file: "/data/templates/broken.yaml",
  valid: false,
  errors: 1,
  warnings: 0,
  items: [
    {
      severity: "error",
      code: "unknown_dependency",
      message: "`bye` depends on `helo`, which is not a step of this mission",
      file: "/data/templates/broken.yaml",
      line: 7,
      column: 18,
      field: "steps[1].depends_on[0]",
      help: "did you mean `hello`?",
    },
  ],
  rendered: "unknown_dependency\n\n  x `bye` depends on `helo`\n   ,-[/data/templates/broken.yaml:7:18]\n 7 |     depends_on: [helo]\n",
};

describe("LibraryProblems", () => {
  it("lists each broken template file with its place, hint and the CLI's report", async () => {
    mockCommands({ library_problems: () => [REPORT] });
    render(<LibraryProblems version={1} />);
    const notice = await screen.findByTestId("library-problems");
    expect(notice.textContent).toContain("1 template file has errors and is not in the library.");
    await act(async () => fireEvent.click(screen.getByTestId("library-problems-toggle")));
    const item = screen.getByTestId("mission-report-item");
    expect(item.textContent).toContain("7:18");
    expect(item.textContent).toContain("unknown_dependency");
    expect(item.textContent).toContain("did you mean `hello`?");
    expect(screen.getByTestId("mission-report-rendered").textContent).toBe(REPORT.rendered);
  });

  it("shows nothing when every template file is valid", async () => {
    const calls = mockCommands({ library_problems: () => [] });
    const { container } = render(<LibraryProblems version={1} />);
    await act(async () => {});
    expect(calls).toContain("library_problems");
    expect(container.innerHTML).toBe("");
  });
});
