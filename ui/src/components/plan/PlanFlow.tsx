// The plan's decision tree as a flowchart (React Flow, laid out by dagre in
// data/planGraph.ts): the path this deployment takes is marked; hovering or
// clicking a node tells the view which one to explain.
import { Background, BaseEdge, EdgeLabelRenderer, Handle, Position, ReactFlow, type Edge, type EdgeProps, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { TreeNodeData } from "../../data/planGraph";

function TreeNodeBox({ data, selected }: NodeProps<Node<TreeNodeData>>) {
  return (
    <div
      className={`tree-node ${data.kind} ${data.onPath ? "on-path" : ""} ${selected ? "selected" : ""}`}
      title={data.reason ?? data.detail}
      data-testid={`tree-node-${data.label.replace(/[^A-Za-z]+/g, "-").toLowerCase()}`}
      data-on-path={data.onPath ? "true" : "false"}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div>{data.label}</div>
      {data.answer && <div className="tree-answer">{data.answer.toUpperCase()}</div>}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

/** An edge along the points dagre routed, with rounded joints. */
function RoutedEdge({ id, data, label, style, markerEnd }: EdgeProps) {
  const pts = ((data as { points?: { x: number; y: number }[] })?.points ?? []).filter((p) => Number.isFinite(p.x));
  if (pts.length < 2) return null;
  let d = `M ${pts[0].x} ${pts[0].y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [p, n] = [pts[i], pts[i + 1]];
    d += ` Q ${p.x} ${p.y} ${(p.x + n.x) / 2} ${(p.y + n.y) / 2}`;
  }
  d += ` L ${pts[pts.length - 1].x} ${pts[pts.length - 1].y}`;
  const mid = pts[Math.floor(pts.length / 2)];
  return (
    <>
      <BaseEdge id={id} path={d} style={style} markerEnd={markerEnd} />
      {label && (
        <EdgeLabelRenderer>
          <div className="edge-label" style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y}px)` }}>
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

const nodeTypes = { tree: TreeNodeBox };
const edgeTypes = { routed: RoutedEdge };

export function PlanFlow({ graph, onFocus }: { graph: { nodes: Node<TreeNodeData>[]; edges: Edge[] }; onFocus: (id: string) => void }) {
  return (
    <div className="flow-card" data-testid="plan-flowchart">
      <ReactFlow
        nodes={graph.nodes}
        edges={graph.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ padding: 0.06 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        zoomOnScroll={false}
        panOnDrag={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, n) => onFocus(n.id)}
        onNodeMouseEnter={(_, n) => onFocus(n.id)}
      >
        <Background gap={16} size={1} />
      </ReactFlow>
    </div>
  );
}
