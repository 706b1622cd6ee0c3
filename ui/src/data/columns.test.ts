// @vitest-environment node
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Timeline, TimelineColumns } from "../bindings";
import { fromColumns } from "./columns";
import { columnsOf } from "../testing";

// Written by the engine's test of the same encoding (points/tests.rs).
const fixture = JSON.parse(readFileSync(new URL("../../../tests/fixtures/timeline-columns.json", import.meta.url), "utf8")) as {
  columns: TimelineColumns;
  rows: Timeline;
};

describe("columnar timeline", () => {
  it("decodes to the rows the engine encoded", () => {
    expect(fromColumns(fixture.columns)).toEqual(fixture.rows);
  });

  it("decodes what the tests' fake encodes", () => {
    const rows = { ...fixture.rows, windows: fixture.rows.windows.map((w) => ({ ...w, reach: w.reach.map((r) => ({ ...r })) })) };
    expect(fromColumns(columnsOf(rows))).toEqual(rows);
  });

  it("covers what can go wrong in the encoding: a window without a start, reach of every kind", () => {
    const rows = fixture.rows.windows;
    expect(rows.some((w) => w.start_ms === null)).toBe(true);
    const states = new Set(rows.flatMap((w) => w.reach.map((r) => r.state)));
    expect([...states].sort()).toEqual(["gap", "no_base", "restorable", "waiting"]);
  });
});
