// Picking a restore point: the one selected on the timeline or in the list,
// or a typed time; the engine decides (and says why not). The point picked is
// given to copy, with where each storage comes back from and its runbook.
import type { Pick } from "../../bindings";
import { TableScroll } from "../TableScroll";
import { TimeToCopy } from "../TimeToCopy";

export function PickPane(props: {
  /** The selected point, in words ("" for none). */
  announce: string;
  canPickSelected: boolean;
  onPickSelected: () => void;
  /** The time typed (kept by the view across deployments). */
  typed: string;
  setTyped: (s: string) => void;
  onPickTime: (typed: string) => void;
  refusal: string | null;
  pick: Pick | null;
  onOpenRunbook: () => void;
  runbookError: string | null;
}) {
  const { announce, pick, typed, setTyped } = props;
  return (
    <div className="pick-pane">
      <h2>Pick</h2>
      {announce && <p className="small" data-testid="selected-point">{announce}</p>}
      <button className="primary" disabled={!props.canPickSelected} onClick={props.onPickSelected} data-testid="pick-selected">Pick the selected point</button>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) props.onPickTime(typed.trim());
        }}
      >
        <label htmlFor="typed-time">Or a time</label>
        <input id="typed-time" className="mono" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="2026-11-30T14:02:11Z, epoch ms, or local 2026-11-30 15:02:11" data-testid="typed-time" />
        <button type="submit">Check</button>
      </form>
      {props.refusal && <div className="field-error" role="alert" data-testid="pick-refusal">✗ {props.refusal}</div>}
      {pick && (
        <div data-testid="picked">
          <TimeToCopy label="Restore point" heading={`Restore point (picked by ${pick.picked_by})`} utc={pick.utc} local={pick.local} ms={pick.point_ms} testid="pick" />
          <TableScroll label="Where each storage comes back from">
            <table className="facts" aria-label="Where each storage comes back from">
              <thead><tr><th>Storage</th><th>Restores from</th></tr></thead>
              <tbody>
                {pick.sources.map((s) => (
                  <tr key={s.storage}><td>{s.storage} ({s.label})</td><td>{s.from}</td></tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {pick.notes.map((n) => <p key={n} className="small muted">{n}</p>)}
          <button className="primary" onClick={props.onOpenRunbook} data-testid="open-runbook">Open the runbook</button>
          {props.runbookError && <div className="field-error" role="alert" data-testid="runbook-error">✗ {props.runbookError}</div>}
        </div>
      )}
    </div>
  );
}
