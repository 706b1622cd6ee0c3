// The restore wizard's last step: what was restored where, how long it took,
// the verification, the grants re-applied and what to do next.
import type { RefObject } from "react";
import type { Profile, RestoreResult } from "../../bindings";
import { Verification } from "../Verification";

/** "u1 → prod-pg, u2 → prod-maria", or the one profile's name. */
function targetNames(r: RestoreResult, profiles: Profile[]): string {
  const name = (id: string) => profiles.find((p) => p.id === id || p.name === id)?.name ?? id;
  if (r.targets.length === 1) return name(r.targets[0].profile);
  return r.targets.map((t) => `${t.unit} → ${name(t.profile)}`).join(", ");
}

export function RestoreOutcome({ r, profiles, outcome }: { r: RestoreResult; profiles: Profile[]; outcome: RefObject<HTMLDivElement | null> }) {
  return (
    <>
      <div ref={outcome} tabIndex={-1} className={r.verify?.passed === false ? "banner error" : "banner ok"} data-testid="restore-done">
        Restored <strong>{r.backup_id}</strong> into {targetNames(r, profiles)} in {(r.duration_ms / 1000).toFixed(1)} s —{" "}
        {r.verify === null ? "not verified" : r.verify.passed ? "verification found no errors" : "verification found errors"}.
      </div>
      {r.verify && <Verification report={r.verify} />}
      {r.grants_applied.length > 0 && (
        <>
          <div className="section-title">Grants re-applied</div>
          {r.grants_applied.map((g, i) => <div className="command" key={i}><pre>{g}</pre></div>)}
        </>
      )}
      <div className="section-title">Next</div>
      <ul className="notes">
        {r.after.map((a, i) => <li key={i}>{a}</li>)}
      </ul>
    </>
  );
}
