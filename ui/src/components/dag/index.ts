export { DagView, DefaultStepNode } from "./DagView";
export type { DagEdge, DagNodeData, DagViewProps } from "./DagView";
export { layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./layout";
export type { LayoutEdge, LayoutNode, LayoutOptions, Position } from "./layout";
export { StatusIcon, StepTypeIcon } from "./icons";
