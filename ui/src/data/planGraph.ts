// The guide's decision tree (from the engine) -> positioned React Flow nodes
// and edges, with the path this deployment takes marked. Layout by dagre, so
// no box is placed by hand.
import dagre from "@dagrejs/dagre";
import type { Edge, Node } from "@xyflow/react";
import type { DecisionTree, Plan } from "../bindings";

export const NODE_W = 250;
export const NODE_H = 74;

export type TreeNodeData = {
  label: string;
  kind: "question" | "outcome";
  onPath: boolean;
  answer: string | null;
  reason: string | null;
  detail: string;
};

/** The edges the plan walked: (from, to) pairs of consecutive path steps. */
export function pathEdges(plan: Plan): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i + 1 < plan.path.length; i++) s.add(`${plan.path[i].node}->${plan.path[i + 1].node}`);
  return s;
}

export function layoutTree(tree: DecisionTree, plan: Plan | null): { nodes: Node<TreeNodeData>[]; edges: Edge[] } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 70, edgesep: 40, ranksep: 60, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of tree.nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of tree.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const walked = plan ? pathEdges(plan) : new Set<string>();
  const step = (id: string) => plan?.path.find((p) => p.node === id) ?? null;
  const nodes: Node<TreeNodeData>[] = tree.nodes.map((n) => {
    const pos = g.node(n.id);
    const s = step(n.id);
    return {
      id: n.id,
      type: "tree",
      position: { x: pos.x - NODE_W / 2, y: pos.y - NODE_H / 2 },
      data: { label: n.label, kind: n.kind, onPath: s !== null, answer: s?.answer ?? null, reason: s?.reason ?? null, detail: n.detail },
      draggable: false,
      connectable: false,
    };
  });
  const edges: Edge[] = tree.edges.map((e) => {
    const on = walked.has(`${e.from}->${e.to}`) && plan?.path.find((p) => p.node === e.from)?.answer === e.answer;
    return {
      id: `${e.from}-${e.answer}-${e.to}`,
      source: e.from,
      target: e.to,
      // Drawn along dagre's route (around other nodes), not a direct curve.
      type: "routed",
      data: { points: g.edge(e.from, e.to).points },
      label: e.answer === "unknown" ? "unknown" : e.answer === "yes" ? "Yes" : "No",
      className: on ? "on-path" : "off-path",
      animated: on,
      style: on ? { strokeWidth: 3 } : { strokeDasharray: e.answer === "unknown" ? "4 4" : undefined },
    };
  });
  return { nodes, edges };
}
