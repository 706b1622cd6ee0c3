// The Scalar Admin nodes of a deployment and whether each is paused, asked
// again every few seconds while shown (the Pause and Backups views).
import { useCallback, useEffect, useState } from "react";
import type { NodeState } from "../bindings";
import { backend, BackendError } from "../backend";
import { Badge } from "./StatusBadge";
import { TableScroll } from "./TableScroll";

/** A node's state in words and a symbol (never colour alone). */
function nodeState(n: NodeState): { text: string; tone: "ok" | "warn" | "bad" } {
  if (n.paused === true) return { text: "‖ paused", tone: "warn" };
  if (n.paused === false) return { text: "▶ running", tone: "ok" };
  return { text: `✗ unreachable${n.error ? `: ${n.error.status}` : ""}`, tone: "bad" };
}

/** The nodes of a deployment, refreshed while shown. */
export function NodesTable({ deploymentId, every = 3000 }: { deploymentId: string; every?: number }) {
  const [nodes, setNodes] = useState<NodeState[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setNodes(await backend().nodesState(deploymentId));
      setError(null);
    } catch (e) {
      setError((e as BackendError).message);
    }
  }, [deploymentId]);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), every);
    return () => clearInterval(t);
  }, [refresh, every]);
  if (error) return <div className="small field-error" role="status" data-testid="nodes-error">✗ {error}</div>;
  if (!nodes) return <div className="small muted">Asking the nodes…</div>;
  return (
    <TableScroll label="Scalar Admin nodes">
      <table className="facts" data-testid="nodes-table" aria-label="Scalar Admin nodes">
        <thead><tr><th>Endpoint</th><th>Address</th><th>State</th></tr></thead>
        <tbody>
          {nodes.map((n) => {
            const s = nodeState(n);
            return (
              <tr key={n.node.addr} data-testid={`node-${n.node.addr}`} data-paused={String(n.paused)}>
                <td>{n.node.endpoint}</td>
                <td className="mono">{n.node.addr}</td>
                <td><Badge tone={s.tone} title={n.error?.message} text={s.text} /></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
