// The timeline arrives as columns (src-tauri/engine/src/points/columns.rs):
// ~10 000 windows as objects were most of the time to the first frame. This
// turns them back into the rows every view works with. Tested against the
// fixture the Rust side is tested against (tests/fixtures/timeline-columns.json).
import type { Reach, ReachState, Timeline, TimelineColumns, WindowMark } from "../bindings";

const NONE = 0xffff_ffff;

export function fromColumns(t: TimelineColumns): Timeline {
  const c = t.windows;
  const s = c.strings;
  const windows: WindowMark[] = new Array(c.id.length);
  let prev = 0;
  for (let k = 0; k < c.id.length; k++) {
    const d = c.start[k];
    const start = d === null ? null : prev + d;
    if (start !== null) prev = start;
    const base = start ?? 0;
    const abs = (v: number | null) => (v === null ? null : v + base);
    const q = c.reach[k];
    const reach: Reach[] = [];
    for (let i = 0; i + 3 < q.length; i += 4) {
      reach.push({
        storage: s[q[i]],
        state: s[q[i + 1]] as ReachState,
        base: q[i + 2] === NONE ? null : s[q[i + 2]],
        detail: q[i + 3] === NONE ? "" : s[q[i + 3]],
      });
    }
    const b = c.backup_id[k];
    windows[k] = {
      id: c.id[k],
      status: s[c.status[k]],
      start_ms: start,
      end_ms: abs(c.end[k]),
      safe_from_ms: abs(c.safe_from[k]),
      safe_to_ms: abs(c.safe_to[k]),
      point_ms: abs(c.point[k]),
      backup_id: b === null ? null : s[b],
      snapshots: c.snapshots[k].map((i) => s[i]),
      refusals: c.refusals[k].map((i) => s[i]),
      reach,
    };
  }
  return { deployment: t.deployment, deployment_id: t.deployment_id, now_ms: t.now_ms, lanes: t.lanes, windows, backups: t.backups, damaged: t.damaged };
}
