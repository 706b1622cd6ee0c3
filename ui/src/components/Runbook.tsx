// A runbook as a checklist: per section (before, each storage, finish), its
// tables and where the list comes from, each step with its commands to copy;
// ticks are kept by the engine per deployment and point, so a reopened
// runbook (or the next person on call) sees what was done. Exports as
// Markdown or a bash script.
import { useState } from "react";
import type { Command, PickAt, Runbook as RunbookData, Ticks } from "../bindings";
import { backend, BackendError } from "../backend";
import { Time } from "./Time";

/** A command as the script runs it (the engine renders it; the UI never quotes names itself). */
export function commandLine(c: Command): string {
  if (c.until) return `# repeat until it prints ${c.until}\n${c.line.replace(/^quiesce_wait_for \S+ /, "")}`;
  if (c.stdin) return `${c.line} <<'QUIESCE_END'\n${c.stdin.trimEnd()}\nQUIESCE_END`;
  return c.line;
}

export function Runbook({ deploymentId, at, runbook, ticks, onRestore }: {
  deploymentId: string;
  at: PickAt;
  runbook: RunbookData;
  ticks: Ticks;
  /** Opens the Restore view on this backup (the self-managed storages' step). */
  onRestore?: (backupId: string) => void;
}) {
  const [done, setDone] = useState<string[]>(ticks.done);
  const [error, setError] = useState<string | null>(null);
  const [path, setPath] = useState("");
  const [exported, setExported] = useState<string | null>(null);
  const total = runbook.sections.reduce((n, s) => n + s.steps.length, 0);
  let n = 0;

  const tick = async (key: string, value: boolean) => {
    setError(null);
    try {
      const t = await backend().setRunbookTick(deploymentId, runbook.key, key, value);
      setDone(t.done);
    } catch (e) {
      setError((e as BackendError).message);
    }
  };

  const exportAs = async (format: "md" | "sh", toFile: boolean) => {
    setError(null);
    setExported(null);
    try {
      const text = await backend().exportRunbook(deploymentId, at, format, toFile ? path : null);
      if (toFile) setExported(`Written to ${path}.`);
      else {
        await navigator.clipboard?.writeText(text).catch(() => {});
        setExported(format === "md" ? "Markdown copied." : "Script copied.");
      }
    } catch (e) {
      setError((e as BackendError).message);
    }
  };

  return (
    <section className="runbook" aria-labelledby="runbook-title" data-testid="runbook">
      <h2 id="runbook-title">
        Runbook: {runbook.deployment} at <Time at={runbook.point.point_ms} ms />
      </h2>
      <p className="small muted">
        {done.length} of {total} steps done · key {runbook.key}
        {runbook.schema && <> · schema {runbook.schema.file} (SHA-256 {runbook.schema.sha256.slice(0, 12)}…)</>}
      </p>
      <div className="row wrap" role="group" aria-label="Export the runbook">
        <button className="small" onClick={() => void exportAs("md", false)}>Copy Markdown</button>
        <button className="small" onClick={() => void exportAs("sh", false)}>Copy script</button>
        <label className="small" htmlFor="runbook-path">Save to</label>
        <input id="runbook-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/restore-prod.sh (a new file)" />
        <button className="small" disabled={!path.trim()} onClick={() => void exportAs(path.trim().endsWith(".md") ? "md" : "sh", true)}>Save</button>
      </div>
      {exported && <p className="small" role="status">{exported}</p>}
      {error && <div className="field-error" role="alert">✗ {error}</div>}
      {runbook.env.length > 0 && (
        <div className="small">
          Set before you start:
          <ul className="notes">{runbook.env.map((e) => <li key={e.name}><code>{e.name}</code>: {e.why}</li>)}</ul>
        </div>
      )}
      {runbook.sections.map((s) => (
        <div key={s.id} className="runbook-section" data-testid={`runbook-${s.id}`}>
          <h3>{s.title}</h3>
          {s.storage && (
            <details>
              <summary className="small">
                {s.tables.length} tables — from {s.tables_source}
              </summary>
              <ul className="notes mono small">{s.tables.map((t) => <li key={t}>{t}</li>)}</ul>
            </details>
          )}
          <ol className="steps" start={n + 1}>
            {s.steps.map((st) => {
              n += 1;
              const checked = done.includes(st.key);
              const id = `step-${st.key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
              return (
                <li key={st.key} className={checked ? "step done" : "step"} data-testid={`step-${st.key}`}>
                  <div className="step-head">
                    <input id={id} type="checkbox" checked={checked} onChange={(e) => void tick(st.key, e.target.checked)} data-testid={`tick-${st.key}`} />
                    <label htmlFor={id}>
                      <strong>{st.title}</strong>
                      {st.destructive && <span className="badge bad"> ⚠ destructive</span>}
                      {st.manual && <span className="badge"> by hand</span>}
                      {checked && <span className="badge ok"> ✓ done</span>}
                    </label>
                  </div>
                  <p className="small">{st.detail}</p>
                  {st.key === "quiesce:restore" && runbook.point.backup_id && onRestore && (
                    <button className="primary small" onClick={() => onRestore(runbook.point.backup_id!)} data-testid="runbook-restore">
                      Restore backup {runbook.point.backup_id} in Quiesce…
                    </button>
                  )}
                  {st.commands.length > 0 && (
                    <div className="command-block">
                      <pre className="mono small">{st.commands.map(commandLine).join("\n")}</pre>
                      <button className="small" onClick={() => void navigator.clipboard?.writeText(st.commands.map(commandLine).join("\n")).catch(() => {})} aria-label={`Copy the commands of: ${st.title}`}>
                        Copy
                      </button>
                    </div>
                  )}
                </li>
              );
            })}
          </ol>
        </div>
      ))}
    </section>
  );
}
