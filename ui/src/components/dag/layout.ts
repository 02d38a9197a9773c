// Automatic left-to-right layout of a step DAG (pure: same input, same positions).
import dagre from "@dagrejs/dagre";

export interface LayoutNode {
  id: string;
  /** Box size used for spacing; defaults to the standard step node size. */
  width?: number;
  height?: number;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface LayoutOptions {
  /** Horizontal gap between ranks (dependency levels). */
  rankSep?: number;
  /** Vertical gap between nodes of one rank. */
  nodeSep?: number;
  direction?: "LR" | "TB";
}

export interface Position {
  x: number;
  y: number;
}

export const NODE_WIDTH = 188;
export const NODE_HEIGHT = 54;

/**
 * Places every node so that each edge points forwards (left to right by default). Returns the
 * top-left corner of each node, the coordinate React Flow expects. Edges naming unknown nodes are
 * ignored, so a partly loaded graph still lays out.
 */
export function layoutDag(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  options: LayoutOptions = {},
): Map<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({
    rankdir: options.direction ?? "LR",
    ranksep: options.rankSep ?? 56,
    nodesep: options.nodeSep ?? 18,
    marginx: 8,
    marginy: 8,
  });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set<string>();
  for (const n of nodes) {
    known.add(n.id);
    g.setNode(n.id, { width: n.width ?? NODE_WIDTH, height: n.height ?? NODE_HEIGHT });
  }
  for (const e of edges) {
    if (known.has(e.source) && known.has(e.target) && e.source !== e.target) g.setEdge(e.source, e.target);
  }
  dagre.layout(g);
  const out = new Map<string, Position>();
  for (const n of nodes) {
    const p = g.node(n.id);
    const w = n.width ?? NODE_WIDTH;
    const h = n.height ?? NODE_HEIGHT;
    out.set(n.id, { x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2) });
  }
  return out;
}
