import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EvidenceFile, EvidenceTree, RunDetail, RunList, RunListItem, RunListQuery } from "../../ipc";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { HistoryPage } from "../HistoryPage";
import { DEFAULT_FILTERS, filtersFromParams, filtersToParams, nextSort, toQuery } from "./filters";
import { formatCost, formatDuration } from "./format";
import { CsvView, FileViewer, JsonView, MarkdownView, parseCsv, TextView } from "./viewers";

// React Flow measures nodes with ResizeObserver, which jsdom lacks.
beforeAll(() => {
  if (!("ResizeObserver" in globalThis)) {
    class RO {
      observe() {}
      unobserve() {}
      disconnect() {}
    }
    (globalThis as unknown as { ResizeObserver: typeof RO }).ResizeObserver = RO;
  }
});

afterEach(() => clearMocks());

function run(over: Partial<RunListItem>): RunListItem {
  return {
    runId: "run-0000-aaaa",
    missionId: "com.acme.alpha",
    missionName: "Alpha Report",
    sector: "Finance",
    status: "completed",
    reason: null,
    startedAt: "2026-01-02T10:00:00.000Z",
    finishedAt: "2026-01-02T10:00:02.000Z",
    durationMs: 2000,
    costUsd: 0.12,
    tokens: 1200,
    llmCalls: 2,
    stepCount: 3,
    resumedFrom: null,
    evidenceDir: "/data/runs/x",
    simulated: false,
    ...over,
  };
}

const OK = run({});
const BAD = run({
  runId: "run-1111-bbbb",
  missionId: "com.acme.beta",
  missionName: "Beta Sweep",
  sector: "Security",
  status: "failed",
  reason: "step `check` failed: `false` exited with code 1",
  costUsd: 0,
});

function list(runs: RunListItem[]): RunList {
  return {
    runs,
    missions: [
      { missionId: "com.acme.alpha", name: "Alpha Report", runs: 1 },
      { missionId: "com.acme.beta", name: "Beta Sweep", runs: 1 },
    ],
    sectors: ["Finance", "Security"],
    totalRuns: 2,
  };
}

const DETAIL: RunDetail = {
  run: BAD,
  traceId: "t",
  logicHash: "sha256:x",
  description: null,
  resumable: true,
  resumedBy: [],
  steps: [
    { id: "write", name: "Write", stepType: "create_file", dependsOn: [], status: "success", attempts: 1, startedAt: "2026-01-02T10:00:00.000Z", finishedAt: "2026-01-02T10:00:00.100Z", durationMs: 100, output: { path: "note.md", bytes: 6 }, error: null, reusedFrom: null, simulated: null },
    { id: "check", name: null, stepType: "command", dependsOn: ["write"], status: "failed", attempts: 1, startedAt: null, finishedAt: null, durationMs: 5, output: null, error: "`false` exited with code 1", reusedFrom: null, simulated: null },
    { id: "after", name: null, stepType: "noop", dependsOn: ["check"], status: "skipped", attempts: 0, startedAt: null, finishedAt: null, durationMs: 0, output: null, error: null, reusedFrom: null, simulated: null },
  ],
};

const TREE: EvidenceTree = {
  runId: BAD.runId,
  root: "/data/runs/x",
  truncated: false,
  entries: [
    { name: "outputs", path: "outputs", kind: "dir", size: 20, children: [{ name: "answer.md", path: "outputs/answer.md", kind: "file", size: 20, children: [] }] },
    { name: "meta.json", path: "meta.json", kind: "file", size: 30, children: [] },
  ],
};

function file(path: string, kind: EvidenceFile["kind"], text: string, over: Partial<EvidenceFile> = {}): EvidenceFile {
  return { path, absolutePath: `/data/runs/x/${path}`, kind, mime: "text/plain", size: text.length, text, base64: null, truncated: false, limitBytes: 262144, ...over };
}

const EVENTS = { "plugin:event|listen": () => 1, "plugin:event|unlisten": () => null, watch_evidence: () => null, unwatch_evidence: () => null };

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/history/*" element={<HistoryPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe("history filters", () => {
  it("turn into the list_runs query, with local days as UTC instants", () => {
    const q = toQuery({ ...DEFAULT_FILTERS, status: "failed", sector: "Finance", text: "  sweep ", from: "2026-01-02", to: "2026-01-03" });
    expect(q.status).toBe("failed");
    expect(q.sector).toBe("Finance");
    expect(q.text).toBe("sweep");
    expect(q.sort).toBe("started");
    expect(q.descending).toBe(true);
    expect(new Date(q.startedAfter ?? "").getTime()).toBe(new Date("2026-01-02T00:00:00").getTime());
    // "to" includes the whole day.
    expect(new Date(q.startedBefore ?? "").getTime()).toBe(new Date("2026-01-04T00:00:00").getTime());
    expect(toQuery(DEFAULT_FILTERS)).toEqual({ sort: "started", descending: true });
  });

  it("round-trip through the URL and sort like a table", () => {
    const f = { ...DEFAULT_FILTERS, status: "failed", missionId: "com.acme.beta", sort: "cost" as const, descending: false };
    expect(filtersFromParams(filtersToParams(f))).toEqual(f);
    expect(filtersToParams(DEFAULT_FILTERS).toString()).toBe("");
    expect(nextSort(DEFAULT_FILTERS, "started")).toEqual({ sort: "started", descending: false });
    expect(nextSort(DEFAULT_FILTERS, "mission")).toEqual({ sort: "mission", descending: false });
    expect(nextSort(DEFAULT_FILTERS, "cost")).toEqual({ sort: "cost", descending: true });
    expect(filtersFromParams(new URLSearchParams("sort=bogus")).sort).toBe("started");
  });

  it("format durations and costs", () => {
    expect(formatDuration(340)).toBe("340 ms");
    expect(formatDuration(2500)).toBe("2.5 s");
    expect(formatDuration(125_000)).toBe("2m 05s");
    expect(formatCost(0)).toBe("$0");
    expect(formatCost(0.004)).toBe("$0.0040");
    expect(formatCost(1.5)).toBe("$1.50");
  });
});

describe("History page", () => {
  it("lists runs, filters by status and sorts by a column", async () => {
    const queries: RunListQuery[] = [];
    mockCommands({
      list_runs: (args) => {
        const q = args.query as RunListQuery;
        queries.push(q);
        return list(q.status === "failed" ? [BAD] : [BAD, OK]);
      },
    });
    renderAt("/history");
    expect(await screen.findByTestId(`run-row-${BAD.runId}`)).toHaveTextContent("Beta Sweep");
    expect(screen.getByTestId(`run-row-${OK.runId}`)).toHaveTextContent("$0.12");
    expect(screen.getByTestId(`run-row-${BAD.runId}`)).toHaveTextContent("Failed");
    expect(screen.getByText("2 runs recorded")).toBeInTheDocument();

    fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "failed" } });
    await waitFor(() => expect(screen.queryByTestId(`run-row-${OK.runId}`)).not.toBeInTheDocument());
    expect(queries.at(-1)).toMatchObject({ status: "failed" });

    await userEvent.click(screen.getByTestId("sort-cost"));
    await waitFor(() => expect(queries.at(-1)).toMatchObject({ status: "failed", sort: "cost", descending: true }));
    await userEvent.click(screen.getByTestId("filter-clear"));
    await waitFor(() => expect(queries.at(-1)?.status).toBeUndefined());
  });

  it("compares two selected runs side by side", async () => {
    mockCommands({
      list_runs: () => list([BAD, OK]),
      diff_runs: (args) => ({
        a: args.a === OK.runId ? OK : BAD,
        b: args.b === OK.runId ? OK : BAD,
        steps: [
          { stepId: "write", a: DETAIL.steps[0], b: DETAIL.steps[0], sameStatus: true, sameOutput: true },
          { stepId: "check", a: { ...DETAIL.steps[1], status: "success" }, b: DETAIL.steps[1], sameStatus: false, sameOutput: true },
        ],
      }),
    });
    renderAt("/history");
    await screen.findByTestId(`run-row-${BAD.runId}`);
    expect(screen.getByTestId("history-compare")).toBeDisabled();
    await userEvent.click(screen.getByTestId(`run-select-${OK.runId}`));
    await userEvent.click(screen.getByTestId(`run-select-${BAD.runId}`));
    await userEvent.click(screen.getByTestId("history-compare"));
    expect(await screen.findByTestId("compare-view")).toBeInTheDocument();
    expect(screen.getByText("1 of 2 steps differ")).toBeInTheDocument();
    expect(screen.getByTestId("compare-step-check")).toHaveAttribute("data-same", "false");
    expect(screen.getByTestId("compare-step-write")).toHaveAttribute("data-same", "true");
    await userEvent.click(screen.getByTestId("compare-only-diff"));
    expect(screen.queryByTestId("compare-step-write")).not.toBeInTheDocument();
  });

  it("opens a run with its steps and resumes it under a raised cap, with the current mission file", async () => {
    const PERIMETER = {
      budget: { maxCostUsd: 1, maxTokens: 300, maxLlmCalls: 3, maxSteps: 10, maxRuntimeMinutes: 5 },
      approvalMode: "auto" as const,
      thresholdUsd: null,
      requiredFor: [],
      sandbox: "full-access" as const,
      allowedTools: [],
      forbiddenTools: [],
      connectedSectors: [],
    };
    const started: Record<string, unknown>[] = [];
    const calls = mockCommands({
      get_run: () => DETAIL,
      get_caps: () => ({ ...PERIMETER, budget: { maxCostUsd: 5, maxTokens: 5000, maxLlmCalls: 10, maxSteps: 50, maxRuntimeMinutes: 60 }, approvalMode: null, sandbox: null }),
      resume_preview: (a) => {
        const o = a.options as { useCurrentFile: boolean };
        return {
          runId: BAD.runId,
          missionFile: "/work/m.yaml",
          fileChanged: true,
          fileExists: true,
          perimeter: PERIMETER,
          reusedSteps: o.useCurrentFile ? ["write"] : ["write"],
          rerunSteps: ["check", "after"],
          rerunReasons: { check: o.useCurrentFile ? "changed" : "failed", after: "after `check`" },
          hint: o.useCurrentFile ? null : "the mission file changed since this run: resume with --file to use it",
        };
      },
      forecast_resume: () => ({ missionId: "m", missionName: "M", canComplete: true, holds: true, caps: [], findings: [], steps: [], unknownValues: [] }),
      resume_run_with: (a) => {
        started.push(a);
        return { runId: "run-2222-cccc", resumedFrom: BAD.runId, reusedSteps: ["write"], rerunSteps: ["check", "after"] };
      },
    });
    renderAt(`/history/${BAD.runId}`);
    expect(await screen.findByTestId("run-reason")).toHaveTextContent("exited with code 1");
    const steps = screen.getByTestId("run-steps");
    expect(within(steps).getByTestId("step-row-check")).toHaveAttribute("data-status", "failed");
    expect(within(steps).getByTestId("step-row-after")).toHaveTextContent("Skipped");
    await userEvent.click(within(steps).getByTestId("step-row-write"));
    expect(screen.getByText(/"bytes": 6/)).toBeInTheDocument();

    await userEvent.click(screen.getByTestId("run-resume"));
    const dialog = await screen.findByTestId("resume-dialog");
    expect(await within(dialog).findByTestId("resume-file-changed")).toHaveTextContent("The mission file changed since this run.");
    expect(within(dialog).getByTestId("resume-use-file")).toBeChecked();
    await waitFor(() => expect(within(dialog).getByTestId("resume-rerun-check")).toHaveTextContent("changed"));
    expect(within(dialog).getByTestId("resume-reused-write")).toBeInTheDocument();
    fireEvent.change(within(dialog).getByTestId("input-maxTokens"), { target: { value: "400" } });
    await userEvent.click(within(dialog).getByTestId("resume-start"));
    await waitFor(() => expect(started).toHaveLength(1));
    const options = started[0]?.options as { useCurrentFile: boolean; perimeter: { budget: { maxTokens: number } } };
    expect(options.useCurrentFile).toBe(true);
    expect(options.perimeter.budget.maxTokens).toBe(400);
    expect(calls).not.toContain("resume_run");
  });

  it("shows the evidence inspector with answer.md rendered, and other files by kind", async () => {
    const reads: string[] = [];
    mockCommands({
      ...EVENTS,
      get_run: () => DETAIL,
      evidence_tree: () => TREE,
      read_evidence_file: (args) => {
        const path = args.path as string;
        reads.push(path);
        return path === "meta.json"
          ? file(path, "json", '{"run_id":"x","status":"failed"}', { mime: "application/json" })
          : file(path, "markdown", "# Answer\n\nAll **good**.\n<script>alert(1)</script>", { mime: "text/markdown", truncated: true, size: 600_000 });
      },
    });
    renderAt(`/history/${BAD.runId}/evidence`);
    const viewer = await screen.findByTestId("viewer-markdown");
    expect(within(viewer).getByRole("heading", { name: "Answer" })).toBeInTheDocument();
    expect(viewer.querySelector("script")).toBeNull();
    expect(screen.getByTestId("evidence-truncated")).toHaveTextContent("Too large, showing the first 256 KB");
    expect(reads).toEqual(["outputs/answer.md"]);

    await userEvent.click(screen.getByTestId("evidence-node-meta.json"));
    const json = await screen.findByTestId("viewer-json");
    expect(json).toHaveTextContent('"status": "failed"');
    expect(screen.getByTestId("evidence-root")).toHaveTextContent("/data/runs/x");
  });
});

describe("evidence viewers", () => {
  it("render markdown without raw HTML or remote loads", () => {
    const { container } = render(<MarkdownView text={'# Title\n\n<img src="http://x/y.png" onerror="alert(1)">\n\n![pic](http://x/p.png) [link](http://x)\n\n| a | b |\n|---|---|\n| 1 | 2 |'} />);
    expect(screen.getByRole("heading", { name: "Title" })).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("a")).toBeNull();
    expect(screen.getByText("[image: pic]")).toBeInTheDocument();
    expect(container.querySelector("table")).not.toBeNull();
  });

  it("pretty-print JSON and fall back to text when it does not parse", () => {
    const { unmount } = render(<JsonView text='{"a":1,"b":[true]}' />);
    expect(screen.getByTestId("viewer-json").textContent).toContain('"b": [');
    unmount();
    render(<JsonView text='{"a":' />);
    expect(screen.getByText(/does not parse/)).toBeInTheDocument();
  });

  it("show CSV as a table with quoted fields", () => {
    expect(parseCsv('name,note\n"Smith, J","said ""hi"""\r\nDoe,\n')).toEqual([
      ["name", "note"],
      ["Smith, J", 'said "hi"'],
      ["Doe", ""],
    ]);
    render(<CsvView text={"a,b\n1,2\n3,4\n"} />);
    const table = screen.getByTestId("viewer-csv");
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["#", "a", "b"]);
    expect(within(table).getAllByRole("row")).toHaveLength(3);
  });

  it("number the lines of text and show images from base64", () => {
    const { container, unmount } = render(<TextView text={"one\ntwo\nthree\n"} />);
    expect([...container.querySelectorAll(".hx-code-no")].map((n) => n.textContent)).toEqual(["1", "2", "3"]);
    unmount();
    const { container: c2 } = render(<FileViewer file={file("shot.png", "image", "", { text: null, base64: "iVBORw==", mime: "image/png" })} />);
    expect(c2.querySelector("img")?.getAttribute("src")).toBe("data:image/png;base64,iVBORw==");
  });
});
