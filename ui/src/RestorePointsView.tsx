// Restore points: for a deployment, the timeline of every pause window and
// backup beside each storage's restorable range; a virtualized list of the
// same points for keyboards and screen readers; picking a window, a backup
// or a typed time (the engine decides, and says why not); and the runbook
// for the picked point as a checklist whose ticks are kept.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { BackupMark, Deployment, Pick, PickAt, Runbook, SchemaAttachment, Ticks, Timeline, WindowMark } from "./bindings";
import { backend, BackendError } from "./backend";
import { markLoadArrived, markLoadStart, TimelineCanvas } from "./TimelineCanvas";
import { describeBackup, describeWindow, fit, pan, pickable, reveal, rows as rowsOf, windowTime, zoom, type Domain } from "./timeline";
import { RunbookView } from "./RunbookView";
import { TimeToCopy } from "./TimeToCopy";

const utc = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

type Point = { kind: "window"; w: WindowMark } | { kind: "backup"; b: BackupMark };

function pointTime(p: Point): number {
  return p.kind === "window" ? windowTime(p.w) ?? 0 : p.b.start_ms;
}

function pointId(p: Point): string {
  return p.kind === "window" ? p.w.id : p.b.id;
}

/** Local date-time input value (YYYY-MM-DDTHH:MM) to epoch ms, or null. */
function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
}

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(900);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setW(Math.max(480, Math.floor(el.clientWidth)));
    measure();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, [ref]);
  return w;
}

/** The ScalarDB schema file attached to the deployment (the tables of DynamoDB, Cosmos DB, Cassandra). */
function SchemaBox({ deploymentId }: { deploymentId: string }) {
  const [schema, setSchema] = useState<SchemaAttachment | null | undefined>(undefined);
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSchema(undefined);
    backend().getSchema(deploymentId).then(setSchema).catch((e: BackendError) => setError(e.message));
  }, [deploymentId]);
  const attach = async () => {
    setError(null);
    try {
      setSchema(await backend().attachSchema(deploymentId, path.trim()));
      setPath("");
    } catch (e) {
      setError((e as BackendError).message);
    }
  };
  return (
    <div className="row small" role="group" aria-label="ScalarDB schema file" data-testid="schema-box">
      <span>
        {schema
          ? `Schema file: ${schema.file} (${schema.tables.length} tables, SHA-256 ${schema.sha256.slice(0, 12)}…, attached ${schema.attached_at.slice(0, 19)}Z)`
          : schema === null
            ? "No ScalarDB schema file attached (runbooks for DynamoDB, Cosmos DB and Cassandra need it)."
            : ""}
      </span>
      <label htmlFor="schema-path">Attach</label>
      <input id="schema-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/etc/scalardb/schema.json" />
      <button className="small" disabled={!path.trim()} onClick={() => void attach()}>Attach schema</button>
      {error && <span className="field-error" role="alert">✗ {error}</span>}
    </div>
  );
}

export function RestorePointsView({ onRestore, initialDeployment = null }: { onRestore?: (backupId: string) => void; initialDeployment?: string | null }) {
  const [deployments, setDeployments] = useState<Deployment[] | null>(null);
  const [depId, setDepId] = useState<string>("");
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [domain, setDomain] = useState<Domain | null>(null);
  const [selected, setSelected] = useState<{ id: string; kind: "window" | "backup" } | null>(null);
  const [storage, setStorage] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [safeOnly, setSafeOnly] = useState(false);
  const [typed, setTyped] = useState("");
  const [pick, setPick] = useState<Pick | null>(null);
  const [pickAt, setPickAt] = useState<PickAt | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [runbook, setRunbook] = useState<{ rb: Runbook; ticks: Ticks } | null>(null);
  const [runbookError, setRunbookError] = useState<string | null>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const width = useWidth(wrap);

  useEffect(() => {
    backend()
      .listDeployments()
      .then((ds) => {
        setDeployments(ds);
        if (ds.length > 0) setDepId((cur) => cur || (ds.some((x) => x.id === initialDeployment) ? initialDeployment! : ds[0].id));
      })
      .catch((e: BackendError) => setError(e.message));
  }, []);

  const load = useCallback(async (id: string) => {
    setError(null);
    markLoadStart();
    try {
      const t = await backend().getTimeline(id);
      markLoadArrived();
      setTimeline(t);
      setDomain((d) => d ?? fit(t));
    } catch (e) {
      setError((e as BackendError).message);
    }
  }, []);

  useEffect(() => {
    if (!depId) return;
    setTimeline(null);
    setDomain(null);
    setSelected(null);
    setPick(null);
    setRunbook(null);
    void load(depId);
  }, [depId, load]);

  // Filters: storage (its lane, the backups that restore it), dates, only safe points.
  const filtered = useMemo<Timeline | null>(() => {
    if (!timeline) return null;
    const lo = fromLocalInput(from) ?? -Infinity;
    const hi = fromLocalInput(to) ?? Infinity;
    const inRange = (t: number | null) => t !== null && t >= lo && t <= hi;
    return {
      ...timeline,
      lanes: timeline.lanes.filter((l) => !storage || l.storage === storage),
      windows: timeline.windows.filter((w) => inRange(windowTime(w)) && (!safeOnly || pickable(w))),
      backups: timeline.backups.filter(
        (b) => inRange(b.start_ms) && (!safeOnly || b.refusals.length === 0) && (!storage || b.storages.includes(storage)),
      ),
    };
  }, [timeline, storage, from, to, safeOnly]);

  const points = useMemo<Point[]>(() => {
    if (!filtered) return [];
    const inWindow = new Set(filtered.windows.map((w) => w.backup_id).filter(Boolean));
    const ps: Point[] = [
      ...filtered.windows.map((w) => ({ kind: "window" as const, w })),
      // A backup taken in a window is listed with it; the others on their own.
      ...filtered.backups.filter((b) => !inWindow.has(b.id)).map((b) => ({ kind: "backup" as const, b })),
    ];
    return ps.sort((a, b) => pointTime(b) - pointTime(a));
  }, [filtered]);

  const rows = useMemo(() => rowsOf(filtered?.lanes ?? []), [filtered]);

  const select = useCallback(
    (id: string, kind: "window" | "backup") => {
      setSelected({ id, kind });
      const t = kind === "window" ? timeline?.windows.find((w) => w.id === id) : null;
      const b = kind === "backup" ? timeline?.backups.find((x) => x.id === id) : null;
      const at = t ? windowTime(t) : b ? b.start_ms : null;
      if (at !== null) setDomain((d) => (d ? reveal(d, at) : d));
    },
    [timeline],
  );

  const doPick = useCallback(
    async (at: PickAt) => {
      setRefusal(null);
      setRunbook(null);
      setRunbookError(null);
      try {
        const p = await backend().pickPoint(depId, at);
        setPick(p);
        setPickAt(at);
      } catch (e) {
        setPick(null);
        setPickAt(null);
        setRefusal((e as BackendError).message);
      }
    },
    [depId],
  );

  const pickSelected = useCallback(() => {
    if (!selected) return;
    void doPick(selected.kind === "window" ? { by: "window", value: selected.id } : { by: "backup", value: selected.id });
  }, [selected, doPick]);

  const openRunbook = async () => {
    if (!pickAt) return;
    setRunbookError(null);
    try {
      const [rb, ticks] = await backend().getRunbook(depId, pickAt);
      setRunbook({ rb, ticks });
    } catch (e) {
      setRunbookError((e as BackendError).message);
    }
  };

  const onDomain = useCallback((d: Domain) => setDomain(d), []);

  if (deployments && deployments.length === 0) {
    return (
      <section className="empty-state" data-testid="view-restore-points">
        <h1>Restore points</h1>
        <div className="empty-card">
          <h2>No deployments yet</h2>
          <p>Add a deployment (Deployments), then pause it or back it up: its pause windows and backups appear here on a timeline.</p>
        </div>
      </section>
    );
  }

  const selWindow = selected?.kind === "window" ? timeline?.windows.find((w) => w.id === selected.id) : undefined;
  const selBackup = selected?.kind === "backup" ? timeline?.backups.find((b) => b.id === selected.id) : undefined;
  const announce = selWindow ? describeWindow(selWindow, utc) : selBackup ? describeBackup(selBackup, utc) : "";

  return (
    <section className="points-view" data-testid="view-restore-points">
      <div className="pane-header">
        <h1>Restore points</h1>
        <label className="inline">
          Deployment{" "}
          <select value={depId} onChange={(e) => setDepId(e.target.value)} data-testid="points-deployment">
            {(deployments ?? []).map((d) => (
              <option key={d.id} value={d.id}>{d.name}</option>
            ))}
          </select>
        </label>
        <button className="small" onClick={() => void load(depId)} disabled={!depId} data-testid="points-refresh">Refresh</button>
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {timeline && filtered && domain && (
        <div className="points-body">
          <div className="filters" role="group" aria-label="Filters">
            <label>
              Storage{" "}
              <select value={storage} onChange={(e) => setStorage(e.target.value)} data-testid="filter-storage">
                <option value="">All storages</option>
                {timeline.lanes.map((l) => (
                  <option key={l.storage} value={l.storage}>{l.storage} ({l.label})</option>
                ))}
              </select>
            </label>
            <label>From <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="filter-from" /></label>
            <label>To <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} data-testid="filter-to" /></label>
            <label><input type="checkbox" checked={safeOnly} onChange={(e) => setSafeOnly(e.target.checked)} data-testid="filter-safe" /> Only safe points</label>
          </div>
          <SchemaBox deploymentId={depId} />
          <table className="facts lanes" aria-label="How each storage restores">
            <thead><tr><th>Storage</th><th>Restores from</th><th>Restorable range</th></tr></thead>
            <tbody>
              {filtered.lanes.map((l) => (
                <tr key={l.storage} data-testid={`lane-${l.storage}`}>
                  <td>{l.storage} <span className="muted small">({l.label}, {l.profile})</span></td>
                  <td>{l.restores_by.replace("_", " ")}</td>
                  <td className="small">
                    {l.pitr
                      ? `${l.pitr.earliest_ms !== null ? utc(l.pitr.earliest_ms) : "unknown start"} … ${utc(l.pitr.latest_ms)}`
                      : "—"}
                    {l.pitr && <div className="muted">{l.pitr.basis}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {timeline.damaged.length > 0 && (
            <div className="banner warn" role="status">
              <strong>Entries that could not be read:</strong>
              <ul className="notes">{timeline.damaged.map((d) => <li key={d}>{d}</li>)}</ul>
            </div>
          )}
          <div className="timeline-toolbar" role="toolbar" aria-label="Timeline zoom and pan">
            <button onClick={() => setDomain(zoom(domain, 2))} aria-label="Zoom in" data-testid="zoom-in">+ Zoom in</button>
            <button onClick={() => setDomain(zoom(domain, 0.5))} aria-label="Zoom out" data-testid="zoom-out">− Zoom out</button>
            <button onClick={() => setDomain(pan(domain, -0.5))} aria-label="Pan left">◀</button>
            <button onClick={() => setDomain(pan(domain, 0.5))} aria-label="Pan right">▶</button>
            <button onClick={() => setDomain(fit(filtered))} data-testid="zoom-fit">Fit all</button>
            <span className="muted small" data-testid="timeline-span">
              {utc(domain[0])} … {utc(domain[1])}
            </span>
          </div>
          <div className="timeline-wrap" ref={wrap}>
            <TimelineCanvas
              timeline={filtered}
              rows={rows}
              domain={domain}
              onDomain={onDomain}
              selected={selected?.id ?? null}
              onSelect={select}
              onPick={pickSelected}
              pick={pick?.point_ms ?? null}
              width={width}
            />
            <div className="legend small muted" aria-hidden>
              ▮ safe interval · ◆ restore point · ▨ unsafe or failed (not a restore point) · ▮ density of windows too close to draw · ┆ now
            </div>
          </div>
          <div className="sr-only" aria-live="polite" data-testid="timeline-live">{announce}</div>
          <div className="points-columns">
            <PointList points={points} selected={selected?.id ?? null} onSelect={select} onPick={(p) => void doPick(p.kind === "window" ? { by: "window", value: p.w.id } : { by: "backup", value: p.b.id })} />
            <div className="pick-pane">
              <h2>Pick</h2>
              {announce && <p className="small" data-testid="selected-point">{announce}</p>}
              <button className="primary" disabled={!selected} onClick={pickSelected} data-testid="pick-selected">Pick the selected point</button>
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (typed.trim()) void doPick({ by: "time", value: typed.trim() });
                }}
              >
                <label htmlFor="typed-time">Or a time</label>
                <input id="typed-time" className="mono" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="2026-11-30T14:02:11Z, epoch ms, or local 2026-11-30 15:02:11" data-testid="typed-time" />
                <button type="submit">Check</button>
              </form>
              {refusal && <div className="field-error" role="alert" data-testid="pick-refusal">✗ {refusal}</div>}
              {pick && (
                <div data-testid="picked">
                  <TimeToCopy label="Restore point" heading={`Restore point (picked by ${pick.picked_by})`} utc={pick.utc} local={pick.local} ms={pick.point_ms} testid="pick" />
                  <table className="facts" aria-label="Where each storage comes back from">
                    <thead><tr><th>Storage</th><th>Restores from</th></tr></thead>
                    <tbody>
                      {pick.sources.map((s) => (
                        <tr key={s.storage}><td>{s.storage} ({s.label})</td><td>{s.from}</td></tr>
                      ))}
                    </tbody>
                  </table>
                  {pick.notes.map((n) => <p key={n} className="small muted">{n}</p>)}
                  <button className="primary" onClick={() => void openRunbook()} data-testid="open-runbook">Open the runbook</button>
                  {runbookError && <div className="field-error" role="alert" data-testid="runbook-error">✗ {runbookError}</div>}
                </div>
              )}
            </div>
          </div>
          {runbook && pickAt && (
            <RunbookView
              key={runbook.rb.key}
              deploymentId={depId}
              at={pickAt}
              runbook={runbook.rb}
              ticks={runbook.ticks}
              onRestore={onRestore}
            />
          )}
        </div>
      )}
    </section>
  );
}

/** The points as an accessible listbox, virtualized (a year of hourly windows is ~9 000 options). */
function PointList({ points, selected, onSelect, onPick }: {
  points: Point[];
  selected: string | null;
  onSelect: (id: string, kind: "window" | "backup") => void;
  onPick: (p: Point) => void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  // initialRect: the first render (and jsdom, which has no layout) shows a page of options before measuring.
  const v = useVirtualizer({ count: points.length, getScrollElement: () => parent.current, estimateSize: () => 46, overscan: 8, initialRect: { width: 600, height: 320 } });
  const idx = points.findIndex((p) => pointId(p) === selected);
  useEffect(() => {
    if (idx >= 0) v.scrollToIndex(idx, { align: "auto" });
  }, [idx, v]);
  const onKey = (e: React.KeyboardEvent) => {
    const move = (i: number) => {
      const p = points[Math.max(0, Math.min(points.length - 1, i))];
      if (p) onSelect(pointId(p), p.kind);
    };
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(idx + 1),
      ArrowUp: () => move(idx < 0 ? 0 : idx - 1),
      Home: () => move(0),
      End: () => move(points.length - 1),
      Enter: () => idx >= 0 && onPick(points[idx]),
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  };
  if (points.length === 0) {
    return <p className="muted points-list" data-testid="points-empty">No restore points match. Pause the deployment (Pause) or back it up to make one.</p>;
  }
  return (
    <div
      ref={parent}
      className="points-list"
      role="listbox"
      tabIndex={0}
      aria-label={`Restore points, newest first (${points.length})`}
      aria-activedescendant={idx >= 0 ? `pt-${idx}` : undefined}
      onKeyDown={onKey}
      data-testid="points-list"
    >
      <div style={{ height: v.getTotalSize(), position: "relative" }}>
        {v.getVirtualItems().map((vi) => {
          const p = points[vi.index];
          const ok = p.kind === "window" ? pickable(p.w) : p.b.refusals.length === 0;
          const text = p.kind === "window" ? describeWindow(p.w, utc) : describeBackup(p.b, utc);
          return (
            <div
              key={pointId(p)}
              ref={v.measureElement}
              data-index={vi.index}
              id={`pt-${vi.index}`}
              role="option"
              aria-selected={pointId(p) === selected}
              aria-setsize={points.length}
              aria-posinset={vi.index + 1}
              className={`point-option${pointId(p) === selected ? " selected" : ""}`}
              style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${vi.start}px)` }}
              onClick={() => onSelect(pointId(p), p.kind)}
              onDoubleClick={() => onPick(p)}
              data-testid={`point-${pointId(p)}`}
              data-pickable={String(ok)}
            >
              <span className={ok ? "badge ok" : "badge bad"}>{ok ? "✓ safe" : "✗ not a point"}</span>{" "}
              <span className="small">{text}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
