// The timeline drawn on a canvas (thousands of windows stay smooth): d3-scale
// for the time axis (local time, as every time the app shows), d3-zoom for wheel and drag; keys and buttons zoom and
// pan the same domain. What is drawn comes from displayList (timeline.ts);
// unsafe and failed windows are hatched, not only coloured. The canvas is one
// tab stop; the list beside it is what screen readers use.
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";
import { scaleTime } from "d3-scale";
import { select } from "d3-selection";
import { zoom as d3zoom, zoomIdentity, type ZoomBehavior } from "d3-zoom";
import type { Timeline } from "../bindings";
import {
  LAYOUT, MAX_SPAN, MIN_SPAN, canvasHeight, displayList, domainOf, hitTest, pan, snap, step, tOf,
  transformFor, windowTime, zoom, type Domain, type Item, type Row,
} from "../data/timeline";

interface Props {
  timeline: Timeline;
  rows: Row[];
  domain: Domain;
  onDomain: (d: Domain) => void;
  selected: string | null;
  onSelect: (id: string, kind: "window" | "backup") => void;
  /** Enter on the selected window. */
  onPick: () => void;
  pick: number | null;
  width: number;
}

function colors() {
  const css = getComputedStyle(document.documentElement);
  const v = (n: string, d: string) => css.getPropertyValue(n).trim() || d;
  return {
    fg: v("--fg", "#1b2430"),
    muted: v("--muted", "#5f6b7a"),
    border: v("--border", "#d9dee5"),
    accent: v("--accent", "#2f6fb3"),
    ok: "#2e8b57",
    warn: "#c77700",
    bad: "#b3261e",
    range: "rgba(47, 111, 179, 0.16)",
  };
}

/** Diagonal stripes: unsafe and failed windows read as such without colour. */
function hatch(ctx: CanvasRenderingContext2D, color: string): CanvasPattern | string {
  const c = document.createElement("canvas");
  c.width = c.height = 6;
  const g = c.getContext("2d");
  if (!g) return color;
  g.strokeStyle = color;
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(0, 6);
  g.lineTo(6, 0);
  g.stroke();
  return ctx.createPattern(c, "repeat") ?? color;
}

export function paint(canvas: HTMLCanvasElement, items: Item[], rows: Row[], d: Domain, width: number): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const l = { ...LAYOUT, width };
  const h = canvasHeight(l, rows.length);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${h}px`;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const c = colors();
  ctx.clearRect(0, 0, width, h);
  ctx.font = "12px system-ui, sans-serif";
  // Axis: d3's ticks in local time.
  const x = scaleTime().domain([new Date(d[0]), new Date(d[1])]).range([l.labelW, width]);
  const ticks = x.ticks(Math.max(2, Math.floor((width - l.labelW) / 110)));
  const fmt = x.tickFormat();
  ctx.fillStyle = c.muted;
  ctx.strokeStyle = c.border;
  ctx.lineWidth = 1;
  for (const t of ticks) {
    const px = Math.round(x(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, l.axisH - 6);
    ctx.lineTo(px, h);
    ctx.stroke();
    ctx.fillText(fmt(t), px + 3, 14);
  }
  // Rows and their labels.
  rows.forEach((r, i) => {
    const y = l.axisH + i * l.rowH;
    ctx.strokeStyle = c.border;
    ctx.beginPath();
    ctx.moveTo(0, y + 0.5);
    ctx.lineTo(width, y + 0.5);
    ctx.stroke();
    ctx.fillStyle = c.fg;
    ctx.fillText(r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label, 6, y + l.rowH / 2 + 4);
  });
  ctx.save();
  ctx.beginPath();
  ctx.rect(l.labelW, 0, width - l.labelW, h);
  ctx.clip();
  const unsafe = hatch(ctx, c.bad);
  const top = (row: number) => l.axisH + row * l.rowH;
  for (const it of items) {
    switch (it.kind) {
      case "range": {
        const y = top(it.row) + 6;
        ctx.fillStyle = c.range;
        ctx.fillRect(it.x0, y, it.x1 - it.x0, l.rowH - 12);
        ctx.strokeStyle = c.accent;
        ctx.strokeRect(it.x0 + 0.5, y + 0.5, it.x1 - it.x0 - 1, l.rowH - 13);
        break;
      }
      case "archive": {
        // A thin band low in the row (the PITR range, if any, stays above it).
        const y = top(it.row) + l.rowH - 10;
        ctx.fillStyle = c.ok;
        ctx.fillRect(it.x0, y, it.x1 - it.x0, 4);
        break;
      }
      case "gap": {
        const y = top(it.row) + 4;
        ctx.fillStyle = unsafe;
        ctx.fillRect(it.x0, y, it.x1 - it.x0, l.rowH - 8);
        ctx.strokeStyle = c.bad;
        ctx.strokeRect(it.x0 + 0.5, y + 0.5, it.x1 - it.x0 - 1, l.rowH - 9);
        break;
      }
      case "density": {
        // Height grows with the count; hatched part for windows that are not points.
        const y = top(it.row);
        const hgt = Math.min(l.rowH - 6, 6 + 4 * Math.log2(it.count + 1));
        const okH = (hgt * it.pickable) / it.count;
        ctx.fillStyle = c.ok;
        ctx.fillRect(it.x0, y + l.rowH - 3 - okH, 1, okH);
        ctx.fillStyle = unsafe;
        ctx.fillRect(it.x0, y + l.rowH - 3 - hgt, 1, hgt - okH);
        break;
      }
      case "window": {
        const y = top(it.row) + 5;
        const hh = l.rowH - 10;
        ctx.fillStyle = it.pickable ? "rgba(46, 139, 87, 0.25)" : unsafe;
        ctx.fillRect(it.x0, y, Math.max(1, it.x1 - it.x0), hh);
        if (it.sx0 !== null && it.sx1 !== null) {
          ctx.fillStyle = "rgba(46, 139, 87, 0.55)";
          ctx.fillRect(it.sx0, y + 4, Math.max(1, it.sx1 - it.sx0), hh - 8);
        }
        if (it.px !== null) {
          ctx.fillStyle = c.fg;
          ctx.beginPath();
          ctx.moveTo(it.px, y - 3);
          ctx.lineTo(it.px + 4, y + hh / 2);
          ctx.lineTo(it.px, y + hh + 3);
          ctx.lineTo(it.px - 4, y + hh / 2);
          ctx.closePath();
          ctx.fill();
        }
        if (it.selected) {
          ctx.strokeStyle = c.accent;
          ctx.lineWidth = 2;
          ctx.strokeRect(it.x0 - 3, y - 4, Math.max(1, it.x1 - it.x0) + 6, hh + 8);
          ctx.lineWidth = 1;
        }
        break;
      }
      case "backup": {
        const y = top(it.row) + 9;
        ctx.fillStyle = it.pickable ? c.accent : unsafe;
        ctx.fillRect(it.x0, y, it.x1 - it.x0, l.rowH - 18);
        if (it.selected) {
          ctx.strokeStyle = c.fg;
          ctx.lineWidth = 2;
          ctx.strokeRect(it.x0 - 3, y - 4, it.x1 - it.x0 + 6, l.rowH - 10);
          ctx.lineWidth = 1;
        }
        break;
      }
      case "snapshot": {
        const y = top(it.row) + l.rowH / 2;
        ctx.fillStyle = c.fg;
        ctx.beginPath();
        ctx.arc(it.x, y, 3, 0, Math.PI * 2);
        ctx.fill();
        break;
      }
      case "now":
        ctx.strokeStyle = c.warn;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(it.x + 0.5, l.axisH);
        ctx.lineTo(it.x + 0.5, h);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = c.warn;
        ctx.fillText("now", it.x + 3, l.axisH + 10);
        break;
      case "pick":
        ctx.strokeStyle = c.accent;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(it.x, l.axisH);
        ctx.lineTo(it.x, h);
        ctx.stroke();
        ctx.lineWidth = 1;
        break;
    }
  }
  ctx.restore();
}

/**
 * The width of the box the canvas fills (at least 480 px), followed as it
 * resizes. A callback ref: the box appears only once the timeline is loaded.
 */
export function useWidth(): [(el: HTMLElement | null) => void, number] {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const [w, setW] = useState(900);
  useEffect(() => {
    if (!el) return;
    const measure = () => setW(Math.max(480, Math.floor(el.clientWidth)));
    measure();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, [el]);
  return [setEl, w];
}

/** When a timeline load started (IPC included), for the first frame to report (the benchmark reads it). */
let loadStartedAt: number | null = null;
let ipcMs: number | null = null;
export function markLoadStart(): void {
  loadStartedAt = performance.now();
  ipcMs = null;
}
/** The load's IPC part is over (the timeline arrived, parsed). */
export function markLoadArrived(): void {
  if (loadStartedAt !== null) ipcMs = performance.now() - loadStartedAt;
}

export function TimelineCanvas({ timeline, rows, domain, onDomain, selected, onSelect, onPick, pick, width }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const l = useMemo(() => ({ ...LAYOUT, width }), [width]);
  // d3-zoom works on a fixed base domain; the domain shown is derived from its transform.
  const base = useRef<Domain>(domain);
  const zoomRef = useRef<ZoomBehavior<HTMLCanvasElement, unknown> | null>(null);
  const domainRef = useRef(domain);
  domainRef.current = domain;
  const items = useMemo(() => displayList(timeline, rows, domain, l, selected, pick), [timeline, rows, domain, l, selected, pick]);

  // Painted in the commit (a layout effect), so a key's frame is done when its event returns.
  useLayoutEffect(() => {
    const c = ref.current;
    if (!c) return;
    const t0 = performance.now();
    paint(c, items, rows, domain, width);
    // For the benchmark: what the last frame took to paint, and the load to its first frame.
    const now = performance.now();
    c.dataset.frameMs = (now - t0).toFixed(2);
    c.dataset.items = String(items.length);
    if (loadStartedAt !== null) {
      c.dataset.loadMs = (now - loadStartedAt).toFixed(1);
      c.dataset.ipcMs = ipcMs !== null ? ipcMs.toFixed(1) : "";
      loadStartedAt = null;
    }
  }, [items, rows, domain, width]);

  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const span = base.current[1] - base.current[0];
    const z = d3zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([span / MAX_SPAN, span / MIN_SPAN])
      // Only the wheel and drag: keys are handled below, on the same domain.
      .filter((e: Event) => e.type === "wheel" || e.type === "mousedown" || e.type === "touchstart")
      .on("zoom", (e) => {
        if (!e.sourceEvent) return; // set by us from keys or buttons
        onDomain(domainOf(base.current, { k: e.transform.k, x: e.transform.x }, l));
      });
    zoomRef.current = z;
    select(c).call(z);
    return () => {
      select(c).on(".zoom", null);
    };
  }, [l, onDomain]);

  // Keep d3-zoom's transform in step with a domain set by keys or buttons.
  useEffect(() => {
    const c = ref.current;
    if (!c || !zoomRef.current) return;
    const tr = transformFor(base.current, domain, l);
    zoomRef.current.transform(select(c), zoomIdentity.translate(tr.x, 0).scale(tr.k));
  }, [domain, l]);

  const onKey = (e: KeyboardEvent) => {
    const d = domainRef.current;
    const to = (key: "next" | "prev" | "first" | "last") => {
      const w = step(timeline.windows, selected, key);
      if (w) onSelect(w.id, "window");
    };
    const keys: Record<string, () => void> = {
      ArrowRight: () => to("next"),
      ArrowLeft: () => to("prev"),
      Home: () => to("first"),
      End: () => to("last"),
      PageDown: () => onDomain(pan(d, 0.8)),
      PageUp: () => onDomain(pan(d, -0.8)),
      "+": () => onDomain(zoom(d, 2, centreOf(timeline, selected) ?? undefined)),
      "=": () => onDomain(zoom(d, 2, centreOf(timeline, selected) ?? undefined)),
      "-": () => onDomain(zoom(d, 0.5, centreOf(timeline, selected) ?? undefined)),
      Enter: () => onPick(),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const hit = hitTest(items, x, y, l);
    if (hit?.kind === "window" || hit?.kind === "backup") onSelect(hit.id, hit.kind);
    else if (hit?.kind === "density") onDomain(zoom(domain, 8, tOf(x, domain, l)));
    else {
      const w = snap(timeline.windows, tOf(x, domain, l), domain, l);
      if (w) onSelect(w.id, "window");
    }
  };

  return (
    <canvas
      ref={ref}
      tabIndex={0}
      role="application"
      aria-roledescription="timeline"
      aria-label="Restore-point timeline. Left and Right arrows: previous and next window; Home and End: first and last; Page Up and Page Down: pan; plus and minus: zoom; Enter: pick the selected window. The list beside it holds the same points."
      data-testid="timeline-canvas"
      data-d0={Math.round(domain[0])}
      data-d1={Math.round(domain[1])}
      data-label-w={LAYOUT.labelW}
      className="timeline-canvas"
      onKeyDown={onKey}
      onClick={onClick}
    />
  );
}

function centreOf(t: Timeline, selected: string | null): number | null {
  const w = t.windows.find((x) => x.id === selected);
  return w ? windowTime(w) : null;
}
