import { describe, expect, it } from "vitest";
import type { Lane, Timeline, WindowMark } from "../bindings";
import {
  DAY, LAYOUT, describeWindow, MAX_SPAN, MIN_SPAN, displayList, domainOf, fit, hitTest, pan, reveal, rows, snap, step,
  transformFor, xOf, zoom, type Domain, type Item,
} from "./timeline";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function win(id: string, start: number, ok = true, ms = 5000): WindowMark {
  return {
    id, status: ok ? "ok" : "unsafe", start_ms: start, end_ms: start + ms,
    safe_from_ms: ok ? start + 500 : null, safe_to_ms: ok ? start + ms - 500 : null,
    point_ms: ok ? start + ms / 2 : null, backup_id: null, snapshots: [], refusals: ok ? [] : ["the window is unsafe: a node unpaused early"], reach: [],
  };
}

const dyn: Lane = {
  storage: "dyn", profile: "dyn", kind: "dynamo", flavor: "cloud", label: "DynamoDB", restores_by: "pitr",
  pitr: { earliest_ms: T0 + 10 * DAY, latest_ms: T0 + 300 * DAY, basis: "" }, archive: null,
};

function tl(windows: WindowMark[]): Timeline {
  return { deployment: "prod", deployment_id: "d", now_ms: T0 + 365 * DAY, lanes: [dyn], windows, backups: [], damaged: [] };
}

const count = (items: Item[], kind: Item["kind"]) => items.filter((i) => i.kind === kind).length;

describe("display list", () => {
  it("merges a year of hourly windows into at most one density mark per pixel, keeping every window counted", () => {
    const ws = Array.from({ length: 8760 }, (_, i) => win(`w${i}`, T0 + i * HOUR, i % 10 !== 0));
    const t = tl(ws);
    const d: Domain = [T0, T0 + 366 * DAY];
    const items = displayList(t, rows(t.lanes), d, LAYOUT, null, null);
    const dens = items.filter((i): i is Extract<Item, { kind: "density" }> => i.kind === "density");
    expect(count(items, "window")).toBe(0);
    expect(dens.length).toBeLessThanOrEqual(LAYOUT.width - LAYOUT.labelW + 1);
    expect(dens.reduce((a, b) => a + b.count, 0)).toBe(8760);
    expect(dens.reduce((a, b) => a + b.pickable, 0)).toBe(7884);
    expect(new Set(dens.map((x) => x.x0)).size).toBe(dens.length);
    // Zoomed to six hours, 5 s windows are still under a pixel, but the selected one is drawn itself.
    const six: Domain = [T0 + 100 * HOUR, T0 + 106 * HOUR];
    const at6 = displayList(t, rows(t.lanes), six, LAYOUT, "w102", null);
    const drawn6 = at6.filter((i): i is Extract<Item, { kind: "window" }> => i.kind === "window");
    expect(drawn6.map((w) => [w.id, w.selected])).toEqual([["w102", true]]);
    expect(at6.filter((i) => i.kind === "density").reduce((a, b) => a + (b as { count: number }).count, 0)).toBe(6);
    // At ten minutes they are windows with their safe interval and restore point.
    const ten: Domain = [T0 + 101 * HOUR - 5 * MIN_SPAN, T0 + 101 * HOUR + 5 * MIN_SPAN];
    const at10 = displayList(t, rows(t.lanes), ten, LAYOUT, null, null);
    const w101 = at10.find((i) => i.kind === "window") as Extract<Item, { kind: "window" }>;
    expect([w101.id, w101.pickable, count(at10, "density")]).toEqual(["w101", true, 0]);
    expect(w101.px).toBeCloseTo(xOf(T0 + 101 * HOUR + 2500, ten, LAYOUT));
    expect(w101.sx0! > w101.x0 && w101.sx1! < w101.x1).toBe(true);
    // An unsafe one is drawn but has no restore point.
    const w100 = displayList(t, rows(t.lanes), [T0 + 100 * HOUR - MIN_SPAN, T0 + 100 * HOUR + MIN_SPAN], LAYOUT, null, null)
      .find((i) => i.kind === "window") as Extract<Item, { kind: "window" }>;
    expect([w100.id, w100.pickable, w100.px]).toEqual(["w100", false, null]);
  });

  it("draws the restorable range on its storage's row, cut at the plot's edges", () => {
    const t = tl([]);
    const items = displayList(t, rows(t.lanes), [T0, T0 + 20 * DAY], LAYOUT, null, null);
    const r = items.find((i) => i.kind === "range") as Extract<Item, { kind: "range" }>;
    expect(r.row).toBe(2);
    expect(r.x0).toBeCloseTo(xOf(T0 + 10 * DAY, [T0, T0 + 20 * DAY], LAYOUT));
    expect(r.x1).toBe(LAYOUT.width + 1);
    // Out of view: nothing.
    expect(displayList(t, rows(t.lanes), [T0 - 9 * DAY, T0], LAYOUT, null, null).some((i) => i.kind === "range")).toBe(false);
  });
});

describe("hit-testing and snapping", () => {
  // Minute-long windows over four hours: a few pixels each.
  const ws = [win("a", T0, true, 60_000), win("b", T0 + HOUR, true, 60_000), win("c", T0 + 2 * HOUR, false, 60_000)];
  const t = tl(ws);
  const d: Domain = [T0 - HOUR, T0 + 3 * HOUR];
  const items = displayList(t, rows(t.lanes), d, LAYOUT, null, null);
  const y = LAYOUT.axisH + LAYOUT.rowH / 2;

  it("finds the window under the pointer, with slack, on its row only", () => {
    const xb = xOf(T0 + HOUR + 30_000, d, LAYOUT);
    expect((hitTest(items, xb, y, LAYOUT) as { id: string }).id).toBe("b");
    expect((hitTest(items, xb + 3, y, LAYOUT) as { id: string }).id).toBe("b");
    expect(hitTest(items, xb + 40, y, LAYOUT)).toBeNull();
    expect(hitTest(items, xb, y + LAYOUT.rowH, LAYOUT)).toBeNull();
    expect(hitTest(items, xb, 2, LAYOUT)).toBeNull();
  });

  it("snaps a time to the nearest pickable window's point within 8 px, never to an unsafe one", () => {
    expect(snap(ws, T0 + HOUR + 60_000, d, LAYOUT)!.id).toBe("b");
    expect(snap(ws, T0 + 2 * HOUR + 30_000, d, LAYOUT)).toBeNull();
    expect(snap(ws, T0 + 30 * 60_000, d, LAYOUT)).toBeNull();
  });

  it("moves between windows with arrows, Home and End", () => {
    expect(step(ws, null, "next")!.id).toBe("a");
    expect(step(ws, "a", "next")!.id).toBe("b");
    expect(step(ws, "c", "next")!.id).toBe("c");
    expect(step(ws, "b", "prev")!.id).toBe("a");
    expect(step(ws, "b", "first")!.id).toBe("a");
    expect(step(ws, "a", "last")!.id).toBe("c");
    expect(step([], null, "next")).toBeNull();
  });
});

describe("zoom and pan", () => {
  const d: Domain = [T0, T0 + DAY];
  it("zooms around a point, within a minute and a year", () => {
    const at = T0 + DAY / 4;
    const z = zoom(d, 2, at);
    expect(z[1] - z[0]).toBe(DAY / 2);
    expect((at - z[0]) / (z[1] - z[0])).toBeCloseTo(0.25);
    let tiny = d;
    for (let i = 0; i < 40; i++) tiny = zoom(tiny, 2);
    expect(tiny[1] - tiny[0]).toBe(MIN_SPAN);
    let huge = d;
    for (let i = 0; i < 40; i++) huge = zoom(huge, 0.5);
    expect(huge[1] - huge[0]).toBe(MAX_SPAN);
  });

  it("pans by screens and reveals a time just enough", () => {
    expect(pan(d, 1)).toEqual([T0 + DAY, T0 + 2 * DAY]);
    expect(pan(d, -0.5)).toEqual([T0 - DAY / 2, T0 + DAY / 2]);
    expect(reveal(d, T0 + DAY / 2)).toEqual(d);
    const r = reveal(d, T0 + 2 * DAY);
    expect(r[1] - r[0]).toBe(DAY);
    expect(r[0] < T0 + 2 * DAY && T0 + 2 * DAY < r[1]).toBe(true);
  });

  it("keeps d3-zoom's transform and the domain in step both ways", () => {
    const base: Domain = [T0, T0 + 30 * DAY];
    for (const target of [[T0 + DAY, T0 + 2 * DAY], [T0 - 5 * DAY, T0 + 60 * DAY], [T0 + 7 * DAY + 1234, T0 + 7 * DAY + MIN_SPAN]] as Domain[]) {
      const back = domainOf(base, transformFor(base, target, LAYOUT), LAYOUT);
      expect(back[0]).toBeCloseTo(target[0], -1);
      expect(back[1]).toBeCloseTo(target[1], -1);
    }
  });

  it("fits every window and now", () => {
    const t = tl([win("a", T0), win("b", T0 + 10 * DAY)]);
    const f = fit(t);
    expect(f[0] <= T0 && f[1] >= t.now_ms).toBe(true);
  });
});

describe("log archive", () => {
  const pg: Lane = {
    storage: "pg", profile: "pg", kind: "postgresql", flavor: "self_hosted", label: "PostgreSQL", restores_by: "backup", pitr: null,
    archive: {
      from_ms: T0 + DAY, to_ms: T0 + 9 * DAY, base: "base-1", last: "000000010000000000000009",
      gaps: [{ from_ms: T0 + 3 * DAY, to_ms: T0 + 4 * DAY, from: "000000010000000000000004", to: "000000010000000000000005", reason: "deleted" }],
    },
  };

  it("draws each storage's archived range and its gaps on the storage's row", () => {
    const t = { ...tl([]), lanes: [pg] };
    const rs = rows(t.lanes);
    const items = displayList(t, rs, [T0, T0 + 10 * DAY], LAYOUT, null, null);
    const row = rs.findIndex((r) => r.key === "lane:pg");
    const archive = items.find((i) => i.kind === "archive");
    const gap = items.find((i) => i.kind === "gap");
    expect(archive && "row" in archive && archive.row).toBe(row);
    expect(gap && gap.kind === "gap" && gap.reason).toBe("deleted");
    expect(archive!.kind === "archive" && gap!.kind === "gap" && gap!.x0 > archive!.x0 && gap!.x1 < archive!.x1).toBe(true);
    // Out of view: neither drawn.
    expect(displayList(t, rs, [T0 + 20 * DAY, T0 + 30 * DAY], LAYOUT, null, null).some((i) => i.kind === "archive" || i.kind === "gap")).toBe(false);
  });

  it("says per storage whether the archive reaches a window, and from what or why not", () => {
    const w = {
      ...win("w", T0),
      reach: [
        { storage: "pg", state: "restorable" as const, base: "base-1", detail: "" },
        { storage: "my", state: "waiting" as const, base: null, detail: "binlog.000003 not yet past 120" },
      ],
    };
    const text = describeWindow(w, (ms) => String(ms));
    expect(text).toContain("pg reaches its position from base-1");
    expect(text).toContain("my waiting for the archive (binlog.000003 not yet past 120)");
    expect(describeWindow(win("v", T0), String)).not.toContain("Log archive");
  });
});
