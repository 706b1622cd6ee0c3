import { describe, expect, it } from "vitest";
import { layoutTree, NODE_W } from "./planGraph";
import type { DecisionTree, Plan } from "../bindings";

const tree: DecisionTree = {
  nodes: [
    { id: "single_database", label: "Single?", kind: "question", detail: "" },
    { id: "transactional", label: "Transactional?", kind: "question", detail: "" },
    { id: "no_pause", label: "No pause", kind: "outcome", detail: "" },
    { id: "pause", label: "Pause", kind: "outcome", detail: "" },
    { id: "unknown", label: "Unknown", kind: "outcome", detail: "" },
  ],
  edges: [
    { from: "single_database", to: "transactional", answer: "yes" },
    { from: "transactional", to: "no_pause", answer: "yes" },
    { from: "transactional", to: "pause", answer: "no" },
    { from: "single_database", to: "pause", answer: "no" },
    { from: "single_database", to: "unknown", answer: "unknown" },
  ],
};

function plan(path: [string, string | null][]): Plan {
  return {
    deployment: "d", deployment_id: "d", method: "pause", units: [], steps: [], warnings: [], discovery_taken_at: null,
    path: path.map(([node, answer]) => ({ node, answer, reason: `why ${node}` })),
  };
}

describe("layoutTree", () => {
  it("marks the nodes and edges of a two-storage deployment's path to pause", () => {
    const { nodes, edges } = layoutTree(tree, plan([["single_database", "no"], ["pause", null]]));
    const on = nodes.filter((n) => n.data.onPath).map((n) => n.id);
    expect(on).toEqual(["single_database", "pause"]);
    const onEdges = edges.filter((e) => e.className === "on-path").map((e) => e.id);
    expect(onEdges).toEqual(["single_database-no-pause"]);
    expect(nodes.find((n) => n.id === "pause")!.data.reason).toBe("why pause");
  });

  it("marks the no-pause path and lays nodes out without overlap, questions above outcomes", () => {
    const { nodes, edges } = layoutTree(tree, plan([["single_database", "yes"], ["transactional", "yes"], ["no_pause", null]]));
    expect(edges.filter((e) => e.className === "on-path").map((e) => e.id)).toEqual([
      "single_database-yes-transactional",
      "transactional-yes-no_pause",
    ]);
    const y = (id: string) => nodes.find((n) => n.id === id)!.position.y;
    expect(y("single_database")).toBeLessThan(y("transactional"));
    expect(y("transactional")).toBeLessThan(y("no_pause"));
    for (const a of nodes)
      for (const b of nodes)
        if (a.id < b.id && Math.abs(a.position.y - b.position.y) < 10)
          expect(Math.abs(a.position.x - b.position.x)).toBeGreaterThanOrEqual(NODE_W);
  });
});
