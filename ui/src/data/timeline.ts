// The restore-point timeline as plain functions: what to draw (the display
// list), what is under the pointer (hit-testing), which window a click or a
// key lands on (snapping, keyboard moves), and the zoom/pan arithmetic.
// The canvas component only paints what these return, so every rule here is
// unit-tested without a canvas (jsdom has none).
import type { BackupMark, Lane, Timeline, WindowMark } from "../bindings";
import { localTime } from "./format";

export const MINUTE = 60_000;
export const DAY = 86_400_000;
/** Zoom limits: a minute to a year across the canvas. */
export const MIN_SPAN = MINUTE;
export const MAX_SPAN = 366 * DAY;

export type Domain = [number, number];

export interface Layout {
  width: number;
  /** Left gutter for the row labels. */
  labelW: number;
  axisH: number;
  rowH: number;
}

export const LAYOUT: Layout = { width: 900, labelW: 150, axisH: 26, rowH: 34 };

/** The rows: pause windows, backups, then one per storage. */
export interface Row {
  key: string;
  label: string;
  lane?: Lane;
}

export function rows(lanes: Lane[]): Row[] {
  return [
    { key: "windows", label: "Pause windows" },
    { key: "backups", label: "Backups" },
    ...lanes.map((l) => ({ key: `lane:${l.storage}`, label: `${l.storage} (${l.label})`, lane: l })),
  ];
}

export function canvasHeight(l: Layout, nRows: number): number {
  return l.axisH + nRows * l.rowH + 4;
}

export type Item =
  | { kind: "range"; row: number; x0: number; x1: number; storage: string; openStart: boolean }
  /** A storage's log archive: from its oldest base to its newest complete log file. */
  | { kind: "archive"; row: number; x0: number; x1: number; storage: string }
  /** A stretch of it that cannot be replayed (drawn hatched, listed under Lanes). */
  | { kind: "gap"; row: number; x0: number; x1: number; storage: string; reason: string }
  | {
      kind: "window";
      row: number;
      x0: number;
      x1: number;
      /** The safe interval and the restore point (pickable windows only). */
      sx0: number | null;
      sx1: number | null;
      px: number | null;
      id: string;
      pickable: boolean;
      status: string;
      selected: boolean;
    }
  | { kind: "density"; row: number; x0: number; x1: number; count: number; pickable: number }
  | { kind: "backup"; row: number; x0: number; x1: number; id: string; pickable: boolean; selected: boolean }
  | { kind: "snapshot"; row: number; x: number; id: string }
  | { kind: "now"; x: number }
  | { kind: "pick"; x: number };

/** x in pixels of time t for a domain over the plot area. */
export function xOf(t: number, d: Domain, l: Layout): number {
  return l.labelW + ((t - d[0]) / (d[1] - d[0])) * (l.width - l.labelW);
}

export function tOf(x: number, d: Domain, l: Layout): number {
  return d[0] + ((x - l.labelW) / (l.width - l.labelW)) * (d[1] - d[0]);
}

export function pickable(w: WindowMark): boolean {
  return w.refusals.length === 0 && w.point_ms !== null;
}

/**
 * What to draw for a domain: items outside the plot are left out; windows
 * narrower than a pixel merge, per pixel column, into one density mark (a
 * year of hourly pauses is ~9 000 windows on ~750 pixels).
 */
export function displayList(
  t: Timeline,
  shownRows: Row[],
  d: Domain,
  l: Layout,
  selected: string | null,
  pick: number | null,
): Item[] {
  const out: Item[] = [];
  const right = l.width;
  const left = l.labelW;
  const visible = (x0: number, x1: number) => x1 >= left && x0 <= right;
  const clamp = (x: number) => Math.max(left - 1, Math.min(right + 1, x));
  const rowOf = (key: string) => shownRows.findIndex((r) => r.key === key);

  shownRows.forEach((r, row) => {
    const pitr = r.lane?.pitr;
    if (pitr) {
      const x0 = pitr.earliest_ms === null ? left - 1 : xOf(pitr.earliest_ms, d, l);
      const x1 = xOf(pitr.latest_ms, d, l);
      if (visible(x0, x1)) {
        out.push({ kind: "range", row, x0: clamp(x0), x1: clamp(x1), storage: r.lane!.storage, openStart: pitr.earliest_ms === null });
      }
    }
    const a = r.lane?.archive;
    if (a && a.from_ms !== null) {
      const x0 = xOf(a.from_ms, d, l);
      const x1 = xOf(a.to_ms ?? a.from_ms, d, l);
      if (visible(x0, x1)) out.push({ kind: "archive", row, x0: clamp(x0), x1: clamp(Math.max(x1, x0 + 1)), storage: r.lane!.storage });
    }
    for (const g of a?.gaps ?? []) {
      const x0 = xOf(g.from_ms, d, l);
      const x1 = Math.max(xOf(g.to_ms, d, l), x0 + 3);
      if (visible(x0, x1)) out.push({ kind: "gap", row, x0: clamp(x0), x1: clamp(x1), storage: r.lane!.storage, reason: g.reason });
    }
  });

  const wRow = rowOf("windows");
  if (wRow >= 0) {
    const columns = new Map<number, { count: number; pickable: number }>();
    for (const w of t.windows) {
      const s = w.start_ms ?? w.end_ms;
      if (s === null) continue; // a pause that never held: listed, not drawn
      const e = w.end_ms ?? s;
      const x0 = xOf(s, d, l);
      const x1 = xOf(e, d, l);
      if (!visible(x0, x1)) continue;
      const ok = pickable(w);
      if (x1 - x0 < 1 && w.id !== selected) {
        const col = Math.floor(x0);
        const c = columns.get(col) ?? { count: 0, pickable: 0 };
        c.count += 1;
        c.pickable += ok ? 1 : 0;
        columns.set(col, c);
        continue;
      }
      out.push({
        kind: "window",
        row: wRow,
        x0: clamp(x0),
        x1: clamp(Math.max(x1, x0 + 1)),
        sx0: ok && w.safe_from_ms !== null ? xOf(w.safe_from_ms, d, l) : null,
        sx1: ok && w.safe_to_ms !== null ? xOf(w.safe_to_ms, d, l) : null,
        px: ok && w.point_ms !== null ? xOf(w.point_ms, d, l) : null,
        id: w.id,
        pickable: ok,
        status: w.status,
        selected: w.id === selected,
      });
    }
    for (const [col, c] of [...columns.entries()].sort((a, b) => a[0] - b[0])) {
      out.push({ kind: "density", row: wRow, x0: col, x1: col + 1, count: c.count, pickable: c.pickable });
    }
    // Snapshots taken by a window's hook, on their storage's row.
    for (const w of t.windows) {
      if (w.point_ms === null) continue;
      for (const s of w.snapshots) {
        const row = rowOf(`lane:${s}`);
        const x = xOf(w.point_ms, d, l);
        if (row >= 0 && visible(x, x)) out.push({ kind: "snapshot", row, x, id: w.id });
      }
    }
  }

  const bRow = rowOf("backups");
  for (const b of t.backups) {
    const x0 = xOf(b.start_ms, d, l);
    const x1 = Math.max(xOf(b.end_ms, d, l), x0 + 2);
    if (!visible(x0, x1)) continue;
    const mark = { kind: "backup" as const, x0: clamp(x0), x1: clamp(x1), id: b.id, pickable: b.refusals.length === 0, selected: b.id === selected };
    if (bRow >= 0) out.push({ ...mark, row: bRow });
    // Also on the rows of the storages it restores.
    for (const s of b.storages) {
      const row = rowOf(`lane:${s}`);
      if (row >= 0) out.push({ ...mark, row });
    }
  }

  const now = xOf(t.now_ms, d, l);
  if (visible(now, now)) out.push({ kind: "now", x: now });
  if (pick !== null) {
    const x = xOf(pick, d, l);
    if (visible(x, x)) out.push({ kind: "pick", x });
  }
  return out;
}

/** The item under (x, y): a window or backup, else a density mark; 4 px of slack. */
export function hitTest(items: Item[], x: number, y: number, l: Layout): Item | null {
  if (y < l.axisH) return null;
  const row = Math.floor((y - l.axisH) / l.rowH);
  let best: Item | null = null;
  let bestDist = Infinity;
  for (const it of items) {
    if (!("row" in it) || it.row !== row) continue;
    if (it.kind !== "window" && it.kind !== "backup" && it.kind !== "density") continue;
    const dist = x < it.x0 ? it.x0 - x : x > it.x1 ? x - it.x1 : 0;
    if (dist > 4) continue;
    // Marks beat density; among equals, the nearest.
    const rank = dist + (it.kind === "density" ? 0.5 : 0);
    if (rank < bestDist) {
      best = it;
      bestDist = rank;
    }
  }
  return best;
}

/** The pickable window whose restore point is nearest t, within `px` pixels. */
export function snap(windows: WindowMark[], t: number, d: Domain, l: Layout, px = 8): WindowMark | null {
  const msPerPx = (d[1] - d[0]) / (l.width - l.labelW);
  let best: WindowMark | null = null;
  let bestDist = px * msPerPx;
  for (const w of windows) {
    if (!pickable(w)) continue;
    const dist = Math.abs((w.point_ms ?? 0) - t);
    if (dist <= bestDist) {
      best = w;
      bestDist = dist;
    }
  }
  return best;
}

/** The time a window sits at on the timeline (its point, else its start). */
export function windowTime(w: WindowMark): number | null {
  return w.point_ms ?? w.start_ms ?? w.end_ms;
}

/** Arrow keys, Home and End: the next window (in time order) from the selected one. */
export function step(windows: WindowMark[], selected: string | null, key: "next" | "prev" | "first" | "last"): WindowMark | null {
  const drawn = windows.filter((w) => windowTime(w) !== null);
  if (drawn.length === 0) return null;
  if (key === "first") return drawn[0];
  if (key === "last") return drawn[drawn.length - 1];
  const i = drawn.findIndex((w) => w.id === selected);
  if (i < 0) return key === "next" ? drawn[0] : drawn[drawn.length - 1];
  return drawn[Math.max(0, Math.min(drawn.length - 1, i + (key === "next" ? 1 : -1)))];
}

function clampSpan(span: number): number {
  return Math.max(MIN_SPAN, Math.min(MAX_SPAN, span));
}

/** Zooms by `factor` (2: in, 0.5: out) keeping `at` where it is on screen. */
export function zoom(d: Domain, factor: number, at = (d[0] + d[1]) / 2): Domain {
  const span = clampSpan((d[1] - d[0]) / factor);
  const frac = (at - d[0]) / (d[1] - d[0]);
  const start = at - frac * span;
  return [start, start + span];
}

/** Pans by a fraction of the visible span (1: one screen to the right). */
export function pan(d: Domain, fraction: number): Domain {
  const dx = (d[1] - d[0]) * fraction;
  return [d[0] + dx, d[1] + dx];
}

/** Moves the domain as little as needed to show t (with a margin). */
export function reveal(d: Domain, t: number): Domain {
  const span = d[1] - d[0];
  const margin = span * 0.05;
  if (t < d[0] + margin) return [t - margin, t - margin + span];
  if (t > d[1] - margin) return [t + margin - span, t + margin];
  return d;
}

/** Every window, backup and PITR range in view (or the last day when there is nothing). */
export function fit(t: Timeline): Domain {
  const times: number[] = [];
  for (const w of t.windows) {
    if (w.start_ms !== null) times.push(w.start_ms);
    if (w.end_ms !== null) times.push(w.end_ms);
  }
  for (const b of t.backups) times.push(b.start_ms, b.end_ms);
  if (times.length === 0) return [t.now_ms - DAY, t.now_ms + DAY / 24];
  const lo = Math.min(...times);
  const hi = Math.max(...times, t.now_ms);
  const span = clampSpan((hi - lo) * 1.1 || MIN_SPAN);
  const mid = (lo + hi) / 2;
  return [mid - span / 2, mid + span / 2];
}

/**
 * d3-zoom's transform (scale k, translate x) that shows domain `d` when the
 * base domain `base` spans the plot: keeps d3-zoom's wheel and drag in step
 * with zooms made by keys and buttons.
 */
export function transformFor(base: Domain, d: Domain, l: Layout): { k: number; x: number } {
  const r0 = l.labelW;
  const r1 = l.width;
  const u = (t: number) => r0 + ((t - base[0]) / (base[1] - base[0])) * (r1 - r0);
  const k = (r1 - r0) / (u(d[1]) - u(d[0]));
  return { k, x: r0 - k * u(d[0]) };
}

/** The domain d3-zoom's transform shows (the inverse of transformFor). */
export function domainOf(base: Domain, tr: { k: number; x: number }, l: Layout): Domain {
  const r0 = l.labelW;
  const r1 = l.width;
  const inv = (px: number) => base[0] + ((px - r0) / (r1 - r0)) * (base[1] - base[0]);
  return [inv((r0 - tr.x) / tr.k), inv((r1 - tr.x) / tr.k)];
}

/** A backup's or window's one-line description for the list and the live region. */
export function describeWindow(w: WindowMark, fmt: (ms: number) => string): string {
  const when = w.start_ms !== null ? fmt(w.start_ms) : "never held";
  const head = pickable(w)
    ? `Pause window ${when}: safe, restore point ${fmt(w.point_ms!)}${w.backup_id ? `, backup ${w.backup_id} taken in it` : ""}`
    : `Pause window ${when}: ${w.status}, not a restore point (${w.refusals.join("; ")})`;
  return w.reach.length > 0 ? `${head}. ${describeReach(w)}` : head;
}

const REACH: Record<string, string> = {
  restorable: "reached",
  waiting: "waiting for the archive",
  gap: "in a gap of the archive",
  no_base: "no base before it",
  no_position: "no log position",
  not_archived: "not archived",
};

/** Per archived storage, whether its log archive reaches the window, and from what or why not. */
export function describeReach(w: WindowMark): string {
  const each = w.reach.map((r) => {
    const what = REACH[r.state] ?? r.state;
    if (r.state === "restorable") return `${r.storage} reaches its position from ${r.base ?? "its base"}`;
    return `${r.storage} ${what}${r.detail ? ` (${r.detail})` : ""}`;
  });
  return `Log archive: ${each.join("; ")}`;
}

export function describeBackup(b: BackupMark, fmt: (ms: number) => string): string {
  const what = `Backup ${b.id} (${b.method === "pause" ? "taken in a pause" : "no pause"}, ${b.status.replace("_", " ")}) at ${fmt(b.start_ms)}`;
  return b.refusals.length === 0 && b.point_ms !== null
    ? `${what}: restore point ${fmt(b.point_ms)}`
    : `${what}: not a restore point (${b.refusals.join("; ")})`;
}

/** A point of the list beside the timeline: a pause window (with a backup taken in it) or a backup on its own. */
export type Point = { kind: "window"; w: WindowMark } | { kind: "backup"; b: BackupMark };

export function pointTime(p: Point): number {
  return p.kind === "window" ? windowTime(p.w) ?? 0 : p.b.start_ms;
}

export function pointId(p: Point): string {
  return p.kind === "window" ? p.w.id : p.b.id;
}

/** A time in the descriptions, the list and the live region: local with its offset, to the millisecond. */
export const pointText = (ms: number): string => localTime(ms, { ms: true });

/** What the list and the timeline are narrowed to: a storage, a local date-time range (datetime-local values), safe points only. */
export interface PointFilter {
  storage: string;
  from: string;
  to: string;
  safeOnly: boolean;
}

export const NO_FILTER: PointFilter = { storage: "", from: "", to: "", safeOnly: false };

/** Local date-time input value (YYYY-MM-DDTHH:MM) to epoch ms, or null. */
function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
}

/** The timeline as filtered: a storage (its lane, the backups that restore it), dates, only safe points. */
export function filterTimeline(t: Timeline, f: PointFilter): Timeline {
  const lo = fromLocalInput(f.from) ?? -Infinity;
  const hi = fromLocalInput(f.to) ?? Infinity;
  const inRange = (x: number | null) => x !== null && x >= lo && x <= hi;
  return {
    ...t,
    lanes: t.lanes.filter((l) => !f.storage || l.storage === f.storage),
    windows: t.windows.filter((w) => inRange(windowTime(w)) && (!f.safeOnly || pickable(w))),
    backups: t.backups.filter(
      (b) => inRange(b.start_ms) && (!f.safeOnly || b.refusals.length === 0) && (!f.storage || b.storages.includes(f.storage)),
    ),
  };
}

/** The points of a (filtered) timeline, newest first: each window, and each backup not taken in one (it is listed with its window). */
export function pointsOf(t: Timeline): Point[] {
  const inWindow = new Set(t.windows.map((w) => w.backup_id).filter(Boolean));
  const ps: Point[] = [
    ...t.windows.map((w) => ({ kind: "window" as const, w })),
    ...t.backups.filter((b) => !inWindow.has(b.id)).map((b) => ({ kind: "backup" as const, b })),
  ];
  return ps.sort((a, b) => pointTime(b) - pointTime(a));
}
