// A read-only step DAG: automatic left-to-right layout, fit to its box, themed with the app tokens.
// Shared by the library (template detail, approval preview), the run view and the history.
import "@xyflow/react/dist/style.css";
import "./dag.css";
import {
  Background,
  BackgroundVariant,
  Controls,
  Handle,
  Panel,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type Node,
  type NodeHandle,
  type NodeProps,
} from "@xyflow/react";
import { LocateFixed } from "lucide-react";
import {
  createContext,
  memo,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from "react";
import { boundsOf, fitZoom, followViewport, type Rect } from "./follow";
import { layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./layout";
import { StepTypeIcon, StatusIcon } from "./icons";

/** What one node shows. `status` follows the run (pending, running, succeeded, failed, blocked, …). */
export type DagNodeData = {
  id: string;
  label: string;
  stepType: string;
  status?: string;
  /** Draws attention to the node (e.g. "needs approval" in the perimeter preview). */
  highlight?: boolean;
  /** A short tag in the node's corner (e.g. "approval", "$0.02"). */
  badge?: string;
};

export interface DagEdge {
  source: string;
  target: string;
}

export interface DagViewProps {
  nodes: readonly DagNodeData[];
  edges: readonly DagEdge[];
  /** Replaces the body of every node; the frame, handles and test ids stay. */
  renderNode?: (data: DagNodeData) => ReactNode;
  onNodeClick?: (id: string) => void;
  /** Id of the node drawn as selected. */
  selectedId?: string | undefined;
  /** Zoom buttons in the corner (off for small previews). */
  controls?: boolean;
  height?: number | string;
  className?: string;
  testId?: string;
  ariaLabel?: string;
  /** Renders only the nodes and edges in view (large graphs). */
  onlyRenderVisible?: boolean;
  /**
   * A graph that would fit only below this zoom opens at it instead, on its first steps (a long
   * chain stays readable; pan to see the rest).
   */
  minFitZoom?: number;
  /** Left to right (default), or top to bottom for a narrow box such as a side panel. */
  direction?: "LR" | "TB";
  /**
   * Ids of the nodes to keep in view (a live run's running steps): the view pans to them as they
   * change, and fits a graph that fits again when its box changes size, until the user pans or
   * zooms by hand; a "Follow" button then brings it back.
   */
  follow?: readonly string[];
  /**
   * What is followed no longer changes (a run that ended): the whole graph is shown when it fits
   * at `OVERVIEW_ZOOM` or more, else the followed nodes.
   */
  settled?: boolean;
}

type StepNode = Node<DagNodeData & { selected?: boolean }, "step">;

interface DagCtx {
  renderNode: ((data: DagNodeData) => ReactNode) | undefined;
  onNodeClick: ((id: string) => void) | undefined;
  vertical: boolean;
}

const DagContext = createContext<DagCtx>({ renderNode: undefined, onNodeClick: undefined, vertical: false });

/** The default body of a node: step-type icon, label, type, status and badge. */
export function DefaultStepNode({ data }: { data: DagNodeData }) {
  return (
    <>
      <span className="dag-node-icon" aria-hidden>
        <StepTypeIcon stepType={data.stepType} size={14} />
      </span>
      <span className="dag-node-text">
        <span className="dag-node-label" title={data.label}>
          {data.label}
        </span>
        <span className="dag-node-type">{data.stepType}</span>
      </span>
      {data.status ? (
        <span className={`dag-node-status status-${data.status}`} title={data.status} aria-label={data.status}>
          <StatusIcon status={data.status} size={13} />
        </span>
      ) : null}
    </>
  );
}

const StepNodeView = memo(function StepNodeView({ data }: NodeProps<StepNode>) {
  const { renderNode, onNodeClick, vertical } = useContext(DagContext);
  const classes = ["dag-node"];
  if (data.status) classes.push(`is-${data.status}`);
  if (data.highlight) classes.push("is-highlight");
  if (data.selected) classes.push("is-selected");
  if (onNodeClick) classes.push("is-clickable");
  const onKeyDown = (e: KeyboardEvent) => {
    if (onNodeClick && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      onNodeClick(data.id);
    }
  };
  return (
    <div
      className={classes.join(" ")}
      data-testid={`dag-node-${data.id}`}
      title={data.label === data.id ? data.label : `${data.label} (${data.id})`}
      data-status={data.status}
      data-highlight={data.highlight ? "true" : undefined}
      onKeyDown={onKeyDown}
    >
      <Handle
        type="target"
        position={vertical ? Position.Top : Position.Left}
        isConnectable={false}
        className="dag-handle"
      />
      {renderNode ? renderNode(data) : <DefaultStepNode data={data} />}
      {data.badge ? <span className="dag-node-badge">{data.badge}</span> : null}
      <Handle
        type="source"
        position={vertical ? Position.Bottom : Position.Right}
        isConnectable={false}
        className="dag-handle"
      />
    </div>
  );
});

const nodeTypes = { step: StepNodeView };

/** The side of a `.dag-handle` (px, its border included). */
const HANDLE_SIZE = 6;

/**
 * Where a node's two handles sit, as React Flow measures them (relative to the node, unscaled).
 * Given with each node, with the node's size: a node whose data changed is not measured again.
 * Without them React Flow drops the node's measurements on every new node object and measures it
 * again: it mounts the node even off-screen (a large graph's live update then mounted, measured
 * and unmounted every changed node, forcing layouts and a second render each time).
 */
function handlesFor(vertical: boolean): NodeHandle[] {
  const half = HANDLE_SIZE / 2;
  const common = { width: HANDLE_SIZE, height: HANDLE_SIZE, id: null };
  return vertical
    ? [
        { ...common, type: "target", position: Position.Top, x: NODE_WIDTH / 2 - half, y: -half },
        { ...common, type: "source", position: Position.Bottom, x: NODE_WIDTH / 2 - half, y: NODE_HEIGHT - half },
      ]
    : [
        { ...common, type: "target", position: Position.Left, x: -half, y: NODE_HEIGHT / 2 - half },
        { ...common, type: "source", position: Position.Right, x: NODE_WIDTH - half, y: NODE_HEIGHT / 2 - half },
      ];
}
const HANDLES_LR = handlesFor(false);
const HANDLES_TB = handlesFor(true);
const MEASURED = { width: NODE_WIDTH, height: NODE_HEIGHT };

/** React Flow nodes built for an input node object (its identity marks "unchanged"). */
const rfNodeCache = new WeakMap<DagNodeData, { selected: boolean; rf: StepNode }>();
/** React Flow edges built for an input edge object, kept while their look is unchanged. */
const rfEdgeCache = new WeakMap<DagEdge, Edge>();

/** Zoom a large graph opens at: readable, so that only the nodes in view are drawn. */
const LARGE_GRAPH_ZOOM = 0.8;

/** Where a large graph opens: its top-left corner (the first steps) at a readable zoom. */
function startViewport(positions: ReadonlyMap<string, { x: number; y: number }>) {
  let minX = Infinity;
  let minY = Infinity;
  for (const p of positions.values()) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
  }
  if (!Number.isFinite(minX)) return { x: 0, y: 0, zoom: LARGE_GRAPH_ZOOM };
  return { x: 24 - minX * LARGE_GRAPH_ZOOM, y: 24 - minY * LARGE_GRAPH_ZOOM, zoom: LARGE_GRAPH_ZOOM };
}

/** The viewport of a graph too wide (or tall) to fit `box` at `minZoom`: its start at `minZoom`. */
function readableViewport(
  positions: ReadonlyMap<string, { x: number; y: number }>,
  box: { w: number; h: number },
  minZoom: number,
) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of positions.values()) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_WIDTH);
    maxY = Math.max(maxY, p.y + NODE_HEIGHT);
  }
  if (!Number.isFinite(minX) || box.w <= 0 || box.h <= 0) return undefined;
  // As the live view judges it (`Follower`): the graph and a margin on each side.
  const fit = fitZoom({ x: minX, y: minY, w: maxX - minX, h: maxY - minY }, box, FOLLOW_MARGIN);
  if (fit >= minZoom) return undefined;
  const tall = (maxY - minY) * minZoom > box.h - 48;
  return {
    zoom: minZoom,
    x: 24 - minX * minZoom,
    y: tall ? 24 - minY * minZoom : box.h / 2 - ((minY + maxY) / 2) * minZoom,
  };
}

/** How far from the box's edges followed nodes are kept (px). */
const FOLLOW_MARGIN = 28;
/** A settled graph is shown whole down to this zoom (an overview, not for reading every label). */
const OVERVIEW_ZOOM = 0.6;

/**
 * Keeps the followed nodes in view while `following` (inside the React Flow it moves). A box
 * that changes size (a card above the graph appears or goes) fits a graph that fits at
 * `minZoom`, else brings the followed nodes back.
 */
function Follower({
  ids,
  positions,
  following,
  minZoom,
  ready,
  settled,
}: {
  ids: readonly string[];
  positions: ReadonlyMap<string, { x: number; y: number }>;
  following: boolean;
  minZoom: number;
  ready: boolean;
  settled: boolean;
}) {
  const flow = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const key = ids.join("\u0000");
  const follow = useCallback(
    (wholeIfFits: boolean) => {
      const box = { w: width, h: height };
      if (box.w <= 0 || box.h <= 0) return;
      if (wholeIfFits) {
        const whole = boundsOf([...positions.values()].map((p) => ({ x: p.x, y: p.y, w: NODE_WIDTH, h: NODE_HEIGHT })));
        if (whole && fitZoom(whole, box, FOLLOW_MARGIN) >= (settled ? Math.min(minZoom, OVERVIEW_ZOOM) : minZoom)) {
          void flow.fitView({ padding: 0.12, maxZoom: 1.1, duration: 200 });
          return;
        }
      }
      const targets: Rect[] = [];
      for (const id of ids) {
        const p = positions.get(id);
        if (p) targets.push({ x: p.x, y: p.y, w: NODE_WIDTH, h: NODE_HEIGHT });
      }
      if (targets.length === 0 && settled) {
        // Nothing to show in particular (a run that completed): back to where the graph opens.
        const start = readableViewport(positions, box, minZoom);
        if (start) void flow.setViewport(start, { duration: 250 });
        return;
      }
      const next = followViewport(targets, flow.getViewport(), box, { margin: FOLLOW_MARGIN, minZoom });
      if (next) void flow.setViewport(next, { duration: 250 });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `ids`
    [flow, width, height, positions, key, minZoom, settled],
  );
  // New nodes to follow, following again, or the end.
  useEffect(() => {
    if (ready && following) follow(settled);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- not on a resize (below)
  }, [ready, following, key, positions, settled]);
  // The box changed size.
  const size = useRef({ w: width, h: height });
  useEffect(() => {
    const before = size.current;
    size.current = { w: width, h: height };
    if (!ready || !following || (before.w === width && before.h === height) || before.w === 0) return;
    follow(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the size changes
  }, [width, height]);
  return null;
}

export function DagView({
  nodes,
  edges,
  renderNode,
  onNodeClick,
  selectedId,
  controls = false,
  height = 320,
  className,
  testId = "dag-view",
  ariaLabel = "Step graph",
  onlyRenderVisible = false,
  minFitZoom,
  direction = "LR",
  follow,
  settled = false,
}: DagViewProps) {
  const [following, setFollowing] = useState(true);
  const [ready, setReady] = useState(false);
  const stopFollowing = useCallback(() => setFollowing(false), []);
  // The box is measured first when a readable minimum zoom is asked for.
  const boxRef = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState<{ w: number; h: number } | null>(null);
  useLayoutEffect(() => {
    const el = boxRef.current;
    if (minFitZoom !== undefined && el) setBox({ w: el.clientWidth, h: el.clientHeight });
  }, [minFitZoom]);
  // Layout depends only on the graph's shape, not on statuses: live updates do not move nodes.
  const shapeKey = useMemo(
    () => nodes.map((n) => n.id).join("\u0000") + "\u0001" + edges.map((e) => `${e.source}>${e.target}`).join("\u0000"),
    [nodes, edges],
  );
  const positions = useMemo(
    () =>
      layoutDag(
        nodes.map((n) => ({ id: n.id })),
        edges,
        direction === "TB" ? { direction, rankSep: 36, nodeSep: 16 } : {},
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the shape key captures nodes and edges
    [shapeKey, direction],
  );
  const statusById = useMemo(() => new Map(nodes.map((n) => [n.id, n.status])), [nodes]);

  // A node whose input object, position and selection did not change keeps its identity, so a live
  // update of a large graph re-renders only the nodes that changed.
  const rfNodes: StepNode[] = useMemo(
    () =>
      nodes.map((n) => {
        const selected = n.id === selectedId;
        const hit = rfNodeCache.get(n);
        const position = positions.get(n.id) ?? { x: 0, y: 0 };
        if (hit && hit.selected === selected && hit.rf.position === position) return hit.rf;
        const rf: StepNode = {
        id: n.id,
        type: "step",
        position,
        data: { ...n, selected },
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        measured: MEASURED,
        handles: direction === "TB" ? HANDLES_TB : HANDLES_LR,
        draggable: false,
        connectable: false,
        selectable: false,
        ariaLabel: `${n.label} (${n.stepType}${n.status ? `, ${n.status}` : ""})`,
        };
        rfNodeCache.set(n, { selected, rf });
        return rf;
      }),
    [nodes, positions, selectedId, direction],
  );
  // An edge whose look did not change keeps its identity (only changed edges re-render).
  const rfEdges: Edge[] = useMemo(
    () =>
      edges.map((e) => {
        const src = statusById.get(e.source);
        const dst = statusById.get(e.target);
        const live = dst === "running" || (src === "running" && dst === undefined);
        const done = src === "succeeded" || src === "completed" || src === "success";
        const broken = src === "failed" || src === "skipped" || src === "cancelled";
        const id = `${e.source}->${e.target}`;
        const className = live ? "dag-edge-live" : done ? "dag-edge-done" : broken ? "dag-edge-broken" : "";
        const hit = rfEdgeCache.get(e);
        if (hit && hit.className === className) return hit;
        const edge = {
          id,
          source: e.source,
          target: e.target,
          type: "smoothstep",
          // A live edge is drawn in the running colour, not animated: a dash animation repaints
          // the whole edge layer every frame.
          className,
          focusable: false,
          selectable: false,
        } satisfies Edge;
        rfEdgeCache.set(e, edge);
        return edge;
      }),
    [edges, statusById],
  );
  // A large graph opens on its first steps instead of fitting everything at an unreadable zoom
  // (which would also draw every node).
  const largeViewport = useMemo(
    () =>
      onlyRenderVisible
        ? startViewport(positions)
        : minFitZoom !== undefined && box
          ? readableViewport(positions, box, minFitZoom)
          : undefined,
    [onlyRenderVisible, positions, minFitZoom, box],
  );
  const waitForBox = minFitZoom !== undefined && !onlyRenderVisible && box === null;
  const ctx = useMemo(
    () => ({ renderNode, onNodeClick, vertical: direction === "TB" }),
    [renderNode, onNodeClick, direction],
  );

  return (
    <div
      className={`dag-view${className ? ` ${className}` : ""}`}
      ref={boxRef}
      style={{ height }}
      data-testid={testId}
      data-node-count={nodes.length}
      aria-label={ariaLabel}
      role="group"
    >
      <DagContext.Provider value={ctx}>
        {waitForBox ? null : (
        <ReactFlow
          key={`${direction}:${shapeKey}`}
          nodes={rfNodes}
          edges={rfEdges}
          nodeTypes={nodeTypes}
          fitView={largeViewport === undefined}
          {...(largeViewport ? { defaultViewport: largeViewport } : {})}
          fitViewOptions={{ padding: 0.12, maxZoom: 1.1 }}
          minZoom={0.2}
          maxZoom={2}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          edgesFocusable={false}
          nodesFocusable={Boolean(onNodeClick)}
          zoomOnDoubleClick={false}
          panOnScroll={false}
          preventScrolling={false}
          {...(onNodeClick ? { onNodeClick: (_e: unknown, node: StepNode) => onNodeClick(node.id) } : {})}
          {...(follow
            ? {
                onInit: () => setReady(true),
                // Moves made by the user carry their event; the view's own moves have none.
                onMoveStart: (event: unknown) => {
                  if (event) setFollowing(false);
                },
              }
            : {})}
          onlyRenderVisibleElements={onlyRenderVisible}
          proOptions={{ hideAttribution: true }}
        >
          <Background variant={BackgroundVariant.Dots} gap={16} size={1} />
          {controls ? (
            <Controls
              showInteractive={false}
              position="bottom-right"
              {...(follow ? { onZoomIn: stopFollowing, onZoomOut: stopFollowing, onFitView: stopFollowing } : {})}
            />
          ) : null}
          {follow ? (
            <Follower
              ids={follow}
              positions={positions}
              following={following}
              minZoom={onlyRenderVisible ? LARGE_GRAPH_ZOOM : (minFitZoom ?? 0.2)}
              ready={ready}
              settled={settled}
            />
          ) : null}
          {follow && !following ? (
            <Panel position="top-right">
              <button
                type="button"
                className="dag-follow"
                data-testid="dag-follow"
                onClick={() => setFollowing(true)}
                title="Move the view with the running steps again"
              >
                <LocateFixed size={14} aria-hidden /> Follow the run
              </button>
            </Panel>
          ) : null}
        </ReactFlow>
        )}
      </DagContext.Provider>
    </div>
  );
}
