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

/** A step node's size: room for a two-line label at a readable size, its type and status. */
export const NODE_WIDTH = 204;
export const NODE_HEIGHT = 66;

/** Above this many nodes the linear layered layout replaces dagre (seconds for 1,000 nodes). */
export const LARGE_LAYOUT = 200;

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
  if (nodes.length > LARGE_LAYOUT) return layoutLayered(nodes, edges, options);
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

/**
 * A linear-time layered layout for large graphs: each node's rank is its longest path from a
 * root, nodes of a rank are ordered by the mean order of their parents (then as given), and each
 * rank is centred on the tallest. Same output shape as [`layoutDag`]; nodes on a cycle go last.
 */
export function layoutLayered(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  options: LayoutOptions = {},
): Map<string, Position> {
  const rankSep = options.rankSep ?? 56;
  const nodeSep = options.nodeSep ?? 18;
  const lr = (options.direction ?? "LR") === "LR";
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const parents: number[][] = nodes.map(() => []);
  const children: number[][] = nodes.map(() => []);
  for (const e of edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    parents[t]?.push(s);
    children[s]?.push(t);
  }
  // Longest-path ranks in topological order (Kahn, stable on the input order).
  const waiting = parents.map((p) => p.length);
  const rank = new Array<number>(nodes.length).fill(-1);
  const queue: number[] = [];
  waiting.forEach((w, i) => w === 0 && queue.push(i));
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q] as number;
    let r = 0;
    for (const p of parents[v] ?? []) r = Math.max(r, (rank[p] ?? 0) + 1);
    rank[v] = r;
    for (const c of children[v] ?? []) {
      waiting[c] = (waiting[c] ?? 0) - 1;
      if (waiting[c] === 0) queue.push(c);
    }
  }
  let maxRank = 0;
  for (const r of rank) maxRank = Math.max(maxRank, r);
  for (let i = 0; i < rank.length; i++) if (rank[i] === -1) rank[i] = maxRank + 1;
  const ranks: number[][] = [];
  rank.forEach((r, i) => (ranks[r] ??= []).push(i));
  // Order each rank by the mean order of its parents in the ranks before.
  const order = new Array<number>(nodes.length).fill(0);
  for (const members of ranks) {
    if (!members) continue;
    const key = (v: number) => {
      const ps = (parents[v] ?? []).filter((p) => (rank[p] ?? 0) < (rank[v] ?? 0));
      return ps.length ? ps.reduce((a, p) => a + (order[p] ?? 0), 0) / ps.length : v;
    };
    const keys = new Map(members.map((v) => [v, key(v)]));
    members.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0) || a - b);
    members.forEach((v, i) => (order[v] = i));
  }
  const size = (n: LayoutNode) => ({ w: n.width ?? NODE_WIDTH, h: n.height ?? NODE_HEIGHT });
  // Along a rank: the tallest node's extent per slot; across ranks: the widest per rank.
  let slot = 0;
  for (const n of nodes) slot = Math.max(slot, lr ? size(n).h : size(n).w);
  const longest = Math.max(0, ...ranks.map((m) => m?.length ?? 0));
  const out = new Map<string, Position>();
  let across = 8;
  for (const members of ranks) {
    if (!members) continue;
    let thick = 0;
    for (const v of members) {
      const n = nodes[v];
      if (n) thick = Math.max(thick, lr ? size(n).w : size(n).h);
    }
    const offset = ((longest - members.length) * (slot + nodeSep)) / 2;
    members.forEach((v, i) => {
      const n = nodes[v];
      if (!n) return;
      const along = 8 + offset + i * (slot + nodeSep);
      out.set(n.id, lr ? { x: across, y: Math.round(along) } : { x: Math.round(along), y: across });
    });
    across += thick + rankSep;
  }
  return out;
}
