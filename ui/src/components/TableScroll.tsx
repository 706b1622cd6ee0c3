// A table that fits its pane or scrolls sideways inside its own box, never
// past the window's edge. While it overflows, the box is a named region in
// the tab order, so the keyboard can scroll it too.
import { useLayoutEffect, useRef, useState, type ReactNode } from "react";

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [overflows, setOverflows] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setOverflows(el.scrollWidth > el.clientWidth + 1);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, []);
  return (
    <div ref={ref} className="table-scroll" {...(overflows ? { tabIndex: 0, role: "region", "aria-label": `${label} (scrolls sideways)` } : {})}>
      {children}
    </div>
  );
}
