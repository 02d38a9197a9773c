import { render, screen } from "@testing-library/react";
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
  stepTypesAvailable: 15,
  stepTypesKnown: 51,
};

describe("About view", () => {
  it("shows the version and folders that Rust reports", async () => {
    const calls = mockCommands({ diagnostics: () => DIAG });
    render(<AboutPage />);
    expect(await screen.findByTestId("about-data-dir")).toHaveTextContent(DIAG.dataDir);
    expect(screen.getByTestId("about-database-path")).toHaveTextContent(DIAG.databasePath);
    expect(screen.getByTestId("about-log-dir")).toHaveTextContent(DIAG.logDir);
    expect(screen.getByTestId("about-version")).toHaveTextContent("v0.1.0");
    expect(screen.getByText("15 of 51 available")).toBeInTheDocument();
    expect(screen.getByText("platform default")).toBeInTheDocument();
    expect(calls).toEqual(["diagnostics"]);
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
