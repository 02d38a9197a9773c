import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockCommands } from "../ipc/testing";
import type { Diagnostics } from "../ipc";
import { AboutPage } from "./AboutPage";

const DIAG: Diagnostics = {
  appVersion: "0.1.0",
  dataDir: "/home/op/.local/share/mission-studio",
  databasePath: "/home/op/.local/share/mission-studio/mission-studio.db",
  logDir: "/home/op/.local/share/mission-studio/logs",
  runsDir: "/home/op/.local/share/mission-studio/runs",
  dataDirFromEnv: false,
  os: "linux",
  arch: "x86_64",
  stepTypesAvailable: 4,
  stepTypesKnown: 7,
  stepTypes: [
    { name: "create_file", family: "file", available: true },
    { name: "read_file", family: "file", available: true },
    { name: "git_commit", family: "git", available: false },
    { name: "ssh_execute", family: "network", available: false },
    { name: "command", family: "control", available: true },
    { name: "llm", family: "ai", available: true },
    { name: "agent", family: "ai", available: false },
  ],
};

describe("About view", () => {
  it("shows the version and folders that Rust reports", async () => {
    const calls = mockCommands({ diagnostics: () => DIAG });
    render(<AboutPage />);
    expect(await screen.findByTestId("about-data-dir")).toHaveTextContent(DIAG.dataDir);
    expect(screen.getByTestId("about-database-path")).toHaveTextContent(DIAG.databasePath);
    expect(screen.getByTestId("about-log-dir")).toHaveTextContent(DIAG.logDir);
    expect(screen.getByTestId("about-version")).toHaveTextContent("v0.1.0");
    expect(screen.getByTestId("about-diagnostics")).toHaveTextContent("4 of RustChain’s 7 run in this version");
    expect(screen.getByText("platform default")).toBeInTheDocument();
    expect(calls).toEqual(["diagnostics"]);
  });

  it("explains the step catalogue: what runs, family by family, and that the rest is refused at validation", async () => {
    mockCommands({ diagnostics: () => DIAG });
    render(<AboutPage />);
    const summary = await screen.findByTestId("about-step-types-summary");
    expect(summary).toHaveTextContent("all 7 step types of RustChain’s catalogue, and this version runs 4 of them");
    expect(summary).toHaveTextContent("one of the other 3 is refused when it is validated, before anything runs");
    const ai = screen.getByTestId("about-family-ai");
    expect(ai).toHaveTextContent("AI");
    expect(ai).toHaveTextContent("1 of 2 run");
    expect(within(ai).getByTestId("about-step-llm")).toHaveAttribute("data-available", "true");
    expect(within(ai).getByTestId("about-step-agent")).toHaveAttribute("data-available", "false");
    // Families with something that runs come first, in the catalogue's order.
    const families = screen.getAllByTestId(/^about-family-/).map((el) => el.dataset.testid);
    expect(families).toEqual(["about-family-file", "about-family-control", "about-family-ai", "about-family-git", "about-family-network"]);
  });

  it("says that every type runs once none is refused", async () => {
    const all = { ...DIAG, stepTypesAvailable: 7, stepTypes: DIAG.stepTypes.map((t) => ({ ...t, available: true })) };
    mockCommands({ diagnostics: () => all });
    render(<AboutPage />);
    const summary = await screen.findByTestId("about-step-types-summary");
    expect(summary).toHaveTextContent("this version runs all 7 of them");
    expect(summary).toHaveTextContent("A type that is not in the catalogue is refused when it is validated");
    expect(summary).not.toHaveTextContent("not available yet");
    expect(screen.queryByText("refused at validation")).not.toBeInTheDocument();
  });

  it("says where the data folder came from when the environment sets it", async () => {
    mockCommands({ diagnostics: () => ({ ...DIAG, dataDirFromEnv: true }) });
    render(<AboutPage />);
    expect(await screen.findByText("MISSION_STUDIO_DATA_DIR")).toBeInTheDocument();
  });

  it("shows the error message when the command fails", async () => {
    mockCommands({
      diagnostics: () => {
        throw { code: "io", message: "could not create the folder /nope: permission denied" };
      },
    });
    render(<AboutPage />);
    expect(await screen.findByTestId("about-error")).toHaveTextContent("permission denied");
    expect(screen.queryByTestId("about-diagnostics")).not.toBeInTheDocument();
  });
});
