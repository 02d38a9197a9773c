import { fireEvent, render, screen } from "@testing-library/react";
import { DagView } from "./DagView";

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

const nodes = [
  { id: "fetch", label: "Fetch data", stepType: "http" },
  { id: "score", label: "Score", stepType: "llm", highlight: true, badge: "approval" },
  { id: "report", label: "Report", stepType: "create_file", status: "running" },
];
const edges = [
  { source: "fetch", target: "score" },
  { source: "score", target: "report" },
];

describe("DagView", () => {
  it("draws one node per step with its label, type, highlight and status", () => {
    render(<DagView nodes={nodes} edges={edges} />);
    expect(screen.getByTestId("dag-view")).toHaveAttribute("data-node-count", "3");
    expect(screen.getByTestId("dag-node-fetch")).toHaveTextContent("Fetch data");
    expect(screen.getByTestId("dag-node-fetch")).toHaveTextContent("http");
    expect(screen.getByTestId("dag-node-score")).toHaveAttribute("data-highlight", "true");
    expect(screen.getByTestId("dag-node-score")).toHaveTextContent("approval");
    expect(screen.getByTestId("dag-node-report")).toHaveAttribute("data-status", "running");
  });

  it("uses a custom renderer and reports clicks and Enter", () => {
    const clicked: string[] = [];
    render(
      <DagView
        nodes={nodes}
        edges={edges}
        renderNode={(d) => <span>custom {d.label}</span>}
        onNodeClick={(id) => clicked.push(id)}
      />,
    );
    expect(screen.getByTestId("dag-node-score")).toHaveTextContent("custom Score");
    fireEvent.keyDown(screen.getByTestId("dag-node-fetch"), { key: "Enter" });
    expect(clicked).toEqual(["fetch"]);
  });
});

describe("DagView, large graphs", () => {
  // A chain of 300 steps drawn with only the nodes in view rendered: it opens on its first steps.
  const chain = Array.from({ length: 300 }, (_, i) => ({ id: `s${i}`, label: `Step ${i}`, stepType: "noop" }));
  const links = chain.slice(1).map((n, i) => ({ source: `s${i}`, target: n.id }));
  const mounted = () => [...document.querySelectorAll(".react-flow__node")].map((n) => n.getAttribute("data-id"));

  it("does not mount a node outside the view to measure it again when its status changes", () => {
    const { rerender } = render(<DagView nodes={chain} edges={links} onlyRenderVisible />);
    const first = mounted();
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    // A live update far from the view: new node objects for the steps that changed.
    const updated = chain.map((n, i) => (i >= 100 && i % 7 === 0 ? { ...n, status: "running" } : n));
    rerender(<DagView nodes={updated} edges={links} onlyRenderVisible />);
    expect(mounted()).toEqual(first);
    expect(screen.queryByTestId("dag-node-s105")).toBeNull();
  });
});

describe("DagView, following a live run", () => {
  it("labels each node with its full name (title and accessible label)", () => {
    const long = [{ id: "fetch", label: "Fetch purchase orders from the supplier portal", stepType: "http" }];
    render(<DagView nodes={long} edges={[]} />);
    const node = screen.getByTestId("dag-node-fetch");
    expect(node).toHaveAttribute("title", "Fetch purchase orders from the supplier portal (fetch)");
    expect(node).toHaveTextContent("Fetch purchase orders from the supplier portal");
    expect(node.closest(".react-flow__node")).toHaveAttribute("aria-label", "Fetch purchase orders from the supplier portal (http)");
  });

  it("stops following once the view is zoomed by hand, and the Follow button brings it back", () => {
    render(<DagView nodes={nodes} edges={edges} controls follow={["report"]} />);
    expect(screen.queryByTestId("dag-follow")).toBeNull();
    fireEvent.click(document.querySelector(".react-flow__controls-zoomin") as Element);
    const button = screen.getByTestId("dag-follow");
    expect(button).toHaveTextContent("Follow the run");
    fireEvent.click(button);
    expect(screen.queryByTestId("dag-follow")).toBeNull();
  });

  it("offers no Follow button where nothing is followed", () => {
    render(<DagView nodes={nodes} edges={edges} controls />);
    fireEvent.click(document.querySelector(".react-flow__controls-zoomin") as Element);
    expect(screen.queryByTestId("dag-follow")).toBeNull();
  });
});
