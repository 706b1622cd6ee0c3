// The filters above the timeline: a storage, a local date-time range, safe points only.
import type { Lane } from "../../bindings";
import type { PointFilter } from "../../data/timeline";

export function PointFilters({ lanes, value, onChange }: { lanes: Lane[]; value: PointFilter; onChange: (f: PointFilter) => void }) {
  const set = (patch: Partial<PointFilter>) => onChange({ ...value, ...patch });
  return (
    <div className="filters" role="group" aria-label="Filters">
      <label>
        Storage{" "}
        <select value={value.storage} onChange={(e) => set({ storage: e.target.value })} data-testid="filter-storage">
          <option value="">All storages</option>
          {lanes.map((l) => (
            <option key={l.storage} value={l.storage}>{l.storage} ({l.label})</option>
          ))}
        </select>
      </label>
      <label>From <input type="datetime-local" value={value.from} onChange={(e) => set({ from: e.target.value })} data-testid="filter-from" /></label>
      <label>To <input type="datetime-local" value={value.to} onChange={(e) => set({ to: e.target.value })} data-testid="filter-to" /></label>
      <label><input type="checkbox" checked={value.safeOnly} onChange={(e) => set({ safeOnly: e.target.checked })} data-testid="filter-safe" /> Only safe points</label>
    </div>
  );
}
