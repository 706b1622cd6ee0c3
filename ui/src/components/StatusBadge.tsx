// A catalog entry's status, in words and a symbol (never colour alone).
import type { CatalogEntry } from "../bindings";
import { localTime, utcIso } from "../data/format";

/** A badge whose symbol stays with its first word when a narrow column wraps the rest. */
export function Badge({ tone, title, text }: { tone: "ok" | "warn" | "bad"; title?: string; text: string }) {
  const words = text.split(" ");
  const head = words.slice(0, 2).join(" ");
  const rest = words.slice(2).join(" ");
  return (
    <span className={`badge ${tone}`} title={title}>
      <span className="nowrap">{head}</span>
      {rest ? ` ${rest}` : ""}
    </span>
  );
}

export function StatusBadge({ entry }: { entry: CatalogEntry }) {
  const verified = entry.verified_at ? ` on ${localTime(entry.verified_at)} (${utcIso(entry.verified_at)})` : "";
  const problem = entry.problem ?? undefined;
  switch (entry.status) {
    case "ok":
      if (entry.kind === "pause_window") return <Badge tone="ok" text="✓ safe restore point" />;
      return <Badge tone="ok" title={`Verified${verified}`} text="✓ verified" />;
    case "warnings":
      return <Badge tone="warn" text="⚠ warnings" />;
    case "verification_failed":
      return <Badge tone="bad" title={problem} text="✗ verification failed" />;
    case "unsafe":
      return <Badge tone="bad" title={problem} text="✗ unsafe window" />;
    case "failed":
      return <Badge tone="bad" title={problem} text="✗ failed" />;
    default:
      return <Badge tone="ok" title="Complete; no restore or check has verified it yet" text="✓ complete, unverified" />;
  }
}
