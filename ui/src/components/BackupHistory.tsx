// The catalog as the Backups view lists it: complete backups (restore, open
// the folder, delete after a confirmation), pause windows, and damaged
// backups and leftovers with what is wrong. Wide: it scrolls in its own box.
import { useState } from "react";
import type { CatalogEntry } from "../bindings";
import { human } from "../data/format";
import { Badge, StatusBadge } from "./StatusBadge";
import { TableScroll } from "./TableScroll";
import { Time } from "./Time";

export function BackupHistory({ history, onRestore, onOpen, onDelete }: {
  history: CatalogEntry[];
  onRestore?: (backupId: string) => void;
  onOpen: (backupId: string) => void;
  onDelete: (backupId: string) => Promise<void>;
}) {
  const [confirm, setConfirm] = useState<string | null>(null);
  async function remove(id: string) {
    await onDelete(id);
    setConfirm(null);
  }
  return (
    <TableScroll label="Backup history">
      <table className="facts" data-testid="backup-history">
        <thead>
          <tr><th>Started</th><th>Deployment</th><th>Status</th><th>Method</th><th>Format</th><th>Size</th><th>Duration</th><th>Tables</th><th><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {history.map((b) => b.kind === "pause_window" ? (
            <tr key={b.folder} data-testid={`window-row-${b.id}`}>
              <td title={b.id}><Time at={b.started_at} /></td>
              <td>{b.deployment}</td>
              <td><StatusBadge entry={b} /></td>
              <td colSpan={5} className="small">
                ‖ pause window of {b.paused_ms !== null ? `${b.paused_ms.toFixed(0)} ms` : "—"}
                {b.window?.backup_id ? ` (backup ${b.window.backup_id})` : ""}
                {b.window?.restore_point && <> · restore point <Time at={b.window.restore_point} ms /></>}
                {b.problem ? ` · ${b.problem}` : ""}
              </td>
              <td />
            </tr>
          ) : b.status === "damaged" || b.status === "leftover" ? (
            <tr key={b.folder} className="unusable" data-testid={`backup-row-${b.id}`}>
              <td title={b.folder}>{b.started_at ? <Time at={b.started_at} /> : "?"}</td>
              <td>{b.deployment}</td>
              <td><Badge tone="warn" text={b.status === "damaged" ? "⚠ damaged" : "⚠ left over"} /></td>
              <td colSpan={5} className="small">{b.problem} <span className="muted">({b.folder})</span></td>
              <td />
            </tr>
          ) : (
            <tr key={b.id} data-testid={`backup-row-${b.id}`}>
              <td title={b.id}><Time at={b.started_at} /></td>
              <td>{b.deployment}</td>
              <td><StatusBadge entry={b} /></td>
              <td>{b.method === "no_pause" ? "no pause" : b.method}</td>
              <td>{b.format}{b.units.length > 1 ? ` · ${b.units.length} databases` : ""}</td>
              <td className="nowrap">{human(b.bytes)}</td>
              <td className="nowrap">{(b.duration_ms / 1000).toFixed(1)} s</td>
              <td>{b.tables}</td>
              {/* Two lines at most when the window is narrow: "Restore… Open folder", then Delete. */}
              <td className="actions-cell">
                <span className="nowrap">
                  {onRestore && (
                    <>
                      <button className="small" onClick={() => onRestore(b.id)} data-testid={`restore-${b.id}`}>Restore…</button>{" "}
                    </>
                  )}
                  <button className="small" onClick={() => onOpen(b.id)}>Open folder</button>
                </span>{" "}
                <span className="nowrap">
                  {confirm === b.id ? (
                    <>
                      <button className="small danger" onClick={() => void remove(b.id)} data-testid="confirm-delete-backup">Delete</button>{" "}
                      <button className="small" onClick={() => setConfirm(null)}>Keep</button>
                    </>
                  ) : (
                    <button className="small danger-outline" onClick={() => setConfirm(b.id)}>Delete…</button>
                  )}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
