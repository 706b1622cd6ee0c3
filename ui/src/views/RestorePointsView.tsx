// Restore points: for a deployment, the timeline of every pause window and
// backup beside each storage's restorable range; a virtualized list of the
// same points for keyboards and screen readers; picking a window, a backup
// or a typed time (the engine decides, and says why not); and the runbook
// for the picked point as a checklist whose ticks are kept.
import { useCallback, useEffect, useMemo, useState } from "react";
import type { Pick, PickAt, Runbook as RunbookData, Ticks, Timeline } from "../bindings";
import { backend, BackendError } from "../backend";
import { fromColumns } from "../data/columns";
import { useDeployments } from "../data/query";
import {
  describeBackup, describeWindow, filterTimeline, fit, NO_FILTER, pan, pointsOf, pointText, reveal, rows as rowsOf, windowTime, zoom,
  type Domain, type PointFilter,
} from "../data/timeline";
import { markLoadArrived, markLoadStart, TimelineCanvas, useWidth } from "../components/TimelineCanvas";
import { Lanes } from "../components/points/Lanes";
import { PickPane } from "../components/points/PickPane";
import { PointFilters } from "../components/points/PointFilters";
import { PointList } from "../components/points/PointList";
import { SchemaBox } from "../components/points/SchemaBox";
import { Runbook } from "../components/Runbook";
import { Time } from "../components/Time";

export function RestorePointsView({ onRestore, initialDeployment = null }: { onRestore?: (backupId: string) => void; initialDeployment?: string | null }) {
  const deps = useDeployments();
  const deployments = deps.data;
  const [depId, setDepId] = useState<string>("");
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [domain, setDomain] = useState<Domain | null>(null);
  const [selected, setSelected] = useState<{ id: string; kind: "window" | "backup" } | null>(null);
  const [filter, setFilter] = useState<PointFilter>(NO_FILTER);
  const [typed, setTyped] = useState("");
  const [pick, setPick] = useState<Pick | null>(null);
  const [pickAt, setPickAt] = useState<PickAt | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [runbook, setRunbook] = useState<{ rb: RunbookData; ticks: Ticks } | null>(null);
  const [runbookError, setRunbookError] = useState<string | null>(null);
  const [wrap, width] = useWidth();

  // The deployment the overview sent the user to, else the first, once the list is read.
  useEffect(() => {
    const ds = deps.data;
    if (deps.fresh && ds && ds.length > 0) setDepId((cur) => cur || (ds.some((x) => x.id === initialDeployment) ? initialDeployment! : ds[0].id));
  }, [deps.fresh, deps.data, initialDeployment]);

  const load = useCallback(async (id: string) => {
    setError(null);
    markLoadStart();
    try {
      const t = fromColumns(await backend().getTimeline(id));
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

  const filtered = useMemo<Timeline | null>(() => (timeline ? filterTimeline(timeline, filter) : null), [timeline, filter]);
  const points = useMemo(() => (filtered ? pointsOf(filtered) : []), [filtered]);

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
  const announce = selWindow ? describeWindow(selWindow, pointText) : selBackup ? describeBackup(selBackup, pointText) : "";

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
      {(error ?? deps.error?.message) && <div className="banner error" role="alert">{error ?? deps.error?.message}</div>}
      {timeline && filtered && domain && (
        <div className="points-body">
          <PointFilters lanes={timeline.lanes} value={filter} onChange={setFilter} />
          <SchemaBox deploymentId={depId} />
          <Lanes lanes={filtered.lanes} />
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
              <Time at={domain[0]} /> … <Time at={domain[1]} />
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
              ▮ safe interval · ◆ restore point · ▨ unsafe or failed (not a restore point) · ▮ density of windows too close to draw · ▁ log archive · ▨ boxed: gap in the log archive · ┆ now
            </div>
          </div>
          <div className="sr-only" aria-live="polite" data-testid="timeline-live">{announce}</div>
          <div className="points-columns">
            <PointList points={points} selected={selected?.id ?? null} onSelect={select} onPick={(p) => void doPick(p.kind === "window" ? { by: "window", value: p.w.id } : { by: "backup", value: p.b.id })} />
            <PickPane
              announce={announce}
              canPickSelected={!!selected}
              onPickSelected={pickSelected}
              typed={typed}
              setTyped={setTyped}
              onPickTime={(value) => void doPick({ by: "time", value })}
              refusal={refusal}
              pick={pick}
              onOpenRunbook={() => void openRunbook()}
              runbookError={runbookError}
            />
          </div>
          {runbook && pickAt && (
            <Runbook
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
