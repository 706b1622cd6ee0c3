// The overview's words and rules, apart from its screen: where an item leads,
// how long ago, and a deployment's attention items.
import type { Attention, DeploymentSummary, NodeState } from "../bindings";

/** Where an attention item or a step leads: a view, and the deployment or entry it is about. */
export interface OverviewTarget {
  view: string;
  deploymentId: string | null;
  target: string | null;
  /** A restore's target profile, by name. */
  into?: string;
}

export const METHOD: Record<string, string> = {
  no_pause: "Backed up without a pause",
  pause: "Backed up inside a pause",
  unknown: "Method unknown",
};

export const STATUS: Record<string, string> = {
  ok: "verified",
  warnings: "verified, with warnings",
  verification_failed: "verification failed",
  unverified: "not verified yet",
  damaged: "damaged",
  leftover: "unfinished",
  unsafe: "unsafe",
};

/** How long ago, in words (the overview's cards). */
export function ago(fromMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** The attention items of a deployment, with a paused node (known once its nodes answered) as one more. */
export function attentionOf(d: DeploymentSummary, nodes: NodeState[] | undefined): Attention[] {
  const paused = (nodes ?? []).filter((n) => n.paused === true).length;
  if (!nodes || paused === 0) return d.attention;
  return [
    ...d.attention,
    {
      kind: "node_paused",
      message: `${paused} of ${nodes.length} node${nodes.length === 1 ? " is" : "s are"} paused: ScalarDB is not serving. Unpause them if no backup is running.`,
      view: "pause",
      target: null,
    },
  ];
}

export const FIX: Record<string, string> = {
  backups: "Open Backups",
  "restore-points": "Open Restore points",
  plan: "Open the plan",
  pause: "Open Pause",
  deployments: "Open Deployments",
};
