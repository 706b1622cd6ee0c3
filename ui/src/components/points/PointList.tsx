// The restore points beside the timeline as an accessible listbox: newest
// first, each point's state in words, arrows and Home/End to move, Enter (or a
// double click) to pick. Virtualized: a year of hourly windows is ~9 000.
import { useEffect, useRef, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { describeBackup, describeWindow, pickable, pointId, pointText, type Point } from "../../data/timeline";

/** The points as an accessible listbox, virtualized (a year of hourly windows is ~9 000 options). */
export function PointList({ points, selected, onSelect, onPick }: {
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
  const onKey = (e: KeyboardEvent) => {
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
          const text = p.kind === "window" ? describeWindow(p.w, pointText) : describeBackup(p.b, pointText);
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
