import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { SquadStatus } from "../../ipc/squad";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { WorkersPage } from "./WorkersPage";

afterEach(() => clearMocks());

function show(status: SquadStatus) {
  mockCommands({ squad_status: () => status });
  render(
    <MemoryRouter>
      <WorkersPage />
    </MemoryRouter>,
  );
}

const base: SquadStatus = {
  url: "nats://127.0.0.1:4222",
  reachable: true,
  error: null,
  checkedAt: "2026-12-07T19:00:00Z",
  liveWithinS: 5,
  departments: [],
};

describe("the Workers page", () => {
  it("sends to Settings when no NATS URL is set", async () => {
    show({ ...base, url: null });
    const empty = await screen.findByTestId("workers-unset");
    expect(within(empty).getByRole("link", { name: "Set a NATS URL in Settings" })).toHaveAttribute(
      "href",
      "/settings#settings-squad",
    );
  });

  it("shows the check's message when the broker does not answer", async () => {
    show({ ...base, reachable: false, error: "cannot reach NATS at nats://127.0.0.1:4222: connection refused" });
    expect(await screen.findByTestId("workers-error-message")).toHaveTextContent("connection refused");
  });

  it("lists workers by department with their state, heartbeat age and jobs", async () => {
    show({
      ...base,
      departments: [
        {
          dept: "ops",
          live: 1,
          workers: [
            {
              workerId: "w-ops",
              dept: "ops",
              lastHeartbeatAt: "2026-12-07T19:00:00Z",
              secondsSince: 1,
              live: true,
              running: 1,
              jobs: [{ missionId: "m-1", runId: "run-42", stepId: "fetch", attempt: 2 }],
            },
            {
              workerId: "w-old",
              dept: "ops",
              lastHeartbeatAt: "2026-12-07T18:59:50Z",
              secondsSince: 10,
              live: false,
              running: 0,
              jobs: [],
            },
          ],
        },
      ],
    });
    const ops = await screen.findByTestId("dept-ops");
    expect(within(ops).getByTestId("dept-count-ops")).toHaveTextContent("1 of 2 live");
    expect(screen.getByTestId("worker-state-w-ops")).toHaveTextContent("Live");
    expect(screen.getByTestId("worker-state-w-old")).toHaveTextContent("Silent");
    expect(screen.getByTestId("worker-beat-w-ops")).toHaveTextContent("last heartbeat 1 s ago");
    expect(screen.getByTestId("worker-running-w-ops")).toHaveTextContent("running 1 job");
    const job = screen.getByTestId("worker-job-w-ops-fetch");
    expect(within(job).getByRole("link", { name: "run-42" })).toHaveAttribute("href", "/runs/run-42");
    expect(job).toHaveTextContent("attempt 2");
    expect(screen.getByTestId("workers-live-count")).toHaveTextContent("1 of 2 live");
  });
});
